/**
 * The store's password from the environment, as libpq takes it: a role that must log in with a
 * password (scram-sha-256 on the throwaway cluster), a URL without the password, and the password in
 * PGPASSWORD or a ~/.pgpass-style file (PGPASSFILE). The password (holding "#", "/" and "?", which need
 * no encoding there) is never printed, and no warning is shown for it; without it the login fails
 * naming the store without any password.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const PASSWORD = "zq#9/xv?w";
let cluster: TestPostgres;
let url: string;
const home = mkdtempSync(join(tmpdir(), "iz-pgpass-"));

beforeAll(async () => {
  cluster = await startPostgres();
  const admin = await cluster.createDatabase("pwstore");
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    await client.query(`CREATE ROLE iz LOGIN PASSWORD '${PASSWORD}'`);
    await client.query("ALTER DATABASE pwstore OWNER TO iz");
    // the role must give its password over TCP (everyone else keeps trust)
    const hba = join(cluster.dir, "data", "pg_hba.conf");
    writeFileSync(hba, `host all iz 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, "utf8")}`);
    await client.query("SELECT pg_reload_conf()");
  } finally {
    await client.end();
  }
  url = admin.replace("postgres@", "iz@");
});
afterAll(() => cluster?.stop());

describe("the store password from the environment", () => {
  it("PGPASSWORD: the store opens; nothing of the password is printed, no warning", async () => {
    const r = await runCli(["runs", "--store", url], { env: { HOME: home, PGPASSWORD: PASSWORD } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/visible to every user/);
    for (const part of ["zq", "xv"]) expect(r.stdout + r.stderr).not.toContain(part);
  });

  it("a .pgpass file (PGPASSFILE): the store opens, without a deprecation warning", async () => {
    const file = join(home, "pgpass");
    writeFileSync(file, `127.0.0.1:${cluster.port}:*:iz:${PASSWORD}\n`);
    chmodSync(file, 0o600);
    const r = await runCli(["runs", "--store", url], { env: { HOME: home, PGPASSFILE: file } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Deprecation|pgpass/i);
    for (const part of ["zq", "xv"]) expect(r.stdout + r.stderr).not.toContain(part);
  });

  it("no password: the login fails (exit 2) naming the store without a password", async () => {
    const r = await runCli(["runs", "--store", url], { env: { HOME: home, PGPASSFILE: join(home, "none") } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot connect to the run ledger postgres:\/\/\*\*\*@127\.0\.0\.1/);
    expect(r.stderr).toMatch(/set PGPASSWORD or put it in ~\/\.pgpass/);
  });
});
