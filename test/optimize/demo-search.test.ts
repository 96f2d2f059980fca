/**
 * `demoSearch`: (soft prompt, demonstration set) pairs searched jointly. Every candidate carries its own
 * K demonstrations of the pool, the verdict gains the winner zero-shot and with random demonstrations,
 * runs are deterministic, and an interrupted run resumes to exactly the uninterrupted one.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type OptimizeResult, optimizeInstruction, resumeRun } from "../../src/api/optimize-instruction.js";
import type { BlackBoxQuery } from "../../src/blackbox/providers/function.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { randomDemos } from "../../src/optimizers/demo-baselines.js";
import { demoSetPool, pairOrder, poolSize } from "../../src/optimizers/methods/mipro.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { layoutRun } from "../../src/optimizers/run-layout.js";
import { inMemoryTask } from "../../src/optimizers/run-task.js";
import { topK } from "../../src/optimizers/soft-prompt/demo-set.js";
import { openLedger } from "../../src/store/ledger.js";
import { examplesFromObjects, examplesSha256 } from "../../src/tasks/user-file.js";

const reverse = (w: string) => [...w].reverse().join("");
const examples = Array.from({ length: 90 }, (_, i) => ({ input: `word${i}`, output: reverse(`word${i}`) }));
const list = examplesFromObjects(examples);

/** Right when the demonstrations include inputs whose number is even (helpful ones), hash-decided per input. */
function answer(q: BlackBoxQuery): string {
  const helpful = q.demos.filter((d) => Number(d.input.slice(4)) % 2 === 0).length;
  const n = Number(q.input.slice(4));
  return (n * 7 + helpful * 3 + q.instruction.length) % 4 < 1 + helpful ? reverse(q.input) : q.input;
}

let model: string;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iz-demosearch-"));
  model = join(dir, "micro");
  buildTestModel(model, { preset: "micro", seed: 0 });
});

const base = (method: string) => ({
  examples,
  generator: model,
  method,
  budget: 10,
  initialPoints: 4,
  batchSize: 3,
  validationSize: 5,
  targetDemos: 2,
  demoSearch: true,
  cache: false,
});

const essence = (r: OptimizeResult) =>
  r.evaluations.map((e) => ({ instruction: e.instruction, demos: e.demos, score: e.score }));

describe("topK", () => {
  it("takes the K largest coordinates (ties: lower index), in pool order", () => {
    expect(topK([0.1, 0.9, -0.3, 0.9, 0.5], 3)).toEqual([1, 3, 4]);
    expect(topK([0, 0, 0], 2)).toEqual([0, 1]);
  });
});

describe.each(["uniform", "instructzero", "mipro"])("demoSearch (%s)", (method) => {
  it("scores each candidate with its own demonstration set from the pool; the verdict adds zero-shot and random demos", async () => {
    const calls: BlackBoxQuery[] = [];
    const r = await optimizeInstruction({
      ...base(method),
      blackBox: async (q) => {
        calls.push(q);
        return answer(q);
      },
      store: false,
    });
    expect(r.status).toBe("completed");
    const config = makeRunConfig(
      { task: "examples", ...base(method), examples: undefined, generator: model } as never,
      { examplesHash: examplesSha256(list), blackBoxFunction: true },
    );
    const layout = layoutRun(config, inMemoryTask("examples", list));
    const pool = layout.target.pool.map((d) => JSON.stringify(d));
    const sets = new Set<string>();
    for (const e of r.evaluations) {
      expect(e.demos).toHaveLength(2);
      for (const d of e.demos!) expect(pool).toContain(JSON.stringify(d));
      sets.add(JSON.stringify(e.demos));
    }
    expect(sets.size).toBeGreaterThan(1); // the sets are searched, not fixed
    expect(r.best?.demos).toHaveLength(2);
    // every query of the winner's test carried its demonstrations
    const testCalls = calls.filter((c) => c.instruction === r.best!.instruction);
    expect(testCalls.some((c) => JSON.stringify(c.demos) === JSON.stringify(r.best!.demos))).toBe(true);
    const stored = r as unknown as { config: { demoSearch: boolean } };
    expect(stored.config.demoSearch).toBe(true);
  });

  it("is deterministic and resumes exactly after an interruption", async () => {
    const store = join(dir, `${method}-ref.sqlite`);
    const ref = await optimizeInstruction({ ...base(method), blackBox: answer, store });
    const again = await optimizeInstruction({
      ...base(method),
      blackBox: answer,
      store: join(dir, `${method}-again.sqlite`),
    });
    expect(essence(again)).toEqual(essence(ref));
    const ledger = openLedger(store, { create: false });
    const baselines = ledger.getRun(ref.runId).result?.baselines ?? [];
    ledger.close();
    expect(baselines.map((b) => [b.name, b.kind, b.demos?.length])).toEqual([
      ["no instruction", "none", 2],
      ["winner zero-shot", "zero-shot", 0],
      ["winner + 2 random demos", "random-demos", 2],
    ]);
    expect(baselines[1].instruction).toBe(ref.best!.instruction);

    const ctl = new AbortController();
    let n = 0;
    const killedStore = join(dir, `${method}-killed.sqlite`);
    const cut = await optimizeInstruction({
      ...base(method),
      blackBox: async (q) => {
        if (++n === 23) ctl.abort();
        return answer(q);
      },
      store: killedStore,
      signal: ctl.signal,
    });
    expect(cut.status).toBe("interrupted");
    expect(cut.evaluations.length).toBeLessThan(ref.evaluations.length);
    const resumed = await resumeRun(cut.runId, { store: killedStore, blackBox: answer });
    expect(resumed.status).toBe("completed");
    expect(essence(resumed)).toEqual(essence(ref));
    expect(resumed.best).toEqual(ref.best);
  });
});

describe("demoSearch with racing and fresh selection", () => {
  it("races (soft prompt, demonstration set) pairs and re-scores the top ones, with their sets, on fresh examples", async () => {
    const store = join(dir, "racing.sqlite");
    const calls: BlackBoxQuery[] = [];
    const r = await optimizeInstruction({
      ...base("instructzero"),
      budget: 12,
      validationSize: 10,
      racing: true,
      racingBlock: 2,
      selection: "fresh",
      selectionTopK: 3,
      blackBox: async (q) => {
        calls.push(q);
        return answer(q);
      },
      store,
    });
    expect(r.status).toBe("completed");
    const ledger = openLedger(store, { create: false });
    const run = ledger.getRun(r.runId);
    const evals = ledger.evaluations(r.runId);
    ledger.close();
    expect(evals.some((e) => e.scored !== undefined)).toBe(true); // some pairs were stopped early
    const selection = run.result?.selection;
    expect(selection?.rule).toBe("fresh");
    // each selection candidate was scored on the fresh examples with its own demonstration set (the
    // adaptive post-search, the default: on the first ones of the selection race)
    const layout = layoutRun(run.config, inMemoryTask("examples", list));
    expect(layout.selection.examples.length).toBeGreaterThan(0);
    expect(selection?.candidates.length).toBeGreaterThan(1);
    for (const c of selection?.candidates ?? []) {
      const rec = evals.find((e) => e.index === c.index)!;
      expect(c.scores.length).toBeGreaterThan(0);
      const freshInputs = new Set(layout.selection.examples.slice(0, c.scores.length).map((e) => e.input));
      const fresh = calls.filter(
        (q) =>
          q.instruction === rec.instruction &&
          JSON.stringify(q.demos) === JSON.stringify(rec.demos) &&
          freshInputs.has(q.input),
      );
      expect(fresh.length).toBeGreaterThanOrEqual(freshInputs.size);
    }
    expect(r.best?.index).toBe(selection?.winner);
  });
});

describe("mipro pools", () => {
  it("pairs every instruction with every demonstration set once, in a seeded order", () => {
    expect(poolSize(10)).toBe(5);
    expect(poolSize(1)).toBe(2);
    const order = pairOrder(3, 4, 0);
    expect(order).toHaveLength(12);
    expect(new Set(order.map((p) => p.join()))).toHaveProperty("size", 12);
    expect(pairOrder(3, 4, 0)).toEqual(order);
    expect(pairOrder(3, 4, 1)).not.toEqual(order);
    const pool = Array.from({ length: 8 }, (_, i) => ({ input: `i${i}`, output: `o${i}` }));
    const sets = demoSetPool(pool, 2, 5, 0);
    expect(sets).toHaveLength(5);
    for (const set of sets) expect(set).toHaveLength(2);
    expect(demoSetPool(pool, 0, 5, 0)).toEqual([[]]);
  });

  it("scores at most poolSize(budget) distinct instructions, each pair at most once", async () => {
    const r = await optimizeInstruction({ ...base("mipro"), blackBox: answer, store: false });
    const instructions = new Set(r.evaluations.map((e) => e.instruction));
    expect(instructions.size).toBeLessThanOrEqual(poolSize(10));
    const pairs = r.evaluations.map((e) => JSON.stringify([e.instruction, e.demos]));
    expect(r.evaluations.filter((e) => !e.reused)).toHaveLength(new Set(pairs).size);
  });
});

describe("randomDemos", () => {
  it("draws K of the pool, seeded, in pool order", () => {
    const pool = Array.from({ length: 10 }, (_, i) => ({ input: `i${i}`, output: `o${i}` }));
    const a = randomDemos(pool, 3, 5);
    expect(a).toHaveLength(3);
    expect(randomDemos(pool, 3, 5)).toEqual(a);
    expect(a.map((d) => pool.indexOf(d))).toEqual([...a.map((d) => pool.indexOf(d))].sort((x, y) => x - y));
  });
});

describe("demoSearch options", () => {
  it("needs targetDemos K > 0 and a soft-prompt method", () => {
    const extras = { examplesHash: examplesSha256(list), blackBoxFunction: true };
    expect(() => makeRunConfig({ task: "examples", demoSearch: true }, extras)).toThrow(
      /demoSearch searches demonstration sets: set targetDemos K > 0/,
    );
    expect(() =>
      makeRunConfig(
        { task: "examples", demoSearch: true, targetDemos: 2, method: "ape", proposer: "openai:x" },
        extras,
      ),
    ).toThrow(/method ape has no soft prompts/);
    expect(makeRunConfig({ task: "examples", demoSearch: true, targetDemos: 2 }, extras).demoSearch).toBe(
      true,
    );
  });
});
