/**
 * Distributed sweeps: one job per sweep cell in a PostgreSQL job queue (pg-boss), taken by
 * `instructzero worker` processes on any number of machines; every cell runs as an ordinary run in the
 * shared ledger of the same database.
 *
 * - A cell's job id is derived from the hash of its run configuration (and the hash is its singleton
 *   key), so enqueueing the same sweep again adds nothing: a cell queued, running or done is left
 *   alone, a failed one is queued again.
 * - A job is leased for `leaseSeconds` once a worker takes it, and the worker renews the lease every
 *   third of it while the cell runs (so a cell may take longer than its lease); a worker that dies
 *   stops renewing, its job expires and pg-boss hands it to another worker (up to `retries` times),
 *   which resumes the run from the ledger. The run lock (host, pid, heartbeat in the ledger) makes sure
 *   that one process at a time runs a cell, whatever the queue does.
 * - `sweep_cells` (beside the ledger's tables) keeps what was enqueued, for `bench --status`.
 */
import { createHash } from "node:crypto";
import PgBoss from "pg-boss";
import { parseRunConfig } from "../config/parse.js";
import type { RunConfig } from "../config/schema.js";
import type { SqlDriver } from "../db/driver.js";
import { isFileLocation, ledgerLocation } from "../db/location.js";
import { redactUrl } from "../util/redact.js";

/** The pg-boss queue of sweep cells. */
export const SWEEP_QUEUE = "instructzero-cells";

/** What a cell's job carries: everything a worker needs (the run configuration holds no secret). */
export interface CellJob {
  task: string;
  method: RunConfig["method"];
  seed: number;
  /** sha256 of the canonical configuration. */
  key: string;
  config: RunConfig;
}

/** What a worker records when a cell ends. */
export interface CellOutput {
  runId: string;
  status: string;
  host: string;
  pid: number;
  validation?: number | null;
  test?: number | null;
  /** Why it failed. */
  message?: string;
}

/** A job as pg-boss reports it. */
export type CellJobRecord = PgBoss.JobWithMetadata<CellJob>;

/** Options of {@link SweepQueue.enqueue}. */
export interface EnqueueOptions {
  /**
   * Seconds a cell's job stays with a worker that stopped renewing it (it died) before another worker
   * may take it [120].
   */
  leaseSeconds?: number;
  /** Times a cell is tried again after its worker died or it failed [3]. */
  retries?: number;
  /** Seconds between a failure and the next try [10]. */
  retryDelaySeconds?: number;
}

/** The canonical JSON of a configuration (keys sorted at every level). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The hash identifying a cell: sha256 (hex) of its checked configuration, canonically serialised. */
export function configHash(config: RunConfig): string {
  return createHash("sha256")
    .update(canonical(parseRunConfig(config)))
    .digest("hex");
}

/** A UUID (version-5 layout) made from a configuration hash: the cell's job id, the same on every machine. */
export function jobIdOf(key: string): string {
  const h = key.slice(0, 32).split("");
  h[12] = "5";
  h[16] = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** Seconds between pg-boss maintenance runs (expiring leases): INSTRUCTZERO_QUEUE_MAINTENANCE_S [30]. */
export function maintenanceSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.INSTRUCTZERO_QUEUE_MAINTENANCE_S);
  return env.INSTRUCTZERO_QUEUE_MAINTENANCE_S && Number.isInteger(v) && v >= 1 ? v : 30;
}

const CELLS_TABLE = `CREATE TABLE IF NOT EXISTS sweep_cells (
  job_id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  key TEXT NOT NULL,
  task TEXT NOT NULL,
  method TEXT NOT NULL,
  seed INTEGER NOT NULL,
  config TEXT NOT NULL,
  enqueued_at TEXT NOT NULL,
  ord INTEGER NOT NULL
)`;

const CELL_COLUMNS = ["job_id", "queue", "key", "task", "method", "seed", "config", "enqueued_at", "ord"];

/** One enqueued cell, as `sweep_cells` keeps it. */
export interface EnqueuedCell {
  jobId: string;
  key: string;
  task: string;
  method: RunConfig["method"];
  seed: number;
  config: RunConfig;
  enqueuedAt: string;
}

/** The cells enqueued in `db` (the store), in the order they were enqueued. */
export function enqueuedCells(db: SqlDriver, queue = SWEEP_QUEUE): EnqueuedCell[] {
  db.transaction(() => db.exec(CELLS_TABLE), "instructzero.sweep");
  return db
    .all<{
      job_id: string;
      key: string;
      task: string;
      method: string;
      seed: number;
      config: string;
      enqueued_at: string;
    }>("SELECT * FROM sweep_cells WHERE queue = ? ORDER BY enqueued_at, ord", [queue])
    .map((r) => ({
      jobId: r.job_id,
      key: r.key,
      task: r.task,
      method: r.method as RunConfig["method"],
      seed: Number(r.seed),
      config: JSON.parse(r.config) as RunConfig,
      enqueuedAt: r.enqueued_at,
    }));
}

/** The job queue in a Postgres database (pg-boss, schema `pgboss`). Close it with `stop()`. */
export class SweepQueue {
  private constructor(
    readonly boss: PgBoss,
    /** The URL without credentials, for messages. */
    readonly location: string,
    readonly name: string,
  ) {}

  /**
   * Connect (installing pg-boss's schema when missing) and create the queue when missing. `store`: the
   * server database, chosen by the store rules of src/db/location.ts [INSTRUCTZERO_STORE]; pg-boss keeps
   * its own small pool there.
   */
  static async open(
    store?: string,
    options: { name?: string; onError?: (message: string) => void } = {},
  ): Promise<SweepQueue> {
    const url = ledgerLocation({ store });
    if (isFileLocation(url))
      throw new Error(`the job queue needs a server database (postgres://...), not the file ${url}`);
    const location = redactUrl(url);
    const boss = new PgBoss({
      connectionString: url,
      max: 3,
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: maintenanceSeconds(),
      application_name: "instructzero queue",
    });
    const report = options.onError ?? ((m: string) => process.stderr.write(`job queue ${location}: ${m}\n`));
    boss.on("error", (err: Error) => report(redactUrl(err.message)));
    try {
      await boss.start();
    } catch (err) {
      await boss.stop({ graceful: false, wait: false }).catch(() => {});
      throw new Error(`cannot open the job queue in ${location}: ${redactUrl((err as Error).message)}`);
    }
    const name = options.name ?? SWEEP_QUEUE;
    await boss.createQueue(name);
    return new SweepQueue(boss, location, name);
  }

  /**
   * Enqueue each cell once. Returns how many were added, how many were already there (queued, running
   * or done: left alone) and how many failed ones were queued again. Each cell is also recorded in the
   * store's `sweep_cells` (for `bench --status`).
   */
  async enqueue(
    cells: readonly CellJob[],
    db: SqlDriver,
    options: EnqueueOptions = {},
  ): Promise<{ added: number; existing: number; retried: number }> {
    db.transaction(() => db.exec(CELLS_TABLE), "instructzero.sweep");
    const out = { added: 0, existing: 0, retried: 0 };
    const send: PgBoss.SendOptions = {
      expireInSeconds: options.leaseSeconds ?? 120,
      retryLimit: options.retries ?? 3,
      retryDelay: options.retryDelaySeconds ?? 10,
      retentionDays: 30,
    };
    const at = new Date().toISOString();
    for (const [ord, cell] of cells.entries()) {
      const id = jobIdOf(cell.key);
      db.run(db.dialect.insertOrIgnore("sweep_cells", CELL_COLUMNS, ["job_id"]), [
        id,
        this.name,
        cell.key,
        cell.task,
        cell.method,
        cell.seed,
        JSON.stringify(cell.config),
        at,
        ord,
      ]);
      const job = await this.boss.getJobById<CellJob>(this.name, id, { includeArchive: true });
      const live = job && (await this.boss.getJobById<CellJob>(this.name, id, { includeArchive: false }));
      if (job && (job.state === "failed" || job.state === "cancelled") && live) {
        if (job.state === "cancelled") await this.boss.resume(this.name, id);
        else await this.boss.retry(this.name, id);
        out.retried++;
        continue;
      }
      if (job && !(job.state === "failed" || job.state === "cancelled")) {
        out.existing++;
        continue;
      }
      // new, or failed and archived (its id is free again)
      const sent = await this.boss.send(this.name, cell as unknown as object, {
        ...send,
        id,
        singletonKey: cell.key,
      });
      if (sent === null) out.existing++;
      else if (job) out.retried++;
      else out.added++;
    }
    return out;
  }

  /** Take the next cell (its lease starts now), or undefined when none is waiting. */
  async take(): Promise<CellJobRecord | undefined> {
    const [job] = await this.boss.fetch<CellJob>(this.name, { batchSize: 1, includeMetadata: true });
    return job;
  }

  /**
   * Renew the lease of a cell this worker holds: its expiry counts from now again. pg-boss 10 has no
   * call for this, so it moves the job's start time (the column its expiry is computed from) in its
   * own table; a job no longer active is left alone.
   */
  async renew(id: string): Promise<void> {
    await this.boss
      .getDb()
      .executeSql(
        `UPDATE pgboss.job SET started_on = now() WHERE name = $1 AND id = $2 AND state = 'active'`,
        [this.name, id],
      );
  }

  async complete(id: string, output: CellOutput): Promise<void> {
    await this.boss.complete(this.name, id, output as unknown as object);
  }

  /**
   * Give a cell this worker holds back to the queue without using up one of its retries (its worker is
   * stopping gracefully: the cell is healthy). pg-boss 10 has no call for this ("fail" counts a try, and
   * a job fetched again after a start counts one too), so the job goes back to "created" with no start
   * time, its retry count unchanged; a job no longer active is left alone.
   */
  async giveBack(id: string, output: CellOutput): Promise<void> {
    await this.boss.getDb().executeSql(
      `UPDATE pgboss.job SET state = 'created', started_on = NULL, start_after = now(), output = $3::jsonb
          WHERE name = $1 AND id = $2 AND state = 'active'`,
      [this.name, id, JSON.stringify(output)],
    );
  }

  /** The cell failed: it is tried again after the retry delay while retries remain. */
  async fail(id: string, output: CellOutput): Promise<void> {
    await this.boss.fail(this.name, id, output as unknown as object);
  }

  /** A cell's job (archived ones included), or null. */
  async job(id: string): Promise<CellJobRecord | null> {
    return this.boss.getJobById<CellJob>(this.name, id, { includeArchive: true });
  }

  /** Jobs not finished: queued, waiting for a retry, or held by a worker. */
  async unfinished(): Promise<number> {
    return this.boss.getQueueSize(this.name, { before: "completed" });
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, close: true, wait: true }).catch(() => {});
  }
}
