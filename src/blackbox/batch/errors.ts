/** Errors of calls answered through provider batches. */
import { InstructZeroError } from "../../util/errors.js";
import { BlackBoxError } from "../errors.js";

/** A call rejected because its provider batch was cancelled. */
export class BatchCancelledError extends BlackBoxError {
  constructor(message: string) {
    super(message);
    this.name = "BatchCancelledError";
  }
}

/** A call whose request failed in its provider batch (and follow-ups), or that the provider refused. */
export class BatchRequestError extends BlackBoxError {
  constructor(message: string) {
    super(message);
    this.name = "BatchRequestError";
  }
}

/** A call of a black box that was closed while it waited for a provider batch. */
export class ClosedError extends InstructZeroError {
  constructor(message: string) {
    super(message);
    this.name = "ClosedError";
  }
}
