/**
 * The PostgreSQL driver: the synchronous {@link SqlDriver} interface over the official `pg` client,
 * which runs in a worker thread (./postgres-worker.ts) that this thread waits on (synckit). A query
 * costs about 0.2-0.4 ms on a local network, so the ledger and the response cache keep their
 * synchronous API on both backends.
 *
 * Write transactions take a transaction-scoped advisory lock first (the equivalent of SQLite's
 * BEGIN IMMEDIATE), so writers from every machine queue instead of conflicting (e.g. on the next run
 * or spend-log number). Every statement outside a transaction commits on its own: an answer or record
 * written is on the server when the call returns, so killing the process loses nothing committed.
 *
 * The connection URL may hold a password: it is kept in memory only; `location` is the URL without it.
 *
 * Postgres text cannot hold NUL characters, which SQLite stores (a generator may write one into an
 * instruction, a model into an answer): strings are escaped on the way in and back (U+0000 as U+E000
 * "0", U+E000 itself doubled), so both backends give back exactly what was stored.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyncFn } from "synckit";
import { InstructZeroError, UserError } from "../util/errors.js";
import { hasUrlPassword, redactUrl, unencodedPasswordProblem } from "../util/redact.js";
import {
  type Backend,
  type Dialect,
  insertInto,
  type RunInfo,
  type SqlDriver,
  type SqlValue,
  upsertOnConflict,
} from "./driver.js";
import type { PgReply, PgRequest } from "./postgres-worker.js";
import { reconnectMs } from "./reconnect.js";

/** The lock name of ledger write transactions (Postgres: an advisory lock key derived from it). */
export const LEDGER_WRITE_LOCK = "instructzero.ledger";

/** An error reported by the server (SQLSTATE in `code`). */
export class PostgresError extends InstructZeroError {
  constructor(
    message: string,
    readonly code?: string,
    readonly detail?: string,
    /** The connection to the server was lost (or never made). */
    readonly lost = false,
  ) {
    super(message);
    this.name = "PostgresError";
  }
}

let call: ((req: PgRequest) => PgReply) | undefined;
let nextId = 1;

/**
 * The worker module: the compiled .js beside this file. Run from the TypeScript sources (the tests), the
 * built copy in dist/ (`npm run build`): the worker imports only `pg` and `synckit`, and Node 20 cannot
 * load a TypeScript worker entry.
 */
function workerPath(): string {
  const dir = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(dir, "postgres-worker.js"), join(dir, "../../dist/db/postgres-worker.js")];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(`the Postgres store needs its worker module (${candidates[0]}): run \`npm run build\``);
  return found;
}

function worker(): (req: PgRequest) => PgReply {
  call ??= createSyncFn<(req: PgRequest) => Promise<PgReply>>(workerPath()) as (req: PgRequest) => PgReply;
  return call;
}

const ESC = "\uE000";
const NUL = "\u0000";

/** A string as stored in Postgres: NUL (which Postgres text refuses) escaped, reversibly. */
export function encodeText(s: string): string {
  if (!s.includes(NUL) && !s.includes(ESC)) return s;
  return s
    .split(ESC)
    .join(ESC + ESC)
    .split(NUL)
    .join(`${ESC}0`);
}

/** The inverse of {@link encodeText}. */
export function decodeText(s: string): string {
  return s.includes(ESC) ? s.replace(/\uE000(\uE000|0)/g, (_, c: string) => (c === ESC ? ESC : NUL)) : s;
}

/** `?` placeholders numbered for Postgres ($1, $2 ...); quoted text is left alone. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let out = "";
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** A 32-bit advisory lock key for a lock name (stable across processes and machines). */
export function advisoryKey(name: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(name, "utf8")) {
    h ^= ch;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** True for a PostgreSQL connection URL (postgres:// or postgresql://). */
export function isPostgresUrl(location: string | undefined): location is string {
  return typeof location === "string" && /^postgres(ql)?:\/\//i.test(location.trim());
}

/** The server's clock in ms (clock_timestamp: the time now, not the transaction's start). */
const PG_CLOCK_MS = "EXTRACT(EPOCH FROM clock_timestamp()) * 1000";

/** PostgreSQL's SQL primitives. */
export const postgresDialect: Dialect = {
  name: "postgres",
  ownsDatabase: false,
  bigint: "BIGINT",
  // no WITHOUT ROWID; 8-byte floats for REAL
  ddl: (sql) => sql.replace(/\)\s*WITHOUT ROWID;/g, ");").replace(/\bREAL\b/g, "DOUBLE PRECISION"),
  tables: (db) =>
    db.column<string>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    ),
  hasTable: (db, name) =>
    db.value(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
      [name],
    ) !== undefined,
  nowMs: (db) => Math.floor(Number(db.value(`SELECT ${PG_CLOCK_MS} AS ms`))),
  clockMs: PG_CLOCK_MS,
  greatestInt: (column, expr) => `GREATEST(${column}, (${expr})::bigint)`,
  upsert: upsertOnConflict,
  insertOrIgnore: (table, columns, key) =>
    `${insertInto(table, columns)} ON CONFLICT (${key.join(", ")}) DO NOTHING`,
};

export class PostgresDriver implements SqlDriver {
  readonly dialect = postgresDialect;
  readonly location: string;
  private readonly id: number;
  private depth = 0;
  private isClosed = false;
  private readonly converted = new Map<string, string>();

  /**
   * Connect to `url` (postgres://user:password@host:port/database?...). A server that cannot be
   * reached or refuses the login is a UserError naming the URL without its password; so is a URL whose
   * password holds an unencoded "/", "?" or "#" (not repeated). Without a password in the URL, `pg`
   * takes it from PGPASSWORD or ~/.pgpass (PGPASSFILE), as libpq does.
   */
  constructor(
    private readonly url: string,
    what = "store",
  ) {
    const problem = unencodedPasswordProblem(url);
    // the URL is not repeated: a password cut at "#", "/" or "?" would show its rest as host or path
    if (problem) throw new UserError(`the ${what} URL cannot be used: ${problem}`);
    this.location = redactUrl(url);
    this.id = nextId++;
    const reply = worker()({
      op: "open",
      id: this.id,
      url,
      applicationName: `instructzero ${hostname()}:${process.pid}`,
    });
    if (!reply.ok) {
      const noPassword = /password/i.test(reply.error.message) && !hasUrlPassword(url);
      throw new UserError(
        `cannot connect to the ${what} ${this.location}: ${redactUrl(reply.error.message)}. ${
          noPassword
            ? "The server wants a password and none was given: set PGPASSWORD or put it in ~/.pgpass (PGPASSFILE), or give the URL with it in INSTRUCTZERO_STORE."
            : "Check that the server runs and that the URL (host, port, database, user) is right."
        }`,
      );
    }
  }

  /** The connection URL with its credentials (to share the same database, e.g. the response cache). */
  get connectionUrl(): string {
    return this.url;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  exec(sql: string): void {
    this.query(sql);
  }

  run(sql: string, params: readonly SqlValue[] = []): RunInfo {
    return { changes: this.query(this.sql(sql), params).rowCount };
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.query(this.sql(sql), params).rows[0] as T | undefined;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.query(this.sql(sql), params).rows as T[];
  }

  value<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    const row = this.get<Record<string, unknown>>(sql, params);
    return row === undefined ? undefined : (Object.values(row)[0] as T);
  }

  column<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.all<Record<string, unknown>>(sql, params).map((r) => Object.values(r)[0] as T);
  }

  /**
   * See {@link SqlDriver.transaction}. An outermost transaction cut by a lost connection (the server
   * restarted) is run again once the connection is back, within the reconnection window
   * (INSTRUCTZERO_RECONNECT_MS): the server rolled it back, and the ledger's writes are idempotent or
   * err on the side of counting (a request logged twice as pending counts twice, never zero times).
   */
  transaction<T>(fn: () => T, lock: string = LEDGER_WRITE_LOCK): T {
    if (this.depth > 0) return this.transactionOnce(fn, lock);
    const deadline = Date.now() + reconnectMs();
    for (;;) {
      try {
        return this.transactionOnce(fn, lock);
      } catch (err) {
        if (!(err instanceof PostgresError && err.lost) || Date.now() >= deadline) throw err;
      }
    }
  }

  private transactionOnce<T>(fn: () => T, lock: string): T {
    const outer = this.depth === 0;
    if (outer) this.query(`BEGIN; SELECT pg_advisory_xact_lock(${advisoryKey(lock)})`);
    else this.query(`SAVEPOINT sp${this.depth}`);
    this.depth++;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.depth--;
      try {
        this.query(outer ? "ROLLBACK" : `ROLLBACK TO SAVEPOINT sp${this.depth}`);
      } catch {
        // the connection is gone: the server rolled the transaction back
      }
      throw err;
    }
    this.depth--;
    this.query(outer ? "COMMIT" : `RELEASE SAVEPOINT sp${this.depth}`);
    return result;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    worker()({ op: "close", id: this.id });
  }

  private sql(text: string): string {
    let s = this.converted.get(text);
    if (s === undefined) {
      s = numberPlaceholders(text);
      this.converted.set(text, s);
    }
    return s;
  }

  private query(
    sql: string,
    params: readonly SqlValue[] = [],
  ): { rows: Record<string, unknown>[]; rowCount: number } {
    if (this.isClosed) throw new Error(`the store ${this.location} is closed`);
    const request: PgRequest = {
      op: "query",
      id: this.id,
      sql,
      params: params.map((p) =>
        typeof p === "bigint" ? p.toString() : typeof p === "string" ? encodeText(p) : p,
      ),
      reconnect: this.depth === 0,
      reconnectMs: reconnectMs(),
    };
    let reply = worker()(request);
    // a statement outside a transaction cut by a lost connection: once more on a new connection (made
    // with backoff for the reconnection window); the ledger's single statements are reads or idempotent
    if (!reply.ok && reply.error.lost && this.depth === 0) reply = worker()(request);
    if (reply.ok) {
      for (const row of reply.rows)
        for (const [k, v] of Object.entries(row)) if (typeof v === "string") row[k] = decodeText(v);
      return reply;
    }
    const { message, code, detail, lost } = reply.error;
    throw new PostgresError(
      lost
        ? `the store ${this.location} cannot be reached: ${redactUrl(message)}`
        : `${redactUrl(message)} (store ${this.location})`,
      code,
      detail,
      lost,
    );
  }
}

/** PostgreSQL as a store backend: a postgres:// URL, one connection per URL and process. */
export const postgresBackend: Backend = {
  name: "postgres",
  dialect: postgresDialect,
  claims: isPostgresUrl,
  key: (url) => url.trim(),
  connect: (url, what) => new PostgresDriver(url.trim(), what),
  isFile: false,
};
