/**
 * Persistent response cache: SQLite (better-sqlite3, WAL; the default) or a table of a PostgreSQL
 * database (a postgres:// URL: shared by many machines, beside the run ledger) mapping a request key
 * to the text and usage of the response the provider gave. Every response is written (and committed)
 * the moment it arrives, so a crash loses nothing that was paid for, and repeating an evaluation
 * issues no request at all.
 *
 * A damaged file is found when it is opened (SQLite's quick_check), not in the middle of a run: a
 * UserError names the file and says what to do. It is never modified or deleted.
 */
import { createHash } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { PostgresDriver } from "../store/driver/postgres.js";
import { isPostgresUrl } from "../store/driver/types.js";
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
 */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  if (explicit) return explicit;
  if (env.INSTRUCTZERO_CACHE) return env.INSTRUCTZERO_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "instructzero", "responses.sqlite");
}

/** Files found sound in this process (path -> size and mtime then): each is checked once. */
const verified = new Map<string, string>();

function sqliteCode(err: unknown): string {
  return typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
}

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
  const code = sqliteCode(err);
  const message = (err as Error)?.message;
  if (code === "SQLITE_NOTADB")
    return broken(file, "is not a SQLite database (wrong file, or damaged header)", err);
  if (code.startsWith("SQLITE_CORRUPT")) return broken(file, `is damaged or truncated (${message})`, err);
  if (code.startsWith("SQLITE_IOERR")) return broken(file, `cannot be read (${message})`, err);
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN")) {
    return new UserError(
      `response cache ${file} cannot be opened for writing (${message}); check its permissions, ` +
        "point --cache / INSTRUCTZERO_CACHE at another file, or pass --no-cache",
      { cause: err },
    );
  }
  return undefined;
}

/**
 * Throw a UserError when the file at `file` is damaged: SQLite's `quick_check` (every page and
 * b-tree structure; not integrity_check's index-to-table cross-check). It reads the whole file:
 * measured ~10 ms for 50k answers (20 MB) in the OS page cache, ~0.2 s read cold from disk, ~1 s
 * per 100 MB cold; `(1)` stops at the first problem. Done once per file and process.
 */
function checkIntegrity(db: Database.Database, file: string): void {
  const check = db.pragma("quick_check(1)") as { quick_check: string }[];
  if (check.length !== 1 || check[0].quick_check !== "ok") {
    const found = (check[0]?.quick_check ?? "no answer")
      .replace(/\*\*\* in database \w+ \*\*\*/g, "")
      .trim()
      .replace(/\s*\n\s*/g, "; ");
    throw broken(file, `is damaged (SQLite integrity check: ${found})`);
  }
}

/** The table of a Postgres cache (same columns as the SQLite one; created_at in ms needs 8 bytes). */
const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  text TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  created_at BIGINT NOT NULL
)`;

/** The response store. One instance per open file or database; safe to share across black boxes. */
export class ResponseCache {
  private readonly db: Database.Database | undefined;
  private readonly pg: PostgresDriver | undefined;
  private readonly getStmt:
    | Database.Statement<[string], { text: string; input_tokens: number; output_tokens: number }>
    | undefined;
  private readonly putStmt:
    | Database.Statement<[string, string, string, string, number, number, number]>
    | undefined;

  /** The file as named in messages (absolute), or the database URL without credentials. */
  private readonly file: string;

  /**
   * Open (creating if needed) the cache at `path`: a file, ":memory:", or a postgres:// URL (the table
   * `responses` of that database, created when missing). A file that is not SQLite, or is damaged (found
   * by an integrity check now, not later), is a UserError naming the file and what to do; so is a
   * database that cannot be reached (named without its password).
   */
  constructor(readonly path: string) {
    if (isPostgresUrl(path)) {
      this.pg = new PostgresDriver(path.trim(), "response cache");
      this.file = this.pg.location;
      this.path = this.pg.location;
      try {
        // concurrent CREATE TABLE IF NOT EXISTS can collide in Postgres: one process at a time
        this.pg.transaction(() => this.pg?.exec(POSTGRES_TABLE), "instructzero.cache");
      } catch (err) {
        this.pg.close();
        throw new UserError(`response cache ${this.file} is not usable: ${(err as Error).message}`, {
          cause: err,
        });
      }
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
      this.db = new Database(file);
    } catch (err) {
      throw (
        damage(file, err) ??
        new UserError(`cannot open response cache ${file}: ${(err as Error).message}`, { cause: err })
      );
    }
    try {
      this.db.pragma("busy_timeout = 5000");
      if (stamp !== undefined && verified.get(file) !== stamp) {
        checkIntegrity(this.db, file);
        verified.set(file, stamp);
      }
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(`CREATE TABLE IF NOT EXISTS responses (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        text TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      )`);
      this.getStmt = this.db.prepare("SELECT text, input_tokens, output_tokens FROM responses WHERE key = ?");
      this.putStmt = this.db.prepare(
        `INSERT OR REPLACE INTO responses (key, provider, model, text, input_tokens, output_tokens, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
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
    const row = this.pg
      ? this.pg.get<{ text: string; input_tokens: number; output_tokens: number }>(
          "SELECT text, input_tokens, output_tokens FROM responses WHERE key = ?",
          [key],
        )
      : this.guard(() => this.getStmt?.get(key));
    if (!row) return undefined;
    return { text: row.text, usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens } };
  }

  /** Store `response` under `key` (replacing any previous one); committed before returning. */
  put(key: string, meta: { provider: string; model: string }, response: ProviderResponse): void {
    if (this.pg) {
      this.pg.run(
        `INSERT INTO responses (key, provider, model, text, input_tokens, output_tokens, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET provider = excluded.provider, model = excluded.model, text = excluded.text,
           input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, created_at = excluded.created_at`,
        [
          key,
          meta.provider,
          meta.model,
          response.text,
          response.usage.inputTokens,
          response.usage.outputTokens,
          Date.now(),
        ],
      );
      return;
    }
    this.guard(() =>
      this.putStmt?.run(
        key,
        meta.provider,
        meta.model,
        response.text,
        response.usage.inputTokens,
        response.usage.outputTokens,
        Date.now(),
      ),
    );
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
    if (this.pg) return this.pg.value<number>("SELECT COUNT(*) FROM responses") ?? 0;
    const row = this.db?.prepare("SELECT COUNT(*) AS n FROM responses").get() as { n: number } | undefined;
    return row?.n ?? 0;
  }

  /** Close the database file (or connection). */
  close(): void {
    this.pg?.close();
    if (this.db?.open) this.db.close();
  }
}
