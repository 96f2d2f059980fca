import { UserError } from "../util/errors.js";
import type { Example } from "./types.js";

/**
 * Largest input, and largest accepted answer, of one example, in characters (Unicode code points).
 * Every validation query sends an input to the black box, so a huge input multiplies the cost of a
 * run; the longest input of the benchmark data is about 6,300 characters. Checked for task files,
 * in-memory examples and benchmark files; a longer one is an error naming the example.
 */
export const MAX_EXAMPLE_CHARS = 20_000;

/** Number of Unicode code points of `s` (a surrogate pair counts once). */
function charCount(s: string): number {
  // code points <= UTF-16 units, so a short string needs no count
  if (s.length <= MAX_EXAMPLE_CHARS) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Throw a UserError when the example's input or one of its answers is longer than
 * {@link MAX_EXAMPLE_CHARS}; `where` names the example (`file.jsonl:12`, `examples[3]` ...).
 */
export function checkExampleSize(example: Example, where: string): Example {
  const over = (what: string, s: string) => {
    const n = charCount(s);
    if (n > MAX_EXAMPLE_CHARS) {
      throw new UserError(
        `${where}: ${what} is ${n.toLocaleString("en-US")} characters long; the limit is ${MAX_EXAMPLE_CHARS.toLocaleString("en-US")} characters per input or answer`,
      );
    }
  };
  over("the input", example.input);
  example.answers.forEach((a, i) => {
    over(example.answers.length > 1 ? `answer ${i + 1} of the output` : "the output", a);
  });
  return example;
}
