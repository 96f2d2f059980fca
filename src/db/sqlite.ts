/**
 * The SQLite backend (the default: a file, or ":memory:"): the driver over better-sqlite3 with one
 * prepared statement cached per SQL text, its dialect object, and the one way this project opens and
 * checks a SQLite file (busy timeout, WAL, integrity check, the failures that mean "damaged").
 */
import Database from "better-sqlite3";
import {
  type Backend,
  type Dialect,
  insertInto,
  type RunInfo,
  type SqlDriver,
  type SqlValue,
  upsertOnConflict,
} from "./driver.js";

/** SQLite's SQL primitives. */
export const sqliteDialect: Dialect = {
  name: "sqlite",
  ownsDatabase: true,
  bigint: "INTEGER",
  ddl: (sql) => sql,
  tables: (db) => db.column<string>("SELECT name FROM sqlite_master WHERE type = 'table'"),
  hasTable: (db, name) =>
    db.value("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) !== undefined,
  nowMs: () => Date.now(),
  clockMs: undefined,
  greatestInt: (column, expr) => `max(${column}, CAST(ROUND(${expr}) AS INTEGER))`,
  upsert: upsertOnConflict,
  insertOrIgnore: (table, columns, key) =>
    `${insertInto(table, columns)} ON CONFLICT (${key.join(", ")}) DO NOTHING`,
};

export class SqliteDriver implements SqlDriver {
  readonly dialect = sqliteDialect;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly plucked = new Map<string, Database.Statement>();
  private isClosed = false;

  constructor(
    /** The open database (SQLite-specific set-up, pragmas and checks use it directly). */
    readonly db: Database.Database,
    readonly location: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  run(sql: string, params: readonly SqlValue[] = []): RunInfo {
    return { changes: this.stmt(sql).run(...params).changes };
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  value<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.pluck(sql).get(...params) as T | undefined;
  }

  column<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.pluck(sql).all(...params) as T[];
  }

  transaction<T>(fn: () => T): T {
    // IMMEDIATE: take the write lock up front, so concurrent writers wait (busy_timeout) instead of
    // failing on a read-to-write lock upgrade. Nested calls become savepoints.
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.db.open) this.db.close();
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private pluck(sql: string): Database.Statement {
    let st = this.plucked.get(sql);
    if (!st) {
      st = this.db.prepare(sql).pluck();
      this.plucked.set(sql, st);
    }
    return st;
  }
}

/** Open a SQLite file (or ":memory:") with a 5 s busy timeout; errors are better-sqlite3's own. */
export function connectSqlite(file: string, location: string = file): SqliteDriver {
  const db = new Database(file);
  const driver = new SqliteDriver(db, location);
  try {
    db.pragma("busy_timeout = 5000");
  } catch (err) {
    driver.close();
    throw err;
  }
  return driver;
}

/**
 * The settings every store file runs with, once it is known to be sound: WAL (a file only: readers
 * never wait for the writer), synchronous NORMAL (a commit survives a process crash), foreign keys on.
 */
export function tuneSqlite(driver: SqliteDriver): void {
  if (driver.db.name !== ":memory:") driver.db.pragma("journal_mode = WAL");
  driver.db.pragma("synchronous = NORMAL");
  driver.db.pragma("foreign_keys = ON");
}

/**
 * What SQLite's `quick_check` (every page and b-tree structure; not integrity_check's index-to-table
 * cross-check) found wrong, or undefined when the file is sound. `limit` stops at the first problems
 * (quick_check(1): measured ~10 ms for a 20 MB file in the page cache, ~1 s per 100 MB cold).
 */
export function sqliteIntegrityProblem(driver: SqliteDriver, limit?: number): string | undefined {
  const check = driver.db.pragma(limit === undefined ? "quick_check" : `quick_check(${limit})`) as {
    quick_check: string;
  }[];
  if (check.length === 1 && check[0].quick_check === "ok") return undefined;
  return check[0]?.quick_check ?? "no answer";
}

/** What a SQLite failure says about the file: not a database, damaged, unreadable, not writable. */
export type SqliteFailure = "not-a-database" | "damaged" | "unreadable" | "not-writable";

/** The kind of a better-sqlite3 error that is about the file itself, else undefined. */
export function sqliteFailure(err: unknown): SqliteFailure | undefined {
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
  if (code === "SQLITE_NOTADB") return "not-a-database";
  if (code.startsWith("SQLITE_CORRUPT")) return "damaged";
  if (code.startsWith("SQLITE_IOERR")) return "unreadable";
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN")) return "not-writable";
  return undefined;
}

/** SQLite as a store backend: any file path (absolute), or ":memory:" (its own database, never shared). */
export const sqliteBackend: Backend = {
  name: "sqlite",
  dialect: sqliteDialect,
  claims: () => true,
  key: (file) => (file === ":memory:" ? undefined : file),
  connect: (file) => connectSqlite(file),
  isFile: true,
};
