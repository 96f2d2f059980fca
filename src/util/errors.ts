/**
 * The root of every error this package throws on purpose: `err instanceof InstructZeroError` tells
 * them from bugs and foreign errors. Each kind below keeps its own name, fields and message.
 */
export class InstructZeroError extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InstructZeroError";
  }
}

/**
 * An error caused by the user's input or environment (bad file, unknown task, missing key...).
 * The CLI prints its message alone, without a stack trace, and exits with status 2.
 */
export class UserError extends InstructZeroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UserError";
  }
}

/** Message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
