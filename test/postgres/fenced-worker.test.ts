/**
 * Fenced run locks between workers: a worker paused (SIGSTOP) in the middle of a cell past its lease
 * and the lock's staleness; another worker takes the cell over and finishes it; the paused worker, woken
 * (SIGCONT), drops the cell (it neither completes nor fails the job) without sending anything more.
 * Nothing is answered twice beyond what was in flight at the pause; the result equals a single process's.
 */
import { type ChildProcess, spawn } from "node:child_process";
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
  server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 60 });
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

function startWorker(url: string, env: Record<string, string>): Worker {
  const child = spawn(
    process.execPath,
    [CLI, "worker", "--store", url, "--exit-when-done", "--poll", "200"],
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

async function until(
  what: string,
  cond: () => boolean,
  detail: () => string = () => "",
  timeoutMs = 120_000,
): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function resultOf(e: EvaluationRecord) {
  return [e.index, e.iteration, e.instruction, e.score, e.scores, e.outputs, e.reused, e.z];
}

describe("a worker paused past its lease and lock", () => {
  it("drops the cell when woken; the cell is finished once, by the worker that took it over", async () => {
    const url = await pgServer.createDatabase("fenced");
    const grid = ["--tasks", fx.taskFile, "--methods", "uniform", "--seeds", "7"];
    const run = [
      ...["--target", "openai:fake", "--base-url", server.url, "--generator", fx.model],
      ...["--budget", "16", "--initial-points", "4", "--batch-size", "4", "--validation-size", "4"],
    ];
    const ref = await runCli(["bench", ...grid, ...run, "--ledger", join(fx.dir, "ref.sqlite")], {
      env: { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_CACHE: join(fx.dir, "ref-cache.sqlite") },
    });
    expect(ref.code, ref.stderr).toBe(0);

    const env = {
      OPENAI_API_KEY: "sk-test",
      INSTRUCTZERO_LOCK_STALE_MS: "1500",
      INSTRUCTZERO_QUEUE_MAINTENANCE_S: "1",
    };
    const enq = await runCli(
      ["bench", ...grid, ...run, "--queue", url, "--lease", "2", "--retry-delay", "0"],
      {
        env,
      },
    );
    expect(enq.code, enq.stderr).toBe(0);
    const logStart = server.requests.length;
    const a = startWorker(url, env);
    let b: Worker | undefined;
    let inFlight = 0;
    try {
      await until("the first worker to start the cell", () => /: started/.test(a.stderr()));
      await until("a few requests", () => server.requests.length - logStart >= 10);
      a.child.kill("SIGSTOP");
      await new Promise((r) => setTimeout(r, 300));
      inFlight = server.requests
        .slice(logStart)
        .filter((e) => e.end === undefined || e.end > performance.now() - 400).length;
      b = startWorker(url, env);
      await until("the second worker to take the cell over", () =>
        /started \(job [0-9a-f-]+, try 2\)/.test(b!.stderr()),
      );
      const atTakeover = server.requests.length;
      await until(
        "the second worker to send",
        () => server.requests.length >= atTakeover + 3 || b!.child.exitCode !== null,
        () => `; it sent ${server.requests.length - atTakeover}; its log:\n${b!.stderr()}`,
      );
      a.child.kill("SIGCONT");
      const ra = await a.exit;
      const rb = await b.exit;
      expect(rb.code, b.stderr()).toBe(0);
      expect(ra.code, a.stderr()).toBe(0);
      expect(a.stderr()).toMatch(/dropped: run \S+ was taken over by process \d+ on /);
      expect(a.stderr()).not.toMatch(/: (completed|failed)/);
      expect(b.stderr()).toMatch(/: completed/);
    } finally {
      for (const w of [a, b]) if (w && w.child.exitCode === null) w.child.kill("SIGKILL");
    }
    const st = await runCli(["bench", "--status", "--queue", url], { env });
    expect(st.stdout).toContain("1 cells: 1 done, 0 running, 0 waiting, 0 failed");

    const refLedger = openLedger(join(fx.dir, "ref.sqlite"), { create: false });
    const dist = openLedger(url, { create: false });
    try {
      const [r] = dist.listRuns();
      const [t] = refLedger.listRuns();
      expect(dist.evaluations(r.id).map(resultOf)).toEqual(refLedger.evaluations(t.id).map(resultOf));
      expect(dist.getRun(r.id).result?.test?.score).toBe(refLedger.getRun(t.id).result?.test?.score);
    } finally {
      refLedger.close();
      dist.close();
    }
    // nothing answered twice beyond the requests in flight at the pause
    const seen = new Set<string>();
    let repeats = 0;
    for (const e of server.requests.slice(logStart)) {
      const key = JSON.stringify(e.body);
      if (seen.has(key)) repeats++;
      seen.add(key);
    }
    expect(repeats).toBeLessThanOrEqual(inFlight);
  }, 240_000);
});
