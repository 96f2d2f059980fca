/**
 * One synchronous SQL interface over the stores of the run ledger, the response cache, the rate limiter
 * and the sweep queue's tables: SQLite (embedded, the default: better-sqlite3) and PostgreSQL (shared by
 * many machines: the `pg` client in a worker thread, called synchronously through synckit). The
 * optimiser calls the ledger synchronously everywhere, so every driver keeps that interface.
 *
 * SQL is written once with `?` placeholders; the Postgres driver numbers them ($1, $2 ...). What differs
 * between the backends (DDL types, catalogue queries, pragmas, the clock) is in the driver's
 * {@link Dialect} object, never spelled out by the callers.
 */

/** The name of a driver's SQL dialect. */
export type DialectName = string;

/** A value bound to a placeholder. */
export type SqlValue = string | number | bigint | null;

/** What a write statement changed. */
export interface RunInfo {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/**
 * The SQL primitives that differ between backends, kept in one object per backend (as pg-boss keeps
 * its SQL in one place): everything else is written once in portable SQL.
 */
export interface Dialect {
  /** The backend's name ("sqlite", "postgres"). */
  readonly name: DialectName;
  /**
   * True when the database is a file of ours alone (SQLite): any table in it is ours. False for a
   * server database that may hold other tables (the job queue's, the user's own).
   */
  readonly ownsDatabase: boolean;
  /** The column type of a 64-bit integer (milliseconds since 1970). */
  readonly bigint: string;
  /** SQLite DDL (REAL, WITHOUT ROWID ...) in this dialect. */
  ddl(sql: string): string;
  /** The tables of the connection's database (Postgres: of its current schema). */
  tables(db: SqlDriver): string[];
  /** True when the table exists (Postgres: in the current schema). */
  hasTable(db: SqlDriver, name: string): boolean;
  /** The database's clock in ms since 1970 (Postgres: the server's, so machines need not agree). */
  nowMs(db: SqlDriver): number;
  /**
   * An SQL expression of the server's clock in ms since 1970 (a number with a fraction), or undefined
   * when the database has no clock of its own (SQLite runs in this process: bind `Date.now()`).
   */
  readonly clockMs: string | undefined;
  /** The larger of an integer column and an expression, rounded to an integer, in SQL. */
  greatestInt(column: string, expr: string): string;
  /**
   * `INSERT ... ON CONFLICT (key) DO UPDATE SET` every other column: insert a row or replace the
   * columns of the one with the same key.
   */
  upsert(table: string, columns: readonly string[], key: readonly string[]): string;
  /** `INSERT ... ON CONFLICT (key) DO NOTHING`: insert a row unless one with the same key exists. */
  insertOrIgnore(table: string, columns: readonly string[], key: readonly string[]): string;
}

/** A synchronous connection to one database. */
export interface SqlDriver {
  /** The backend's SQL primitives. */
  readonly dialect: Dialect;
  /** Where it is, for messages: a file path, ":memory:", or a postgres:// URL without credentials. */
  readonly location: string;
  /** Run one or more statements without parameters (DDL). */
  exec(sql: string): void;
  /** Run a write statement. */
  run(sql: string, params?: readonly SqlValue[]): RunInfo;
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): T | undefined;
  /** Every row. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): T[];
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(sql: string, params?: readonly SqlValue[]): T | undefined;
  /** The first column of every row. */
  column<T = unknown>(sql: string, params?: readonly SqlValue[]): T[];
  /**
   * Run `fn` in one transaction that takes the write lock up front (SQLite: BEGIN IMMEDIATE; Postgres:
   * a transaction-scoped advisory lock), so concurrent writers queue instead of conflicting; nested
   * calls become savepoints. All of `fn`'s writes land, or none. `lock` names the Postgres lock (writers
   * under different names do not wait for each other) [the ledger's].
   */
  transaction<T>(fn: () => T, lock?: string): T;
  /** True once closed. */
  readonly closed: boolean;
  /** Close the connection (idempotent). */
  close(): void;
}

/**
 * One kind of store, declared by its driver module and listed in ./backends.ts: which locations are
 * its, how connections to them are shared, and how to connect.
 */
export interface Backend {
  readonly name: DialectName;
  /** Its SQL primitives. */
  readonly dialect: Dialect;
  /** True when `location` is this backend's (the file backend, last, takes everything else). */
  claims(location: string): boolean;
  /** The key under which connections to `location` are shared in a process (undefined: never shared). */
  key(location: string): string | undefined;
  /** Connect; `what` names the store in messages ("run ledger", "response cache"). */
  connect(location: string, what: string): SqlDriver;
  /** True when the location is a local file (it may be missing, checked, copied). */
  readonly isFile: boolean;
}

/** The column list and placeholders of an INSERT. */
export function insertInto(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
}

/** `INSERT ... ON CONFLICT (key) DO UPDATE SET c = excluded.c` for every non-key column (SQLite and Postgres alike). */
export function upsertOnConflict(table: string, columns: readonly string[], key: readonly string[]): string {
  const set = columns.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
  return `${insertInto(table, columns)} ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${set.join(", ")}`;
}
