import type { RunConfig } from "../config/schema.js";
import type { Ledger } from "../store/ledger.js";
import { loadTask } from "../tasks/load.js";
import { isMetricName } from "../tasks/metrics.js";
import type { Example, Task } from "../tasks/types.js";
import { UserError } from "../util/errors.js";

/**
 * The task of a run: its in-memory examples from the ledger (when it was given examples), else the
 * benchmark task or task file named in its configuration.
 */
export async function loadRunTask(config: RunConfig, ledger: Ledger, runId: string): Promise<Task> {
  if (config.examplesHash) {
    const stored = ledger.getTaskExamples(runId);
    if (!stored || stored.sha256 !== config.examplesHash) {
      throw new UserError(`run ${runId}: its examples are missing from the ledger ${ledger.path}`);
    }
    return inMemoryTask(config.task, stored.examples);
  }
  return loadTask(config.taskFile ?? config.task, {
    dataDir: config.dataDir,
    metric: config.metric !== undefined && isMetricName(config.metric) ? config.metric : undefined,
    seed: config.seed,
  });
}

/** A task from examples given in memory (split like a task file: no separate test file). */
export function inMemoryTask(name: string, examples: Example[]): Task {
  return { name, source: "examples", metric: "em", induce: examples, execute: [] };
}

/**
 * The task of a configuration before its run exists (checked before anything is created or spent):
 * `examples` for a task given in memory, else the benchmark task or task file.
 */
export async function loadRunTaskForPlan(
  config: RunConfig,
  options: { examples?: Example[]; onDownload?: (e: { path: string; bytes: number }) => void } = {},
): Promise<Task> {
  if (config.examplesHash) {
    if (!options.examples) throw new Error("loadRunTaskForPlan: a run with examplesHash needs its examples");
    return inMemoryTask(config.task, options.examples);
  }
  return loadTask(config.taskFile ?? config.task, {
    dataDir: config.dataDir,
    metric: config.metric !== undefined && isMetricName(config.metric) ? config.metric : undefined,
    seed: config.seed,
    onDownload: options.onDownload,
  });
}
