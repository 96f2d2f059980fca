/**
 * Where the stores are: the one place that turns options and the environment into a location, and
 * decides whether a location is a file or a server URL.
 *
 * - The run ledger: `--store` / `--ledger` (or the library's `store`), else INSTRUCTZERO_STORE, else
 *   `${INSTRUCTZERO_HOME:-~/.instructzero}/runs.sqlite`. A postgres:// URL holds ledger and response
 *   cache in one database.
 * - The response cache: `--cache` (or the run's `cache` path), else INSTRUCTZERO_CACHE, else
 *   `${XDG_CACHE_HOME:-~/.cache}/instructzero/responses.sqlite`; with a Postgres ledger and no cache
 *   path, the ledger's database.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../util/errors.js";
import { backendOf } from "./backends.js";
import { isPostgresUrl } from "./postgres.js";

export { isPostgresUrl };

/** True when `location` is a file path (or ":memory:"), false for a server URL. */
export function isFileLocation(location: string): boolean {
  return backendOf(location).isFile;
}

/** Ledger file used when none is given: `${INSTRUCTZERO_HOME:-~/.instructzero}/runs.sqlite`. */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.INSTRUCTZERO_HOME || join(homedir(), ".instructzero");
  return join(home, "runs.sqlite");
}

/**
 * The run ledger's location: `store` / `ledger` (the CLI's two flags; the library's `store`), else
 * INSTRUCTZERO_STORE, else {@link defaultLedgerPath}. A file comes back absolute, a server URL as given
 * (trimmed; it may hold a password: never print it). Both flags with different values are a UserError.
 */
export function ledgerLocation(
  opts: { ledger?: string; store?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (opts.store !== undefined && opts.ledger !== undefined && opts.store !== opts.ledger) {
    throw new UserError("give either --store or --ledger, not both");
  }
  const chosen = opts.store ?? opts.ledger ?? (env.INSTRUCTZERO_STORE || undefined);
  if (chosen !== undefined && !isFileLocation(chosen)) return chosen.trim();
  return resolve(chosen ?? defaultLedgerPath(env));
}

/** A location as stores are keyed: a server URL trimmed, ":memory:" as is, a file path absolute. */
export function normalizeLocation(location: string): string {
  if (!isFileLocation(location)) return location.trim();
  return location === ":memory:" ? location : resolve(location);
}

/**
 * Where the cache lives: `explicit`, else INSTRUCTZERO_CACHE, else
 * `${XDG_CACHE_HOME:-~/.cache}/instructzero/responses.sqlite`. Any of them may be a postgres:// URL.
 */
export function cacheLocation(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  if (explicit) return explicit;
  if (env.INSTRUCTZERO_CACHE) return env.INSTRUCTZERO_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "instructzero", "responses.sqlite");
}
