/**
 * The one way to open a store: a location (file path, ":memory:", postgres:// URL) becomes a
 * connection of its backend (./backends.ts). One connection per store per process: opening the same
 * location again shares the open connection (reference-counted), so the ledger and the black boxes'
 * response caches in one Postgres database use one connection; `close()` gives a reference back and
 * the last one closes the connection. ":memory:" is never shared (each is its own database).
 */
import { backendOf } from "./backends.js";
import type { SqlDriver, SqlValue } from "./driver.js";
import { normalizeLocation } from "./location.js";

interface Shared {
  driver: SqlDriver;
  refs: number;
}

const open = new Map<string, Shared>();

/** A reference to a (possibly shared) connection: it closes itself, the connection closes with the last one. */
export interface Connection extends SqlDriver {
  /** The location as opened (a server URL with its credentials: never print it; `location` has none). */
  readonly target: string;
  /** The backend's connection itself (SQLite-specific checks and pragmas). */
  readonly driver: SqlDriver;
}

class Handle implements Connection {
  private released = false;
  constructor(
    readonly target: string,
    private readonly shared: Shared,
    private readonly key: string | undefined,
  ) {}
  get driver(): SqlDriver {
    return this.shared.driver;
  }
  get dialect() {
    return this.shared.driver.dialect;
  }
  get location(): string {
    return this.shared.driver.location;
  }
  get closed(): boolean {
    return this.released || this.shared.driver.closed;
  }
  exec(sql: string): void {
    this.live().exec(sql);
  }
  run(sql: string, params?: readonly SqlValue[]) {
    return this.live().run(sql, params);
  }
  get<T>(sql: string, params?: readonly SqlValue[]): T | undefined {
    return this.live().get<T>(sql, params);
  }
  all<T>(sql: string, params?: readonly SqlValue[]): T[] {
    return this.live().all<T>(sql, params);
  }
  value<T>(sql: string, params?: readonly SqlValue[]): T | undefined {
    return this.live().value<T>(sql, params);
  }
  column<T>(sql: string, params?: readonly SqlValue[]): T[] {
    return this.live().column<T>(sql, params);
  }
  transaction<T>(fn: () => T, lock?: string): T {
    return this.live().transaction(fn, lock);
  }
  close(): void {
    if (this.released) return;
    this.released = true;
    if (--this.shared.refs > 0) return;
    if (this.key !== undefined && open.get(this.key) === this.shared) open.delete(this.key);
    this.shared.driver.close();
  }
  private live(): SqlDriver {
    if (this.released) throw new Error(`the store ${this.location} is closed`);
    return this.shared.driver;
  }
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** What the store is, for messages ("run ledger", "response cache") ["store"]. */
  what?: string;
  /** Never share: a connection of its own (e.g. a check that must see the file as it is now). */
  private?: boolean;
}

/**
 * Open the store at `location` (see ./location.ts for how options and the environment choose it):
 * a connection of its backend, shared with every other open reference to the same location in this
 * process. The caller does its own file checks first (a missing file is created by SQLite).
 */
export function openStore(location: string, options: OpenStoreOptions = {}): Connection {
  const target = normalizeLocation(location);
  const backend = backendOf(target);
  const key = options.private ? undefined : backend.key(target);
  let shared = key === undefined ? undefined : open.get(key);
  if (shared === undefined || shared.driver.closed) {
    shared = { driver: backend.connect(target, options.what ?? "store"), refs: 0 };
    if (key !== undefined) open.set(key, shared);
  }
  shared.refs++;
  return new Handle(target, shared, key);
}

/** How many connections this process holds open (tests). */
export function openConnections(): number {
  return [...open.values()].filter((s) => !s.driver.closed).length;
}
