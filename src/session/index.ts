/** Run sessions: open a new or stored run, run it, read its outcome, close it; sweeps of runs; stores. */
export { type DryRunPlan, planDryRun } from "./dry-run.js";
export {
  DEFAULT_WARM,
  type MigrationRow,
  type MigrationSettings,
  type MigrationTable,
  migrationConfig,
  migrationTable,
} from "./migrate.js";
export {
  type NewRunOptions,
  type RunLimits,
  RunSession,
  type SessionOptions,
  type StoredRunOptions,
} from "./run-session.js";
export { type OpenRunStoreOptions, openRunStore, type StoreLocation } from "./store.js";
export { runSweep } from "./sweep.js";
