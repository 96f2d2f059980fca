/**
 * The library as a TypeScript/JavaScript user sees it: a script in another folder imports only the
 * built package ("instructzero" -> dist/), gives examples in memory, its own pipeline as a function
 * black box whose answers depend on the instruction, and a metric function; an AbortSignal fired
 * mid-run, then resumeRun, must give the same result as an uninterrupted run with the same seed; the
 * same with `store: false` writes no file at all.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeConsumer, runNode } from "../helpers/consumer.js";

const SCRIPT = String.raw`
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { optimizeInstruction, resumeRun } from "instructzero";
import { buildTestModel } from "instructzero/generator";

const unit = (s) => createHash("sha256").update(s).digest().readUInt32BE(0) / 2 ** 32;
const reverse = (w) => [...w].reverse().join("");
const examples = Array.from({ length: 30 }, (_, i) => ({ input: "word" + i, output: reverse("word" + i) }));
let pipelineCalls = 0;
// each instruction has a quality q; an input is answered right with probability q (hashed, so repeatable)
const blackBox = async ({ instruction, input }) => {
  pipelineCalls++;
  return unit("a:" + instruction + ":" + input) < unit("q:" + instruction) ? reverse(input) : input;
};
const metric = async ({ prediction, example }) =>
  prediction === example.output ? 1 : { score: 0, feedback: "expected " + example.output };

await buildTestModel("./micro", { preset: "micro", seed: 0 });
const base = {
  examples, blackBox, blackBoxId: "reverse@1", metric, generator: "./micro",
  budget: 14, initialPoints: 6, batchSize: 4, validationSize: 5, seed: 3, cache: false,
};
const summary = (r) => ({
  status: r.status,
  best: r.best,
  evaluations: r.evaluations.map((e) => [e.index, e.instruction, e.score, e.reused, e.examples.map((x) => [x.output, x.score, x.feedback ?? null])]),
  calls: r.totals.calls,
});

const full = await optimizeInstruction({ ...base, store: "./full.sqlite" });

const controller = new AbortController();
const events = [];
const first = await optimizeInstruction({
  ...base, store: "./resumed.sqlite", signal: controller.signal,
  onProgress: (e) => { if (e.candidate) { events.push(e); if (e.evaluations >= 5) controller.abort(); } },
});
const resumed = await resumeRun(first.runId, { store: "./resumed.sqlite", blackBox, metric });

const before = readdirSync(".").sort();
const callsBefore = pipelineCalls;
// no store and no cache setting: nothing may be written (no ledger, no response cache)
const memory = await optimizeInstruction({ ...base, cache: undefined, store: false });
const after = readdirSync(".").sort();

let misspelt = null;
try { await optimizeInstruction({ ...base, store: false, budgt: 5 }); } catch (e) { misspelt = e.message; }

console.log(JSON.stringify({
  full: summary(full), first: { status: first.status, n: first.evaluations.length }, resumed: summary(resumed),
  memory: summary(memory), memoryCalls: pipelineCalls - callsBefore, before, after,
  homeExists: existsSync("./home/.instructzero") || existsSync("./home/.cache/instructzero"), events: events.slice(0, 3), misspelt, warnings: full.warnings,
  feedbackExample: full.evaluations.flatMap((e) => e.examples).find((x) => x.feedback),
}));
`;

describe("optimizeInstruction / resumeRun from the built package", () => {
  interface Summary {
    status: string;
    best: { validationScore: number; testScore: number | null; instruction: string };
    evaluations: [number, string, number, boolean, unknown[]][];
    calls: number;
  }
  let out: {
    full: Summary;
    resumed: Summary;
    memory: Summary;
    first: { status: string; n: number };
    memoryCalls: number;
    before: string[];
    after: string[];
    homeExists: boolean;
    events: { phase: string; candidate: { index: number; instruction: string }; spent: { calls: number } }[];
    misspelt: string | null;
    feedbackExample: { feedback: string };
  };
  beforeAll(async () => {
    const dir = makeConsumer();
    writeFileSync(join(dir, "run.mjs"), SCRIPT);
    const r = await runNode(dir, "run.mjs");
    expect(r.code, r.stderr).toBe(0);
    out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  }, 120_000);

  it("runs to the budget with every candidate's per-example results and feedback", () => {
    expect(out.full.status).toBe("completed");
    expect(out.full.evaluations).toHaveLength(14);
    // chosen among the top candidates by validation (then re-scored on fresh examples)
    const scores = out.full.evaluations.map((e) => e[2]).sort((a, b) => b - a);
    expect(out.full.best.validationScore).toBeGreaterThanOrEqual(scores[Math.min(4, scores.length - 1)]);
    expect(typeof out.full.best.testScore).toBe("number");
    expect(out.full.calls).toBeGreaterThan(0);
    expect(out.feedbackExample.feedback).toMatch(/^expected /);
  });

  it("an aborted run resumes to exactly the uninterrupted result", () => {
    expect(out.first.status).toBe("interrupted");
    expect(out.first.n).toBeGreaterThanOrEqual(5);
    expect(out.first.n).toBeLessThan(14);
    expect(out.resumed.status).toBe("completed");
    expect(out.resumed.evaluations).toEqual(out.full.evaluations);
    expect(out.resumed.best).toEqual(out.full.best);
  });

  it("progress events carry the candidate and what was spent", () => {
    const e = out.events[0];
    expect(e.phase).toBe("evaluate");
    expect(e.candidate).toMatchObject({ index: 0 });
    expect(typeof e.candidate.instruction).toBe("string");
    expect(e.spent.calls).toBeGreaterThan(0);
  });

  it("store: false gives the same result and writes no file", () => {
    expect(out.memory.evaluations).toEqual(out.full.evaluations);
    expect(out.memoryCalls).toBeGreaterThan(0); // not cached: the pipeline was called again
    expect(out.after).toEqual(out.before);
    expect(out.homeExists).toBe(false);
  });

  it("require() works too (package exports have a default condition)", async () => {
    const dir = makeConsumer();
    writeFileSync(
      join(dir, "req.cjs"),
      'const iz = require("instructzero"); console.log(typeof iz.optimizeInstruction, typeof iz.resumeRun, typeof iz.judgeMetric);',
    );
    const r = await runNode(dir, "req.cjs");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("function function function");
  });

  it("a misspelt option is an error naming the field", () => {
    expect(out.misspelt).toBe('options: unknown field "budgt" (did you mean "budget"?)');
  });
});
