/**
 * Few-shot prompts (`targetDemos`): the prompt rendered exactly (per provider kind), the function black
 * box's `demos`, the demo pool disjoint from every split, cache keys, the dry-run plan and the run's
 * records, baselines and result carrying the demonstrations.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../../fixtures/fake-openai.js";
import { optimizeInstruction } from "../../src/api/optimize-instruction.js";
import { createBlackBox, createFunctionBlackBox } from "../../src/blackbox/client.js";
import type { BlackBoxQuery } from "../../src/blackbox/providers/function.js";
import { evaluateInstruction } from "../../src/evaluation/evaluate.js";
import { openLocalModel } from "../../src/generator/local-model.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { planRun } from "../../src/optimizers/plan.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { demoPool, layoutRun } from "../../src/optimizers/run-layout.js";
import { inMemoryTask } from "../../src/optimizers/run-task.js";
import { transferRun } from "../../src/optimizers/transfer.js";
import { exportRun } from "../../src/report/export.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { formatRunDetails } from "../../src/report/text.js";
import { openLedger } from "../../src/store/ledger.js";
import { renderQuery } from "../../src/tasks/templates.js";
import { examplesFromObjects, examplesSha256 } from "../../src/tasks/user-file.js";

const demos = [
  { input: "hot", output: "cold" },
  { input: "up", output: "down" },
];

/** The few-shot validation query of "give the opposite" on "happy" (the one template of text black boxes). */
const FEW_SHOT_VALIDATION =
  "Instruction: give the opposite\n\nInput: hot\nOutput: cold\n\nInput: up\nOutput: down\n\nInput: happy\n Output: ";

describe("the few-shot template", () => {
  it("renders the demonstrations between the instruction and the input, byte for byte", () => {
    expect(renderQuery("give the opposite", "happy", "validation", demos)).toBe(FEW_SHOT_VALIDATION);
    expect(renderQuery("give the opposite", "happy", "test", demos)).toBe(
      "Instruction: give the opposite\n\nInput: hot\nOutput: cold\n\nInput: up\nOutput: down\n\nInput: happy\n\nOUTPUT: ",
    );
    // the "no instruction" baseline: the demonstrations, then the input
    expect(renderQuery("", "happy", "validation", demos)).toBe(
      "Input: hot\nOutput: cold\n\nInput: up\nOutput: down\n\nInput: happy\n Output: ",
    );
    expect(renderQuery("", "happy", "test", demos)).toBe(
      "Input: hot\nOutput: cold\n\nInput: up\nOutput: down\n\nInput: happy\n\nOUTPUT: ",
    );
    // zero-shot is unchanged
    expect(renderQuery("give the opposite", "happy", "validation", [])).toBe(
      "Instruction: give the opposite\n\nInput: happy\n Output: ",
    );
    // placeholders inside demonstrations are not substituted again
    expect(renderQuery("I", "x", "validation", [{ input: "[INPUT]", output: "[PROMPT]" }])).toBe(
      "Instruction: I\n\nInput: [INPUT]\nOutput: [PROMPT]\n\nInput: x\n Output: ",
    );
  });
});

describe("few-shot prompts per provider kind", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: "k" });
  });
  afterAll(() => server.close());

  for (const [kind, model, env] of [
    ["openai", "openai:gpt-4o-mini", { OPENAI_API_KEY: "k" }],
    ["anthropic", "anthropic:claude-3-5-haiku-latest", { ANTHROPIC_API_KEY: "k" }],
  ] as const) {
    it(`${kind}: one user message holding the instruction, the demonstrations and the input`, async () => {
      const bb = createBlackBox(model, {
        baseURL: kind === "openai" ? server.url : server.origin,
        env,
        cache: false,
      });
      const before = server.requests.length;
      const ev = await evaluateInstruction(bb, "give the opposite", [{ input: "happy", answers: ["sad"] }], {
        metric: "em",
        demos,
      });
      await bb.close();
      const req = server.requests[before];
      expect(req.api).toBe(kind);
      expect(req.body.messages).toEqual([{ role: "user", content: FEW_SHOT_VALIDATION }]);
      expect(ev.examples[0].prompt).toBe(FEW_SHOT_VALIDATION);
      // the tokens billed are those of the prompt with its demonstrations
      expect(ev.inputTokens).toBe(Math.ceil(FEW_SHOT_VALIDATION.length / 4));
    });
  }

  it("local: the same one user message (answer and prompt tokens as the runtime's for that text)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "iz-fewshot-local-")), "micro");
    buildTestModel(dir, { preset: "micro", seed: 21 });
    const bb = createBlackBox(`local:${dir}`, { cache: false });
    const ref = await openLocalModel(dir);
    try {
      const ev = await evaluateInstruction(bb, "give the opposite", [{ input: "happy", answers: ["sad"] }], {
        metric: "em",
        demos,
        maxTokens: 5,
      });
      const want = await ref.complete(FEW_SHOT_VALIDATION, { maxNewTokens: 5 });
      expect(ev.examples[0].prompt).toBe(FEW_SHOT_VALIDATION);
      expect(ev.examples[0].output).toBe(want.text);
      expect(ev.inputTokens).toBe(want.promptTokens);
    } finally {
      await bb.close();
      await ref.close?.();
    }
  });

  it("function black boxes receive the demonstrations as `demos` (empty when zero-shot); they are in the cache key", async () => {
    const seen: BlackBoxQuery[] = [];
    const dir = mkdtempSync(join(tmpdir(), "iz-fewshot-"));
    const bb = createFunctionBlackBox(
      async (q) => {
        seen.push(q);
        return q.demos.length ? "few" : "zero";
      },
      { id: "demo-fn", cachePath: join(dir, "cache.sqlite") },
    );
    const ex = [{ input: "happy", answers: ["sad"] }];
    const few = await evaluateInstruction(bb, "give the opposite", ex, { metric: "em", demos });
    const zero = await evaluateInstruction(bb, "give the opposite", ex, { metric: "em" });
    expect(few.examples[0].output).toBe("few");
    expect(zero.examples[0].output).toBe("zero"); // a different cache entry
    expect(seen.map(({ instruction, input, demos }) => ({ instruction, input, demos }))).toEqual([
      { instruction: "give the opposite", input: "happy", demos },
      { instruction: "give the opposite", input: "happy", demos: [] },
    ]);
    // the same few-shot query again: a cache hit
    const again = await evaluateInstruction(bb, "give the opposite", ex, { metric: "em", demos });
    expect(again.examples[0].cached).toBe(true);
    expect(seen).toHaveLength(2);
    await bb.close();
  });
});

const reverse = (w: string) => [...w].reverse().join("");
const examples = Array.from({ length: 90 }, (_, i) => ({ input: `word${i}`, output: reverse(`word${i}`) }));
const list = examplesFromObjects(examples);
const task = inMemoryTask("examples", list);
const configOf = (o: Record<string, unknown>) =>
  makeRunConfig(
    { task: "examples", method: "uniform", budget: 4, initialPoints: 4, validationSize: 5, ...o },
    { examplesHash: examplesSha256(list), blackBoxFunction: true },
  );

describe("the demo pool", () => {
  it("never overlaps validation, selection or test (any seed, any method)", () => {
    for (const seed of [0, 1, 2, 3]) {
      for (const method of ["uniform", "ape"]) {
        const layout = layoutRun(configOf({ seed, method, targetDemos: 3, selectionSize: 50 }), task);
        const pool = layout.target.pool.map((d) => d.input);
        expect(pool.length).toBe(16);
        expect(new Set(pool).size).toBe(pool.length);
        expect(layout.target.demos).toEqual(layout.target.pool.slice(0, 3));
        expect(layout.selection.examples.length).toBeGreaterThan(0);
        for (const split of [layout.splits.validation, layout.splits.test, layout.selection.examples]) {
          expect(split.filter((e) => pool.includes(e.input))).toEqual([]);
        }
        // demonstrations are real input/output pairs of the task
        for (const d of layout.target.pool) expect(d.output).toBe(reverse(d.input));
      }
    }
  });

  it("is empty for zero-shot runs, and its size is max(4K, 16) at most what the task has", () => {
    const promptGen = list.slice(0, 10).map((e) => ({ input: e.input, answers: e.answers }));
    expect(demoPool(promptGen, 0, 0)).toEqual({ pool: [], demos: [] });
    expect(demoPool(promptGen, 2, 0).pool).toHaveLength(10);
    const big = list.map((e) => ({ input: e.input, answers: e.answers }));
    expect(demoPool(big, 5, 0).pool).toHaveLength(20);
    expect(demoPool(big, 5, 7)).toEqual(demoPool(big, 5, 7));
  });

  it("the dry-run plan counts the demonstrations' tokens (same calls)", () => {
    // (the fresh selection split is smaller with a demo pool: compare under the validation rule)
    const zero = configOf({ selection: "validation" });
    const few = configOf({ targetDemos: 4, selection: "validation" });
    const p0 = planRun(zero, layoutRun(zero, task));
    const p4 = planRun(few, layoutRun(few, task));
    expect(p4.maxCalls).toBe(p0.maxCalls);
    expect(p4.inputTokens).toBeGreaterThan(p0.inputTokens);
    const layout = layoutRun(few, task);
    const perQuery = (t: string) => Math.ceil(t.length / 4);
    const ex = layout.splits.validation[0];
    const extra =
      perQuery(renderQuery("x".repeat(80), ex.input, "validation", layout.target.demos)) -
      perQuery(renderQuery("x".repeat(80), ex.input, "validation"));
    expect(extra).toBeGreaterThan(10);
  });
});

describe("a few-shot run (library, function black box)", () => {
  let model: string;
  beforeAll(() => {
    model = join(mkdtempSync(join(tmpdir(), "iz-fewshot-run-")), "micro");
    buildTestModel(model, { preset: "micro", seed: 0 });
  });

  it("every query carries the run's demonstrations; records, baselines and the result name them", async () => {
    const calls: BlackBoxQuery[] = [];
    const r = await optimizeInstruction({
      examples,
      blackBox: async (q) => {
        calls.push(q);
        return q.demos.length === 2 ? reverse(q.input) : q.input;
      },
      generator: model,
      method: "uniform",
      budget: 4,
      initialPoints: 4,
      validationSize: 5,
      targetDemos: 2,
      store: false,
      cache: false,
    });
    expect(r.status).toBe("completed");
    const layout = layoutRun(configOf({ targetDemos: 2 }), task);
    expect(r.best?.demos).toEqual(layout.target.demos);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c.demos).toEqual(layout.target.demos);
    for (const e of r.evaluations) expect(e.demos).toEqual(layout.target.demos);
    expect(r.test?.score).toBe(1); // the demonstrations are what the black box answers by
    // no query of the run ever used a demonstration's input
    const pool = new Set(layout.target.pool.map((d) => d.input));
    expect(calls.filter((c) => pool.has(c.input))).toEqual([]);
  });

  it("show, export and the report name the chosen demonstrations; transfer carries them", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "iz-fewshot-show-")), "runs.sqlite");
    const r = await optimizeInstruction({
      examples,
      blackBox: async (q) => (q.demos.length === 2 ? reverse(q.input) : q.input),
      generator: model,
      method: "uniform",
      budget: 4,
      initialPoints: 4,
      validationSize: 5,
      targetDemos: 2,
      store,
      cache: false,
    });
    const ledger = openLedger(store, { create: false });
    try {
      const run = exportRun(ledger, r.runId);
      expect(run.best?.demos).toEqual(r.best?.demos);
      const [a, b] = r.best!.demos!;
      const text = formatRunDetails(run);
      expect(text).toContain(
        `  with 2 demonstrations:\n    Input: ${a.input}  Output: ${a.output}\n    Input: ${b.input}  Output: ${b.output}\n`,
      );
      // transfer: every prompt carried to another target keeps its demonstrations
      const server = await startFakeOpenAI();
      try {
        const t = await transferRun(ledger, r.runId, ["openai:gpt-4o-mini"], {
          baseURL: server.url,
          env: { OPENAI_API_KEY: "k" },
        });
        const winner = t.rows.find((row) => row.name === "winner");
        expect(winner?.demos).toEqual(r.best?.demos);
        const winnerPrompts = server.requests.filter((q) =>
          q.prompt.startsWith(`Instruction: ${r.best!.instruction}`),
        );
        expect(winnerPrompts.length).toBeGreaterThan(0);
        for (const q of winnerPrompts)
          expect(q.prompt).toContain(
            `Input: ${a.input}\nOutput: ${a.output}\n\nInput: ${b.input}\nOutput: ${b.output}\n\nInput: `,
          );
        // the "no instruction" baseline is carried with the run's demonstrations too
        expect(t.rows.find((row) => row.name === "no instruction")?.demos).toEqual(r.best?.demos);
      } finally {
        await server.close();
      }
      const html = renderHtmlReport(run);
      expect(html).toContain(
        `<pre class="demos" id="best-demos">Input: ${a.input}\nOutput: ${a.output}\n\nInput: ${b.input}\nOutput: ${b.output}</pre>`,
      );
    } finally {
      ledger.close();
    }
  });
});

describe("money with demonstrations", () => {
  let server: FakeOpenAI;
  let model: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    server = await startFakeOpenAI();
    process.env.OPENAI_BASE_URL = server.url;
    process.env.OPENAI_API_KEY = "test";
    model = join(mkdtempSync(join(tmpdir(), "iz-fewshot-money-")), "micro");
    buildTestModel(model, { preset: "micro", seed: 0 });
  });
  afterAll(async () => {
    process.env = saved;
    await server.close();
  });

  it("--max-cost holds with K demonstrations in every prompt; the dollars are those of the prompts sent", async () => {
    const opts = {
      examples,
      blackBox: "openai:gpt-4o-mini",
      generator: model,
      method: "uniform",
      budget: 12,
      initialPoints: 12,
      validationSize: 5,
      targetDemos: 4,
      demoSearch: true,
      store: false as const,
      cache: false,
    };
    const before = server.requests.length;
    const full = await optimizeInstruction(opts);
    expect(full.status).toBe("completed");
    const sent = server.requests.slice(before);
    // every scoring prompt carried 4 demonstrations ("Input:" 5 times: 4 demos and the query), except
    // the "winner zero-shot" baseline's (validation and test)
    const inputs = sent.map((r) => r.prompt.match(/Input: /g)?.length);
    expect(new Set(inputs)).toEqual(new Set([5, 1]));
    expect(inputs.filter((n) => n === 1)).toHaveLength(5 + full.test!.scores.length);
    const paid = sent.reduce((a, r) => a + Math.ceil(r.prompt.length / 4), 0);
    expect(full.totals.inputTokens).toBe(paid);
    expect(full.totals.costUsd).toBeCloseTo(
      (0.15 * full.totals.inputTokens + 0.6 * full.totals.outputTokens) / 1e6,
      12,
    );

    const maxCost = full.totals.costUsd / 3;
    const capped = await optimizeInstruction({ ...opts, maxCost });
    expect(capped.status).toBe("stopped");
    expect(capped.reason).toMatch(/--max-cost/);
    expect(capped.totals.costUsd).toBeLessThanOrEqual(maxCost);
  });
});
