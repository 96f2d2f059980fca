/**
 * The instruction-induction prompt of the generator (reference: "Input: X\nOutput: Y" demos joined
 * by blank lines, then "\n\nThe instruction was to?"), sent as one user message.
 */

/** One demonstration shown to the generator. */
export interface Demo {
  input: string;
  output: string;
}

/** The question that closes the generator prompt. */
export const INDUCTION_QUESTION = "The instruction was to?";

/** Demos formatted and joined, followed by the induction question. */
export function inductionPrompt(demos: readonly Demo[]): string {
  const body = demos.map((d) => `Input: ${d.input}\nOutput: ${d.output}`).join("\n\n");
  return `${body}\n\n${INDUCTION_QUESTION}`;
}
