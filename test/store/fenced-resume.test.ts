/**
 * Fenced run locks, end to end: a real CLI run against the counting fake OpenAI server is paused
 * (SIGSTOP) past the lock's staleness limit, `resume` in another process takes the run over, then the
 * first process is woken (SIGCONT). The first process stands down (exit 3, naming the takeover) without
 * sending or writing anything more; nothing is answered twice beyond what was in flight at the pause;
 * the resumed run ends identical to an uninterrupted one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { CLI, runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const STALE_MS = 1000;
const env = { OPENAI_API_KEY: "sk-test", INSTRUCTZERO_LOCK_STALE_MS: String(STALE_MS) };

function args(url: string, name: string): string[] {
  return [
    "optimize",
    ...["--task", fx.taskFile, "--target", "openai:fake", "--base-url", url, "--generator", fx.model],
    ...["--method", "instructzero", "--budget", "16", "--initial-points", "4", "--batch-size", "4"],
    ...["--validation-size", "5", "--concurrency", "4"],
    ...["--cache", join(fx.dir, `${name}.cache.sqlite`), "--ledger", join(fx.dir, `${name}.ledger.sqlite`)],
    "--json",
  ];
}

/** A CLI process whose stderr can be read while it runs. */
function start(argv: string[]): {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [CLI, ...argv], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
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
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

async function until(cond: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function essence(evals: EvaluationRecord[]) {
  return evals.map((e) => ({ z: e.z, instruction: e.instruction, scores: e.scores, outputs: e.outputs }));
}

describe("a run paused past its lock's staleness and taken over", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 120 });
  });
  afterAll(() => server.close());

  it("stands down when woken: exit 3, nothing sent or written, nothing answered twice beyond the in-flight requests", async () => {
    const refStart = server.requests.length;
    const ref = await runCli(args(server.url, "ref"), { env });
    expect(ref.code, ref.stderr).toBe(0);
    const refOut = JSON.parse(ref.stdout);
    const refRequests = server.requests.length - refStart;
    const refLedger = openLedger(join(fx.dir, "ref.ledger.sqlite"), { create: false });
    const refEvals = refLedger.evaluations(refOut.runId);
    refLedger.close();

    const logStart = server.requests.length;
    const a = start(args(server.url, "paused"));
    await until(() => /run (\S+) \(resume/.test(a.stderr()), "the run id");
    const runId = /run (\S+) \(resume/.exec(a.stderr())?.[1] ?? "";
    await until(() => server.requests.length - logStart >= 12, "a few requests");
    a.child.kill("SIGSTOP");
    await sleep(300); // requests the process had written reach the server
    const received = server.requests.length - logStart;
    const cache = new Database(join(fx.dir, "paused.cache.sqlite"), { readonly: true });
    const cached = cache.prepare("SELECT COUNT(*) FROM responses").pluck().get() as number;
    cache.close();
    // sent but never stored by the paused process: the only answers that may be asked for again
    const inFlight = received - cached;
    expect(inFlight).toBeGreaterThanOrEqual(0);
    expect(inFlight).toBeLessThanOrEqual(4);
    await sleep(STALE_MS + 500);

    const b = start(["resume", runId, "--ledger", join(fx.dir, "paused.ledger.sqlite"), "--json"]);
    const atResume = server.requests.length;
    await until(
      () => server.requests.length - atResume >= 3 || b.child.exitCode !== null,
      "the resumed process to send",
    );
    const bRunning = b.child.exitCode === null;
    a.child.kill("SIGCONT");
    const [ra, rb] = await Promise.all([a.done, b.done]);

    expect(ra.code, ra.stderr).toBe(3);
    expect(ra.stderr).toMatch(/was taken over by/);
    if (bRunning) expect(ra.stderr).toContain(`process ${b.child.pid} on `);
    expect(rb.code, rb.stderr).toBe(0);
    const out = JSON.parse(rb.stdout);
    expect(out.status).toBe("completed");

    // identical to the uninterrupted run
    const ledger = openLedger(join(fx.dir, "paused.ledger.sqlite"), { create: false });
    const evals = ledger.evaluations(runId);
    const run = ledger.getRun(runId);
    ledger.close();
    expect(run.status).toBe("completed");
    expect(essence(evals)).toEqual(essence(refEvals));
    expect(out.best.instruction).toBe(refOut.best.instruction);
    expect(out.test.scores).toEqual(refOut.test.scores);

    // nothing answered twice beyond what was in flight at the pause
    const log = server.requests.slice(logStart);
    const seen = new Set<string>();
    let repeats = 0;
    for (const entry of log) {
      const key = JSON.stringify(entry.body);
      if (seen.has(key)) repeats++;
      seen.add(key);
    }
    expect(repeats).toBeLessThanOrEqual(inFlight);
    expect(log.length).toBeLessThanOrEqual(refRequests + inFlight);
  }, 240_000);
});
