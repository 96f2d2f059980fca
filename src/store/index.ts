/// <reference types="node" preserve="true" />
/** "instructzero/store": the run ledger (runs, evaluations, spend, locks), its record types and the secrets guard. */

export { assertNoSecrets } from "../util/secrets.js";
export {
  defaultLedgerPath,
  LEDGER_SCHEMA_VERSION,
  Ledger,
  LedgerConflictError,
  type LedgerOptions,
  LockLostError,
  openLedger,
  RUN_LOCK_STALE_MS,
  type RunLock,
  RunLockedError,
  type RunLockHolder,
  type SpendEntry,
  type SpendTotals,
} from "./ledger.js";
export type * from "./types.js";
export { RUN_STATUSES } from "./types.js";
