/**
 * What every part of the ledger works with: its connection, its name in messages and its clock, plus
 * the checks they share (the run exists) and the ledger's own error.
 */
import type { SqlDriver } from "../db/driver.js";
import { type InstructZeroError, UserError } from "../util/errors.js";
import type { RunStatus } from "./types.js";

/** What a run lock's holder keeps to check that the run is still its own (./run-lock.ts; one per locked run and ledger). */
export interface RunFence {
  readonly runId: string;
  readonly owner: string;
  /** The run's lock generation when this process took the lock. */
  readonly generation: number;
  /** The LockLostError, once the lock was found lost. */
  lost?: InstructZeroError;
  /** Called once when the lock is found lost. */
  readonly onLost: (() => void)[];
}

/** One open ledger, as its parts see it. */
export interface LedgerContext {
  readonly db: SqlDriver;
  /** Absolute path of the ledger file (or ":memory:"), or its postgres:// URL without credentials. */
  readonly path: string;
  readonly now: () => Date;
  /** True once the ledger is closed. */
  readonly isClosed: () => boolean;
  /** The fences of the runs whose lock this ledger holds (./run-lock.ts): their writes are checked. */
  readonly fences: Map<string, RunFence>;
}

/** Two different results recorded for the same evaluation index of a run. */
export class LedgerConflictError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "LedgerConflictError";
  }
}

/** The UserError for a run id the ledger does not hold. */
export function unknownRun(ctx: LedgerContext, id: string): UserError {
  return new UserError(`unknown run "${id}" in ledger ${ctx.path}; \`instructzero runs\` lists the runs`);
}

/** The stored status of a run; UserError when there is no such run. */
export function requireRun(ctx: LedgerContext, runId: string): { status: RunStatus } {
  const row = ctx.db.get("SELECT status FROM runs WHERE id = ?", [runId]) as
    | { status: RunStatus }
    | undefined;
  if (!row) throw unknownRun(ctx, runId);
  return row;
}

/** Mark a run as changed at `at`. */
export function touch(ctx: LedgerContext, runId: string, at: string): void {
  ctx.db.run("UPDATE runs SET updated_at = ? WHERE id = ?", [at, runId]);
}
