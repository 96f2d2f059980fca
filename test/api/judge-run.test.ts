/**
 * Metrics inside a run: an LLM judge answered by the local fake OpenAI server (its calls in the totals,
 * priced apart, in the dry-run plan and under --max-cost), and metric values outside [0, 1].
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { optimizeInstruction } from "../../src/api/optimize-instruction.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { judgeMetric } from "../../src/metrics/judge.js";
import { planRun } from "../../src/optimizers/plan.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { inMemoryTask } from "../../src/optimizers/run-task.js";
import { splitTask } from "../../src/tasks/splits.js";
import { examplesFromObjects, examplesSha256 } from "../../src/tasks/user-file.js";
import { UserError } from "../../src/util/errors.js";

const reverse = (w: string) => [...w].reverse().join("");
const examples = Array.from({ length: 24 }, (_, i) => ({ input: `word${i}`, output: reverse(`word${i}`) }));
const blackBox = async ({ input }: { instruction: string; input: string }) =>
  Number(input.slice(4)) % 3 === 0 ? reverse(input) : input;

let server: FakeOpenAI;
let model: string;
const saved = { ...process.env };

beforeAll(async () => {
  // the judge grades 9 when the system output is the reference answer, else 2
  server = await startFakeOpenAI({
    answer: (req) => {
      const out = req.prompt.match(/System output to grade:\n([\s\S]*?)\n\nGrade/)?.[1];
      const refs = req.prompt.match(/Reference answer\(s\)[^\n]*\n([\s\S]*?)\n\nSystem output/)?.[1] ?? "";
      return refs.includes(`- ${out}`) ? "Score: 9\nReason: matches" : "Score: 2\nReason: wrong word";
    },
  });
  process.env.OPENAI_BASE_URL = server.url;
  process.env.OPENAI_API_KEY = "test";
  model = join(mkdtempSync(join(tmpdir(), "iz-judge-")), "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
});
afterAll(async () => {
  process.env = saved;
  await server.close();
});

const base = () => ({
  examples,
  blackBox,
  metric: judgeMetric({ model: "openai:gpt-4o-mini", rubric: "The output is the input written backwards." }),
  generator: model,
  method: "uniform",
  budget: 4,
  initialPoints: 4,
  validationSize: 4,
  store: false as const,
  cache: false,
});

describe("LLM judge inside a run", () => {
  it("scores every answer with the judge; its calls, tokens and dollars are counted apart", async () => {
    const before = server.stats().completions;
    const r = await optimizeInstruction(base());
    expect(r.status).toBe("completed");
    const judged = server.stats().completions - before;
    const t = r.totals;
    // every answer the function black box gave was judged once (validation, selection, baselines, test)
    expect(t.judgeCalls).toBe(judged);
    expect(t.calls).toBe(judged);
    expect(t.judgeCostUsd).toBeGreaterThan(0);
    expect(t.costUsd).toBe(0); // the function reported no cost
    expect(t.totalCostUsd).toBeCloseTo(t.judgeCostUsd!, 12);
    const scores = r.evaluations.flatMap((e) => e.examples.map((x) => [x.score, x.feedback]));
    expect(new Set(scores.map((s) => s[0]))).toEqual(new Set([0.9, 0.2]));
    expect(scores.every(([s, f]) => f === (s === 0.9 ? "matches" : "wrong word"))).toBe(true);
  });

  it("is in the dry-run plan and under --max-cost (one budget with the black box)", async () => {
    const list = examplesFromObjects(examples);
    const config = makeRunConfig(
      {
        task: "examples",
        method: "uniform",
        generator: model,
        budget: 4,
        initialPoints: 4,
        validationSize: 4,
        metric: "judge:openai:gpt-4o-mini",
        rubric: "backwards",
      },
      { examplesHash: examplesSha256(list), blackBoxFunction: true },
    );
    const splits = splitTask(inMemoryTask("examples", list), { seed: 0, validationSize: 4 });
    const plan = planRun(config, splits);
    const scoring =
      plan.validationCalls + plan.initCalls + plan.selectionCalls + plan.baselineCalls + plan.testCalls;
    expect(plan.validationCalls).toBe(4 * 4);
    expect(plan.judgeCalls).toBe(scoring);
    expect(plan.judgeCostUsd).toBeGreaterThan(0);

    // the cap holds with judge calls in flight (default concurrency 8): admitted at their worst case
    const before = server.stats().completions;
    const maxCost = 0.0005;
    const r = await optimizeInstruction({ ...base(), budget: 12, initialPoints: 12, maxCost });
    expect(r.status).toBe("stopped");
    expect(r.reason).toMatch(/--max-cost \$0\.0005 reached/);
    const judged = server.stats().completions - before;
    expect(r.totals.judgeCalls).toBe(judged); // counts equal answered requests
    const spent = r.totals.totalCostUsd!;
    expect(spent).toBeLessThanOrEqual(maxCost);
    // and stops close to it: within the worst case of one judge call (the admission bound)
    const worstJudgeCall = (0.15 * (1200 + 16) + 0.6 * 128) / 1e6;
    expect(maxCost - spent).toBeLessThan(worstJudgeCall);
  });
});

describe("metric values", () => {
  it("a value outside [0, 1] or NaN is an error naming the example", async () => {
    for (const bad of [1.5, Number.NaN, -0.1]) {
      const err = await optimizeInstruction({ ...base(), metric: () => bad }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(
        new RegExp(
          `metric function returned ${String(bad).replace(".", "\\.")} for validation example \\d+ \\(input "word\\d+"\\)`,
        ),
      );
    }
  });
});
