/**
 * A run whose ledger and response cache live in PostgreSQL (`--store postgres://...`), killed with
 * SIGKILL three times and resumed each time, ends identical to the same run on SQLite, uninterrupted;
 * no answer the client had received is paid again; `runs`, `show` and `report` read the store; the
 * store URL's password never appears in any output nor in the stored configuration.
 */
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { runCli } from "../helpers/cli.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test" };
let pgServer: TestPostgres;
let server: FakeOpenAI;

beforeAll(async () => {
  pgServer = await startPostgres();
  server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 5 });
});
afterAll(async () => {
  await server?.close();
  await pgServer?.stop();
});

function args(store: string[]): string[] {
  return [
    "optimize",
    ...["--task", fx.taskFile, "--target", "openai:fake", "--base-url", server.url, "--generator", fx.model],
    ...["--method", "instructzero", "--budget", "12", "--initial-points", "4", "--batch-size", "4"],
    ...["--validation-size", "5", ...store, "--json"],
  ];
}

function essence(evals: EvaluationRecord[]) {
  return evals.map((e) => ({
    z: e.z,
    instruction: e.instruction,
    scores: e.scores,
    outputs: e.outputs,
    reused: e.reused,
  }));
}

async function cachedRows(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query("SELECT COUNT(*) AS n FROM responses")).rows[0].n);
  } finally {
    await c.end();
  }
}

describe("a run on the Postgres store", () => {
  it("resumed after SIGKILL three times equals the uninterrupted SQLite run", async () => {
    const ref = await runCli(
      args(["--cache", join(fx.dir, "ref.cache.sqlite"), "--ledger", join(fx.dir, "ref.sqlite")]),
      { env },
    );
    expect(ref.code, ref.stderr).toBe(0);
    const refOut = JSON.parse(ref.stdout);
    const refLedger = openLedger(join(fx.dir, "ref.sqlite"), { create: false });
    const refEvals = refLedger.evaluations(refOut.runId);
    refLedger.close();

    const url = (await pgServer.createDatabase("resume")).replace("postgres@", "postgres:pw-secret-2@");
    const logStart = server.requests.length;
    let runId = "";
    let lostInFlight = 0;
    const outputs: string[] = [];
    for (const killAfter of [3, 24, 45]) {
      const r = await runCli(runId ? ["resume", runId, "--store", url, "--json"] : args(["--store", url]), {
        env,
        onSpawn: (kill) => {
          const timer = setInterval(() => {
            if (server.requests.length - logStart >= killAfter) {
              clearInterval(timer);
              kill("SIGKILL");
            }
          }, 2);
        },
      });
      outputs.push(r.stdout, r.stderr);
      if (!runId) runId = /run (\S+) \(resume/.exec(r.stderr)?.[1] ?? "";
      expect(runId).not.toBe("");
      expect(r.signal, r.stderr).toBe("SIGKILL");
      const sent = server.requests
        .slice(logStart)
        .filter((e) => e.status === 200 && e.end !== undefined).length;
      const lost = sent - (await cachedRows(url)) - lostInFlight;
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThanOrEqual(8);
      lostInFlight += lost;
    }
    // killed: the run shows as interrupted in `runs`
    const runs = await runCli(["runs", "--store", url], { env });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toContain(runId);
    expect(runs.stdout).toContain("interrupted");
    outputs.push(runs.stdout, runs.stderr);

    const final = await runCli(["resume", runId, "--store", url, "--json"], { env });
    expect(final.code, final.stderr).toBe(0);
    outputs.push(final.stdout, final.stderr);
    const out = JSON.parse(final.stdout);
    expect(out.status).toBe("completed");
    const ledger = openLedger(url, { create: false });
    expect(essence(ledger.evaluations(runId))).toEqual(essence(refEvals));
    expect(JSON.stringify(ledger.getRun(runId).config)).not.toContain("pw-secret-2");
    // every answer stored was paid and logged (requests lost in a kill too, at their worst case)
    expect(ledger.spendBySource(runId).target.calls).toBeGreaterThanOrEqual(await cachedRows(url));
    ledger.close();
    expect(out.best.instruction).toBe(refOut.best.instruction);
    expect(out.test.scores).toEqual(refOut.test.scores);

    // no answer the client had received was asked for again
    const completed = new Set<string>();
    let repeats = 0;
    for (const entry of server.requests.slice(logStart)) {
      const key = JSON.stringify(entry.body);
      if (completed.has(key)) repeats++;
      if (entry.status === 200 && entry.end !== undefined) completed.add(key);
    }
    expect(repeats).toBeLessThanOrEqual(lostInFlight);

    // show and report read the store; INSTRUCTZERO_STORE works like --store
    const show = await runCli(["show", runId], { env: { ...env, INSTRUCTZERO_STORE: url } });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(refOut.best.instruction.slice(0, 20));
    const report = await runCli(["report", runId, "--store", url, "--json", "--out", "-"], { env });
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).run.id).toBe(runId);
    outputs.push(show.stdout, show.stderr, report.stdout, report.stderr);

    // a completed run resumed again calls nothing
    const before = server.requests.length;
    const again = await runCli(["resume", runId, "--store", url, "--json"], { env });
    expect(again.code).toBe(0);
    expect(server.requests.length).toBe(before);

    // errors name the store without its password
    const bad = await runCli(["runs", "--store", "postgres://u:pw-secret-3@127.0.0.1:1/none"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("postgres://***@127.0.0.1:1/none");
    outputs.push(bad.stdout, bad.stderr);
    for (const o of outputs) {
      expect(o).not.toContain("pw-secret-2");
      expect(o).not.toContain("pw-secret-3");
    }
  }, 180_000);
});
