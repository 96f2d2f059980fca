/**
 * Runs in the ledger: create one (its id, its checked configuration), find one (by id, prefix or
 * configuration), list them, set a run's status or spending limits. A "running" run whose process is
 * gone reads as "interrupted" (./run-lock.ts).
 */
import { parseRunConfig } from "../config/parse.js";
import { UserError } from "../util/errors.js";
import { assertNoSecrets } from "../util/secrets.js";
import { type LedgerContext, requireRun, unknownRun } from "./context.js";
import { makeRunId } from "./ids.js";
import { withLiveStatus } from "./run-lock.js";
import {
  RUN_STATUSES,
  type RunConfig,
  type RunRecord,
  type RunResult,
  type RunStatus,
  type RunSummary,
} from "./types.js";

/** A row of the runs table. */
export interface RunRow {
  id: string;
  seq: number;
  task: string;
  method: string;
  target: string;
  config: string;
  status: string;
  status_message: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  result: string | null;
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    config: JSON.parse(row.config) as RunConfig,
    status: row.status as RunStatus,
    statusMessage: row.status_message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    result: row.result === null ? null : (JSON.parse(row.result) as RunResult),
  };
}

/** Two run configurations are the same run: every field equal (as JSON), whatever the key order. */
export function sameRunConfig(a: RunConfig, b: RunConfig): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) return false;
  return true;
}

/** See {@link Ledger.createRun}. */
export function createRun(ctx: LedgerContext, input: RunConfig): string {
  const { db } = ctx;
  const config = parseRunConfig(input);
  assertNoSecrets(config);
  const json = JSON.stringify(config);
  const createdAt = ctx.now().toISOString();
  return db.transaction(() => {
    let id = "";
    for (let attempt = 0; ; attempt++) {
      id = makeRunId(config.task, json, createdAt, attempt);
      if (db.value("SELECT 1 FROM runs WHERE id = ?", [id]) === undefined) break;
    }
    const seq = (db.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs") as number) ?? 1;
    db.run(
      `INSERT INTO runs (id, seq, task, method, target, config, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
      [id, seq, config.task, config.method, config.target, json, createdAt, createdAt],
    );
    return id;
  });
}

/** See {@link Ledger.findRunByConfig}. */
export function findRunByConfig(ctx: LedgerContext, config: RunConfig): string | undefined {
  const wanted = parseRunConfig(config);
  const rows = ctx.db.all<{ id: string; config: string }>(
    "SELECT id, config FROM runs WHERE task = ? AND method = ? AND target = ? ORDER BY seq",
    [wanted.task, wanted.method, wanted.target],
  );
  return rows.find((r) => sameRunConfig(JSON.parse(r.config) as RunConfig, wanted))?.id;
}

/** See {@link Ledger.findOrCreateRun}. */
export function findOrCreateRun(ctx: LedgerContext, config: RunConfig): { id: string; created: boolean } {
  return ctx.db.transaction(() => {
    const id = findRunByConfig(ctx, config);
    return id !== undefined ? { id, created: false } : { id: createRun(ctx, config), created: true };
  });
}

/** See {@link Ledger.resolveRunId}. */
export function resolveRunId(ctx: LedgerContext, idOrPrefix: string): string {
  const { db } = ctx;
  if (db.get("SELECT 1 FROM runs WHERE id = ?", [idOrPrefix])) return idOrPrefix;
  const matches =
    idOrPrefix.length > 0
      ? (db.column("SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY seq", [
          idOrPrefix.length,
          idOrPrefix,
        ]) as string[])
      : [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new UserError(
      `run id "${idOrPrefix}" is ambiguous in ${ctx.path}: it starts ${matches.slice(0, 5).join(", ")}${matches.length > 5 ? " ..." : ""}`,
    );
  }
  throw unknownRun(ctx, idOrPrefix);
}

/** See {@link Ledger.getRun}. */
export function getRun(ctx: LedgerContext, id: string): RunRecord {
  const row = ctx.db.get("SELECT * FROM runs WHERE id = ?", [resolveRunId(ctx, id)]) as RunRow;
  return withLiveStatus(ctx, toRecord(row));
}

/** See {@link Ledger.updateLimits}. */
export function updateLimits(
  ctx: LedgerContext,
  runId: string,
  limits: { maxCalls?: number | null; maxCost?: number | null; baseUrl?: string | null },
): RunConfig {
  return ctx.db.transaction(() => {
    const id = resolveRunId(ctx, runId);
    const config: RunConfig = { ...getRun(ctx, id).config };
    for (const key of ["maxCalls", "maxCost"] as const) {
      const v = limits[key];
      if (v === null) delete config[key];
      else if (v !== undefined) config[key] = v;
    }
    if (limits.baseUrl === null) delete config.baseUrl;
    else if (limits.baseUrl !== undefined) config.baseUrl = limits.baseUrl;
    parseRunConfig(config);
    ctx.db.run("UPDATE runs SET config = ?, updated_at = ? WHERE id = ?", [
      JSON.stringify(config),
      ctx.now().toISOString(),
      id,
    ]);
    return config;
  });
}

/** See {@link Ledger.listRuns}. */
export function listRuns(ctx: LedgerContext): RunSummary[] {
  const rows = ctx.db.all(`SELECT r.*, COUNT(e.idx) AS n, MAX(e.score) AS best,
              COALESCE(SUM(e.cost_usd), 0) AS cost, COALESCE(SUM(e.calls), 0) AS ncalls
       FROM runs r LEFT JOIN evaluations e ON e.run_id = r.id
       GROUP BY r.id ORDER BY r.seq`) as (RunRow & {
    n: number;
    best: number | null;
    cost: number;
    ncalls: number;
  })[];
  const spent = new Map(
    (
      ctx.db.all(
        "SELECT run_id, COUNT(*) AS n, SUM(cost_usd) AS c FROM spend WHERE state != 'pending' GROUP BY run_id",
      ) as {
        run_id: string;
        n: number;
        c: number;
      }[]
    ).map((r) => [r.run_id, r]),
  );
  return rows.map((row) => {
    const rec = withLiveStatus(ctx, toRecord(row));
    const s = spent.get(rec.id);
    return {
      id: rec.id,
      task: rec.config.task,
      method: rec.config.method,
      target: rec.config.target,
      status: rec.status,
      statusMessage: rec.statusMessage,
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
      finishedAt: rec.finishedAt,
      evaluations: row.n,
      bestScore: row.best,
      testScore: rec.result?.test?.score ?? null,
      // the spend log (every paid request, judge included) when the run has one, else older records
      costUsd: s ? s.c : (rec.result?.totals.costUsd ?? row.cost),
      calls: s ? s.n : (rec.result?.totals.calls ?? row.ncalls),
    };
  });
}

/** See {@link Ledger.setStatus}. */
export function setStatus(ctx: LedgerContext, runId: string, status: RunStatus, message?: string): void {
  if (!RUN_STATUSES.includes(status)) throw new TypeError(`unknown run status "${status}"`);
  ctx.db.transaction(() => {
    requireRun(ctx, runId);
    ctx.db.run("UPDATE runs SET status = ?, status_message = ?, updated_at = ? WHERE id = ?", [
      status,
      message ?? null,
      ctx.now().toISOString(),
      runId,
    ]);
  });
}
