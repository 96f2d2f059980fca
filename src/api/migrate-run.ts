/**
 * `migrateRun`: move a finished run's prompt to new models (see src/session/migrate.ts). For each new
 * model a new run (configuration: the old one with the new target, `migratedFrom` and the warm start)
 * is opened and run by RunSession, then the migration table is read from the store.
 *
 *   const tables = await migrateRun(runId, { to: ["openai:gpt-4.1-mini"], store: "./runs.sqlite" });
 *   for (const t of tables) console.log(t.rows, t.verdict);
 *
 * Calling it again with the same options continues the same runs (after a crash or an abort); with other
 * limits (`maxCalls`, `maxCost`) too, with those limits (after a limit stopped one).
 */
import type { BlackBoxOptions } from "../blackbox/options.js";
import type { RunConfig } from "../config/schema.js";
import type { MetricFunction } from "../metrics/types.js";
import type { ProgressEvent } from "../optimizers/types.js";
import {
  type MigrationSettings,
  type MigrationTable,
  migrationConfig,
  migrationTable,
  openMigrationSession,
} from "../session/migrate.js";
import { openRunStore } from "../session/store.js";
import type { Ledger } from "../store/ledger.js";
import { UserError } from "../util/errors.js";

/** Options of {@link migrateRun}. */
export interface MigrateRunOptions extends MigrationSettings {
  /** The new models, as provider:model ids. */
  to: readonly string[];
  /** The ledger holding the old run (and the new ones) [the default location], or an open ledger. */
  store?: string | Ledger;
  /** The old run's metric function, when it used one. */
  metric?: MetricFunction;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent & { target: string }) => void;
  /** Called as each new model's run starts (its id: resumable with `resumeRun`). */
  onRun?: (target: string, runId: string, config: RunConfig) => void;
  /** Overrides of the black-box options (tests). */
  blackBoxOptions?: BlackBoxOptions;
}

/**
 * Migrate run `runId` (id or unique prefix) to each model of `options.to`: score the old top
 * candidates and the baselines there, continue the search warm-started from the old run, and return
 * one migration table per model (rows: old model/old prompt, new model/old prompt, new model/migrated
 * prompt; the ship verdict). A model whose run was interrupted (aborted) or stopped by a limit comes
 * back with that status (`finished: false`, the rows scored so far); calling again (with a higher limit)
 * continues it.
 */
export async function migrateRun(runId: string, options: MigrateRunOptions): Promise<MigrationTable[]> {
  if (options.to.length === 0) throw new UserError("migrateRun: `to` names no model");
  const owns = typeof options.store !== "object";
  const ledger =
    typeof options.store === "object" ? options.store : openRunStore(options.store, { create: false });
  try {
    const old = ledger.getRun(ledger.resolveRunId(runId));
    const examples = ledger.getTaskExamples(old.id)?.examples;
    const tables: MigrationTable[] = [];
    for (const target of options.to) {
      const config = migrationConfig(ledger, old, target, options);
      // its stored run (also one a limit stopped, continued with these limits), else a new one
      const session = await openMigrationSession(ledger, config, {
        ...(examples ? { examples } : {}),
        signal: options.signal,
        metricFunction: options.metric,
        blackBoxOptions: options.blackBoxOptions,
        onProgress: options.onProgress && ((e) => options.onProgress?.({ ...e, target })),
      });
      try {
        options.onRun?.(target, session.runId, config);
        await session.run();
        tables.push(migrationTable(ledger, old, session.runId));
      } finally {
        await session.close();
      }
      if (options.signal?.aborted) break;
    }
    return tables;
  } finally {
    if (owns) ledger.close();
  }
}
