/**
 * The run ledger and the response cache on PostgreSQL: a throwaway cluster (test/helpers/postgres.ts)
 * per file. The same behaviours as the SQLite tests in test/store: runs, evaluations, checkpoints,
 * locks, the spend log, the schema version and the 1 -> 2 migration, and a writer killed with SIGKILL
 * keeps every row it committed. When Postgres cannot start, these tests fail saying why.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResponseCache } from "../../src/blackbox/cache.js";
import { numberPlaceholders } from "../../src/db/postgres.js";
import {
  ddlFor,
  LEDGER_SCHEMA_VERSION,
  LedgerConflictError,
  openLedger,
  RUN_LOCK_STALE_MS,
} from "../../src/store/ledger.js";
import { StoreRateLimiter } from "../../src/store/rate-limit.js";
import { UserError } from "../../src/util/errors.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { fillRun, makeConfig, makeRecord } from "../store/synthetic.js";

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

/** A fresh database; its URL carries a password (trust authentication ignores it) to check redaction. */
async function freshDb(name: string): Promise<string> {
  const url = await server.createDatabase(name);
  return url.replace("postgres@", "postgres:s3cret-pw@");
}

async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

describe("ledger on Postgres", () => {
  it("numbers placeholders outside quoted text", () => {
    expect(numberPlaceholders("SELECT '?' AS q, ? AS a WHERE b = ? AND c = \"x?\"")).toBe(
      "SELECT '?' AS q, $1 AS a WHERE b = $2 AND c = \"x?\"",
    );
  });

  it("creates runs, appends evaluations, keeps checkpoints, examples, status and result", async () => {
    const url = await freshDb("basics");
    const ledger = openLedger(url);
    expect(ledger.dialect).toBe("postgres");
    expect(ledger.path).not.toContain("s3cret-pw");
    expect(ledger.path).toContain("***@127.0.0.1");
    const a = ledger.createRun(makeConfig());
    const b = ledger.createRun(makeConfig({ seed: 1 }));
    expect(a).toMatch(/^antonyms-[0-9a-f]{6}$/);
    expect(ledger.listRuns().map((r) => r.id)).toEqual([a, b]);
    expect(ledger.getRun(a.slice(0, -1)).id).toBe(a);
    expect(ledger.findRunByConfig(makeConfig({ seed: 1 }))).toBe(b);
    expect(ledger.findOrCreateRun(makeConfig({ seed: 1 }))).toEqual({ id: b, created: false });
    expect(ledger.findOrCreateRun(makeConfig({ seed: 2 })).created).toBe(true);

    expect(ledger.appendEvaluation(a, makeRecord(1))).toBe(true);
    expect(ledger.appendEvaluation(a, makeRecord(0))).toBe(true);
    expect(ledger.appendEvaluation(a, makeRecord(1, { calls: 0, cacheHits: 4 }))).toBe(false);
    expect(() => ledger.appendEvaluation(a, makeRecord(1, { score: 0.123 }))).toThrow(LedgerConflictError);
    expect(ledger.evaluations(a)).toEqual([makeRecord(0), makeRecord(1)]);
    expect(ledger.countEvaluations(a)).toBe(2);

    // a transaction that throws leaves nothing
    expect(() =>
      ledger.transaction(() => {
        ledger.appendEvaluation(a, makeRecord(2));
        ledger.setState(a, "gp", { noise: 1 });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(ledger.countEvaluations(a)).toBe(2);
    expect(ledger.getState(a, "gp")).toBeUndefined();
    // nested transactions are savepoints
    ledger.transaction(() => {
      ledger.setState(a, "outer", 1);
      expect(() =>
        ledger.transaction(() => {
          ledger.setState(a, "inner", 2);
          throw new Error("inner");
        }),
      ).toThrow("inner");
    });
    expect(ledger.stateKeys(a)).toEqual(["outer"]);

    ledger.setState(a, "pending", { batch: 2, z: [[0.1, -0.2]] });
    ledger.setState(a, "pending", { batch: 3 });
    expect(ledger.getState(a, "pending")).toEqual({ batch: 3 });
    ledger.setExamples(a, "validation", [{ input: "hot", answers: ["cold"] }]);
    expect(ledger.getExamples(a, "validation")).toEqual([{ input: "hot", answers: ["cold"] }]);
    ledger.setTaskExamples(a, "f".repeat(64), [{ input: "x", answers: ["y"] }]);
    expect(() => ledger.setTaskExamples(a, "e".repeat(64), [])).toThrow(LedgerConflictError);
    ledger.setStatus(a, "stopped", "budget");
    expect(ledger.getRun(a)).toMatchObject({ status: "stopped", statusMessage: "budget" });
    ledger.finishRun(a, {
      bestIndex: 1,
      test: null,
      totals: { evaluations: 2, calls: 8, cacheHits: 0, inputTokens: 1, outputTokens: 1, costUsd: 0.5 },
    });
    expect(ledger.getRun(a)).toMatchObject({ status: "completed", result: { bestIndex: 1 } });
    expect(() => ledger.appendEvaluation(a, makeRecord(5))).toThrow(/completed/);
    ledger.updateLimits(b, { maxCalls: 7 });
    expect(ledger.getRun(b).config.maxCalls).toBe(7);
    ledger.close();

    // the same database from a second connection
    const again = openLedger(url, { create: false });
    expect(again.evaluations(a)).toHaveLength(2);
    expect(again.listRuns()).toHaveLength(3);
    again.close();
    const [meta] = await sql<{ value: string }>(url, "SELECT value FROM meta WHERE key = 'schema_version'");
    expect(Number(meta.value)).toBe(LEDGER_SCHEMA_VERSION);
  });

  it("gives back text holding NUL characters (which Postgres text refuses) exactly as stored", async () => {
    const url = await freshDb("nul");
    const ledger = openLedger(url);
    const id = ledger.createRun(makeConfig());
    const odd = "a\u0000b \uE000 c\uE0000\u0000";
    ledger.appendEvaluation(id, makeRecord(0, { instruction: odd, outputs: [odd, "x", "y", "z"] }));
    expect(ledger.evaluations(id)[0].instruction).toBe(odd);
    expect(ledger.evaluations(id)[0].outputs[0]).toBe(odd);
    ledger.setState(id, odd, odd);
    expect(ledger.getState(id, odd)).toBe(odd);
    expect(ledger.stateKeys(id)).toEqual([odd]);
    ledger.close();
    const cache = new ResponseCache(url);
    cache.put(odd, { provider: "p", model: "m" }, { text: odd, usage: { inputTokens: 1, outputTokens: 1 } });
    expect(cache.get(odd)?.text).toBe(odd);
    cache.close();
  });

  it("keeps a spend log with exact sums (8-byte floats), pending and lost requests", async () => {
    const ledger = openLedger(await freshDb("spend"));
    const id = ledger.createRun(makeConfig());
    const entry = { phase: "search", source: "target", inputTokens: 10, outputTokens: 2, costUsd: 0.001 };
    ledger.recordSpend(id, entry);
    ledger.recordSpend(id, { ...entry, inputTokens: 5, outputTokens: 1, costUsd: 0.0005 });
    ledger.recordSpend(id, {
      phase: "test",
      source: "judge",
      inputTokens: 7,
      outputTokens: 3,
      costUsd: 0.0002,
    });
    expect(ledger.spendBySource(id)).toEqual({
      target: { calls: 2, inputTokens: 15, outputTokens: 3, costUsd: 0.0015, lost: 0 },
      judge: { calls: 1, inputTokens: 7, outputTokens: 3, costUsd: 0.0002, lost: 0 },
    });
    const seq = ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 });
    expect(ledger.spendBySource(id).target.calls).toBe(2);
    ledger.closeSpend(id, seq, null);
    ledger.openSpend(id, { phase: "search", source: "target", worstCostUsd: 0.01 });
    expect(ledger.markLostSpend(id)).toBe(1);
    expect(ledger.spendBySource(id).target).toMatchObject({ calls: 3, lost: 1, costUsd: 0.0115 });
    expect(Object.keys(ledger.spendBySource(id, "test"))).toEqual(["judge"]);
    expect(ledger.listRuns()[0]).toMatchObject({ calls: 4 });
    ledger.close();
  });

  it("locks a run to one process across connections; a dead or silent holder is taken over", async () => {
    const url = await freshDb("locks");
    const a = openLedger(url);
    const b = openLedger(url);
    const id = a.createRun(makeConfig());
    const lock = a.acquireRunLock(id);
    expect(b.getRun(id).status).toBe("running");
    expect(() => b.acquireRunLock(id)).toThrow(`process ${process.pid} on ${hostname()}`);
    lock.release();
    expect(b.getRun(id).status).toBe("interrupted");
    b.acquireRunLock(id).release();
    // another machine's lock: live while its heartbeat is recent, stale after RUN_LOCK_STALE_MS
    const now = Date.now();
    await sql(url, "INSERT INTO run_locks VALUES ($1, 'y', 1, 'elsewhere', $2, $3)", [
      id,
      new Date(now).toISOString(),
      new Date(now).toISOString(),
    ]);
    expect(() => b.acquireRunLock(id)).toThrow(/on elsewhere/);
    expect(b.getRun(id).status).toBe("running");
    await sql(url, "UPDATE run_locks SET heartbeat_at = $1 WHERE run_id = $2", [
      new Date(now - RUN_LOCK_STALE_MS - 1000).toISOString(),
      id,
    ]);
    expect(b.getRun(id).status).toBe("interrupted");
    b.acquireRunLock(id).release();
    // a process of this host that is gone: stale at once
    await sql(url, "INSERT INTO run_locks VALUES ($1, 'x', 999999999, $2, $3, $3)", [
      id,
      hostname(),
      new Date().toISOString(),
    ]);
    expect(b.getRun(id).statusMessage).toContain("999999999");
    b.acquireRunLock(id).release();
    a.close();
    b.close();
  });

  it("refuses a newer schema version and a database with ledger tables but no meta, naming it without the password", async () => {
    const url = await freshDb("versions");
    openLedger(url).close();
    await sql(url, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    let err: unknown;
    try {
      openLedger(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/schema version 99, written by a newer instructzero/);
    expect((err as Error).message).not.toContain("s3cret-pw");
    const other = await freshDb("nometa");
    await sql(other, "CREATE TABLE runs (id TEXT)");
    expect(() => openLedger(other)).toThrow(/no meta table/);
    // a read-only open of an empty database does not create the ledger
    const empty = await freshDb("empty");
    expect(() => openLedger(empty, { create: false })).toThrow(/no run ledger in postgres:\/\/\*\*\*@/);
    // a server that is not there: a UserError naming the URL without its password
    expect(() => openLedger("postgres://u:pw-never-shown@127.0.0.1:1/x")).toThrow(UserError);
    try {
      openLedger("postgres://u:pw-never-shown@127.0.0.1:1/x");
    } catch (e) {
      expect((e as Error).message).toContain("cannot connect to the run ledger postgres://***@127.0.0.1:1/x");
      expect((e as Error).message).not.toContain("pw-never-shown");
    }
  });

  it("migrates a version-1 ledger copied into Postgres, like a SQLite file", async () => {
    const url = await freshDb("v1");
    const fixture = new Database(join(import.meta.dirname, "../fixtures/ledger/v1.sqlite"), {
      readonly: true,
    });
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
    const ledger = openLedger(url);
    const runs = ledger.listRuns();
    expect(runs.map((r) => r.id)).toEqual(["antonyms-4e6006", "antonyms-484534", "antonyms-02f679"]);
    for (const r of runs) expect(Object.keys(ledger.getRun(r.id).config)).not.toContain("numDemos");
    expect(ledger.evaluations("antonyms-4e6006")).toHaveLength(6);
    ledger.close();
    const meta = await sql<{ key: string; value: string }>(url, "SELECT key, value FROM meta");
    expect(meta.find((m) => m.key === "schema_version")?.value).toBe(String(LEDGER_SCHEMA_VERSION));
    expect(meta.some((m) => m.key === "migrated_from_1")).toBe(true);
  });

  it("refuses a configuration holding the store's URL with its password", async () => {
    const url = await freshDb("secrets");
    const ledger = openLedger(url);
    expect(() => ledger.createRun(makeConfig({ cache: url }))).toThrow(/password/);
    ledger.close();
  });

  it("keeps every committed append of a writer killed with SIGKILL", async () => {
    const LEDGER_JS = resolve("dist/store/ledger.js");
    if (!existsSync(LEDGER_JS)) throw new Error(`${LEDGER_JS} is missing: run \`npm run build\` first`);
    const url = await freshDb("crash");
    const setup = openLedger(url);
    const id = setup.createRun(makeConfig());
    setup.close();
    const writer = `
import { openLedger } from ${JSON.stringify(pathToFileURL(LEDGER_JS).href)};
const [url, runId] = process.argv.slice(1);
const ledger = openLedger(url);
for (let i = 0; ; i++) {
  const scores = [i % 2, 1, 0, 1];
  ledger.transaction(() => {
    ledger.appendEvaluation(runId, {
      index: i, iteration: 0, z: [i / 1000, -i / 1000], instruction: "instruction " + (i % 13),
      score: scores.reduce((a, b) => a + b, 0) / 4, scores, outputs: scores.map(String), reused: i >= 13,
      calls: 4, cacheHits: 0, inputTokens: 10, outputTokens: 2, costUsd: 0.001, generationMs: 1, evaluationMs: 2,
    });
    ledger.setState(runId, "next", i + 1);
  });
  process.stdout.write(i + "\\n");
}
`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", writer, url, id], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lastDone = -1;
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    await new Promise<void>((done, fail) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const l of lines) lastDone = Number(l);
        if (lastDone >= 100 && !child.killed) {
          child.kill("SIGKILL");
          done();
        }
      });
      child.on("exit", () => (lastDone >= 100 ? done() : fail(new Error(`writer exited early: ${stderr}`))));
    });
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(null) : child.on("exit", r),
    );
    expect(child.signalCode).toBe("SIGKILL");
    const ledger = openLedger(url);
    const evs = ledger.evaluations(id);
    expect(evs.length).toBeGreaterThanOrEqual(lastDone + 1);
    expect(evs.map((e) => e.index)).toEqual([...Array(evs.length).keys()]);
    expect(ledger.getState(id, "next")).toBe(evs.length);
    expect(ledger.appendEvaluation(id, evs[evs.length - 1])).toBe(false);
    ledger.close();
  });

  it("takes the writes of several connections at once (run and spend numbers never collide)", async () => {
    const url = await freshDb("many");
    const ledgers = [openLedger(url), openLedger(url), openLedger(url)];
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(ledgers[i % 3].createRun(makeConfig({ seed: i })));
    expect(new Set(ids).size).toBe(30);
    const run = ids[0];
    for (let i = 0; i < 30; i++)
      ledgers[i % 3].recordSpend(run, {
        phase: "search",
        source: "target",
        inputTokens: 1,
        outputTokens: 1,
        costUsd: 0,
      });
    expect(ledgers[0].spendBySource(run).target.calls).toBe(30);
    expect(ledgers[1].listRuns()).toHaveLength(30);
    fillRun(ledgers[2], 3, { seed: 99 });
    expect(ledgers[0].listRuns()).toHaveLength(31);
    for (const l of ledgers) l.close();
  });
});

describe("response cache on Postgres", () => {
  it("stores answers in the database, shared by every connection, committed on return", async () => {
    const url = await freshDb("cache");
    const a = new ResponseCache(url);
    expect(a.path).not.toContain("s3cret-pw");
    a.put(
      "k1",
      { provider: "openai", model: "m" },
      { text: "hello", usage: { inputTokens: 3, outputTokens: 1 } },
    );
    a.put(
      "k1",
      { provider: "openai", model: "m" },
      { text: "hello again", usage: { inputTokens: 4, outputTokens: 2 } },
    );
    const b = new ResponseCache(url);
    expect(b.get("k1")).toEqual({ text: "hello again", usage: { inputTokens: 4, outputTokens: 2 } });
    expect(b.get("k2")).toBeUndefined();
    expect(b.size()).toBe(1);
    a.close();
    b.close();
    // the ledger of the same database points its runs' default cache there
    const ledger = openLedger(url);
    expect(ledger.sharedCacheLocation()).toBe(url);
    ledger.close();
    expect(() => new ResponseCache("postgres://u:pw-hidden@127.0.0.1:1/x")).toThrow(
      /cannot connect to the response cache postgres:\/\/\*\*\*@127\.0\.0\.1:1\/x/,
    );
  });
});

describe("rate limiter on Postgres", () => {
  it("admits at most the window's allowance across connections, then waits for the oldest to leave", async () => {
    const url = await freshDb("rate");
    const a = openLedger(url);
    const b = openLedger(url);
    // 120 per minute in a 1 s window: 2 per second
    const la = new StoreRateLimiter(a.driver, { rpm: 120 }, 1000);
    const lb = new StoreRateLimiter(b.driver, { rpm: 120 }, 1000);
    expect(la.tryTake("openai:m", 10)).toBe(0);
    expect(lb.tryTake("openai:m", 10)).toBe(0);
    const wait = la.tryTake("openai:m", 10);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1000 + la.guardMs + 1); // the oldest leaves the window (and its guard)
    expect(lb.tryTake("other:model", 10)).toBe(0); // keys are apart
    const t0 = performance.now();
    await lb.acquire("openai:m", 10);
    expect(performance.now() - t0).toBeGreaterThan(wait - 50);
    expect(la.inWindow("openai:m")).toBeLessThanOrEqual(2);
    // tokens: a request larger than the allowance goes alone
    const lt = new StoreRateLimiter(a.driver, { tpm: 600 }, 1000); // 10 tokens per window
    expect(lt.tryTake("tok", 8)).toBe(0);
    expect(lt.tryTake("tok", 8)).toBeGreaterThan(0);
    a.close();
    b.close();
  });
});
