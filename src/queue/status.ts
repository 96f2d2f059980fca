/**
 * `bench --status --queue URL`: where each enqueued cell stands, read from the shared store: done (its
 * run completed), running (the run lock's host and pid), stalled (held by a worker that stopped: its
 * run's heartbeat went stale or the job's lease lapsed; pg-boss hands it to another worker at its next
 * maintenance), waiting (queued or waiting for a retry), failed (the error the worker reported), and
 * the results of the cells done.
 */
import { loadOutcome } from "../optimizers/outcome.js";
import { type SweepCell, sweepCellOf } from "../optimizers/sweep.js";
import type { Ledger } from "../store/ledger.js";
import { type CellOutput, enqueuedCells, type SweepQueue } from "./sweep-queue.js";

/** What a cell is doing. */
export type CellState = "done" | "running" | "stalled" | "waiting" | "failed" | "stopped";

/** One line of the status. */
export interface CellStatus {
  task: string;
  method: string;
  seed: number;
  state: CellState;
  /** The cell's run, once a worker created it. */
  runId: string | null;
  /** Evaluations recorded so far. */
  evaluations: number;
  /** running: host and pid holding the run; stalled: whose lease lapsed; failed: why; waiting: the queue state and tries. */
  detail: string;
  /** The finished cell (done or stopped by its budget), for the results table. */
  cell?: SweepCell;
}

/** The status of every cell enqueued in the store (in the order they were enqueued). */
export async function sweepStatus(ledger: Ledger, queue: SweepQueue): Promise<CellStatus[]> {
  const out: CellStatus[] = [];
  for (const c of enqueuedCells(ledger.driver, queue.name)) {
    const job = await queue.job(c.jobId);
    const runId = ledger.findRunByConfig(c.config) ?? null;
    const run = runId ? ledger.getRun(runId) : null;
    const evaluations = runId ? ledger.countEvaluations(runId) : 0;
    const base = { task: c.task, method: c.method, seed: c.seed, runId, evaluations };
    const holder = runId ? ledger.lockHolder(runId) : null;
    const output = (job?.output ?? {}) as Partial<CellOutput> & { message?: string; value?: unknown };
    if (run && (run.status === "completed" || (run.status === "stopped" && job?.state === "completed"))) {
      const outcome = loadOutcome(ledger, run.id);
      out.push({
        ...base,
        state: run.status === "completed" ? "done" : "stopped",
        detail: run.status === "completed" ? "" : (run.statusMessage ?? "stopped by its budget"),
        cell: sweepCellOf(c.config, c, outcome),
      });
    } else if (holder && !ledger.isStale(holder)) {
      out.push({ ...base, state: "running", detail: `on ${holder.host} (pid ${holder.pid})` });
    } else if (job?.state === "failed" || job?.state === "cancelled") {
      const why = typeof output.message === "string" ? output.message : job.state;
      out.push({
        ...base,
        state: "failed",
        detail: `${why} (after ${job.retryCount + 1} tries; enqueue again to retry)`,
      });
    } else if (job?.state === "active") {
      // held by a worker, but no live process runs the cell: its worker died or lost the database
      const leaseEnd = new Date(job.startedOn).getTime() + Number(job.expireInSeconds) * 1000;
      const lapsed = Number.isFinite(leaseEnd) && leaseEnd <= ledger.driver.dialect.nowMs(ledger.driver);
      const who = holder ? `its worker on ${holder.host} (pid ${holder.pid}) stopped` : undefined;
      if (holder || lapsed) {
        out.push({
          ...base,
          state: "stalled",
          detail: `${who ?? "its worker stopped"}; ${lapsed ? "lease lapsed" : `lease lapses at ${new Date(leaseEnd).toISOString()}`}, another worker takes it`,
        });
      } else {
        out.push({ ...base, state: "running", detail: "starting" });
      }
    } else {
      const state = job?.state ?? "not in the queue";
      const last = typeof output.message === "string" ? `; last try: ${output.message}` : "";
      out.push({
        ...base,
        state: "waiting",
        detail: `${state}${job && job.retryCount > 0 ? `, try ${job.retryCount + 1}` : ""}${last}`,
      });
    }
  }
  return out;
}

/** "4 cells: 2 done, 1 running, 1 waiting, 0 failed". */
export function statusSummary(status: readonly CellStatus[]): string {
  const n = (s: CellState) => status.filter((c) => c.state === s).length;
  const stopped = n("stopped");
  const stalled = n("stalled");
  return `${status.length} cells: ${n("done")} done${stopped ? `, ${stopped} stopped by their budget` : ""}, ${n("running")} running${stalled ? `, ${stalled} stalled` : ""}, ${n("waiting")} waiting, ${n("failed")} failed`;
}
