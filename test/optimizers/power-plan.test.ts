import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sequentialTestPlan } from "../../src/optimizers/phases/test-plan.js";
import { describePower, POWER_BASELINES, powerPlan } from "../../src/optimizers/plan.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { planDryRun } from "../../src/session/dry-run.js";
import { minDetectableGain } from "../../src/stats/power.js";
import { loadTask } from "../../src/tasks/load.js";

const DATA = join(import.meta.dirname, "../fixtures/tasks/reference-split");

describe("the power plan in --dry-run", () => {
  it("gives the smallest gain the test split detects over assumed baselines", async () => {
    const task = await loadTask("antonyms", { dataDir: DATA });
    const config = makeRunConfig({ task: "antonyms", dataDir: DATA, target: "test:bb" });
    const { plan } = planDryRun(config, task);
    expect(plan.power.testExamples).toBe(plan.testCalls);
    expect(plan.power.testExamples).toBe(30);
    expect(plan.power.gains.map((g) => g.baseline)).toEqual([...POWER_BASELINES]);
    // the default adaptive verdict decides at the sequential plan's last look, at the level left there
    const alpha = sequentialTestPlan(30).alphas.at(-1)!;
    expect(plan.power.alpha).toBe(alpha);
    for (const g of plan.power.gains) expect(g.gain).toBe(minDetectableGain(30, g.baseline, { alpha }));
    expect(describePower(plan.power)).toMatch(
      /^30 test examples detect \(80% power at level 0\.018\) a gain of 0\.\d\d over a baseline scoring 0\.50, /,
    );
    // the full verdict: one comparison at 0.05
    const full = planDryRun(makeRunConfig({ ...config, postSearch: "full" }), task).plan.power;
    for (const g of full.gains) expect(g.gain).toBe(minDetectableGain(30, g.baseline));
    expect(describePower(full)).toMatch(/^30 test examples detect \(80% power\) a gain of /);
    const none = planDryRun(makeRunConfig({ ...config, test: false }), task).plan.power;
    expect(none.testExamples).toBe(0);
    expect(describePower(none)).toBe("no test split: no verdict");
    expect(describePower(powerPlan(20, [0.8]))).toBe(
      "20 test examples detect (80% power) a gain of none over a baseline scoring 0.80",
    );
  });
});
