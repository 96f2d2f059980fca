/**
 * The store backends, in one list: a location (a file path, ":memory:", a postgres:// URL) belongs to
 * the first backend that claims it. A new backend is one driver module (its driver, its dialect object
 * and its {@link Backend} entry) plus one line in {@link BACKENDS}.
 */
import type { Backend } from "./driver.js";
import { postgresBackend } from "./postgres.js";
import { sqliteBackend } from "./sqlite.js";

export type { Backend };

/** Every backend, most specific first (SQLite, which takes any file path, last). */
export const BACKENDS: readonly Backend[] = [postgresBackend, sqliteBackend];

/** The backend of a location. */
export function backendOf(location: string): Backend {
  return BACKENDS.find((b) => b.claims(location)) as Backend;
}
