/**
 * Persistent response cache: SQLite (better-sqlite3, WAL) mapping a request key to the text and
 * usage of the response the provider gave. Every response is written the moment it arrives, so a
 * crash loses nothing that was paid for, and repeating an evaluation issues no request at all.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
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
 * `${XDG_CACHE_HOME:-~/.cache}/instructzero/responses.sqlite`.
 */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  if (explicit) return explicit;
  if (env.INSTRUCTZERO_CACHE) return env.INSTRUCTZERO_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "instructzero", "responses.sqlite");
}

/** The SQLite response store. One instance per open file; safe to share across black boxes. */
export class ResponseCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<
    [string],
    { text: string; input_tokens: number; output_tokens: number }
  >;
  private readonly putStmt: Database.Statement<[string, string, string, string, number, number, number]>;

  /** Open (creating if needed) the cache at `path`; a file that is not SQLite is a UserError. */
  constructor(readonly path: string) {
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
    } catch (err) {
      throw new UserError(`cannot open response cache ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("busy_timeout = 5000");
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
      throw new UserError(
        `response cache ${path} is not a usable SQLite database (${(err as Error).message}); ` +
          "delete it or point INSTRUCTZERO_CACHE / --cache elsewhere",
        { cause: err },
      );
    }
  }

  /** The stored response for `key`, if any. */
  get(key: string): ProviderResponse | undefined {
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    return { text: row.text, usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens } };
  }

  /** Store `response` under `key` (replacing any previous one); committed before returning. */
  put(key: string, meta: { provider: string; model: string }, response: ProviderResponse): void {
    this.putStmt.run(
      key,
      meta.provider,
      meta.model,
      response.text,
      response.usage.inputTokens,
      response.usage.outputTokens,
      Date.now(),
    );
  }

  /** Number of stored responses. */
  size(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM responses").get() as { n: number }).n;
  }

  /** Close the database file. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
