/**
 * `postSearch: "adaptive"` (issue 20 item 5): successive halving on the selection split, baselines on a
 * validation pilot and on the test examples the power plan asks for, the winner's test sized by it.
 * Deterministic, exactly resumable after a crash in any phase, and cheaper than "full".
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import {
  BASELINE_PILOT,
  baselineTestSize,
  MIN_BASELINE_TEST,
  MIN_WINNER_TEST,
  winnerTestSize,
} from "../../src/optimizers/phases/test-plan.js";
import { executeRun } from "../../src/optimizers/run.js";
import { halvingSchedule } from "../../src/optimizers/select.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { examplesForGain } from "../../src/stats/power.js";
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
  const { bb, stats } = slowBlackBox(() => 0, { crashAt });
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
  ledger.close();
  return { out: out!, calls: stats.calls, searchCalls };
}

describe("the adaptive verdict", () => {
  it("plans test sizes by the power plan, within the cap", () => {
    expect(halvingSchedule(5, 50)).toEqual([
      { alive: 5, upTo: 10 },
      { alive: 3, upTo: 20 },
      { alive: 2, upTo: 40 },
    ]);
    // a baseline far behind: the minimum; a gap the cap can detect: the power plan's size
    expect(baselineTestSize(0.9, 0.05, 100)).toBe(MIN_BASELINE_TEST);
    expect(baselineTestSize(0.9, 0.6, 100)).toBe(examplesForGain(0.3, 0.6));
    // a gap the cap cannot detect is not paid for
    expect(examplesForGain(0.05, 0.8)).toBeGreaterThan(100);
    expect(baselineTestSize(0.85, 0.8, 100)).toBe(MIN_BASELINE_TEST);
    expect(winnerTestSize([10, 35], 100)).toBe(35);
    expect(winnerTestSize([10], 100)).toBe(MIN_WINNER_TEST);
    expect(winnerTestSize([10], 12)).toBe(12);
  });

  it("costs less after the search than full, pairs each comparison on its baseline's examples", async () => {
    const full = await run("full");
    const adaptive = await run("adaptive");
    expect(adaptive.out.status).toBe("completed");
    // the same search
    expect(adaptive.searchCalls).toBe(full.searchCalls);
    const afterSearch = (r: typeof full) => r.calls - r.searchCalls;
    expect(afterSearch(adaptive)).toBeLessThan(afterSearch(full) / 2);
    const sel = adaptive.out.selection!;
    expect(sel.rule).toBe("fresh");
    // successive halving: the winner is among the last round's, scored on the most examples
    const rounds = halvingSchedule(5, sel.size);
    const winner = sel.candidates.find((c) => c.index === sel.winner)!;
    expect(winner.scores).toHaveLength(rounds[rounds.length - 1].upTo);
    for (const b of adaptive.out.baselines!) {
      expect(b.validation.scores).toHaveLength(Math.min(BASELINE_PILOT, 5)); // validationSize 5
      const c = adaptive.out.comparisons!.find((x) => x.baseline === b.name)!;
      expect(c).toBeDefined();
      expect(b.test!.scores.length).toBeLessThanOrEqual(adaptive.out.test!.scores.length);
    }
    expect(adaptive.out.verdict?.verdict).toMatch(/^(ship|don't ship|inconclusive)$/);
  });

  it("is deterministic and resumes exactly after crashes in the phases after the search", async () => {
    const clean = await run("adaptive");
    const n = clean.searchCalls;
    // crash during selection, baselines and test (calls after the search's)
    const crashed = await run("adaptive", [n + 3, n + 60, n + 130]);
    const strip = (o: typeof clean.out) => ({
      best: o.best?.instruction,
      selection: o.selection,
      // cost per query and latency are measurements of the session that paid (timings; cached queries
      // of a resumed session are not counted), not results
      baselines: o.baselines?.map(({ latencyMs: _l, usdPer1k: _u, ...b }) => b),
      test: o.test?.scores,
      comparisons: o.comparisons,
      verdict: o.verdict,
    });
    expect(strip(crashed.out)).toEqual(strip(clean.out));
  });
});
