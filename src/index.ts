/**
 * instructzero: find the best instruction for a black-box LLM.
 * Library entry point; the CLI (src/cli) is a thin layer over these exports.
 */
export type * from "./blackbox/types.js";
export {
  defaultLedgerPath,
  LEDGER_SCHEMA_VERSION,
  Ledger,
  LedgerConflictError,
  type LedgerOptions,
  openLedger,
} from "./store/ledger.js";
export { assertNoSecrets } from "./store/secrets.js";
export type * from "./store/types.js";
export { RUN_STATUSES } from "./store/types.js";
export type * from "./tasks/types.js";
export { UserError } from "./util/errors.js";
export { Rng, seedFor } from "./util/rng.js";
export { VERSION } from "./version.js";
