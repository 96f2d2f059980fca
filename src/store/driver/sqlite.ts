/** The SQLite driver: better-sqlite3, one prepared statement cached per SQL text. */
import type Database from "better-sqlite3";
import type { RunInfo, SqlDriver, SqlValue } from "./types.js";

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
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
