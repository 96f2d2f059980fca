/**
 * Persistent response cache: SQLite (better-sqlite3, WAL; the default) or a table of a PostgreSQL
 * database (a postgres:// URL: shared by many machines, beside the run ledger) mapping a request key
 * to the text and usage of the response the provider gave. Every response is written (and committed)
 * the moment it arrives, so a crash loses nothing that was paid for, and repeating an evaluation
 * issues no request at all.
 *
 * It sits on the store floor (src/db): opened with `openStore`, so a cache in the ledger's Postgres
 * database shares the ledger's connection.
 *
 * Identical requests in flight are shared across processes through the same database: a process about
 * to send a request whose answer is not stored claims its key (table `response_claims`: owner and lease
 * expiry, by the database's clock on Postgres), renews the lease while it works, and releases the claim
 * once the answer is stored or the request failed; another process that finds a live claim waits for
 * the answer instead of paying for it again, and takes the claim over once its lease lapsed (a dead
 * claimant). See {@link ResponseCache.claim}.
 *
 * A damaged file is found when it is opened (SQLite's quick_check), not in the middle of a run: a
 * UserError names the file and says what to do. It is never modified or deleted.
 */
import { createHash } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { cacheLocation, isFileLocation } from "../db/location.js";
import { type Connection, openStore } from "../db/open.js";
import { type SqliteDriver, sqliteFailure, sqliteIntegrityProblem, tuneSqlite } from "../db/sqlite.js";
import { UserError } from "../util/errors.js";
import type { CompletionParams, ProviderResponse } from "./types.js";

/** Everything that determines a response, hashed into the cache key. */
export interface CacheKeyParts {
  provider: string;
  /** Base URL, only when it is not the provider's default (a different server, a different model). */
  baseURL?: string;
  model: string;
  params: CompletionParams;
  prompt: string;
}

/**
 * sha256 (hex) of the canonical JSON of `parts`. Parameters are normalised: absent and undefined
 * fields are the same, an empty stop list is no stop list, keys are sorted.
 */
export function cacheKey(parts: CacheKeyParts): string {
  const p = parts.params;
  const canonical = {
    v: 1,
    provider: parts.provider,
    baseURL: parts.baseURL ?? null,
    model: parts.model,
    params: {
      maxTokens: p.maxTokens ?? null,
      stop: p.stop && p.stop.length > 0 ? [...p.stop] : null,
      system: p.system ?? null,
      temperature: p.temperature ?? null,
    },
    prompt: parts.prompt,
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

/**
 * Where the cache lives: `explicit`, else INSTRUCTZERO_CACHE, else
 * `${XDG_CACHE_HOME:-~/.cache}/instructzero/responses.sqlite`. Any of them may be a postgres:// URL.
 * (The rule itself is src/db/location.ts `cacheLocation`.)
 */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  return cacheLocation(env, explicit);
}

/** Files found sound in this process (path -> size and mtime then): each is checked once. */
const verified = new Map<string, string>();

/** The UserError for a cache file that cannot be used, in the words of the run ledger's. */
function broken(file: string, what: string, cause?: unknown): UserError {
  return new UserError(
    `response cache ${file} ${what}. The file was left untouched; move it aside or delete it (it only ` +
      "holds cached answers: nothing is lost but their reuse), or point --cache / INSTRUCTZERO_CACHE at another file.",
    cause === undefined ? undefined : { cause },
  );
}

/** A SQLite failure on `file` as a UserError when it says the file is damaged; else undefined. */
function damage(file: string, err: unknown): UserError | undefined {
  const message = (err as Error)?.message;
  switch (sqliteFailure(err)) {
    case "not-a-database":
      return broken(file, "is not a SQLite database (wrong file, or damaged header)", err);
    case "damaged":
      return broken(file, `is damaged or truncated (${message})`, err);
    case "unreadable":
      return broken(file, `cannot be read (${message})`, err);
    case "not-writable":
      return new UserError(
        `response cache ${file} cannot be opened for writing (${message}); check its permissions, ` +
          "point --cache / INSTRUCTZERO_CACHE at another file, or pass --no-cache",
        { cause: err },
      );
    default:
      return undefined;
  }
}

/**
 * Throw a UserError when the file at `file` is damaged: SQLite's `quick_check(1)` (see
 * src/db/sqlite.ts), done once per file and process.
 */
function checkIntegrity(driver: SqliteDriver, file: string): void {
  const problem = sqliteIntegrityProblem(driver, 1);
  if (problem !== undefined) {
    const found = problem
      .replace(/\*\*\* in database \w+ \*\*\*/g, "")
      .trim()
      .replace(/\s*\n\s*/g, "; ");
    throw broken(file, `is damaged (SQLite integrity check: ${found})`);
  }
}

/** The cache's table (created_at in ms needs 64 bits). */
function tableSql(db: Connection): string {
  return `CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  text TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  created_at ${db.dialect.bigint} NOT NULL
)`;
}

/** The claims table: who is answering which key, until when (ms since 1970). */
function claimsSql(db: Connection): string {
  return `CREATE TABLE IF NOT EXISTS response_claims (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_ms ${db.dialect.bigint} NOT NULL
)`;
}

/** What {@link ResponseCache.claim} found: the claim is ours, the answer is stored, or another owner holds it. */
export type ClaimResult = "claimed" | "answered" | { heldBy: string };

const COLUMNS = ["key", "provider", "model", "text", "input_tokens", "output_tokens", "created_at"] as const;

/** The response store. One instance per open file or database; safe to share across black boxes. */
export class ResponseCache {
  private readonly db: Connection;
  private readonly putSql: string;

  /** The file as named in messages (absolute), or the database URL without credentials. */
  private readonly file: string;

  /** True when the claims table is usable (requests in flight are shared across processes). */
  claims = false;

  /**
   * Open (creating if needed) the cache at `path`: a file, ":memory:", or a postgres:// URL (the table
   * `responses` of that database, created when missing). A file that is not SQLite, or is damaged (found
   * by an integrity check now, not later), is a UserError naming the file and what to do; so is a
   * database that cannot be reached (named without its password). A database the run ledger has open
   * shares its connection.
   */
  constructor(readonly path: string) {
    if (!isFileLocation(path)) {
      this.db = openStore(path, { what: "response cache" });
      this.file = this.db.location;
      this.path = this.db.location;
      try {
        // concurrent CREATE TABLE IF NOT EXISTS can collide in Postgres: one process at a time
        this.db.transaction(() => {
          this.db.exec(tableSql(this.db));
          this.db.exec(claimsSql(this.db));
        }, "instructzero.cache");
        this.claims = true;
      } catch (err) {
        this.db.close();
        throw new UserError(`response cache ${this.file} is not usable: ${(err as Error).message}`, {
          cause: err,
        });
      }
      this.putSql = this.db.dialect.upsert("responses", COLUMNS, ["key"]);
      return;
    }
    const file = path === ":memory:" ? path : resolve(path);
    this.file = file;
    let stamp: string | undefined; // size and mtime of an existing, non-empty file
    if (file !== ":memory:") {
      try {
        const st = statSync(file);
        if (st.isDirectory()) {
          throw new UserError(
            `response cache ${file} is a directory; point --cache / INSTRUCTZERO_CACHE at a file`,
          );
        }
        if (st.size > 0) stamp = `${st.size}:${st.mtimeMs}`;
      } catch (err) {
        if (err instanceof UserError) throw err;
      }
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (err) {
        throw new UserError(
          `cannot create the folder of response cache ${file}: ${(err as Error).message}; ` +
            "point --cache / INSTRUCTZERO_CACHE elsewhere, or pass --no-cache",
          { cause: err },
        );
      }
    }
    try {
      this.db = openStore(file, { what: "response cache" });
    } catch (err) {
      throw (
        damage(file, err) ??
        new UserError(`cannot open response cache ${file}: ${(err as Error).message}`, { cause: err })
      );
    }
    try {
      const driver = this.db.driver as SqliteDriver;
      if (stamp !== undefined && verified.get(file) !== stamp) {
        checkIntegrity(driver, file);
        verified.set(file, stamp);
      }
      tuneSqlite(driver);
      this.db.exec(tableSql(this.db));
      try {
        this.db.exec(claimsSql(this.db));
        this.claims = true;
      } catch {
        // a cache that cannot be written (read-only file): answers are read, requests not shared
      }
      this.putSql = this.db.dialect.upsert("responses", COLUMNS, ["key"]);
      this.db.get("SELECT text, input_tokens, output_tokens FROM responses WHERE key = ?", [""]);
    } catch (err) {
      this.db.close();
      if (err instanceof UserError) throw err;
      throw (
        damage(file, err) ?? broken(file, `is not a usable response cache (${(err as Error).message})`, err)
      );
    }
  }

  /** The stored response for `key`, if any. */
  get(key: string): ProviderResponse | undefined {
    const row = this.guard(() =>
      this.db.get<{ text: string; input_tokens: number; output_tokens: number }>(
        "SELECT text, input_tokens, output_tokens FROM responses WHERE key = ?",
        [key],
      ),
    );
    if (!row) return undefined;
    return { text: row.text, usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens } };
  }

  /** Store `response` under `key` (replacing any previous one); committed before returning. */
  put(key: string, meta: { provider: string; model: string }, response: ProviderResponse): void {
    this.guard(() =>
      this.db.run(this.putSql, [
        key,
        meta.provider,
        meta.model,
        response.text,
        response.usage.inputTokens,
        response.usage.outputTokens,
        Date.now(),
      ]),
    );
  }

  /**
   * Claim `key` for `owner` for `leaseMs`: "claimed" when no live claim of another owner holds it (none,
   * ours, or one whose lease lapsed: taken over), "answered" when the answer is stored (nothing to
   * send), else who holds it. One statement decides (an upsert that only replaces a lapsed or own claim),
   * so two processes never both get a live claim. Times are the database's clock on Postgres.
   */
  claim(key: string, owner: string, leaseMs: number): ClaimResult {
    if (this.get(key)) return "answered";
    if (!this.claims) return "claimed";
    const now = this.now();
    const changed = this.guard(() =>
      this.db.run(
        `INSERT INTO response_claims (key, owner, expires_ms) VALUES (?, ?, ${now.sql} + ?)
           ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
           WHERE response_claims.owner = excluded.owner OR response_claims.expires_ms < ${now.sql}`,
        [key, owner, ...now.params, Math.round(leaseMs), ...now.params],
      ),
    ).changes;
    if (changed === 0) {
      const holder = this.guard(() =>
        this.db.value<string>("SELECT owner FROM response_claims WHERE key = ?", [key]),
      );
      // released between the upsert and this look: try again next time
      return { heldBy: holder ?? "" };
    }
    // answered and released between the first look and the claim: nothing to send
    if (this.get(key)) {
      this.release(key, owner);
      return "answered";
    }
    return "claimed";
  }

  /**
   * Take over `from`'s claim of `key` for `owner` (its holder is known to be dead: a process of this
   * host that no longer exists); false when the claim changed meanwhile.
   */
  takeOver(key: string, from: string, owner: string, leaseMs: number): boolean {
    if (!this.claims) return true;
    const now = this.now();
    return (
      this.guard(() =>
        this.db.run(
          `UPDATE response_claims SET owner = ?, expires_ms = ${now.sql} + ? WHERE key = ? AND owner = ?`,
          [owner, ...now.params, Math.round(leaseMs), key, from],
        ),
      ).changes === 1
    );
  }

  /** Drop `owner`'s claim of `key` (answer stored, or the request failed: a waiter may send it). */
  release(key: string, owner: string): void {
    if (!this.claims) return;
    this.guard(() => this.db.run("DELETE FROM response_claims WHERE key = ? AND owner = ?", [key, owner]));
  }

  /** Extend every claim of `owner` to `leaseMs` from now (the claimant is alive and still working). */
  renewClaims(owner: string, leaseMs: number): void {
    if (!this.claims) return;
    const now = this.now();
    this.guard(() =>
      this.db.run(`UPDATE response_claims SET expires_ms = ${now.sql} + ? WHERE owner = ?`, [
        ...now.params,
        Math.round(leaseMs),
        owner,
      ]),
    );
  }

  /** The database's clock as SQL (Postgres: the server's) or a bound `Date.now()` (SQLite). */
  private now(): { sql: string; params: number[] } {
    const clock = this.db.dialect.clockMs;
    return clock === undefined ? { sql: "?", params: [Date.now()] } : { sql: `(${clock})`, params: [] };
  }

  /** Run a statement; damage found after opening (a page the check did not reach) is a UserError too. */
  private guard<T>(op: () => T): T {
    try {
      return op();
    } catch (err) {
      throw damage(this.file, err) ?? err;
    }
  }

  /** Number of stored responses. */
  size(): number {
    return this.db.value<number>("SELECT COUNT(*) FROM responses") ?? 0;
  }

  /** Close the cache: its connection closes once nothing else in the process shares it. */
  close(): void {
    this.db.close();
  }
}
