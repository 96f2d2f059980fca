/**
 * `instructzero worker`: take sweep cells from the job queue of a Postgres store and run each as an
 * ordinary run in the shared ledger (found by its configuration, or created), exactly as `bench` runs a
 * cell on one machine. Several workers on several machines share the queue, the ledger, the response
 * cache and the rate limits.
 *
 * A cell whose run another live process holds (its lease ran out while it still worked, so the queue
 * handed it out again) is waited for: the run lock, not the queue, decides who runs a cell. A run whose
 * holder died (no heartbeat for INSTRUCTZERO_LOCK_STALE_MS, 30 s; at once on the same host) is taken
 * over and resumed from the ledger: nothing answered is paid twice, the result is the same.
 */
import { hostname } from "node:os";
import { withReconnect } from "../db/reconnect.js";
import type { RunOutcome } from "../optimizers/outcome.js";
import { RunSession } from "../session/run-session.js";
import { type Ledger, LockLostError, RunLockedError } from "../store/ledger.js";
import { sleep } from "../util/async/index.js";
import { errorMessage } from "../util/errors.js";
import { redactUrl } from "../util/redact.js";
import type { CellJob, CellOutput, SweepQueue } from "./sweep-queue.js";

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** Cells run at once by this process [1]. */
  concurrency?: number;
  /** How often an idle worker asks for a cell, ms [2000]. */
  pollMs?: number;
  /** Exit once the queue has no unfinished cell (none queued, retrying or held by any worker). */
  exitWhenDone?: boolean;
  /** Stop taking cells; cells under way stop after their evaluations under way (their jobs are retried). */
  signal?: AbortSignal;
  /** A line of progress (stderr in the CLI). */
  log?: (line: string) => void;
  /**
   * How long to keep trying when the database goes away (a restart, a failover), ms [the reconnection
   * window: INSTRUCTZERO_RECONNECT_MS, 5 min]: the queue is asked again and a cell cut by the outage is
   * resumed, with backoff; the worker exits only once the database stayed away for longer.
   */
  reconnectMs?: number;
}

/** Run one cell to its end (or until `signal`); waits while another live process holds its run. */
export async function runCell(
  cell: CellJob,
  ledger: Ledger,
  options: { signal?: AbortSignal; log?: (line: string) => void; lockPollMs?: number } = {},
): Promise<RunOutcome> {
  // the cell's run, found by its configuration or created once everything it needs opened (a finished
  // cell is read back without opening anything)
  const session = await RunSession.open({
    config: cell.config,
    store: ledger,
    reuse: true,
    signal: options.signal,
  });
  try {
    let waiting = false;
    for (;;) {
      try {
        return await session.run();
      } catch (err) {
        if (!(err instanceof RunLockedError) || options.signal?.aborted) throw err;
        if (!waiting) {
          options.log?.(
            `${cell.task} ${cell.method} seed ${cell.seed}: run ${session.runId} is held by process ${err.holder.pid} on ${err.holder.host}; waiting for it to finish or stop`,
          );
          waiting = true;
        }
        await sleep(options.lockPollMs ?? 1000, options.signal, "resolve");
      }
    }
  } finally {
    await session.close();
  }
}

/**
 * Take cells from `queue` and run them in `ledger` (both in the same Postgres database) until `signal`
 * aborts (or, with `exitWhenDone`, until no cell is left). Returns the number of cells this worker ended.
 */
export async function runWorker(
  queue: SweepQueue,
  ledger: Ledger,
  options: WorkerOptions = {},
): Promise<number> {
  const concurrency = options.concurrency ?? 1;
  const log = options.log ?? (() => {});
  const where = { host: hostname(), pid: process.pid };
  let ended = 0;
  let outage = false;
  // the queue through an outage: asked again with backoff for the reconnection window
  const patient = <T>(fn: () => Promise<T>): Promise<T> =>
    withReconnect(fn, {
      windowMs: options.reconnectMs,
      signal: options.signal,
      onRetry: (err) => {
        if (!outage) log(`the store cannot be reached (${redactUrl(errorMessage(err))}); reconnecting`);
        outage = true;
      },
    }).then((v) => {
      if (outage) log("the store is back");
      outage = false;
      return v;
    });
  const loop = async (slot: number): Promise<void> => {
    while (!options.signal?.aborted) {
      let job: Awaited<ReturnType<SweepQueue["take"]>>;
      try {
        job = await patient(() => queue.take());
      } catch (err) {
        if (options.signal?.aborted) return; // Ctrl-C while the store was away
        throw err;
      }
      if (!job) {
        if (options.exitWhenDone && (await patient(() => queue.unfinished())) === 0) return;
        await sleep(options.pollMs ?? 2000, options.signal, "resolve");
        continue;
      }
      const cell = job.data;
      const name = `${cell.task} ${cell.method} seed ${cell.seed}`;
      log(
        `[${slot}] ${name}: started (job ${job.id}${job.retryCount > 0 ? `, try ${job.retryCount + 1}` : ""})`,
      );
      // keep the lease while the cell runs: a third of it between renewals
      const renewal = setInterval(
        () => {
          queue.renew(job.id).catch(() => {});
        },
        Math.max(200, (Number(job.expireInSeconds) * 1000) / 3),
      );
      try {
        // a cell cut by a database outage is resumed once the database is back (its run lock, left
        // behind if the outage outlived its release, is this process's own: taken back at once)
        const outcome = await withReconnect(() => runCell(cell, ledger, { signal: options.signal, log }), {
          windowMs: options.reconnectMs,
          signal: options.signal,
          onRetry: (err) =>
            log(
              `[${slot}] ${name}: the store went away (${redactUrl(errorMessage(err))}); resuming when it is back`,
            ),
        });
        const output: CellOutput = {
          runId: outcome.runId,
          status: outcome.status,
          ...where,
          validation: outcome.best?.score ?? null,
          test: outcome.test?.score ?? null,
        };
        if (outcome.status === "interrupted") {
          // this worker is stopping: the cell goes back to the queue (no retry used) and resumes elsewhere
          await patient(() =>
            queue.giveBack(job.id, { ...output, message: `worker ${where.host}:${where.pid} stopped` }),
          );
          log(`[${slot}] ${name}: interrupted (run ${outcome.runId}); back in the queue`);
        } else {
          await patient(() => queue.complete(job.id, output));
          ended++;
          log(
            `[${slot}] ${name}: ${outcome.status}, test ${outcome.test?.score.toFixed(3) ?? "-"} (run ${outcome.runId})`,
          );
        }
      } catch (err) {
        if (err instanceof LockLostError) {
          // another process took the run over while this one was paused: the cell is its own now (its
          // job too, when it is a worker), so this worker drops it without completing or failing the job
          log(`[${slot}] ${name}: dropped: ${err.message}`);
          continue;
        }
        const message = redactUrl(errorMessage(err));
        let runId = "";
        try {
          runId = ledger.findRunByConfig(cell.config) ?? "";
        } catch {
          // the store is still away: the job's message says why
        }
        await queue
          .fail(job.id, {
            runId,
            status: "failed",
            ...where,
            message,
          })
          .catch(() => {});
        log(`[${slot}] ${name}: failed: ${message}`);
      } finally {
        clearInterval(renewal);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i + 1)));
  return ended;
}
