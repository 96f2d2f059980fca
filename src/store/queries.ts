/**
 * Read-only queries for viewers of a big ledger (`instructzero ui`): a page of runs with filters, one
 * page of a run's candidates sorted on a column (no record parsed), the evaluations after an index (what
 * a live page lacks), one evaluation, the phase a run is in, and fingerprints that change whenever the
 * ledger (or one run) does. Each is one or two queries whatever the number of runs: no query per row.
 */
import type { SqlValue } from "../db/driver.js";
import { UserError } from "../util/errors.js";
import type { LedgerContext } from "./context.js";
import type { Ledger } from "./ledger-class.js";
import { withLiveStatus } from "./run-lock.js";
import type { RunRow } from "./runs.js";
import type { EvaluationRecord, RunConfig, RunResult, RunStatus, RunSummary } from "./types.js";

/** Which runs a page shows (every field optional; all given ones must match). */
export interface RunFilter {
  /** Live status ("interrupted": stored as running, but its process is gone). */
  status?: RunStatus;
  task?: string;
  method?: string;
  target?: string;
  /** Part of the run id or the task name. */
  q?: string;
  /** Runs created at or after this ISO date or time ("2026-12-01"). */
  since?: string;
  /** Runs created before this ISO date or time. */
  until?: string;
}

/** One page of runs, newest first. */
export interface RunPage {
  rows: (RunSummary & { budget: number; seed: number })[];
  /** Runs matching the filter. */
  total: number;
  offset: number;
  limit: number;
}

/** The context the ledger's parts take, for a ledger seen from outside. */
function contextOf(ledger: Ledger): LedgerContext {
  // read-only queries: this view holds no run lock, so it has no fences
  return {
    db: ledger.driver,
    path: ledger.path,
    now: () => new Date(),
    isClosed: () => false,
    fences: new Map(),
  };
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/** A page of runs matching `filter`, newest first, with their evaluation counts, best score and spend. */
export function runsPage(
  ledger: Ledger,
  filter: RunFilter = {},
  page: { offset?: number; limit?: number } = {},
): RunPage {
  const ctx = contextOf(ledger);
  const db = ledger.driver;
  const offset = Math.max(0, Math.floor(page.offset ?? 0));
  const limit = Math.max(1, Math.min(1000, Math.floor(page.limit ?? 100)));
  const where: string[] = [];
  const params: SqlValue[] = [];
  for (const key of ["task", "method", "target"] as const) {
    const v = filter[key];
    if (v) {
      where.push(`${key} = ?`);
      params.push(v);
    }
  }
  if (filter.q) {
    where.push("(id LIKE ? OR task LIKE ?)");
    params.push(`%${filter.q}%`, `%${filter.q}%`);
  }
  // created_at is an ISO-8601 UTC string: compared as text it sorts as time
  if (filter.since) {
    where.push("created_at >= ?");
    params.push(isoBound(filter.since, "since"));
  }
  if (filter.until) {
    where.push("created_at < ?");
    params.push(isoBound(filter.until, "until"));
  }
  // running and interrupted are told apart by the run lock: filter those in memory (they are few)
  const live = filter.status === "running" || filter.status === "interrupted";
  if (filter.status) {
    where.push(live ? "status IN ('running', 'interrupted')" : "status = ?");
    if (!live) params.push(filter.status);
  }
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const columns = "id, seq, config, status, status_message, created_at, updated_at, finished_at, result";
  let rows: RunRow[];
  let total: number;
  if (live) {
    const all = db.all<RunRow>(`SELECT ${columns} FROM runs ${clause} ORDER BY seq DESC`, params);
    const matching = all.filter((r) => liveStatus(ctx, r) === filter.status);
    total = matching.length;
    rows = matching.slice(offset, offset + limit);
  } else {
    total = Number(db.value(`SELECT COUNT(*) FROM runs ${clause}`, params) ?? 0);
    rows = db.all<RunRow>(`SELECT ${columns} FROM runs ${clause} ORDER BY seq DESC LIMIT ? OFFSET ?`, [
      ...params,
      limit,
      offset,
    ]);
  }
  const ids = rows.map((r) => r.id);
  const evals = new Map<string, { n: number; best: number | null; cost: number; calls: number }>();
  const spent = new Map<string, { n: number; c: number }>();
  if (ids.length > 0) {
    for (const r of db.all<{ run_id: string; n: number; best: number | null; cost: number; calls: number }>(
      `SELECT run_id, COUNT(*) AS n, MAX(score) AS best, COALESCE(SUM(cost_usd), 0) AS cost,
              COALESCE(SUM(calls), 0) AS calls
         FROM evaluations WHERE run_id IN (${placeholders(ids.length)}) GROUP BY run_id`,
      ids,
    ))
      evals.set(r.run_id, {
        n: Number(r.n),
        best: r.best,
        cost: Number(r.cost),
        calls: Number(r.calls),
      });
    for (const r of db.all<{ run_id: string; n: number; c: number }>(
      `SELECT run_id, COUNT(*) AS n, SUM(cost_usd) AS c FROM spend
         WHERE state != 'pending' AND run_id IN (${placeholders(ids.length)}) GROUP BY run_id`,
      ids,
    ))
      spent.set(r.run_id, { n: Number(r.n), c: Number(r.c) });
  }
  return {
    total,
    offset,
    limit,
    rows: rows.map((row) => {
      const config = JSON.parse(row.config) as RunConfig;
      const result = row.result === null ? null : (JSON.parse(row.result) as RunResult);
      const rec = withLiveStatus(ctx, {
        id: row.id,
        status: row.status as RunStatus,
        statusMessage: row.status_message,
      });
      const e = evals.get(row.id);
      const s = spent.get(row.id);
      return {
        id: row.id,
        task: config.task,
        method: config.method,
        target: config.target,
        status: rec.status,
        statusMessage: rec.statusMessage,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        finishedAt: row.finished_at,
        evaluations: e?.n ?? 0,
        bestScore: e?.best ?? null,
        testScore: result?.test?.score ?? null,
        costUsd: s ? s.c : (result?.totals.costUsd ?? e?.cost ?? 0),
        calls: s ? s.n : (result?.totals.calls ?? e?.calls ?? 0),
        budget: config.budget,
        seed: config.seed,
      };
    }),
  };
}

function liveStatus(ctx: LedgerContext, row: RunRow): RunStatus {
  return withLiveStatus(ctx, { id: row.id, status: row.status as RunStatus, statusMessage: null }).status;
}

/** The distinct tasks, methods and black boxes of the ledger's runs (for filter menus). */
export function runFacets(ledger: Ledger): { tasks: string[]; methods: string[]; targets: string[] } {
  const db = ledger.driver;
  const col = (c: string) => db.column<string>(`SELECT DISTINCT ${c} FROM runs ORDER BY ${c}`);
  return { tasks: col("task"), methods: col("method"), targets: col("target") };
}

/**
 * A value that changes whenever a run is added or changed: a new evaluation or status touches its run;
 * the spend of running runs (read by primary key, not by scanning the whole log) and the run locks'
 * heartbeats change as they run.
 */
export function ledgerFingerprint(ledger: Ledger): string {
  const db = ledger.driver;
  const r = db.get<{ n: number; u: string | null; s: number | null }>(
    "SELECT COUNT(*) AS n, MAX(updated_at) AS u, MAX(seq) AS s FROM runs",
  );
  const running = db.column<string>("SELECT id FROM runs WHERE status = 'running' ORDER BY id");
  const spend =
    running.length > 0
      ? db.all<{ run_id: string; s: number }>(
          `SELECT run_id, MAX(seq) AS s FROM spend WHERE run_id IN (${placeholders(running.length)})
             GROUP BY run_id ORDER BY run_id`,
          running,
        )
      : [];
  const locks = db.value<string | null>("SELECT MAX(heartbeat_at) FROM run_locks");
  return JSON.stringify([r?.n, r?.u, r?.s, spend, locks]);
}

/** A value that changes whenever run `runId` changes: status, evaluations, spend, checkpoints. */
export function runFingerprint(ledger: Ledger, runId: string): string {
  const db = ledger.driver;
  const run = db.get<{ status: string; updated_at: string }>(
    "SELECT status, updated_at FROM runs WHERE id = ?",
    [runId],
  );
  const n = db.value<number>("SELECT COUNT(*) FROM evaluations WHERE run_id = ?", [runId]);
  const spend = db.get<{ n: number; s: number | null }>(
    "SELECT COUNT(*) AS n, MAX(seq) AS s FROM spend WHERE run_id = ?",
    [runId],
  );
  const state = db.value<string | null>("SELECT MAX(updated_at) FROM state WHERE run_id = ?", [runId]);
  return JSON.stringify([run?.status, run?.updated_at, n, spend?.n, spend?.s, state]);
}

/** A run's evaluations with an index above `afterIndex`, by index (all with -1). */
export function evaluationsAfter(ledger: Ledger, runId: string, afterIndex: number): EvaluationRecord[] {
  return ledger.driver
    .column<string>("SELECT record FROM evaluations WHERE run_id = ? AND idx > ? ORDER BY idx", [
      runId,
      afterIndex,
    ])
    .map((r) => JSON.parse(r) as EvaluationRecord);
}

/** One evaluation of a run, or undefined. */
export function evaluationAt(ledger: Ledger, runId: string, index: number): EvaluationRecord | undefined {
  const r = ledger.driver.value<string>("SELECT record FROM evaluations WHERE run_id = ? AND idx = ?", [
    runId,
    index,
  ]);
  return r === undefined ? undefined : (JSON.parse(r) as EvaluationRecord);
}

/** One row of a run's candidates table (read from the columns, no record parsed). */
export interface CandidateRow {
  index: number;
  iteration: number;
  instruction: string;
  score: number;
  calls: number;
  costUsd: number;
  createdAt: string;
}

/** Columns a candidates page can be sorted on. */
export const CANDIDATE_SORTS = ["index", "iteration", "score", "calls", "cost", "instruction"] as const;
/** A column of {@link CANDIDATE_SORTS}. */
export type CandidateSort = (typeof CANDIDATE_SORTS)[number];
const SORT_COLUMN: Record<CandidateSort, string> = {
  index: "idx",
  iteration: "iteration",
  score: "score",
  calls: "calls",
  cost: "cost_usd",
  instruction: "instruction",
};

/** One page of a run's evaluations sorted on `sort` (ties: by index), and how many there are. */
export function candidatesPage(
  ledger: Ledger,
  runId: string,
  o: { sort?: CandidateSort; descending?: boolean; offset?: number; limit?: number } = {},
): { rows: CandidateRow[]; total: number } {
  const column = SORT_COLUMN[o.sort ?? "score"] ?? "score";
  const dir = o.descending === false ? "ASC" : "DESC";
  const limit = Math.max(1, Math.min(1000, Math.floor(o.limit ?? 100)));
  const offset = Math.max(0, Math.floor(o.offset ?? 0));
  const db = ledger.driver;
  const total = Number(db.value("SELECT COUNT(*) FROM evaluations WHERE run_id = ?", [runId]) ?? 0);
  const rows = db
    .all<{
      idx: number;
      iteration: number;
      instruction: string;
      score: number;
      calls: number;
      cost_usd: number;
      created_at: string;
    }>(
      `SELECT idx, iteration, instruction, score, calls, cost_usd, created_at FROM evaluations
         WHERE run_id = ? ORDER BY ${column} ${dir}, idx ASC LIMIT ? OFFSET ?`,
      [runId, limit, offset],
    )
    .map((r) => ({
      index: Number(r.idx),
      iteration: Number(r.iteration),
      instruction: r.instruction,
      score: Number(r.score),
      calls: Number(r.calls),
      costUsd: Number(r.cost_usd),
      createdAt: r.created_at,
    }));
  return { rows, total };
}

/** The phase of a run's latest request (search, selection, baselines, test ...) and when, or null. */
export function latestPhase(ledger: Ledger, runId: string): { phase: string; at: string } | null {
  const r = ledger.driver.get<{ phase: string; at: string }>(
    "SELECT phase, at FROM spend WHERE run_id = ? ORDER BY seq DESC LIMIT 1",
    [runId],
  );
  return r ?? null;
}

/** When each of a run's last `n` evaluations was recorded, oldest first (for an ETA). */
export function recentEvaluationTimes(ledger: Ledger, runId: string, n: number): string[] {
  return ledger.driver
    .column<string>("SELECT created_at FROM evaluations WHERE run_id = ? ORDER BY idx DESC LIMIT ?", [
      runId,
      n,
    ])
    .reverse();
}

/** Whether the ledger's database holds table `name` (e.g. the sweep queue's `sweep_cells`), read-only. */
export function hasTable(ledger: Ledger, name: string): boolean {
  return ledger.driver.dialect.hasTable(ledger.driver, name);
}

/** A run's stored row as the sweeps view needs it (configuration, live status, result). */
export interface StoredRun {
  id: string;
  config: RunConfig;
  status: RunStatus;
  result: RunResult | null;
  /** Best validation score so far (null without evaluations). */
  bestScore: number | null;
  evaluations: number;
}

/** Every run with its configuration, live status, result and best score (two queries). */
export function storedRuns(ledger: Ledger): StoredRun[] {
  const ctx = contextOf(ledger);
  const db = ledger.driver;
  const best = new Map(
    db
      .all<{ run_id: string; n: number; best: number | null }>(
        "SELECT run_id, COUNT(*) AS n, MAX(score) AS best FROM evaluations GROUP BY run_id",
      )
      .map((r) => [r.run_id, r]),
  );
  return db
    .all<RunRow>("SELECT id, config, status, status_message, result FROM runs ORDER BY seq")
    .map((r) => ({
      id: r.id,
      config: JSON.parse(r.config) as RunConfig,
      status: liveStatus(ctx, r),
      result: r.result === null ? null : (JSON.parse(r.result) as RunResult),
      bestScore: best.get(r.id)?.best ?? null,
      evaluations: Number(best.get(r.id)?.n ?? 0),
    }));
}

/** The live run-lock holders of the ledger (who runs what now), by run id. */
export function liveHolders(ledger: Ledger): Map<string, { host: string; pid: number; heartbeatAt: string }> {
  const out = new Map<string, { host: string; pid: number; heartbeatAt: string }>();
  for (const r of ledger.driver.all<{
    run_id: string;
    pid: number;
    host: string;
    acquired_at: string;
    heartbeat_at: string;
  }>("SELECT run_id, pid, host, acquired_at, heartbeat_at FROM run_locks")) {
    const h = { pid: Number(r.pid), host: r.host, acquiredAt: r.acquired_at, heartbeatAt: r.heartbeat_at };
    if (!ledger.isStale(h)) out.set(r.run_id, { host: h.host, pid: h.pid, heartbeatAt: h.heartbeatAt });
  }
  return out;
}

/** One cell a queued sweep enqueued (`bench --queue`), read from `sweep_cells` without creating it. */
export interface QueuedCell {
  queue: string;
  task: string;
  method: string;
  seed: number;
  config: RunConfig;
  enqueuedAt: string;
}

/** The cells of queued sweeps in this store, in enqueue order ([] when no sweep was ever queued here). */
export function queuedCells(ledger: Ledger): QueuedCell[] {
  if (!hasTable(ledger, "sweep_cells")) return [];
  return ledger.driver
    .all<{ queue: string; task: string; method: string; seed: number; config: string; enqueued_at: string }>(
      "SELECT queue, task, method, seed, config, enqueued_at FROM sweep_cells ORDER BY enqueued_at, ord",
    )
    .map((r) => ({
      queue: r.queue,
      task: r.task,
      method: r.method,
      seed: Number(r.seed),
      config: JSON.parse(r.config) as RunConfig,
      enqueuedAt: r.enqueued_at,
    }));
}

/** `value` (a date "2026-12-01" or a date-time) as the ISO-8601 UTC string stored in created_at. */
function isoBound(value: string, name: string): string {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) {
    throw new UserError(
      `--${name} ${JSON.stringify(value)} is not a date: give YYYY-MM-DD or an ISO date-time`,
    );
  }
  return new Date(t).toISOString();
}

/** Every run matching `filter`, oldest first (the `runs` command's list; pages of {@link runsPage}). */
export function matchingRuns(ledger: Ledger, filter: RunFilter = {}): RunPage["rows"] {
  const out: RunPage["rows"] = [];
  for (let offset = 0; ; ) {
    const page = runsPage(ledger, filter, { offset, limit: 1000 });
    out.push(...page.rows);
    offset += page.rows.length;
    if (page.rows.length === 0 || offset >= page.total) break;
  }
  return out.reverse();
}

/** The tables holding a run's rows (every table with a run_id), the runs row last. */
const RUN_TABLES = ["evaluations", "state", "examples", "task_examples", "spend", "batch_jobs", "run_locks"];

/**
 * Delete the runs `ids` and every row of theirs (evaluations, checkpoints, examples, spend log, batch
 * jobs, lock) in one transaction: all of them or, on any error, none. A run some live process holds
 * (running) is refused (UserError) before anything is deleted. Returns how many runs were deleted.
 */
export function deleteRuns(ledger: Ledger, ids: readonly string[]): number {
  if (ids.length === 0) return 0;
  const ctx = contextOf(ledger);
  const db = ledger.driver;
  return db.transaction(() => {
    for (const id of ids) {
      const status = db.value("SELECT status FROM runs WHERE id = ?", [id]) as string | undefined;
      if (status === undefined) throw new UserError(`no run ${JSON.stringify(id)} in ${ledger.path}`);
      if (withLiveStatus(ctx, { id, status: status as RunStatus, statusMessage: null }).status === "running")
        throw new UserError(`run ${id} is running (a live process holds it): stop it before pruning it`);
    }
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const list = placeholders(chunk.length);
      for (const table of RUN_TABLES) db.run(`DELETE FROM ${table} WHERE run_id IN (${list})`, chunk);
      n += db.run(`DELETE FROM runs WHERE id IN (${list})`, chunk).changes;
    }
    return n;
  });
}
