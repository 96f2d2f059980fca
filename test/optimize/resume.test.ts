import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "../../fixtures/optimize.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { runCli } from "../helpers/cli.js";

const fx = makeOptimizeFixture();
const env = { OPENAI_API_KEY: "sk-test" };
const METHODS = (
  process.env.IZ_RESUME_METHODS ??
  "uniform,instructzero,instructzero-distinct,instructzero-pipelined,ape,ape-demos,instructzero-demos"
).split(",");

/**
 * CLI arguments of a small run; "instructzero-distinct" is instructzero with --batch-mode distinct,
 * "instructzero-pipelined" with --pipelined; "ape-demos" ape with 2 fixed demonstrations in every prompt
 * (--target-demos 2), "instructzero-demos" instructzero searching demonstration sets (--demo-search).
 */
function args(url: string, name: string, method: string): string[] {
  const distinct = method === "instructzero-distinct";
  return [
    "optimize",
    ...["--task", fx.taskFile, "--target", "openai:fake", "--base-url", url, "--generator", fx.model],
    ...[
      "--method",
      method.startsWith("instructzero") ? "instructzero" : method.replace(/-demos$/, ""),
      ...(method.endsWith("-demos") ? ["--target-demos", "2"] : []),
      ...(method === "instructzero-demos" ? ["--demo-search"] : []),
      ...(distinct ? ["--batch-mode", "distinct"] : []),
      ...(method === "instructzero-pipelined" ? ["--pipelined"] : []),
      "--budget",
      "12",
      "--initial-points",
      "4",
      "--batch-size",
      "4",
      "--validation-size",
      "5",
    ],
    ...[
      "--cache",
      join(fx.dir, `${name}.cache.sqlite`),
      "--ledger",
      join(fx.dir, `${name}.ledger.sqlite`),
      "--json",
    ],
  ];
}

/** What must be identical between an interrupted-and-resumed run and an uninterrupted one. */
function essence(evals: EvaluationRecord[]) {
  return evals.map((e) => ({
    z: e.z,
    instruction: e.instruction,
    demos: e.demos,
    scores: e.scores,
    outputs: e.outputs,
    reused: e.reused,
  }));
}

describe.each(METHODS)("resume after SIGKILL (%s)", (method) => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ answer: instructionQualityAnswer, latencyMs: 5 });
  });
  afterAll(() => server.close());

  it("finishes identical to an uninterrupted run and never repays a completed call", async () => {
    const ref = await runCli(args(server.url, `ref-${method}`, method), { env });
    expect(ref.code, ref.stderr).toBe(0);
    const refOut = JSON.parse(ref.stdout);
    const refLedger = openLedger(join(fx.dir, `ref-${method}.ledger.sqlite`), { create: false });
    const refEvals = refLedger.evaluations(refOut.runId);
    refLedger.close();

    const name = `killed-${method}`;
    const logStart = server.requests.length;
    let runId = "";
    // Responses the server sent that the killed client never stored (in flight at the kill): only
    // these may be asked for again.
    let lostInFlight = 0;
    let kills = 0;
    const cachedRows = () => {
      const db = new Database(join(fx.dir, `${name}.cache.sqlite`), { readonly: true });
      try {
        return db.prepare("SELECT COUNT(*) FROM responses").pluck().get() as number;
      } finally {
        db.close();
      }
    };
    // Kill at several points: early in the initial batch, mid-run, and late. Pipelined (batches of 4 in
    // chunks 2 + 1 + 1, 5 queries a candidate): also in the initial batch's last chunk (batch 1's first
    // chunk proposed, its rest not yet) and in batch 1's first chunk (its rest proposed meanwhile).
    const killPoints = method === "instructzero-pipelined" ? [3, 17, 22, 27, 45] : [3, 24, 45];
    for (const killAfter of killPoints) {
      const seen = server.requests.length;
      const r = await runCli(
        runId
          ? ["resume", runId, "--ledger", join(fx.dir, `${name}.ledger.sqlite`), "--json"]
          : args(server.url, name, method),
        {
          env,
          onSpawn: (kill) => {
            const timer = setInterval(() => {
              if (server.requests.length - logStart >= killAfter) {
                clearInterval(timer);
                kill("SIGKILL");
              }
            }, 2);
          },
        },
      );
      if (!runId) runId = /run (\S+) \(resume/.exec(r.stderr)?.[1] ?? "";
      if (r.signal === "SIGKILL") {
        kills++;
        const sent = server.requests
          .slice(logStart)
          .filter((e) => e.status === 200 && e.end !== undefined).length;
        const lost = sent - cachedRows() - lostInFlight;
        expect(lost).toBeGreaterThanOrEqual(0);
        expect(lost).toBeLessThanOrEqual(8); // at most the requests in flight (concurrency 8)
        lostInFlight += lost;
      }
      expect(runId).not.toBe("");
      if (r.signal !== "SIGKILL") {
        // Finished before the kill point: nothing more to interrupt.
        expect(server.requests.length).toBeGreaterThanOrEqual(seen);
        break;
      }
    }
    expect(kills).toBe(killPoints.length);
    let final = await runCli(["resume", runId, "--ledger", join(fx.dir, `${name}.ledger.sqlite`), "--json"], {
      env,
    });
    expect(final.code, final.stderr).toBe(0);
    const out = JSON.parse(final.stdout);
    expect(out.status).toBe("completed");

    const ledger = openLedger(join(fx.dir, `${name}.ledger.sqlite`), { create: false });
    const evals = ledger.evaluations(runId);
    ledger.close();
    expect(essence(evals)).toEqual(essence(refEvals));
    expect(out.best.instruction).toBe(refOut.best.instruction);
    expect(out.test.scores).toEqual(refOut.test.scores);

    // No call whose answer the client had received is sent again: repeats are only the answers that
    // were still in flight when the process was killed.
    const log = server.requests.slice(logStart);
    const completed = new Set<string>();
    let repeats = 0;
    for (const entry of log) {
      const key = JSON.stringify(entry.body);
      if (completed.has(key)) repeats++;
      if (entry.status === 200 && entry.end !== undefined) completed.add(key);
    }
    expect(repeats).toBeLessThanOrEqual(lostInFlight);
    // Running resume on a completed run changes nothing and calls nothing.
    const before = server.requests.length;
    final = await runCli(["resume", runId, "--ledger", join(fx.dir, `${name}.ledger.sqlite`), "--json"], {
      env,
    });
    expect(final.code).toBe(0);
    expect(server.requests.length).toBe(before);
  });
});
