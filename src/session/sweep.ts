/**
 * Run a sweep on one machine: every (task, method, seed) cell as an ordinary run session in one store.
 */
import type { RunConfig } from "../config/schema.js";
import type { RunOutcome } from "../optimizers/outcome.js";
import { type SweepCell, sweepCellOf } from "../optimizers/sweep.js";
import type { ProgressEvent } from "../optimizers/types.js";
import type { Ledger } from "../store/ledger.js";
import { taskNameOfFile } from "../tasks/user-file.js";
import { RunSession } from "./run-session.js";

/** What a sweep reports while it runs: the library reports, the CLI draws. */
export interface SweepProgress {
  /** A cell starts (`index` of `total`, 1-based); a completed cell is read back at once. */
  onCellStart?: (
    cell: { task: string; method: RunConfig["method"]; seed: number; config: RunConfig },
    index: number,
    total: number,
  ) => void;
  /** The running cell's progress events (as a run's onProgress). */
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * Run every (task, method, seed) cell, each as an ordinary run in the ledger. Resumable: a cell whose run
 * (same configuration) already exists is resumed, or read back when it is complete (without opening its
 * black box or generator); black-box answers come from the response cache, so repeating a sweep costs
 * nothing. With a shared store (Postgres), the cells run by workers (`instructzero worker`) are read
 * back the same way. Stops after a cell that ends "interrupted".
 */
export async function runSweep(
  grid: { tasks: string[]; methods: RunConfig["method"][]; seeds: number[] },
  configFor: (task: string, method: RunConfig["method"], seed: number) => RunConfig,
  ledger: Ledger,
  onCell?: (cell: SweepCell, done: number, total: number) => void,
  progress?: SweepProgress,
): Promise<SweepCell[]> {
  const cells: SweepCell[] = [];
  const total = grid.tasks.length * grid.methods.length * grid.seeds.length;
  for (const task of grid.tasks) {
    for (const method of grid.methods) {
      for (const seed of grid.seeds) {
        const config = configFor(task, method, seed);
        // named as the cell's results name it (a task file by its name)
        const name = config.taskFile ? taskNameOfFile(config.taskFile) : task;
        progress?.onCellStart?.({ task: name, method, seed, config }, cells.length + 1, total);
        const session = await RunSession.open({
          config,
          store: ledger,
          reuse: true,
          ...(progress?.onProgress ? { onProgress: progress.onProgress } : {}),
        });
        let outcome: RunOutcome;
        try {
          outcome = await session.run();
        } finally {
          await session.close();
        }
        const cell = sweepCellOf(config, { task, method, seed }, outcome);
        cells.push(cell);
        onCell?.(cell, cells.length, total);
        if (outcome.status === "interrupted") return cells;
      }
    }
  }
  return cells;
}
