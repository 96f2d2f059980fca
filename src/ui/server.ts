/**
 * `startUiServer`: the dashboard's HTTP server (Hono on Node's http server) over one ledger opened
 * read-only, through the same location rules as every command. It binds 127.0.0.1 unless given another
 * host, and then requires a token (given, from INSTRUCTZERO_UI_TOKEN, or generated) on every request.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { isFileLocation, ledgerLocation } from "../db/location.js";
import { openLedger } from "../store/ledger.js";
import { UserError } from "../util/errors.js";
import { VERSION } from "../version.js";
import { createUiApp } from "./app.js";
import { TOKEN_ENV, tokenFor } from "./security.js";

/** The default port of `instructzero ui`. */
export const UI_DEFAULT_PORT = 8765;

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  /** The store (a ledger file or postgres:// URL) [the location rules: INSTRUCTZERO_STORE, else the default file]. */
  store?: string;
  /** True when the store was named on the command line (printed commands then name it too). */
  storeGiven?: boolean;
  /** Address to bind [127.0.0.1]. Any other than loopback requires a token. */
  host?: string;
  /** Port [8765]; 0 picks a free one. */
  port?: number;
  /** The token (default: INSTRUCTZERO_UI_TOKEN, else a new one when the host is not loopback). */
  token?: string;
  /** How often live pages look at the store, ms [1000]. */
  pollMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A running dashboard. */
export interface UiServer {
  /** Its address, with `?token=` when it needs one (open this). */
  url: string;
  /** Its address without the token. */
  origin: string;
  port: number;
  /** The token every request must carry, or undefined (loopback without a token). */
  token: string | undefined;
  /** Where it reads (credentials removed). */
  store: string;
  /**
   * True when this process cannot write the ledger file's folder (SQLite needs it to share the WAL with
   * writers): it shows a copy taken at start, which does not follow the runs.
   */
  snapshot: boolean;
  /** Stop serving, end the live streams and close the ledger. */
  close(): Promise<void>;
}

/** Start the dashboard. */
export async function startUiServer(o: UiServerOptions = {}): Promise<UiServer> {
  const env = o.env ?? process.env;
  const host = o.host ?? "127.0.0.1";
  const port = o.port ?? UI_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`--port must be a whole number from 0 to 65535, not ${port}`);
  }
  const token = tokenFor(host, o.token, env);
  if (token !== undefined && token.length < 16) {
    throw new UserError(`the dashboard's token (${TOKEN_ENV}) must have at least 16 characters`);
  }
  const location = o.store ?? ledgerLocation({}, env);
  const ledger = openLedger(location, { readonly: true, create: false });
  const storeFlag = o.storeGiven
    ? isFileLocation(location)
      ? `--ledger ${/\s/.test(ledger.path) ? JSON.stringify(ledger.path) : ledger.path}`
      : `--store ${ledger.path}`
    : "";
  let bound = port;
  const hostHeader = host.includes(":") ? `[${host}]` : host;
  const { app, closeStreams } = createUiApp({
    ledger,
    store: ledger.path,
    storeFlag,
    producer: `instructzero ${VERSION}`,
    pollMs: o.pollMs,
    token,
    allowedHosts: () =>
      token !== undefined
        ? null
        : [`${hostHeader}:${bound}`, `127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`],
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new UserError(`port ${port} on ${host} is taken: pass --port with another one (0: any free port)`)
          : err.code === "EADDRNOTAVAIL"
            ? new UserError(`cannot listen on ${host}: no such address on this machine`)
            : err,
      ),
    );
  }).catch((err) => {
    ledger.close();
    throw err;
  });
  bound = (server.address() as AddressInfo).port;
  const origin = `http://${hostHeader}:${bound}/`;
  return {
    url: token !== undefined ? `${origin}?token=${encodeURIComponent(token)}` : origin,
    origin,
    port: bound,
    token,
    store: ledger.path,
    snapshot: ledger.isSnapshot,
    close: async () => {
      closeStreams();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      ledger.close();
    },
  };
}
