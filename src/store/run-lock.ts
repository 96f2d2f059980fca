/**
 * The run lock: one process at a time runs a run. The holder (host, pid) keeps a heartbeat in the
 * ledger; a lock whose holder died (its process is gone on this host, or its heartbeat is stale) is
 * taken over, and a "running" run without a live holder reads as "interrupted".
 *
 * The lock is fenced: every acquisition bumps the run's lock generation (`runs.lock_generation`, never
 * reset), and the holder's writes for the run check, inside their transaction, that the generation is
 * still theirs. A holder that was paused past the staleness limit (Ctrl-Z, a VM pause, a long stall) and
 * taken over meanwhile finds out at its next write, admission or heartbeat: {@link LockLostError}, and
 * nothing more of it lands.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { InstructZeroError, UserError } from "../util/errors.js";
import { type LedgerContext, type RunFence, requireRun } from "./context.js";
import type { RunStatus } from "./types.js";

export type { RunFence };

/** Who holds a run: one process at a time runs it. */
export interface RunLockHolder {
  pid: number;
  host: string;
  acquiredAt: string;
  heartbeatAt: string;
  /** Which acquisition of the lock this is (host, pid and a random part). */
  owner?: string;
}

/** A run is being run by another live process. */
export class RunLockedError extends UserError {
  constructor(
    message: string,
    readonly holder: RunLockHolder,
  ) {
    super(message);
    this.name = "RunLockedError";
  }
}

/**
 * This process lost a run's lock: another process took the run over (this one was paused or stalled
 * past the staleness limit). The run stops without writing anything more; the CLI exits 3.
 */
export class LockLostError extends InstructZeroError {
  constructor(
    readonly runId: string,
    /** The process that holds the run now (null: nobody; it was released since). */
    readonly holder: RunLockHolder | null,
  ) {
    super(
      `run ${runId} was taken over by ${holder ? `process ${holder.pid} on ${holder.host} (since ${holder.acquiredAt})` : "another process (which has already given it back)"} ` +
        "while this process was paused or stalled past the lock's staleness limit; this process stood down without " +
        "writing anything more (the run continues there)",
    );
    this.name = "LockLostError";
  }
}

/** A held run lock: keep it alive with `heartbeat()` (done on a timer), give it back with `release()`. */
export interface RunLock {
  readonly runId: string;
  /** The lock's generation (fencing token): bumped at every acquisition of the run's lock. */
  readonly generation: number;
  /** The error once the lock was found lost (another process took the run over), else undefined. */
  readonly lost: LockLostError | undefined;
  /** Throw {@link LockLostError} unless this process still holds the lock (one query). */
  check(): void;
  /** Call `fn` once when the lock is found lost (at a write, an admission or a heartbeat). */
  onLost(fn: () => void): void;
  heartbeat(): void;
  release(): void;
}

/** Find the fence of `runId` lost: remember it and tell its listeners (once). */
function markLost(ctx: LedgerContext, fence: RunFence): LockLostError {
  if (fence.lost) return fence.lost as LockLostError;
  fence.lost = new LockLostError(fence.runId, lockHolder(ctx, fence.runId));
  for (const fn of fence.onLost.splice(0)) {
    try {
      fn();
    } catch {
      // a listener's failure must not hide the lost lock
    }
  }
  return fence.lost as LockLostError;
}

/**
 * Throw {@link LockLostError} when this ledger holds the lock of `runId` but the run's lock generation
 * (or its holder) changed: another process took the run over. Nothing when this ledger does not hold
 * the run's lock (reading, changing limits from another command). Call it inside the write's transaction.
 */
export function checkFence(ctx: LedgerContext, runId: string): void {
  const fence = ctx.fences.get(runId);
  if (!fence) return;
  if (fence.lost) throw fence.lost;
  const row = ctx.db.get<{ g: number; owner: string | null }>(
    "SELECT r.lock_generation AS g, l.owner AS owner FROM runs r LEFT JOIN run_locks l ON l.run_id = r.id WHERE r.id = ?",
    [runId],
  );
  if (!row || Number(row.g) !== fence.generation || row.owner !== fence.owner) throw markLost(ctx, fence);
}

/** Run `fn` (a write for `runId`) in one transaction with the fence check, when this ledger holds the run's lock. */
export function fenced<T>(ctx: LedgerContext, runId: string, fn: () => T): T {
  if (!ctx.fences.has(runId)) return fn();
  return ctx.db.transaction(() => {
    checkFence(ctx, runId);
    return fn();
  });
}

/** A lock whose heartbeat is older than this is stale (its holder died or hangs) [30 s]. */
export const RUN_LOCK_STALE_MS = 30_000;
/** How often a holder refreshes its heartbeat [5 s]. */
export const RUN_LOCK_HEARTBEAT_MS = 5_000;

/**
 * The staleness limit in force: INSTRUCTZERO_LOCK_STALE_MS when set (a positive number of ms; tests and
 * clusters that want a dead machine's runs taken over sooner), else {@link RUN_LOCK_STALE_MS}.
 */
export function runLockStaleMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.INSTRUCTZERO_LOCK_STALE_MS);
  return env.INSTRUCTZERO_LOCK_STALE_MS && Number.isFinite(v) && v > 0 ? v : RUN_LOCK_STALE_MS;
}

/** The heartbeat period for a staleness limit: at most every 5 s, at least three beats per limit. */
function heartbeatMs(staleMs: number): number {
  return Math.max(50, Math.min(RUN_LOCK_HEARTBEAT_MS, Math.floor(staleMs / 3)));
}

/** See {@link Ledger.lockHolder}. */
export function lockHolder(ctx: LedgerContext, runId: string): RunLockHolder | null {
  const row = ctx.db.get(
    "SELECT owner, pid, host, acquired_at, heartbeat_at FROM run_locks WHERE run_id = ?",
    [runId],
  ) as { owner: string; pid: number; host: string; acquired_at: string; heartbeat_at: string } | undefined;
  return row
    ? {
        pid: Number(row.pid),
        host: row.host,
        acquiredAt: row.acquired_at,
        heartbeatAt: row.heartbeat_at,
        owner: row.owner,
      }
    : null;
}

/** The owners of the run locks this process holds now. */
const liveOwners = new Set<string>();

/** See {@link Ledger.isStale}. */
export function isStale(ctx: LedgerContext, h: RunLockHolder): boolean {
  if (ctx.now().getTime() - Date.parse(h.heartbeatAt) > runLockStaleMs()) return true;
  if (h.host !== hostname()) return false;
  // a lock of this process is live while this process holds it (one it could not delete, the database
  // being down at its release, is not)
  if (h.pid === process.pid) return h.owner !== undefined && !liveOwners.has(h.owner);
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * A "running" run whose process is gone (no lock, or a stale one) is shown as "interrupted": it can
 * be resumed. The stored status is not changed by reading.
 */
export function withLiveStatus<T extends { id: string; status: RunStatus; statusMessage: string | null }>(
  ctx: LedgerContext,
  rec: T,
): T {
  if (rec.status !== "running") return rec;
  const holder = lockHolder(ctx, rec.id);
  if (holder && !isStale(ctx, holder)) return rec;
  return {
    ...rec,
    status: "interrupted",
    statusMessage: holder
      ? `its process ${holder.pid} on ${holder.host} stopped (last heartbeat ${holder.heartbeatAt}); resume it`
      : "its process stopped before finishing; resume it",
  };
}

/** See {@link Ledger.acquireRunLock}. */
export function acquireRunLock(ctx: LedgerContext, runId: string): RunLock {
  const { db } = ctx;
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const generation = db.transaction(() => {
    requireRun(ctx, runId);
    const holder = lockHolder(ctx, runId);
    if (holder && !isStale(ctx, holder)) {
      const ago = Math.max(0, Math.round((ctx.now().getTime() - Date.parse(holder.heartbeatAt)) / 1000));
      throw new RunLockedError(
        `run ${runId} is being run by process ${holder.pid} on ${holder.host} (since ${holder.acquiredAt}, last heartbeat ${ago} s ago); ` +
          "wait for it to finish or stop it (Ctrl-C) before resuming",
        holder,
      );
    }
    const at = ctx.now().toISOString();
    db.run(
      `INSERT INTO run_locks (run_id, owner, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
           acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
      [runId, owner, process.pid, hostname(), at, at],
    );
    // the fencing token: every acquisition (a takeover too) bumps it; it is never reset
    db.run("UPDATE runs SET lock_generation = lock_generation + 1 WHERE id = ?", [runId]);
    return Number(db.value("SELECT lock_generation FROM runs WHERE id = ?", [runId]));
  });
  const fence: RunFence = { runId, owner, generation, onLost: [] };
  ctx.fences.set(runId, fence);
  liveOwners.add(owner);
  let released = false;
  const heartbeat = () => {
    if (released || ctx.isClosed()) return;
    if (fence.lost) throw fence.lost;
    const beat = db.transaction(() => {
      checkFence(ctx, runId);
      return db.run("UPDATE run_locks SET heartbeat_at = ? WHERE run_id = ? AND owner = ?", [
        ctx.now().toISOString(),
        runId,
        owner,
      ]);
    });
    if (beat.changes === 0) throw markLost(ctx, fence);
  };
  const timer = setInterval(() => {
    try {
      heartbeat();
    } catch {
      // a busy ledger: the next beat will do
    }
  }, heartbeatMs(runLockStaleMs()));
  timer.unref();
  return {
    runId,
    generation,
    get lost() {
      return fence.lost as LockLostError | undefined;
    },
    check: () => {
      if (!released && !ctx.isClosed()) checkFence(ctx, runId);
      else if (fence.lost) throw fence.lost;
    },
    onLost: (fn) => {
      if (fence.lost) fn();
      else fence.onLost.push(fn);
    },
    heartbeat,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (ctx.fences.get(runId) === fence) ctx.fences.delete(runId);
      liveOwners.delete(owner);
      // only our own row: a lock taken over meanwhile belongs to its new holder. A database that is down
      // keeps the row; it is stale at once for this process, and after the staleness limit for others.
      if (!ctx.isClosed()) {
        try {
          db.run("DELETE FROM run_locks WHERE run_id = ? AND owner = ?", [runId, owner]);
        } catch (err) {
          if (!(err as { lost?: unknown }).lost) throw err;
        }
      }
    },
  };
}

/** The run this process locked at or after `since` (else its only locked run); else an error. */
export function runLockedSince(ctx: LedgerContext, since: string): string {
  const held = ctx.db.all("SELECT run_id, acquired_at FROM run_locks WHERE host = ? AND pid = ?", [
    hostname(),
    process.pid,
  ]) as { run_id: string; acquired_at: string }[];
  const recent = held.filter((h) => h.acquired_at >= since);
  const ids = (recent.length > 0 ? recent : held).map((h) => h.run_id);
  if (ids.length === 1) return ids[0];
  throw new Error(
    ids.length === 0
      ? "batch API: no run of this process holds its lock, so provider batches cannot be recorded (pass the run id to ledger.batchStore)"
      : `batch API: runs ${ids.join(", ")} of this process run at once; pass the run id to ledger.batchStore`,
  );
}
