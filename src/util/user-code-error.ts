/**
 * A failure of the user's own code (a black-box or metric module, a metric function): it threw, or it
 * returned a value it must not. The message names the code (the module file) and, once known, where
 * it ran (the split and example, the instruction, the phase): "metric module /x/metric.mjs threw on
 * validation example 3 (input "word3") of instruction "..." (search): metric exploded on purpose".
 * The original error is the cause (INSTRUCTZERO_DEBUG=1 prints its stack).
 */
import { errorMessage } from "./errors.js";

/** What went wrong: an exception, or a value that breaks the contract (`rule`: what it must return). */
export type UserCodeProblem =
  | { kind: "threw"; error: unknown }
  | { kind: "returned"; value: unknown; rule: string };

/** A value shown in a message: JSON (or String for what JSON cannot show), at most 80 characters. */
export function shownValue(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  const text = s ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A quoted input or instruction for a message, at most 60 characters. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** The user's code failed; see the module comment. */
export class UserCodeError extends Error {
  constructor(
    /** The code, e.g. `metric module /x/metric.mjs`, `black-box module /x/pipeline.mjs`, `metric function`. */
    readonly source: string,
    readonly problem: UserCodeProblem,
    /** Where it ran, e.g. `validation example 3 (input "word3") of instruction "..."`. */
    readonly where?: string,
  ) {
    const at = where ? ` on ${where}` : "";
    super(
      problem.kind === "threw"
        ? `${source} threw${at}: ${errorMessage(problem.error)}`
        : `${source} returned ${shownValue(problem.value)}${at}; it must return ${problem.rule}`,
      problem.kind === "threw" ? { cause: problem.error } : undefined,
    );
    this.name = "UserCodeError";
  }

  /** The same failure, placed more exactly (the caller knows more of where it ran). */
  at(where: string): UserCodeError {
    return new UserCodeError(this.source, this.problem, where);
  }
}
