/**
 * The store backends, in one list: a location (a file path, ":memory:", a postgres:// URL) belongs to
 * the first backend that claims it. A new backend is one driver module (its driver, its dialect object
 * and its entry below) plus one line in {@link BACKENDS}.
 */
import type { SqlDriver } from "./driver.js";
import { isPostgresUrl, PostgresDriver } from "./postgres.js";
import { connectSqlite } from "./sqlite.js";

/** One kind of store. */
export interface Backend {
  readonly name: string;
  /** True when `location` is this backend's (the file backend, last, takes everything else). */
  claims(location: string): boolean;
  /** The key under which connections to `location` are shared in a process (undefined: never shared). */
  key(location: string): string | undefined;
  /** Connect; `what` names the store in messages ("run ledger", "response cache"). */
  connect(location: string, what: string): SqlDriver;
  /** True when the location is a local file (it may be missing, checked, copied). */
  readonly isFile: boolean;
}

/** PostgreSQL: a server shared by many machines. */
const postgres: Backend = {
  name: "postgres",
  claims: isPostgresUrl,
  key: (url) => url.trim(),
  connect: (url, what) => new PostgresDriver(url.trim(), what),
  isFile: false,
};

/** SQLite: a file (absolute path) or ":memory:" (private to its connection, never shared). */
const sqlite: Backend = {
  name: "sqlite",
  claims: () => true,
  key: (file) => (file === ":memory:" ? undefined : file),
  connect: (file) => connectSqlite(file),
  isFile: true,
};

/** Every backend, most specific first. */
export const BACKENDS: readonly Backend[] = [postgres, sqlite];

/** The backend of a location. */
export function backendOf(location: string): Backend {
  return BACKENDS.find((b) => b.claims(location)) as Backend;
}
