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
/** One demonstration in the generator's prompt. */
export const DEMO_TEMPLATE = "Input: [INPUT]\nOutput: [OUTPUT]";
/** The generator's question after the demonstrations. */
export const INDUCTION_TEMPLATE = "[full_DEMO]\n\nThe instruction was to?";

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
 * The zero-shot black-box query for one instruction and input. An empty instruction (the "no
 * instruction" baseline) gives the same template without its instruction line.
 */
export function renderQuery(
  instruction: string,
  input: string,
  template: QueryTemplate = "validation",
): string {
  const t =
    instruction === ""
      ? template === "test"
        ? NO_INSTRUCTION_TEST_TEMPLATE
        : NO_INSTRUCTION_VALIDATION_TEMPLATE
      : template === "test"
        ? TEST_TEMPLATE
        : VALIDATION_TEMPLATE;
  return fillTemplate(t, { prompt: instruction, input });
}

/** The generator's text prompt: demos "Input: X\nOutput: Y" joined by blank lines, then the question. */
export function renderInductionPrompt(demos: readonly { input: string; output: string }[]): string {
  const fullDemo = demos
    .map((d) => fillTemplate(DEMO_TEMPLATE, { input: d.input, output: d.output }))
    .join("\n\n");
  return fillTemplate(INDUCTION_TEMPLATE, { fullDemo });
}
