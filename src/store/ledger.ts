/**
 * The run ledger: one SQLite file (WAL mode; the default) or one PostgreSQL database (shared by many
 * machines) holding many optimisation runs — each run's config, every scored candidate instruction,
 * optimiser checkpoints and the final result. Every write is a transaction, so a process killed at any
 * point leaves the ledger consistent and resumable. Both backends sit behind one synchronous driver
 * interface (./driver/types.ts) with the same tables, schema version and migrations.
 */

import { randomUUID } from "node:crypto";
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { homedir, hostname, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { BatchJobRecord, BatchProviderName, BatchStore } from "../blackbox/batch/types.js";
import { migrateConfigV1 } from "../config/migrate.js";
import { parseRunConfig } from "../config/parse.js";
import type { Example } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
import { VERSION } from "../version.js";
import { PostgresDriver } from "./driver/postgres.js";
import { SqliteDriver } from "./driver/sqlite.js";
import { isPostgresUrl, type SqlDriver } from "./driver/types.js";
import { makeRunId } from "./ids.js";
import { assertNoSecrets } from "./secrets.js";
import {
  type EvaluationRecord,
  RUN_STATUSES,
  type RunConfig,
  type RunRecord,
  type RunResult,
  type RunStatus,
  type RunSummary,
} from "./types.js";
import { validateRecord, validateResult } from "./validate.js";

/**
 * Version of the ledger's table layout and stored configuration, in `meta.schema_version`.
 * 2: configurations follow src/config/schema.ts (option names of the CLI flags, defaults stored);
 * table task_examples (tasks given in memory). Version-1 ledgers are migrated when opened.
 */
export const LEDGER_SCHEMA_VERSION = 2;

/** Ledger file used when none is given: `${INSTRUCTZERO_HOME:-~/.instructzero}/runs.sqlite`. */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.INSTRUCTZERO_HOME || join(homedir(), ".instructzero");
  return join(home, "runs.sqlite");
}

/** Options of `openLedger`. */
export interface LedgerOptions {
  /** Create the file (and its folder) when missing (default true). With false, a missing file is a UserError. */
  create?: boolean;
  /** Clock for timestamps and run ids (tests). */
  now?: () => Date;
  /**
   * The caller only reads (runs, show, report): a file this process cannot write (permissions, a
   * read-only mount) is read from a private snapshot copy instead of failing.
   */
  readonly?: boolean;
}

/** One paid (answered, not cached) request of a run, as the spend log keeps it. */
export interface SpendEntry {
  /** search, test, ... */
  phase: string;
  /** target (the black box and APE proposals it answers), proposer, judge. */
  source: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Paid requests of a run, summed per source. */
export interface SpendTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Of `calls`, requests in flight when a process died (their tokens unknown, dollars at the worst case). */
  lost: number;
}

/** Who holds a run: one process at a time runs it. */
export interface RunLockHolder {
  pid: number;
  host: string;
  acquiredAt: string;
  heartbeatAt: string;
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

/** A held run lock: keep it alive with `heartbeat()` (done on a timer), give it back with `release()`. */
export interface RunLock {
  readonly runId: string;
  heartbeat(): void;
  release(): void;
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

/** Two different results recorded for the same evaluation index of a run. */
export class LedgerConflictError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "LedgerConflictError";
  }
}

/** Tables added by schema version 2. */
const SCHEMA_V2_ADDITIONS = `
CREATE TABLE task_examples (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  sha256 TEXT NOT NULL,
  examples TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE spend (
  run_id TEXT NOT NULL REFERENCES runs(id),
  seq INTEGER NOT NULL,
  state TEXT NOT NULL,
  phase TEXT NOT NULL,
  source TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE run_locks (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE batch_jobs (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  file_id TEXT,
  batch_id TEXT,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  custom_ids TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
`;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  task TEXT NOT NULL,
  method TEXT NOT NULL,
  target TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT,
  result TEXT
);
CREATE TABLE evaluations (
  run_id TEXT NOT NULL REFERENCES runs(id),
  idx INTEGER NOT NULL,
  iteration INTEGER NOT NULL,
  instruction TEXT NOT NULL,
  score REAL NOT NULL,
  calls INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  record TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE TABLE state (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE examples (
  run_id TEXT NOT NULL REFERENCES runs(id),
  split TEXT NOT NULL,
  examples TEXT NOT NULL,
  PRIMARY KEY (run_id, split)
) WITHOUT ROWID;
${SCHEMA_V2_ADDITIONS}`;
const TABLES = [
  "meta",
  "runs",
  "evaluations",
  "state",
  "examples",
  "task_examples",
  "spend",
  "run_locks",
  "batch_jobs",
];

interface RunRow {
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

/** Fields of a record that are its result; the rest (calls, tokens, cost, timings) is accounting. */
function resultKey(r: EvaluationRecord): string {
  return JSON.stringify([
    r.iteration,
    r.z,
    r.instruction,
    r.score,
    r.scores,
    r.outputs,
    r.reused,
    r.feedback ?? null,
  ]);
}

/** A record with its fields in a fixed order (what is stored). */
function canonicalRecord(r: EvaluationRecord): EvaluationRecord {
  return {
    index: r.index,
    iteration: r.iteration,
    z: r.z === null ? null : [...r.z],
    instruction: r.instruction,
    score: r.score,
    scores: [...r.scores],
    outputs: [...r.outputs],
    ...(r.feedback ? { feedback: [...r.feedback] } : {}),
    ...(r.judge ? { judge: { ...r.judge } } : {}),
    ...(r.origin ? { origin: r.origin } : {}),
    ...(r.empty ? { empty: true } : {}),
    ...(r.scored !== undefined ? { scored: r.scored } : {}),
    reused: r.reused,
    calls: r.calls,
    cacheHits: r.cacheHits,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    costUsd: r.costUsd,
    generationMs: r.generationMs,
    evaluationMs: r.evaluationMs,
  };
}

function sqliteCode(err: unknown): string {
  return typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
}

/** The SQLite DDL above in a dialect: Postgres has no WITHOUT ROWID and wants 8-byte floats. */
export function ddlFor(dialect: SqlDriver["dialect"], sql: string): string {
  if (dialect === "sqlite") return sql;
  return sql.replace(/\)\s*WITHOUT ROWID;/g, ");").replace(/\bREAL\b/g, "DOUBLE PRECISION");
}

/** What opening found: an empty store, a ledger of this version, or one to migrate. */
type Inspection = "empty" | "ok" | { migrateFrom: number };

/** The version checks shared by both backends, once the meta table is known to exist. */
function checkVersion(
  db: SqlDriver,
  tables: readonly string[],
  broken: (what: string) => UserError,
): Inspection {
  const row = db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!row) throw broken("has no schema_version in its meta table");
  const version = Number(row.value);
  if (!Number.isInteger(version)) throw broken(`has an invalid schema_version "${row.value}"`);
  if (version > LEDGER_SCHEMA_VERSION) {
    throw broken(
      `has schema version ${version}, written by a newer instructzero (this version ${VERSION} reads version ${LEDGER_SCHEMA_VERSION}); upgrade instructzero`,
    );
  }
  if (version < 1) {
    throw broken(
      `has schema version ${version}, which this version cannot read (it reads 1 to ${LEDGER_SCHEMA_VERSION})`,
    );
  }
  if (version < LEDGER_SCHEMA_VERSION) return { migrateFrom: version };
  const missing = TABLES.filter((t) => !tables.includes(t));
  if (missing.length > 0) throw broken(`is missing the table(s) ${missing.join(", ")}`);
  return "ok";
}

/** Describe why an existing file is not a usable ledger, or null when it is (or is empty). */
function inspect(driver: SqliteDriver, file: string): Inspection {
  const db = driver.db;
  const broken = (what: string) =>
    new UserError(
      `run ledger ${file} ${what}. The file was left untouched; move it aside or pass --ledger PATH to use another file.`,
    );
  let tables: string[];
  try {
    const check = db.pragma("quick_check") as { quick_check: string }[];
    if (check.length !== 1 || check[0].quick_check !== "ok") {
      throw broken(`is damaged (SQLite integrity check: ${check[0]?.quick_check ?? "no answer"})`);
    }
    tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((r) => r.name);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = sqliteCode(err);
    if (code === "SQLITE_NOTADB") throw broken("is not a SQLite database (wrong file, or damaged header)");
    if (code.startsWith("SQLITE_CORRUPT"))
      throw broken(`is damaged or truncated (${(err as Error).message})`);
    if (code.startsWith("SQLITE_IOERR")) throw broken(`cannot be read (${(err as Error).message})`);
    throw err;
  }
  if (tables.length === 0) return "empty";
  if (!tables.includes("meta")) {
    throw broken(`is a SQLite database but not an instructzero run ledger (it has no meta table)`);
  }
  return checkVersion(driver, tables, broken);
}

/**
 * The same for a Postgres database: it may hold other tables (the job queue's schema, the user's own);
 * only the ledger's are looked at, in the connection's current schema.
 */
function inspectPostgres(db: SqlDriver): Inspection {
  const broken = (what: string) =>
    new UserError(
      `run ledger ${db.location} ${what}. Nothing was changed; use another database (or schema) in --store.`,
    );
  const tables = db.column<string>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
  );
  const ours = TABLES.filter((t) => tables.includes(t));
  if (ours.length === 0) return "empty";
  if (!tables.includes("meta")) {
    throw broken(
      `has ledger tables (${ours.join(", ")}) but no meta table: it is not an instructzero run ledger`,
    );
  }
  return checkVersion(db, tables, broken);
}

/** Create the tables of a new ledger, unless another process did meanwhile (checked inside the transaction). */
function createSchema(db: SqlDriver, now: Date): void {
  db.transaction(() => {
    const exists =
      db.dialect === "sqlite"
        ? db.value<number>("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'") !== 0
        : db.value(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'meta'",
          ) !== undefined;
    if (exists) return;
    db.exec(ddlFor(db.dialect, SCHEMA));
    const put = "INSERT INTO meta (key, value) VALUES (?, ?)";
    db.run(put, ["schema_version", String(LEDGER_SCHEMA_VERSION)]);
    db.run(put, ["created_by", `instructzero ${VERSION}`]);
    db.run(put, ["created_at", now.toISOString()]);
  });
}

/**
 * Bring a ledger of an older schema version to {@link LEDGER_SCHEMA_VERSION}, in one transaction
 * (a failure leaves the file as it was). 1 -> 2: every run's configuration through
 * `migrateConfigV1`, table task_examples added.
 */
function migrate(db: SqlDriver, file: string, from: number, now: Date): void {
  db.transaction(() => {
    const v = Number(db.value("SELECT value FROM meta WHERE key = 'schema_version'"));
    if (v !== from) return; // another process migrated it meanwhile
    const rows = db.all<{ id: string; config: string }>("SELECT id, config FROM runs");
    for (const row of rows) {
      let config: unknown;
      try {
        config = migrateConfigV1(JSON.parse(row.config) as Record<string, unknown>);
      } catch (err) {
        throw new UserError(
          `run ledger ${file}: cannot migrate run ${row.id} from schema version 1: ${(err as Error).message}. The file was left untouched.`,
        );
      }
      db.run("UPDATE runs SET config = ? WHERE id = ?", [JSON.stringify(config), row.id]);
    }
    db.exec(ddlFor(db.dialect, SCHEMA_V2_ADDITIONS));
    db.run("UPDATE meta SET value = ? WHERE key = 'schema_version'", [String(LEDGER_SCHEMA_VERSION)]);
    db.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [`migrated_from_${from}`, `${now.toISOString()} by instructzero ${VERSION}`],
    );
  });
}

/**
 * Open (creating when missing) the run ledger at `path` (default `defaultLedgerPath()`; ":memory:"
 * for a throw-away ledger; a postgres:// URL for a ledger shared by many machines). A file that is not
 * a ledger — not SQLite, damaged, truncated, another schema version — is a UserError naming the file and
 * the problem; it is never modified or deleted.
 */
export function openLedger(path?: string, options: LedgerOptions = {}): Ledger {
  if (isPostgresUrl(path)) return openPostgresLedger(path.trim(), options);
  const file = path === ":memory:" ? path : resolve(path ?? defaultLedgerPath());
  if (options.readonly && file !== ":memory:" && existsSync(file) && !writable(file)) {
    return openLedger(snapshotOf(file), {
      ...options,
      readonly: false,
      create: false,
      shownAs: file,
    } as LedgerOptions);
  }
  const shownAs = (options as { shownAs?: string }).shownAs;
  if (file !== ":memory:") {
    if (existsSync(file)) {
      if (statSync(file).isDirectory()) {
        throw new UserError(`run ledger ${file} is a directory; pass --ledger with a file path`);
      }
    } else if (options.create === false) {
      throw new UserError(`no run ledger at ${file} (no run has been recorded there yet)`);
    } else {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (err) {
        throw new UserError(`cannot create the folder of run ledger ${file}: ${(err as Error).message}`);
      }
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new UserError(`cannot open run ledger ${file}: ${(err as Error).message}`);
  }
  const driver = new SqliteDriver(db, shownAs ?? file);
  try {
    db.pragma("busy_timeout = 5000");
    const state = inspect(driver, file);
    if (file !== ":memory:") db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    if (state === "empty") {
      // IMMEDIATE, and check again inside: another process may be creating the same new ledger.
      createSchema(driver, options.now?.() ?? new Date());
    } else if (typeof state === "object") {
      migrate(driver, file, state.migrateFrom, options.now?.() ?? new Date());
    }
  } catch (err) {
    driver.close();
    throw err;
  }
  return new Ledger(driver, shownAs ?? file, options.now ?? (() => new Date()), shownAs !== undefined);
}

/**
 * The ledger in a Postgres database (`--store postgres://...`): the same tables, schema version,
 * migrations and guarantees as a SQLite file. Every write transaction takes an advisory lock first, so
 * the writers of every machine queue; each commit is on the server before the call returns.
 */
function openPostgresLedger(url: string, options: LedgerOptions): Ledger {
  const driver = new PostgresDriver(url, "run ledger");
  try {
    const state = inspectPostgres(driver);
    if (state === "empty") {
      if (options.create === false) {
        throw new UserError(`no run ledger in ${driver.location} (no run has been recorded there yet)`);
      }
      createSchema(driver, options.now?.() ?? new Date());
    } else if (typeof state === "object") {
      migrate(driver, driver.location, state.migrateFrom, options.now?.() ?? new Date());
    }
  } catch (err) {
    driver.close();
    throw err;
  }
  return new Ledger(driver, driver.location, options.now ?? (() => new Date()));
}

/** True when this process may write `file` and create files beside it (WAL, shared memory). */
function writable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    accessSync(dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A private copy of a ledger (and its WAL) to read when the file itself cannot be written. */
function snapshotOf(file: string): string {
  const dir = mkdtempSync(join(tmpdir(), "instructzero-ledger-"));
  const copy = join(dir, basename(file));
  try {
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  } catch (err) {
    throw new UserError(`cannot read run ledger ${file}: ${(err as Error).message}`);
  }
  return copy;
}

/** A connection to one ledger file. Obtain it with `openLedger`; `close()` it when done. */
export class Ledger {
  private closed = false;

  /** @internal use `openLedger`. */
  constructor(
    private readonly db: SqlDriver,
    /** Absolute path of the ledger file (or ":memory:"), or its postgres:// URL without credentials. */
    readonly path: string,
    private readonly now: () => Date,
    /** True when this is a snapshot copy of a file this process cannot write (nothing written lands). */
    readonly isSnapshot = false,
  ) {}

  /** The database connection (the rate limiter and the sweep queue keep their tables beside the ledger's). */
  get driver(): SqlDriver {
    return this.db;
  }

  /** "sqlite" (a file, the default) or "postgres" (a shared server). */
  get dialect(): SqlDriver["dialect"] {
    return this.db.dialect;
  }

  /**
   * Where the response cache lives by default when the ledger does: the ledger's Postgres database
   * (its URL, credentials included: never print it), or undefined for a SQLite ledger (the cache file).
   */
  sharedCacheLocation(): string | undefined {
    return this.db instanceof PostgresDriver ? this.db.connectionUrl : undefined;
  }

  /**
   * Run `fn` in one transaction (nested calls become savepoints): all its writes land, or none. It takes
   * the write lock up front (SQLite: IMMEDIATE; Postgres: an advisory lock), so concurrent writers wait
   * instead of failing on a lock upgrade or racing for the next sequence number.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  /**
   * Record a new run (status "running") and return its id, e.g. `antonyms-7f3a2c`: the task's name
   * and a hash of the config, creation time and a counter, unique within the file. The config is
   * checked (UserError on a bad field) and must not hold secrets (see `assertNoSecrets`).
   */
  createRun(input: RunConfig): string {
    const config = parseRunConfig(input);
    assertNoSecrets(config);
    const json = JSON.stringify(config);
    const createdAt = this.now().toISOString();
    return this.transaction(() => {
      let id = "";
      for (let attempt = 0; ; attempt++) {
        id = makeRunId(config.task, json, createdAt, attempt);
        if (this.db.value("SELECT 1 FROM runs WHERE id = ?", [id]) === undefined) break;
      }
      const seq = (this.db.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs") as number) ?? 1;
      this.db.run(
        `INSERT INTO runs (id, seq, task, method, target, config, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
        [id, seq, config.task, config.method, config.target, json, createdAt, createdAt],
      );
      return id;
    });
  }

  /** The first run whose stored configuration equals `config` (e.g. a sweep cell's), or undefined. */
  findRunByConfig(config: RunConfig): string | undefined {
    const wanted = parseRunConfig(config);
    const rows = this.db.all<{ id: string; config: string }>(
      "SELECT id, config FROM runs WHERE task = ? AND method = ? AND target = ? ORDER BY seq",
      [wanted.task, wanted.method, wanted.target],
    );
    return rows.find((r) => sameRunConfig(JSON.parse(r.config) as RunConfig, wanted))?.id;
  }

  /**
   * The run of `config`: the existing one, or a new one; in one transaction, so that processes on
   * several machines asking for the same configuration at once get the same run.
   */
  findOrCreateRun(config: RunConfig): { id: string; created: boolean } {
    return this.transaction(() => {
      const id = this.findRunByConfig(config);
      return id !== undefined ? { id, created: false } : { id: this.createRun(config), created: true };
    });
  }

  /**
   * The full id of a run given its id or a unique prefix of it. UserError for an unknown id (saying
   * that `instructzero runs` lists them) or an ambiguous prefix.
   */
  resolveRunId(idOrPrefix: string): string {
    if (this.db.get("SELECT 1 FROM runs WHERE id = ?", [idOrPrefix])) return idOrPrefix;
    const matches =
      idOrPrefix.length > 0
        ? (this.db.column("SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY seq", [
            idOrPrefix.length,
            idOrPrefix,
          ]) as string[])
        : [];
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new UserError(
        `run id "${idOrPrefix}" is ambiguous in ${this.path}: it starts ${matches.slice(0, 5).join(", ")}${matches.length > 5 ? " ..." : ""}`,
      );
    }
    throw this.unknownRun(idOrPrefix);
  }

  /** One run (id or unique id prefix); UserError if unknown. */
  getRun(id: string): RunRecord {
    const row = this.db.get("SELECT * FROM runs WHERE id = ?", [this.resolveRunId(id)]) as RunRow;
    return this.withLiveStatus(toRecord(row));
  }

  /**
   * A "running" run whose process is gone (no lock, or a stale one) is shown as "interrupted": it can
   * be resumed. The stored status is not changed by reading.
   */
  private withLiveStatus<T extends { id: string; status: RunStatus; statusMessage: string | null }>(
    rec: T,
  ): T {
    if (rec.status !== "running") return rec;
    const holder = this.lockHolder(rec.id);
    if (holder && !this.isStale(holder)) return rec;
    return {
      ...rec,
      status: "interrupted",
      statusMessage: holder
        ? `its process ${holder.pid} on ${holder.host} stopped (last heartbeat ${holder.heartbeatAt}); resume it`
        : "its process stopped before finishing; resume it",
    };
  }

  /** The live holder of a run's lock, or null. */
  lockHolder(runId: string): RunLockHolder | null {
    const row = this.db.get("SELECT pid, host, acquired_at, heartbeat_at FROM run_locks WHERE run_id = ?", [
      runId,
    ]) as { pid: number; host: string; acquired_at: string; heartbeat_at: string } | undefined;
    return row
      ? { pid: row.pid, host: row.host, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at }
      : null;
  }

  /** A holder whose heartbeat is too old, or whose process on this host no longer exists. */
  isStale(h: RunLockHolder): boolean {
    if (this.now().getTime() - Date.parse(h.heartbeatAt) > runLockStaleMs()) return true;
    if (h.host !== hostname()) return false;
    if (h.pid === process.pid) return false;
    try {
      process.kill(h.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ESRCH";
    }
  }

  /**
   * Take the run's lock: one process at a time runs a run. A lock held by a live process (this host:
   * the process exists; another host: a heartbeat within RUN_LOCK_STALE_MS) is a RunLockedError naming
   * the holder; a stale one (its process died) is taken over. The lock's heartbeat is refreshed every
   * RUN_LOCK_HEARTBEAT_MS until `release()`.
   */
  acquireRunLock(runId: string): RunLock {
    const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
    this.transaction(() => {
      this.requireRun(runId);
      const holder = this.lockHolder(runId);
      if (holder && !this.isStale(holder)) {
        const ago = Math.max(0, Math.round((this.now().getTime() - Date.parse(holder.heartbeatAt)) / 1000));
        throw new RunLockedError(
          `run ${runId} is being run by process ${holder.pid} on ${holder.host} (since ${holder.acquiredAt}, last heartbeat ${ago} s ago); ` +
            "wait for it to finish or stop it (Ctrl-C) before resuming",
          holder,
        );
      }
      const at = this.now().toISOString();
      this.db.run(
        `INSERT INTO run_locks (run_id, owner, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
             acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
        [runId, owner, process.pid, hostname(), at, at],
      );
    });
    let released = false;
    const heartbeat = () => {
      if (released || this.closed) return;
      this.db.run("UPDATE run_locks SET heartbeat_at = ? WHERE run_id = ? AND owner = ?", [
        this.now().toISOString(),
        runId,
        owner,
      ]);
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
      heartbeat,
      release: () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        if (!this.closed) this.db.run("DELETE FROM run_locks WHERE run_id = ? AND owner = ?", [runId, owner]);
      },
    };
  }

  /**
   * Log a request about to be sent (state "pending", cost = its worst case), before it is sent; returns
   * its number for {@link closeSpend}. A pending entry left by a process that died (a crash with the
   * request in flight) becomes "lost" when the run resumes ({@link markLostSpend}) and is counted as paid
   * at its worst case: the provider may have answered it.
   */
  openSpend(runId: string, entry: { phase: string; source: string; worstCostUsd: number }): number {
    return this.transaction(() => {
      const seq = this.db.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM spend WHERE run_id = ?", [
        runId,
      ]) as number;
      this.db.run(
        `INSERT INTO spend (run_id, seq, state, phase, source, input_tokens, output_tokens, cost_usd, at)
           VALUES (?, ?, 'pending', ?, ?, 0, 0, ?, ?)`,
        [runId, seq, entry.phase, entry.source, entry.worstCostUsd, this.now().toISOString()],
      );
      return seq;
    });
  }

  /** Settle a pending request: paid (its real usage), or `null` when nothing was paid (failed, cached). */
  closeSpend(runId: string, seq: number, paid: SpendEntry | null): void {
    if (paid === null) {
      this.db.run("DELETE FROM spend WHERE run_id = ? AND seq = ? AND state = 'pending'", [runId, seq]);
      return;
    }
    this.db.run(
      `UPDATE spend SET state = 'paid', phase = ?, source = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, at = ?
         WHERE run_id = ? AND seq = ?`,
      [
        paid.phase,
        paid.source,
        paid.inputTokens,
        paid.outputTokens,
        paid.costUsd,
        this.now().toISOString(),
        runId,
        seq,
      ],
    );
  }

  /** Record one paid request at once (no pending step). */
  recordSpend(runId: string, entry: SpendEntry): void {
    this.transaction(() => {
      const seq = this.openSpend(runId, { phase: entry.phase, source: entry.source, worstCostUsd: 0 });
      this.closeSpend(runId, seq, entry);
    });
  }

  /**
   * Requests a previous session of the run left pending (it died with them in flight) become "lost":
   * counted as paid at their worst case. Call it holding the run's lock. Returns how many.
   */
  markLostSpend(runId: string): number {
    return this.db.run("UPDATE spend SET state = 'lost' WHERE run_id = ? AND state = 'pending'", [runId])
      .changes;
  }

  /**
   * A run's paid requests summed per source ("target", "proposer", "judge"), optionally of one phase:
   * answered ones and those lost in a crash (at their worst case; `lost` says how many); pending ones
   * (in flight now) are not included.
   */
  spendBySource(runId: string, phase?: string): Record<string, SpendTotals> {
    this.requireRun(runId);
    const rows = this.db.all(
      `SELECT source, COUNT(*) AS calls, SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cost_usd) AS c,
              SUM(CASE WHEN state = 'lost' THEN 1 ELSE 0 END) AS lost
         FROM spend WHERE run_id = ? AND state != 'pending'${phase === undefined ? "" : " AND phase = ?"} GROUP BY source`,
      phase === undefined ? [runId] : [runId, phase],
    ) as {
      source: string;
      calls: number;
      i: number;
      o: number;
      c: number;
      lost: number;
    }[];
    const out: Record<string, SpendTotals> = {};
    for (const r of rows)
      out[r.source] = { calls: r.calls, inputTokens: r.i, outputTokens: r.o, costUsd: r.c, lost: r.lost };
    return out;
  }

  /**
   * Change a run's spending limits (`maxCalls`, `maxCost`; `null` removes one), e.g. to continue a run
   * that stopped at its budget. Nothing else of a run's configuration can change: it defines the run.
   */
  updateLimits(runId: string, limits: { maxCalls?: number | null; maxCost?: number | null }): RunConfig {
    return this.transaction(() => {
      const id = this.resolveRunId(runId);
      const config: RunConfig = { ...this.getRun(id).config };
      for (const key of ["maxCalls", "maxCost"] as const) {
        const v = limits[key];
        if (v === null) delete config[key];
        else if (v !== undefined) config[key] = v;
      }
      parseRunConfig(config);
      this.db.run("UPDATE runs SET config = ?, updated_at = ? WHERE id = ?", [
        JSON.stringify(config),
        this.now().toISOString(),
        id,
      ]);
      return config;
    });
  }

  /** Every run in creation order, with evaluation counts, best score and cost. */
  listRuns(): RunSummary[] {
    const rows = this.db.all(`SELECT r.*, COUNT(e.idx) AS n, MAX(e.score) AS best,
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
        this.db.all(
          "SELECT run_id, COUNT(*) AS n, SUM(cost_usd) AS c FROM spend WHERE state != 'pending' GROUP BY run_id",
        ) as {
          run_id: string;
          n: number;
          c: number;
        }[]
      ).map((r) => [r.run_id, r]),
    );
    return rows.map((row) => {
      const rec = this.withLiveStatus(toRecord(row));
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

  /**
   * Record one evaluation, atomically. Idempotent on (runId, index): re-appending an index whose
   * stored result (iteration, z, instruction, score, scores, outputs, reused) is identical is a
   * no-op that keeps the first record (its calls/tokens/cost/timings are not compared, since a
   * resumed run replays from cache); a different result throws LedgerConflictError. Indices may
   * arrive in any order. Returns true when the record was added, false for a no-op.
   */
  appendEvaluation(runId: string, record: EvaluationRecord): boolean {
    validateRecord(record);
    const rec = canonicalRecord(record);
    return this.transaction(() => {
      const run = this.requireRun(runId);
      const prev = this.db.value("SELECT record FROM evaluations WHERE run_id = ? AND idx = ?", [
        runId,
        rec.index,
      ]) as string | undefined;
      if (prev !== undefined) {
        const old = JSON.parse(prev) as EvaluationRecord;
        if (resultKey(old) === resultKey(rec)) return false;
        throw new LedgerConflictError(
          `run ${runId}: evaluation ${rec.index} is already recorded with a different result ` +
            `(stored instruction ${JSON.stringify(old.instruction.slice(0, 80))}, score ${old.score}; ` +
            `new instruction ${JSON.stringify(rec.instruction.slice(0, 80))}, score ${rec.score}). ` +
            `The run is not reproducible with this setup (changed model, data or options?).`,
        );
      }
      if (run.status === "completed") {
        throw new Error(`run ${runId} is completed; it cannot take more evaluations`);
      }
      const at = this.now().toISOString();
      this.db.run(
        `INSERT INTO evaluations (run_id, idx, iteration, instruction, score, calls, cost_usd, record, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          runId,
          rec.index,
          rec.iteration,
          rec.instruction,
          rec.score,
          rec.calls,
          rec.costUsd,
          JSON.stringify(rec),
          at,
        ],
      );
      this.touch(runId, at);
      return true;
    });
  }

  /** All evaluations of a run, by index. */
  evaluations(runId: string): EvaluationRecord[] {
    this.requireRun(runId);
    const rows = this.db.column("SELECT record FROM evaluations WHERE run_id = ? ORDER BY idx", [
      runId,
    ]) as string[];
    return rows.map((r) => JSON.parse(r) as EvaluationRecord);
  }

  /** Number of evaluations recorded for a run. */
  countEvaluations(runId: string): number {
    this.requireRun(runId);
    return this.db.value("SELECT COUNT(*) FROM evaluations WHERE run_id = ?", [runId]) as number;
  }

  /** Store an optimiser checkpoint value (any JSON value) under `key`; `undefined` deletes it. */
  setState(runId: string, key: string, value: unknown): void {
    this.transaction(() => {
      this.requireRun(runId);
      const at = this.now().toISOString();
      if (value === undefined) {
        this.db.run("DELETE FROM state WHERE run_id = ? AND key = ?", [runId, key]);
      } else {
        const json = JSON.stringify(value);
        this.db.run(
          `INSERT INTO state (run_id, key, value, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [runId, key, json, at],
        );
      }
      this.touch(runId, at);
    });
  }

  /** A checkpoint value stored by `setState`, or undefined. */
  getState<T = unknown>(runId: string, key: string): T | undefined {
    this.requireRun(runId);
    const v = this.db.value("SELECT value FROM state WHERE run_id = ? AND key = ?", [runId, key]) as
      | string
      | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  /** Keys of a run's checkpoint values. */
  stateKeys(runId: string): string[] {
    this.requireRun(runId);
    return this.db.column("SELECT key FROM state WHERE run_id = ? ORDER BY key", [runId]) as string[];
  }

  /**
   * Keep a run's example set (e.g. "validation": the inputs and answers behind each record's
   * `scores`/`outputs`, "test") so reports can show input / expected / output per example.
   */
  setExamples(runId: string, split: string, examples: Example[]): void {
    this.transaction(() => {
      this.requireRun(runId);
      this.db.run(
        `INSERT INTO examples (run_id, split, examples) VALUES (?, ?, ?)
           ON CONFLICT (run_id, split) DO UPDATE SET examples = excluded.examples`,
        [runId, split, JSON.stringify(examples.map((e) => ({ input: e.input, answers: e.answers })))],
      );
    });
  }

  /**
   * Keep the examples of a task given in memory (with their sha256), so the run can be resumed
   * without them. Storing different examples for the same run is an error.
   */
  setTaskExamples(runId: string, sha256: string, examples: Example[]): void {
    this.transaction(() => {
      this.requireRun(runId);
      const prev = this.db.value("SELECT sha256 FROM task_examples WHERE run_id = ?", [runId]);
      if (prev !== undefined) {
        if (prev !== sha256) throw new LedgerConflictError(`run ${runId} already stores other task examples`);
        return;
      }
      this.db.run("INSERT INTO task_examples (run_id, sha256, examples) VALUES (?, ?, ?)", [
        runId,
        sha256,
        JSON.stringify(examples.map((e) => ({ input: e.input, answers: e.answers }))),
      ]);
    });
  }

  /** The in-memory task examples stored by `setTaskExamples`, or null. */
  getTaskExamples(runId: string): { sha256: string; examples: Example[] } | null {
    this.requireRun(runId);
    const row = this.db.get("SELECT sha256, examples FROM task_examples WHERE run_id = ?", [runId]) as
      | { sha256: string; examples: string }
      | undefined;
    return row ? { sha256: row.sha256, examples: JSON.parse(row.examples) as Example[] } : null;
  }

  /** An example set stored by `setExamples`, or null. */
  getExamples(runId: string, split: string): Example[] | null {
    this.requireRun(runId);
    const v = this.db.value("SELECT examples FROM examples WHERE run_id = ? AND split = ?", [runId, split]) as
      | string
      | undefined;
    return v === undefined ? null : (JSON.parse(v) as Example[]);
  }

  /** Set a run's status ("interrupted", "stopped", "failed" ... ) with an optional message (e.g. the error). */
  setStatus(runId: string, status: RunStatus, message?: string): void {
    if (!RUN_STATUSES.includes(status)) throw new TypeError(`unknown run status "${status}"`);
    this.transaction(() => {
      this.requireRun(runId);
      this.db.run("UPDATE runs SET status = ?, status_message = ?, updated_at = ? WHERE id = ?", [
        status,
        message ?? null,
        this.now().toISOString(),
        runId,
      ]);
    });
  }

  /** Record the final result (chosen evaluation, test score, totals) and mark the run "completed". */
  finishRun(runId: string, result: RunResult): void {
    validateResult(runId, result);
    this.transaction(() => {
      this.requireRun(runId);
      const has = this.db.get("SELECT 1 FROM evaluations WHERE run_id = ? AND idx = ?", [
        runId,
        result.bestIndex,
      ]);
      if (!has) throw new TypeError(`finishRun(${runId}): no evaluation with index ${result.bestIndex}`);
      const at = this.now().toISOString();
      const stored: RunResult = { ...result };
      this.db.run(
        `UPDATE runs SET status = 'completed', status_message = NULL, result = ?, finished_at = ?, updated_at = ?
           WHERE id = ?`,
        [JSON.stringify(stored), at, at, runId],
      );
    });
  }

  /** A provider batch of a run (`--batch-api`), by its key; undefined when none is recorded. */
  getBatchJob(runId: string, key: string): BatchJobRecord | undefined {
    const row = this.db.get("SELECT * FROM batch_jobs WHERE run_id = ? AND key = ?", [runId, key]) as
      | BatchJobRow
      | undefined;
    return row && batchJobOf(row);
  }

  /** Record (insert or replace) a provider batch of a run; its creation time is kept. Committed on return. */
  putBatchJob(runId: string, job: BatchJobRecord): void {
    const at = this.now().toISOString();
    this.db.run(
      `INSERT INTO batch_jobs (run_id, key, provider, model, file_id, batch_id, status, attempt, custom_ids, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, key) DO UPDATE SET provider = excluded.provider, model = excluded.model,
           file_id = excluded.file_id, batch_id = excluded.batch_id, status = excluded.status,
           attempt = excluded.attempt, custom_ids = excluded.custom_ids, updated_at = excluded.updated_at`,
      [
        runId,
        job.key,
        job.provider,
        job.model,
        job.fileId,
        job.batchId,
        job.status,
        job.attempt,
        JSON.stringify(job.customIds),
        at,
        at,
      ],
    );
  }

  /** A run's provider batches in creation order; `open`: only those not yet collected (to resume or cancel). */
  batchJobs(runId: string, options: { open?: boolean } = {}): BatchJobRecord[] {
    const rows = this.db.all(
      `SELECT * FROM batch_jobs WHERE run_id = ?${options.open ? " AND status != 'collected'" : ""} ORDER BY created_at, key`,
      [runId],
    ) as BatchJobRow[];
    return rows.map(batchJobOf);
  }

  /**
   * The {@link BatchStore} of a run, for the batch black box. Without `runId` (a new run is created after
   * its black box), the run is found at first use: the one whose lock this process took since this call
   * (the black box is first used by the running run, which holds its lock).
   */
  batchStore(runId?: string): BatchStore {
    const since = this.now().toISOString();
    let id = runId;
    const run = (): string => {
      id ??= this.runLockedSince(since);
      return id;
    };
    return {
      get: (key) => this.getBatchJob(run(), key),
      put: (job) => this.putBatchJob(run(), job),
      open: () => this.batchJobs(run(), { open: true }),
    };
  }

  /** The run this process locked at or after `since` (else its only locked run); else an error. */
  private runLockedSince(since: string): string {
    const held = this.db.all("SELECT run_id, acquired_at FROM run_locks WHERE host = ? AND pid = ?", [
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

  /** Close the connection (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private touch(runId: string, at: string): void {
    this.db.run("UPDATE runs SET updated_at = ? WHERE id = ?", [at, runId]);
  }

  private requireRun(runId: string): { status: RunStatus } {
    const row = this.db.get("SELECT status FROM runs WHERE id = ?", [runId]) as
      | { status: RunStatus }
      | undefined;
    if (!row) throw this.unknownRun(runId);
    return row;
  }

  private unknownRun(id: string): UserError {
    return new UserError(`unknown run "${id}" in ledger ${this.path}; \`instructzero runs\` lists the runs`);
  }
}

/** Two run configurations are the same run: every field equal (as JSON), whatever the key order. */
export function sameRunConfig(a: RunConfig, b: RunConfig): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) return false;
  return true;
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

/** A row of batch_jobs. */
interface BatchJobRow {
  run_id: string;
  key: string;
  provider: string;
  model: string;
  file_id: string | null;
  batch_id: string | null;
  status: string;
  attempt: number;
  custom_ids: string;
  created_at: string;
  updated_at: string;
}

function batchJobOf(r: BatchJobRow): BatchJobRecord {
  return {
    key: r.key,
    provider: r.provider as BatchProviderName,
    model: r.model,
    fileId: r.file_id,
    batchId: r.batch_id,
    status: r.status,
    attempt: r.attempt,
    customIds: JSON.parse(r.custom_ids) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
