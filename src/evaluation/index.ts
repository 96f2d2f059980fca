/// <reference types="node" preserve="true" />
/** "instructzero/evaluation": score one instruction on a set of examples with a black box and a metric. */
export {
  type EvaluateOptions,
  type EvaluationUsage,
  type ExampleResult as EvaluatedExample,
  evaluateInstruction,
  type InstructionEvaluation,
} from "./evaluate.js";
