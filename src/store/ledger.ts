/**
 * The run ledger: one SQLite file (WAL mode; the default) or one PostgreSQL database (shared by many
 * machines) holding many optimisation runs — each run's config, every scored candidate instruction,
 * optimiser checkpoints and the final result. Every write is a transaction, so a process killed at any
 * point leaves the ledger consistent and resumable.
 *
 * This module is the ledger's front door; each concept has its own file beside it: schema and
 * migrations (schema.ts), opening (open-ledger.ts), runs (runs.ts), evaluations, checkpoints, examples,
 * the run lock (run-lock.ts), the spend log (spend-log.ts), provider batch jobs (batch-jobs.ts) and
 * results, behind one `Ledger` (ledger-class.ts).
 */
export { defaultLedgerPath } from "../db/location.js";
export { CHECKPOINT_KEYS, type Checkpoint } from "./checkpoints.js";
export { LedgerConflictError } from "./context.js";
export { Ledger } from "./ledger-class.js";
export { type LedgerOptions, openLedger } from "./open-ledger.js";
export {
  LockLostError,
  RUN_LOCK_HEARTBEAT_MS,
  RUN_LOCK_STALE_MS,
  type RunLock,
  RunLockedError,
  type RunLockHolder,
  runLockStaleMs,
} from "./run-lock.js";
export { sameRunConfig } from "./runs.js";
export { ddlFor, LEDGER_SCHEMA_VERSION } from "./schema.js";
export type { SpendEntry, SpendTotals } from "./spend-log.js";
