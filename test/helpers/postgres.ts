/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, started with pg_ctl on a
 * free port of 127.0.0.1 (Unix socket in the same directory), trust authentication, stopped and
 * deleted by `stop()` (and, failing that, when the test process exits).
 *
 * initdb refuses to run as root: as root the cluster belongs to `nobody` (setpriv). When the server
 * binaries are missing or the server cannot start, `startPostgres` throws an error that says why and
 * what to install: these tests fail, they are never skipped silently (CI installs Debian's postgresql
 * package, see .ci/run).
 *
 *   const pg = await startPostgres();
 *   const url = await pg.createDatabase("ledger"); // postgres://postgres@127.0.0.1:PORT/ledger
 *   ...
 *   await pg.stop();
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A running throwaway cluster. */
export interface TestPostgres {
  /** URL of the `postgres` database (superuser `postgres`, no password needed). */
  url: string;
  port: number;
  /** The cluster's directory (data, socket, log). */
  dir: string;
  /** Create a database (fresh, empty) and return its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stop the server at once and delete its directory (idempotent). */
  stop(): Promise<void>;
  /**
   * Shut the server down (fault tests: clients lose their connections; "fast": sessions are
   * terminated), keeping its data; {@link restartServer} starts it again on the same port.
   */
  stopServer(mode?: "fast" | "immediate"): Promise<void>;
  /** Start a server stopped by {@link stopServer} again (same port, same data). */
  restartServer(): Promise<void>;
}

/** Where initdb and pg_ctl are: $INSTRUCTZERO_PG_BIN, Debian's /usr/lib/postgresql/N/bin, pg_config, PATH. */
export function findPostgresBin(): string | undefined {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"));
  const env = process.env.INSTRUCTZERO_PG_BIN;
  if (env && has(env)) return env;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => has(join(root, v, "bin")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], "bin");
  }
  const cfg = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (cfg.status === 0 && has(cfg.stdout.trim())) return cfg.stdout.trim();
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && has(dir)) return dir;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<() => void>();
process.on("exit", () => {
  for (const stop of running) stop();
});

/**
 * Start a throwaway cluster; throws an Error saying why when PostgreSQL cannot start. `bin`: the folder
 * of initdb and pg_ctl [found by {@link findPostgresBin}].
 */
export async function startPostgres(options: { bin?: string } = {}): Promise<TestPostgres> {
  const bin =
    options.bin === undefined
      ? findPostgresBin()
      : existsSync(join(options.bin, "initdb"))
        ? options.bin
        : undefined;
  if (!bin) {
    throw new Error(
      "PostgreSQL is needed by these tests but its server binaries (initdb, pg_ctl) were not found in " +
        "/usr/lib/postgresql/*/bin, `pg_config --bindir` or PATH. Install Debian's postgresql package " +
        "(apt-get install -y postgresql; .ci/run does this) or set INSTRUCTZERO_PG_BIN to the folder holding initdb.",
    );
  }
  const root = process.getuid?.() === 0;
  if (root && spawnSync("setpriv", ["--version"]).status !== 0) {
    throw new Error(
      "PostgreSQL tests run as root need setpriv (util-linux) to run initdb and pg_ctl as nobody",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "iz-pg-"));
  if (root) chownSync(dir, uidOf("nobody"), gidOf("nogroup"));
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = root
      ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    return spawnSync(file, argv, { encoding: "utf8", cwd: dir, timeout: 60_000 });
  };
  const data = join(dir, "data");
  const log = join(dir, "log");
  const fail = (what: string, r: ReturnType<typeof run>): never => {
    const serverLog = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `PostgreSQL could not start for the tests: ${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n` +
        `${r.stderr ?? ""}${r.stdout ?? ""}${serverLog ? `\nserver log:\n${serverLog}` : ""}`,
    );
  };
  const init = run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  if (init.status !== 0) fail(`initdb (${bin})`, init);
  let port = 0;
  const optsFor = (p: number) =>
    `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const start = run("pg_ctl", ["-D", data, "-o", optsFor(port), "-l", log, "-w", "-t", "60", "start"]);
    if (start.status === 0) break;
    if (attempt >= 2) fail(`pg_ctl start (port ${port})`, start);
  }
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    running.delete(stopNow);
    run("pg_ctl", ["-D", data, "stop", "-m", "immediate"]);
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(stopNow);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dir,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      stopNow();
    },
    async stopServer(mode: "fast" | "immediate" = "fast") {
      const r = run("pg_ctl", ["-D", data, "stop", "-m", mode, "-w", "-t", "60"]);
      if (r.status !== 0) throw new Error(`pg_ctl stop failed: ${r.stderr}${r.stdout}`);
    },
    async restartServer() {
      const r = run("pg_ctl", ["-D", data, "-o", optsFor(port), "-l", log, "-w", "-t", "60", "start"]);
      if (r.status !== 0) throw new Error(`pg_ctl start failed: ${r.stderr}${r.stdout}`);
    },
  };
}

function uidOf(user: string): number {
  const r = spawnSync("id", ["-u", user], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : 65534;
}

function gidOf(group: string): number {
  const r = spawnSync("getent", ["group", group], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.split(":")[2]) : 65534;
}
