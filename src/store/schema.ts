/**
 * The ledger's tables, their schema version, and what opening a database does with them: check an
 * existing ledger (its version, its tables), create a new one, migrate an older one. The same on every
 * backend: the DDL is written for SQLite and put in the backend's dialect.
 */
import { migrateConfigV1 } from "../config/migrate.js";
import { BACKENDS } from "../db/backends.js";
import type { DialectName, SqlDriver } from "../db/driver.js";
import { UserError } from "../util/errors.js";
import { VERSION } from "../version.js";

/**
 * Version of the ledger's table layout and stored configuration, in `meta.schema_version`.
 * 2: configurations follow src/config/schema.ts (option names of the CLI flags, defaults stored);
 * table task_examples (tasks given in memory). 3: `runs.lock_generation`, the run lock's fencing token
 * (./run-lock.ts). Older ledgers are migrated when opened.
 */
export const LEDGER_SCHEMA_VERSION = 3;

/** What schema version 3 adds: the run lock's generation (fencing token), bumped at every acquisition. */
export const SCHEMA_V3_ADDITIONS = `
ALTER TABLE runs ADD COLUMN lock_generation INTEGER NOT NULL DEFAULT 0;
`;

/** Tables added by schema version 2. */
export const SCHEMA_V2_ADDITIONS = `
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

/** The tables of a new ledger (SQLite DDL). */
export const SCHEMA = `
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
${SCHEMA_V2_ADDITIONS}${SCHEMA_V3_ADDITIONS}`;
/** The ledger's tables. */
export const TABLES = [
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

/** The SQLite DDL above in the dialect of the backend named `dialect` (the dialect object does it). */
export function ddlFor(dialect: DialectName, sql: string): string {
  const backend = BACKENDS.find((b) => b.dialect.name === dialect);
  if (!backend) throw new Error(`no store backend named ${dialect}`);
  return backend.dialect.ddl(sql);
}

/** What opening found: an empty store, a ledger of this version, or one to migrate. */
export type Inspection = "empty" | "ok" | { migrateFrom: number };

/**
 * What an open database holds: nothing of the ledger's ("empty"), a ledger of this version ("ok"), or
 * one of an older version to migrate; `broken` makes the UserError for anything else (another schema
 * version, missing tables, not a ledger). A Postgres database may hold other tables (the job queue's,
 * the user's own): only the ledger's are looked at, in the connection's current schema.
 */
export function inspectTables(db: SqlDriver, broken: (what: string) => UserError): Inspection {
  const tables = db.dialect.tables(db);
  const ours = TABLES.filter((t) => tables.includes(t));
  if (db.dialect.ownsDatabase ? tables.length === 0 : ours.length === 0) return "empty";
  if (!tables.includes("meta")) {
    throw broken(
      db.dialect.ownsDatabase
        ? "is a SQLite database but not an instructzero run ledger (it has no meta table)"
        : `has ledger tables (${ours.join(", ")}) but no meta table: it is not an instructzero run ledger`,
    );
  }
  return checkVersion(db, tables, broken);
}

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

/** Create the tables of a new ledger, unless another process did meanwhile (checked inside the transaction). */
export function createSchema(db: SqlDriver, now: Date): void {
  db.transaction(() => {
    const exists = db.dialect.ownsDatabase
      ? db.dialect.tables(db).length > 0
      : db.dialect.hasTable(db, "meta");
    if (exists) return;
    db.exec(db.dialect.ddl(SCHEMA));
    const put = "INSERT INTO meta (key, value) VALUES (?, ?)";
    db.run(put, ["schema_version", String(LEDGER_SCHEMA_VERSION)]);
    db.run(put, ["created_by", `instructzero ${VERSION}`]);
    db.run(put, ["created_at", now.toISOString()]);
  });
}

/**
 * Bring a ledger of an older schema version to {@link LEDGER_SCHEMA_VERSION}, in one transaction
 * (a failure leaves the file as it was). 1 -> 2: every run's configuration through
 * `migrateConfigV1`, tables task_examples, spend, run_locks and batch_jobs added. 2 -> 3: column
 * runs.lock_generation (0: no lock taken since).
 */
export function migrate(db: SqlDriver, file: string, from: number, now: Date): void {
  db.transaction(() => {
    const v = Number(db.value("SELECT value FROM meta WHERE key = 'schema_version'"));
    if (v !== from) return; // another process migrated it meanwhile
    if (from < 2) migrateV1(db, file);
    if (from < 3) db.exec(db.dialect.ddl(SCHEMA_V3_ADDITIONS));
    db.run("UPDATE meta SET value = ? WHERE key = 'schema_version'", [String(LEDGER_SCHEMA_VERSION)]);
    db.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [`migrated_from_${from}`, `${now.toISOString()} by instructzero ${VERSION}`],
    );
  });
}

/** 1 -> 2: every run's configuration through `migrateConfigV1`, the version-2 tables added. */
function migrateV1(db: SqlDriver, file: string): void {
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
  db.exec(db.dialect.ddl(SCHEMA_V2_ADDITIONS));
}
