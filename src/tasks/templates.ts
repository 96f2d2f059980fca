import type { Demo } from "./types.js";

/**
 * The reference prompt templates. Placeholders are filled in one pass, so text inside an instruction or
 * an input that happens to contain "[INPUT]" is never substituted again (the reference's chained
 * str.replace would substitute it: model output is untrusted).
 */

/** Black-box query used to score an instruction on the validation set (reference: LMForwardAPI). */
export const VALIDATION_TEMPLATE = "Instruction: [PROMPT]\n\nInput: [INPUT]\n Output: [OUTPUT]";
/** Black-box query used for the final test score (reference: run_instructzero.py). */
export const TEST_TEMPLATE = "Instruction: [PROMPT]\n\nInput: [INPUT]\n\nOUTPUT: [OUTPUT]";
/** The query of the "no instruction" baseline (validation): the reference template without its instruction. */
export const NO_INSTRUCTION_VALIDATION_TEMPLATE = "Input: [INPUT]\n Output: [OUTPUT]";
/** The query of the "no instruction" baseline (test). */
export const NO_INSTRUCTION_TEST_TEMPLATE = "Input: [INPUT]\n\nOUTPUT: [OUTPUT]";
/** One demonstration in a proposer's prompt (the generator's and APE's alike); demos are joined by a blank line. */
export const DEMO_TEMPLATE = "Input: [INPUT]\nOutput: [OUTPUT]";
/** The question that closes the generator's prompt (InstructZero's induction template). */
export const INDUCTION_QUESTION = "The instruction was to?";
/** The generator's prompt (InstructZero, the paper's template): the demonstrations, then the question. */
export const INDUCTION_TEMPLATE = `[full_DEMO]\n\n${INDUCTION_QUESTION}`;

/** Fill `[PROMPT]`, `[INPUT]`, `[OUTPUT]`, `[full_DEMO]` in one pass. */
export function fillTemplate(
  template: string,
  values: { prompt?: string; input?: string; output?: string; fullDemo?: string },
): string {
  return template.replace(/\[(PROMPT|INPUT|OUTPUT|full_DEMO)\]/g, (_, key: string) => {
    switch (key) {
      case "PROMPT":
        return values.prompt ?? "";
      case "INPUT":
        return values.input ?? "";
      case "OUTPUT":
        return values.output ?? "";
      default:
        return values.fullDemo ?? "";
    }
  });
}

/** Which black-box template to use. */
export type QueryTemplate = "validation" | "test";

/**
 * The black-box query for one instruction and input. An empty instruction (the "no instruction"
 * baseline) gives the same template without its instruction line.
 *
 * Few-shot prompts (`targetDemos` K > 0): the K demonstrations go in the one user message, between the
 * instruction line and the input, in the one demo format ({@link renderDemos}: "Input: X\nOutput: Y",
 * joined by blank lines), followed by a blank line. The same text goes to every text black box (OpenAI,
 * Anthropic, local: one user message, no prior turns), so the cache key, the token counts and the
 * worst-case price of a query include its demonstrations. Function black boxes receive the demos as
 * `demos` in their argument instead (see src/blackbox/providers/function.ts). With no demos the query
 * is the zero-shot one, byte for byte.
 */
export function renderQuery(
  instruction: string,
  input: string,
  template: QueryTemplate = "validation",
  demos: readonly Demo[] = [],
): string {
  const t =
    instruction === ""
      ? template === "test"
        ? NO_INSTRUCTION_TEST_TEMPLATE
        : NO_INSTRUCTION_VALIDATION_TEMPLATE
      : template === "test"
        ? TEST_TEMPLATE
        : VALIDATION_TEMPLATE;
  if (demos.length === 0) return fillTemplate(t, { prompt: instruction, input });
  // the demonstrations sit right before the "Input:" line of the query
  const at = t.indexOf("Input: [INPUT]");
  const fewShot = `${t.slice(0, at)}[full_DEMO]\n\n${t.slice(at)}`;
  return fillTemplate(fewShot, { prompt: instruction, input, fullDemo: renderDemos(demos) });
}

/** Demonstrations in the one demo format: "Input: X\nOutput: Y", joined by blank lines. */
export function renderDemos(demos: readonly Demo[]): string {
  return demos.map((d) => fillTemplate(DEMO_TEMPLATE, { input: d.input, output: d.output })).join("\n\n");
}

/**
 * A proposer's prompt: `template` with its `[full_DEMO]` replaced by {@link renderDemos}. Two templates
 * use it, on purpose different: {@link INDUCTION_TEMPLATE} (the generator's, from the InstructZero
 * paper) and APE's forward-generation template (src/optimizers/ape.ts).
 */
export function renderDemoPrompt(template: string, demos: readonly Demo[]): string {
  return fillTemplate(template, { fullDemo: renderDemos(demos) });
}

/**
 * The generator's text prompt (sent as one user message): demos "Input: X\nOutput: Y" joined by blank
 * lines, then "\n\nThe instruction was to?".
 */
export function renderInductionPrompt(demos: readonly Demo[]): string {
  return renderDemoPrompt(INDUCTION_TEMPLATE, demos);
}
