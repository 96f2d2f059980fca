/**
 * The worker thread behind the synchronous Postgres driver (./postgres.ts): it owns the `pg` clients
 * (one per open driver of the process) and runs one request at a time while the main thread waits
 * (synckit: Atomics.wait on a shared buffer). Errors come back as data (message, SQLSTATE code, detail),
 * never as thrown objects, so the main thread rebuilds them whole.
 *
 * Self-contained on purpose (only `pg`, `synckit` and the reconnection loop of ./reconnect.ts): it is
 * loaded as a separate module graph.
 *
 * A connection lost while idle (the server restarted) is made again before the next statement outside a
 * transaction, with backoff for up to `reconnectMs` (the main thread waits meanwhile).
 */
import pg from "pg";
import { runAsWorker } from "synckit";
import { isConnectionLoss, withReconnect } from "./reconnect.js";

// pg reads ~/.pgpass (PGPASSFILE) itself when the URL has no password, as libpq does, and says once
// that this is deprecated in pg 9: not the user's concern, so this thread's deprecation notes are off
process.noDeprecation = true;

// COUNT(*) and SUM(integer) are int8 and NUMERIC: numbers, like SQLite's (ledger counts are small).
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

/** What the main thread asks. */
export type PgRequest =
  | { op: "open"; id: number; url: string; applicationName: string }
  | { op: "query"; id: number; sql: string; params?: unknown[]; reconnect?: boolean; reconnectMs?: number }
  | { op: "close"; id: number };

/** What it gets back. */
export type PgReply =
  | { ok: true; rows: Record<string, unknown>[]; rowCount: number }
  | { ok: false; error: { message: string; code?: string; detail?: string; lost?: boolean } };

interface Conn {
  url: string;
  applicationName: string;
  client: pg.Client;
  /** Why the connection broke (the server went away), or undefined while it is sound. */
  lost?: string;
}

const conns = new Map<number, Conn>();

async function connect(url: string, applicationName: string): Promise<Conn> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  });
  const conn: Conn = { url, applicationName, client };
  // an idle connection that breaks emits "error": remember it instead of crashing the thread
  client.on("error", (err: Error) => {
    conn.lost = err.message;
  });
  client.on("end", () => {
    conn.lost ??= "the connection was closed";
  });
  await client.connect();
  return conn;
}

function failure(err: unknown, lost = false): PgReply {
  const e = err as { message?: unknown; code?: unknown; detail?: unknown };
  return {
    ok: false,
    error: {
      message: typeof e?.message === "string" ? e.message : String(err),
      ...(typeof e?.code === "string" ? { code: e.code } : {}),
      ...(typeof e?.detail === "string" ? { detail: e.detail } : {}),
      ...(lost ? { lost: true } : {}),
    },
  };
}

async function handle(req: PgRequest): Promise<PgReply> {
  if (req.op === "open") {
    try {
      conns.set(req.id, await connect(req.url, req.applicationName));
      return { ok: true, rows: [], rowCount: 0 };
    } catch (err) {
      return failure(err, true);
    }
  }
  const conn = conns.get(req.id);
  if (req.op === "close") {
    conns.delete(req.id);
    if (conn) await conn.client.end().catch(() => {});
    return { ok: true, rows: [], rowCount: 0 };
  }
  if (!conn) return failure(new Error("the store connection is closed"));
  if (conn.lost !== undefined) {
    // outside a transaction a new connection continues where the old one stopped
    if (!req.reconnect) return failure(new Error(`the connection to the store was lost: ${conn.lost}`), true);
    try {
      await conn.client.end().catch(() => {});
      // the server may be restarting: keep trying, with backoff, for the reconnection window
      const fresh = await withReconnect(() => connect(conn.url, conn.applicationName), {
        windowMs: req.reconnectMs ?? 0,
        retryable: () => true,
      });
      conns.set(req.id, fresh);
    } catch (err) {
      return failure(err, true);
    }
  }
  const current = conns.get(req.id) as Conn;
  try {
    const res = await current.client.query({ text: req.sql, values: req.params ?? [] });
    // a multi-statement text gives one result per statement: the last one answers
    const last = Array.isArray(res) ? res[res.length - 1] : res;
    return { ok: true, rows: (last?.rows ?? []) as Record<string, unknown>[], rowCount: last?.rowCount ?? 0 };
  } catch (err) {
    // the server went away under the statement: the next one outside a transaction reconnects
    if (current.lost === undefined && isConnectionLoss(err)) current.lost = (err as Error).message;
    return failure(err, current.lost !== undefined);
  }
}

runAsWorker(handle);
