/**
 * One synchronous SQL interface over the two stores of the run ledger and the response cache: SQLite
 * (embedded, the default: better-sqlite3) and PostgreSQL (shared by many machines: the `pg` client in a
 * worker thread, called synchronously through synckit). The optimiser calls the ledger synchronously
 * everywhere, so both drivers keep that interface.
 *
 * SQL is written once with `?` placeholders; the Postgres driver numbers them ($1, $2 ...). What differs
 * between the dialects (DDL types, catalogue queries, pragmas) is chosen by `dialect`.
 */

/** The SQL dialect of a driver. */
export type Dialect = "sqlite" | "postgres";

/** A value bound to a placeholder. */
export type SqlValue = string | number | bigint | null;

/** What a write statement changed. */
export interface RunInfo {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** A synchronous connection to one database. */
export interface SqlDriver {
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

/** True for a PostgreSQL connection URL (postgres:// or postgresql://). */
export function isPostgresUrl(location: string | undefined): location is string {
  return typeof location === "string" && /^postgres(ql)?:\/\//i.test(location.trim());
}
