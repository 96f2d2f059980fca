/**
 * Workers through faults of the database and of their own lives, on a throwaway PostgreSQL cluster and
 * the counting fake OpenAI server with the built CLI:
 * - the database is shut down under two running workers and started again: they reconnect (with
 *   backoff, within --reconnect-for), the cells cut by the outage resume, the sweep completes and its
 *   results equal a single-process sweep's;
 * - four graceful stops (SIGINT) of workers in the middle of the same cell give it back to the queue
 *   without using up its retries (the cell is never marked failed), and a later worker finishes it;
 * - `bench --status` shows a cell whose worker died as "stalled", not "running";
 * - a single run on the Postgres store rides out the same restart and ends as an uninterrupted run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { CLI, runCli } from "../helpers/cli.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const fx = makeOptimizeFixture();
let pgServer: TestPostgres;
let server: FakeOpenAI;

beforeAll(async () => {
  pgServer = await startPostgres();
  server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 40 });
});
afterAll(async () => {
  await server?.close();
  await pgServer?.stop();
});

interface Worker {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(url: string, env: Record<string, string>, extra: string[] = []): Worker {
  const child = spawn(
    process.execPath,
    [CLI, "worker", "--store", url, "--exit-when-done", "--poll", "200", ...extra],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exit };
}

async function until(what: string, cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function csvRows(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split("\n");
  const cols = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

function resultOf(e: EvaluationRecord) {
  return [e.index, e.iteration, e.instruction, e.score, e.scores, e.outputs, e.reused, e.z];
}

const run = [
  ...["--target", "openai:fake", "--base-url", "", "--generator", fx.model],
  ...["--budget", "8", "--initial-points", "4", "--batch-size", "2", "--validation-size", "3"],
];
const runArgs = () => run.map((a) => (a === "" ? server.url : a));
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_QUEUE_MAINTENANCE_S: "1" };

describe("workers through a database outage", () => {
  it("two workers ride out a restart of Postgres; the sweep completes equal to a single-process sweep", async () => {
    const url = await pgServer.createDatabase("outage");
    const grid = ["--tasks", fx.taskFile, "--methods", "uniform,ape", "--seeds", "0,1"];
    const refCsv = join(fx.dir, "outage-ref.csv");
    const ref = await runCli(
      ["bench", ...grid, ...runArgs(), "--ledger", join(fx.dir, "outage-ref.sqlite"), "--csv", refCsv],
      { env: { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_CACHE: join(fx.dir, "outage-ref-cache.sqlite") } },
    );
    expect(ref.code, ref.stderr).toBe(0);

    const queueArgs = ["--queue", url, "--lease", "60", "--retries", "1", "--retry-delay", "0"];
    const enq = await runCli(["bench", ...grid, ...runArgs(), ...queueArgs], { env });
    expect(enq.code, enq.stderr).toBe(0);
    const workers = [
      startWorker(url, env, ["--reconnect-for", "90s"]),
      startWorker(url, env, ["--reconnect-for", "90s"]),
    ];
    try {
      await until("a worker to start a cell", () => workers.some((w) => /: started/.test(w.stderr())));
      const seen = server.requests.length;
      await until("requests of the started cells", () => server.requests.length >= seen + 10);
      await pgServer.stopServer("fast");
      await sleep(3000);
      // both workers are still there, waiting for the database
      for (const w of workers) expect(w.child.exitCode, w.stderr()).toBeNull();
      await pgServer.restartServer();
      for (const w of workers) {
        const r = await w.exit;
        expect(r.code, w.stderr()).toBe(0);
      }
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    }
    const logs = workers.map((w) => w.stderr()).join("");
    // the server really went away under them (pg-boss reports its lost connections)
    expect(logs).toMatch(
      /terminating connection due to administrator command|cannot be reached|reconnecting/,
    );
    expect(logs).not.toMatch(/: failed/);

    const csv = join(fx.dir, "outage.csv");
    const st = await runCli(["bench", "--status", "--queue", url, "--csv", csv], { env });
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain("4 cells: 4 done, 0 running, 0 waiting, 0 failed");
    const key = (r: Record<string, string>) => `${r.task}/${r.method}/${r.seed}`;
    const pick = (r: Record<string, string>) => [key(r), r.status, r.validation, r.test];
    const sorted = (f: string) =>
      csvRows(readFileSync(f, "utf8")).sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(csv).map(pick)).toEqual(sorted(refCsv).map(pick));
    const refLedger = openLedger(join(fx.dir, "outage-ref.sqlite"), { create: false });
    const distLedger = openLedger(url, { create: false });
    try {
      for (const r of distLedger.listRuns()) {
        const config = distLedger.getRun(r.id).config;
        const twin = refLedger.listRuns().find((x) => {
          const c = refLedger.getRun(x.id).config;
          return c.method === config.method && c.seed === config.seed;
        });
        expect(distLedger.evaluations(r.id).map(resultOf)).toEqual(
          refLedger.evaluations(twin!.id).map(resultOf),
        );
      }
    } finally {
      refLedger.close();
      distLedger.close();
    }
  }, 300_000);
});

describe("graceful stops and dead workers", () => {
  it("four Ctrl-C stops use no retry; a dead worker's cell shows as stalled; a last worker finishes it", async () => {
    const url = await pgServer.createDatabase("graceful");
    const grid = ["--tasks", fx.taskFile, "--methods", "uniform", "--seeds", "5"];
    // --retries 3: four stops that each used a retry would mark the cell failed
    const queueArgs = ["--queue", url, "--lease", "3", "--retries", "3", "--retry-delay", "0"];
    const slow = ["--budget", "40"];
    const enq = await runCli(["bench", ...grid, ...runArgs(), ...slow, ...queueArgs], { env });
    expect(enq.code, enq.stderr).toBe(0);
    for (let i = 0; i < 4; i++) {
      const w = startWorker(url, env);
      await until("the worker to start the cell", () => /: started/.test(w.stderr()));
      const seen = server.requests.length;
      await until("a few requests", () => server.requests.length >= seen + 3 || w.child.exitCode !== null);
      w.child.kill("SIGINT");
      const r = await w.exit;
      expect(r.code, w.stderr()).toBe(130);
      expect(w.stderr()).toMatch(/interrupted .*back in the queue/);
      expect(w.stderr()).toMatch(/started \(job [0-9a-f-]+\)\n/); // never "try n": no retry was used
      const st = await runCli(["bench", "--status", "--queue", url], { env });
      expect(st.stdout).toContain("1 cells: 0 done, 0 running, 1 waiting, 0 failed");
    }
    // a worker killed in the middle of the cell: stalled, not running
    const victim = startWorker(url, env);
    await until("the worker to start the cell", () => /: started/.test(victim.stderr()));
    const seen = server.requests.length;
    await until("a few requests", () => server.requests.length >= seen + 3);
    victim.child.kill("SIGKILL");
    await victim.exit;
    const st = await runCli(["bench", "--status", "--queue", url], { env });
    expect(st.stdout).toMatch(/stalled/);
    expect(st.stdout).toContain(`its worker on `);
    expect(st.stdout).toContain(`(pid ${victim.child.pid}) stopped`);
    expect(st.stdout).toContain("0 running, 1 stalled");
    const last = startWorker(url, env);
    const r = await last.exit;
    expect(r.code, last.stderr()).toBe(0);
    const done = await runCli(["bench", "--status", "--queue", url], { env });
    expect(done.stdout).toContain("1 cells: 1 done, 0 running, 0 waiting, 0 failed");
  }, 300_000);
});

describe("a single run through a database outage", () => {
  it("optimize --store postgres://... rides out a restart and ends identical to an uninterrupted run", async () => {
    const url = await pgServer.createDatabase("single");
    const args = [
      "optimize",
      "--task",
      fx.taskFile,
      ...runArgs(),
      "--method",
      "uniform",
      "--seed",
      "3",
      "--json",
    ];
    const ref = await runCli(
      [
        ...args,
        "--ledger",
        join(fx.dir, "single-ref.sqlite"),
        "--cache",
        join(fx.dir, "single-ref-cache.sqlite"),
      ],
      {
        env,
      },
    );
    expect(ref.code, ref.stderr).toBe(0);
    const refOut = JSON.parse(ref.stdout);
    const seen = server.requests.length;
    const child = spawn(process.execPath, [CLI, ...args, "--store", url], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        ...env,
        INSTRUCTZERO_RECONNECT_MS: "90s",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until("requests of the run", () => server.requests.length >= seen + 8 || child.exitCode !== null);
      expect(child.exitCode, stderr).toBeNull();
      await pgServer.stopServer("fast");
      await sleep(3000);
      expect(child.exitCode, stderr).toBeNull();
      await pgServer.restartServer();
      expect(await exit, stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    const out = JSON.parse(stdout);
    expect(out.status).toBe("completed");
    expect(out.best.instruction).toBe(refOut.best.instruction);
    expect(out.test.scores).toEqual(refOut.test.scores);
    const a = openLedger(join(fx.dir, "single-ref.sqlite"), { create: false });
    const b = openLedger(url, { create: false });
    try {
      expect(b.evaluations(out.runId).map(resultOf)).toEqual(a.evaluations(refOut.runId).map(resultOf));
    } finally {
      a.close();
      b.close();
    }
  }, 300_000);
});
