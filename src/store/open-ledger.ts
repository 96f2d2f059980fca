/**
 * Opening the run ledger: one SQLite file (WAL mode; the default) or one PostgreSQL database (shared by
 * many machines), through the store floor's `openStore` (src/db). Every write is a transaction, so a
 * process killed at any point leaves the ledger consistent and resumable. A file that is not a ledger
 * is a UserError naming it; it is never modified or deleted.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { isFileLocation, ledgerLocation, normalizeLocation } from "../db/location.js";
import { type Connection, openStore } from "../db/open.js";
import { type SqliteDriver, sqliteFailure, sqliteIntegrityProblem, tuneSqlite } from "../db/sqlite.js";
import { UserError } from "../util/errors.js";
import { Ledger } from "./ledger-class.js";
import { createSchema, type Inspection, inspectTables, migrate } from "./schema.js";

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
  /**
   * A connection of its own instead of the one shared by every opener of the same ledger in this
   * process (tests of concurrent writers; default false).
   */
  ownConnection?: boolean;
}

/**
 * Open (creating when missing) the run ledger at `path`: a file, ":memory:" for a throw-away ledger,
 * a postgres:// URL for a ledger shared by many machines; without one, where the environment says
 * (INSTRUCTZERO_STORE, else `${INSTRUCTZERO_HOME:-~/.instructzero}/runs.sqlite`; see src/db/location.ts).
 * A file that is not a ledger — not SQLite, damaged, truncated, another schema version — is a UserError
 * naming the file and the problem; it is never modified or deleted. Opening the same ledger twice in a
 * process shares one connection.
 */
export function openLedger(path?: string, options: LedgerOptions = {}): Ledger {
  const location = path === undefined ? ledgerLocation() : normalizeLocation(path);
  if (!isFileLocation(location)) return openServerLedger(location, options);
  return openLedgerFile(location, options);
}

function openLedgerFile(file: string, options: LedgerOptions, shownAs?: string): Ledger {
  if (options.readonly && file !== ":memory:" && existsSync(file) && !writable(file)) {
    return openLedgerFile(snapshotOf(file), { ...options, readonly: false, create: false }, file);
  }
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
  let conn: Connection;
  try {
    conn = openStore(file, { what: "run ledger", private: options.ownConnection });
  } catch (err) {
    throw new UserError(`cannot open run ledger ${file}: ${(err as Error).message}`);
  }
  try {
    const state = inspectFile(conn, file);
    tuneSqlite(conn.driver as SqliteDriver);
    prepare(conn, file, state, options);
  } catch (err) {
    conn.close();
    throw err;
  }
  return new Ledger(conn, shownAs ?? file, options.now ?? (() => new Date()), shownAs !== undefined);
}

/**
 * The ledger in a server database (`--store postgres://...`): the same tables, schema version,
 * migrations and guarantees as a SQLite file. Every write transaction takes an advisory lock first, so
 * the writers of every machine queue; each commit is on the server before the call returns.
 */
function openServerLedger(url: string, options: LedgerOptions): Ledger {
  const conn = openStore(url, { what: "run ledger", private: options.ownConnection });
  try {
    const state = inspectTables(
      conn,
      (what) =>
        new UserError(
          `run ledger ${conn.location} ${what}. Nothing was changed; use another database (or schema) in --store.`,
        ),
    );
    if (state === "empty" && options.create === false) {
      throw new UserError(`no run ledger in ${conn.location} (no run has been recorded there yet)`);
    }
    prepare(conn, conn.location, state, options);
  } catch (err) {
    conn.close();
    throw err;
  }
  return new Ledger(conn, conn.location, options.now ?? (() => new Date()));
}

/** Create the tables of an empty store, or migrate an older ledger. */
function prepare(conn: Connection, name: string, state: Inspection, options: LedgerOptions): void {
  // createSchema checks again inside its transaction: another process may be creating the same ledger
  if (state === "empty") createSchema(conn, options.now?.() ?? new Date());
  else if (typeof state === "object") migrate(conn, name, state.migrateFrom, options.now?.() ?? new Date());
}

/** What an existing file holds (SQLite's quick_check first), or a UserError saying why it is not a ledger. */
function inspectFile(conn: Connection, file: string): Inspection {
  const broken = (what: string) =>
    new UserError(
      `run ledger ${file} ${what}. The file was left untouched; move it aside or pass --ledger PATH to use another file.`,
    );
  try {
    const problem = sqliteIntegrityProblem(conn.driver as SqliteDriver);
    if (problem !== undefined) throw broken(`is damaged (SQLite integrity check: ${problem})`);
    return inspectTables(conn, broken);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const failure = sqliteFailure(err);
    if (failure === "not-a-database")
      throw broken("is not a SQLite database (wrong file, or damaged header)");
    if (failure === "damaged") throw broken(`is damaged or truncated (${(err as Error).message})`);
    if (failure === "unreadable") throw broken(`cannot be read (${(err as Error).message})`);
    throw err;
  }
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
