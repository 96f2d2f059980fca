/**
 * `postSearch: "adaptive"` (issue 20 item 5; the default): a race among the top k on the selection
 * split, baselines on a validation pilot, then the sequential test of the winner against them (looks
 * at 10, 20, 40 ... test examples). Deterministic, exactly resumable after a crash in any phase, and
 * cheaper than "full".
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import type { BlackBox } from "../../src/blackbox/types.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { testInterval } from "../../src/optimizers/phases/baselines.js";
import { BASELINE_PILOT, lookAlpha, sequentialTestPlan } from "../../src/optimizers/phases/test-plan.js";
import { executeRun, makeRunConfig, RUN_DEFAULTS } from "../../src/optimizers/run.js";
import { selectionRacePlan } from "../../src/optimizers/select-race.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";

const dir = mkdtempSync(join(tmpdir(), "iz-adaptive-"));
const taskFile = join(dir, "reverse.jsonl");
writeFileSync(
  taskFile,
  Array.from({ length: 150 }, (_, i) =>
    JSON.stringify({ input: `w${i}q`, output: [...`w${i}q`].reverse().join("") }),
  ).join("\n"),
);

const generator: SoftPromptGenerator = {
  async generate(zs) {
    return zs.map((z) => ({ text: `reverse ${z.map((v) => v.toFixed(2)).join(" ")}` }));
  },
  async close() {},
};

async function run(postSearch: "full" | "adaptive", crashAt: number[] = []) {
  const ledger = openLedger(":memory:");
  const config = smallRunConfig(taskFile, {
    generator: "stub",
    selection: "fresh",
    postSearch,
    baselines: ["Reverse the word."],
  });
  const runId = ledger.createRun(config);
  const { bb: inner, stats } = slowBlackBox(() => 0, { crashAt });
  // the batch group of every selection query, in the order they were sent
  const groups: { id: string; size: number; index: number }[] = [];
  const bb: BlackBox = {
    ...inner,
    complete(request) {
      if (request.batchGroup?.id.includes(":selection-to-")) groups.push(request.batchGroup);
      return inner.complete(request);
    },
  };
  const deps = { ledger, blackBox: bb, generator, pointProposer: createBoPointProposer() };
  let out: Awaited<ReturnType<typeof executeRun>> | undefined;
  for (let attempt = 0; attempt < 5 && !out; attempt++) {
    try {
      out = await executeRun(runId, deps);
    } catch (err) {
      expect(String(err)).toMatch(/crash at call/);
    }
  }
  const searchCalls = ledger.evaluations(runId).reduce((a, e) => a + e.calls, 0);
  const testSize = ledger.getExamples(runId, "test")!.length;
  ledger.close();
  return { out: out!, calls: stats.calls, searchCalls, testSize, groups };
}

describe("the adaptive verdict", () => {
  it("is the default; --preset paper pins the full one", () => {
    expect(RUN_DEFAULTS.postSearch).toBe("adaptive");
    expect(makeRunConfig({ task: taskFile }).postSearch).toBe("adaptive");
    expect(makeRunConfig({ task: taskFile, preset: "paper" }).postSearch).toBe("full");
    expect(makeRunConfig({ task: taskFile, preset: "efficient" }).postSearch).toBe("adaptive");
    // an explicit option wins over the preset
    expect(makeRunConfig({ task: taskFile, preset: "paper", postSearch: "adaptive" }).postSearch).toBe(
      "adaptive",
    );
  });

  it("costs less after the search than full, pairs each comparison on its baseline's looks", async () => {
    const full = await run("full");
    const adaptive = await run("adaptive");
    expect(adaptive.out.status).toBe("completed");
    // the same search
    expect(adaptive.searchCalls).toBe(full.searchCalls);
    const afterSearch = (r: typeof full) => r.calls - r.searchCalls;
    expect(afterSearch(adaptive)).toBeLessThan(afterSearch(full) / 2);
    const sel = adaptive.out.selection!;
    expect(sel.rule).toBe("fresh");
    // the race: the winner is among the last ones in it, scored on the most examples, never beyond max
    const race = selectionRacePlan(5, sel.size);
    const winner = sel.candidates.find((c) => c.index === sel.winner)!;
    for (const c of sel.candidates) {
      expect(c.scores.length).toBeLessThanOrEqual(winner.scores.length);
      expect(c.scores.length).toBeGreaterThanOrEqual(race.first);
    }
    expect(winner.scores.length).toBeLessThanOrEqual(race.max);
    expect(winner.score).toBeCloseTo(winner.scores.reduce((a, b) => a + b, 0) / winner.scores.length, 12);
    // the sequential test: every comparison on one of the plan's looks, the winner on the furthest
    const plan = sequentialTestPlan(adaptive.testSize);
    const test = adaptive.out.test!;
    const ns = adaptive.out.baselines!.map((b) => b.test!.scores.length);
    expect(test.scores.length).toBe(Math.max(...ns));
    expect(test.outputs).toHaveLength(test.scores.length);
    for (const b of adaptive.out.baselines!) {
      expect(b.validation.scores).toHaveLength(Math.min(BASELINE_PILOT, 5)); // validationSize 5
      const n = b.test!.scores.length;
      expect(plan.looks).toContain(n);
      // its interval at the level its look spent (a repeated 95% interval)
      const ci = testInterval(b.test!.scores, 0, b.name, 1 - lookAlpha(plan, n));
      expect([b.test!.low, b.test!.high]).toEqual([ci.low, ci.high]);
      const c = adaptive.out.comparisons!.find((x) => x.baseline === b.name)!;
      expect(c.text).toMatch(/95% CI/);
      if (c.verdict !== "indistinguishable") expect(c.pValue).toBeLessThan(0.05);
      else expect(c.pValue).toBeGreaterThanOrEqual(0.05);
    }
    expect(adaptive.out.verdict?.verdict).toMatch(/^(ship|don't ship|inconclusive)$/);
  });

  it("sends each round of the selection race as one batch group", async () => {
    const { out, groups } = await run("adaptive");
    const sel = out.selection!;
    const race = selectionRacePlan(5, sel.size);
    const rounds = new Map<string, { size: number; indices: number[] }>();
    for (const g of groups) {
      const r = rounds.get(g.id) ?? { size: g.size, indices: [] };
      expect(g.size).toBe(r.size);
      r.indices.push(g.index);
      rounds.set(g.id, r);
    }
    // every query of the race belongs to a round's group, each group is complete (indices 0..size-1)
    const raced = sel.candidates.reduce((a, c) => a + c.scores.length, 0);
    expect(groups).toHaveLength(raced);
    for (const r of rounds.values())
      expect([...r.indices].sort((a, b) => a - b)).toEqual(Array.from({ length: r.size }, (_, i) => i));
    // the first round: all five candidates' first examples in one group (not a local black box: no cap)
    const first = [...rounds.entries()].find(([id]) => id.endsWith(`:selection-to-${race.first}:0`))!;
    expect(first[1].size).toBe(5 * race.first);
    expect(rounds.size).toBeGreaterThan(1);
  });

  it("is deterministic and resumes exactly after crashes in the phases after the search", async () => {
    const clean = await run("adaptive");
    const n = clean.searchCalls;
    const selectionCalls = clean.out.selection!.candidates.reduce((a, c) => a + c.scores.length, 0);
    const pilots = clean.out.baselines!.length * Math.min(BASELINE_PILOT, 5);
    const afterSearch = clean.calls - n;
    expect(afterSearch).toBeGreaterThan(selectionCalls + pilots + 10);
    // crash during selection, the baselines' pilots, the first look of the test and a late one
    const crashed = await run("adaptive", [
      n + 3,
      n + selectionCalls + 2,
      n + selectionCalls + pilots + 5,
      n + afterSearch - 2,
    ]);
    const strip = (o: typeof clean.out) => ({
      best: o.best?.instruction,
      selection: o.selection,
      // cost per query and latency are measurements of the session that paid (timings; cached queries
      // of a resumed session are not counted), not results
      baselines: o.baselines?.map(({ latencyMs: _l, usdPer1k: _u, ...b }) => b),
      test: o.test?.scores,
      outputs: o.test?.outputs,
      comparisons: o.comparisons,
      verdict: o.verdict,
    });
    expect(strip(crashed.out)).toEqual(strip(clean.out));
  });
});
