/**
 * Resume uses the examples stored with the run (issue 20 item 2): a run whose stored split differs
 * from what today's rules derive (an older version, other split rules) continues on its stored
 * validation set, test set and demos, or is refused, naming the difference, when it stored no demos
 * and its search still needs them.
 */
import { describe, expect, it } from "vitest";
import { makeOptimizeFixture, slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { executeRun } from "../../src/optimizers/run.js";
import { layoutRun } from "../../src/optimizers/run-layout.js";
import { loadRunTask } from "../../src/optimizers/run-task.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";

const fx = makeOptimizeFixture();

const generator: SoftPromptGenerator = {
  async generate(zs) {
    return zs.map((z) => ({ text: `reverse ${z.map((v) => v.toFixed(3)).join(" ")}` }));
  },
  async close() {},
};

/** Inputs of the candidates' validation queries. */
function validationInputs(prompts: readonly string[]): string[] {
  return prompts
    .filter((p) => p.startsWith("Instruction: ") && p.endsWith("\n Output: "))
    .map((p) => /\n\nInput: ([\s\S]*)\n Output: $/.exec(p)![1]);
}

async function setUp(storeDemos: boolean) {
  const ledger = openLedger(":memory:");
  const config = smallRunConfig(fx.taskFile, { generator: "stub", seed: 0 });
  const runId = ledger.createRun(config);
  const task = await loadRunTask(config, ledger, runId);
  const today = layoutRun(config, task);
  // the run was started under other split rules: here, another seed's split
  const other = layoutRun({ ...config, seed: 99 }, task);
  expect(other.splits.validation).not.toEqual(today.splits.validation);
  ledger.setExamples(runId, "validation", other.splits.validation);
  ledger.setExamples(runId, "test", other.splits.test);
  if (storeDemos) {
    ledger.setExamples(runId, "prompt-gen", other.splits.promptGen);
    ledger.setExamples(
      runId,
      "demos",
      other.demos.map((d) => ({ input: d.input, answers: [d.output] })),
    );
  }
  return { ledger, runId, other, today };
}

describe("a resumed run keeps the examples stored with it", () => {
  it("continues on its stored validation and test sets, not on today's split", async () => {
    const { ledger, runId, other, today } = await setUp(true);
    const { bb, stats } = slowBlackBox(() => 0);
    const out = await executeRun(runId, {
      ledger,
      blackBox: bb,
      generator,
      pointProposer: createBoPointProposer(),
    });
    expect(out.status).toBe("completed");
    const stored = new Set(other.splits.validation.map((e) => e.input));
    const inputs = validationInputs(stats.prompts);
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) expect(stored.has(input)).toBe(true);
    // today's split would have used inputs outside the stored validation set
    expect(today.splits.validation.some((e) => !stored.has(e.input))).toBe(true);
    expect(ledger.getExamples(runId, "validation")).toEqual(other.splits.validation);
    const testInputs = stats.prompts.filter((p) => p.endsWith("\n\nOUTPUT: "));
    const storedTest = other.splits.test.map((e) => e.input);
    expect(testInputs.length).toBeGreaterThan(0);
    for (const p of testInputs) expect(storedTest.some((i) => p.includes(`Input: ${i}\n`))).toBe(true);
    expect(out.notes?.join("\n") ?? "").toMatch(/resumed on the examples stored with the run/);
    ledger.close();
  });

  it("refuses a run stored without demos whose split differs, naming the difference", async () => {
    const { ledger, runId } = await setUp(false);
    const { bb, stats } = slowBlackBox(() => 0);
    await expect(
      executeRun(runId, { ledger, blackBox: bb, generator, pointProposer: createBoPointProposer() }),
    ).rejects.toThrow(/split under other rules than today's \(validation: \d+ of 5 examples differ/);
    expect(stats.calls).toBe(0);
    ledger.close();
  });

  it("stores its demos with the run on first use", async () => {
    const ledger = openLedger(":memory:");
    const config = smallRunConfig(fx.taskFile, { generator: "stub" });
    const runId = ledger.createRun(config);
    const { bb } = slowBlackBox(() => 0);
    await executeRun(runId, { ledger, blackBox: bb, generator, pointProposer: createBoPointProposer() });
    const task = await loadRunTask(config, ledger, runId);
    const layout = layoutRun(config, task);
    expect(ledger.getExamples(runId, "demos")).toEqual(
      layout.demos.map((d) => ({ input: d.input, answers: [d.output] })),
    );
    expect(ledger.getExamples(runId, "prompt-gen")).toEqual(layout.splits.promptGen);
    ledger.close();
  });
});
