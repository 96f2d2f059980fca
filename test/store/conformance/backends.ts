/**
 * The store backends the conformance suite runs on: each gives fresh, empty stores (a SQLite file in a
 * temporary folder; a database of a throwaway Postgres cluster, started once per test file), and raw
 * SQL access behind the ledger's back (to plant a foreign lock, break a version, load a fixture).
 *
 *   describe.each(STORE_BACKENDS)("ledger on $name", (backend) => {
 *     beforeAll(() => backend.start());
 *     afterAll(() => backend.stop());
 *     it("...", async () => { const location = await backend.fresh("name"); ... });
 *   });
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { numberPlaceholders } from "../../../src/db/postgres.js";
import { ddlFor } from "../../../src/store/ledger.js";
import { startPostgres, type TestPostgres } from "../../helpers/postgres.js";

/** The version-1 ledger fixture (test/fixtures/ledger). */
export const V1_FIXTURE = join(import.meta.dirname, "../../fixtures/ledger/v1.sqlite");

/** One backend under test. */
export interface StoreBackend {
  readonly name: "sqlite" | "postgres";
  /** Start what the backend needs (once per file). */
  start(): Promise<void>;
  /** Stop it and delete everything it made. */
  stop(): Promise<void>;
  /** A new, empty store (a file path, or a postgres:// URL carrying a password that must never be shown). */
  fresh(name: string): Promise<string>;
  /** Run SQL (`?` placeholders) on a store from outside the ledger; returns the rows. */
  sql<T = Record<string, unknown>>(location: string, text: string, params?: unknown[]): Promise<T[]>;
  /** A new store holding a copy of the version-1 ledger fixture. */
  freshV1(name: string): Promise<string>;
}

function sqliteBackend(): StoreBackend {
  let dir: string | undefined;
  return {
    name: "sqlite",
    async start() {
      dir = mkdtempSync(join(tmpdir(), "iz-conformance-"));
    },
    async stop() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    async fresh(name) {
      return join(dir as string, `${name}.sqlite`);
    },
    async sql<T>(location: string, text: string, params: unknown[] = []) {
      const db = new Database(location);
      try {
        const st = db.prepare(text);
        if (st.reader) return st.all(...params) as T[];
        st.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async freshV1(name) {
      const file = join(dir as string, `${name}.sqlite`);
      for (const ext of ["", "-wal", "-shm"])
        if (existsSync(V1_FIXTURE + ext)) copyFileSync(V1_FIXTURE + ext, file + ext);
      return file;
    },
  };
}

function postgresBackend(): StoreBackend {
  let server: TestPostgres | undefined;
  const sql = async <T>(url: string, text: string, params: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(numberPlaceholders(text), params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  const fresh = async (name: string) => {
    const url = await (server as TestPostgres).createDatabase(name);
    // trust authentication ignores the password: it is there to check that it is never shown
    return url.replace("postgres@", "postgres:s3cret-pw@");
  };
  return {
    name: "postgres",
    async start() {
      server = await startPostgres();
    },
    async stop() {
      await server?.stop();
    },
    fresh,
    sql,
    async freshV1(name) {
      const url = await fresh(name);
      const fixture = new Database(V1_FIXTURE, { readonly: true });
      const tables = fixture.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
        sql: string;
      }[];
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      for (const t of tables) await c.query(ddlFor("postgres", `${t.sql};`));
      for (const t of tables) {
        for (const row of fixture.prepare(`SELECT * FROM ${t.name}`).all() as Record<string, unknown>[]) {
          const cols = Object.keys(row);
          await c.query(
            `INSERT INTO ${t.name} (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`,
            cols.map((k) => row[k]),
          );
        }
      }
      await c.end();
      fixture.close();
      return url;
    },
  };
}

/** Every backend, each a fresh instance (one per test file). */
export function storeBackends(): StoreBackend[] {
  return [sqliteBackend(), postgresBackend()];
}
