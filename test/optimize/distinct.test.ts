import { describe, expect, it } from "vitest";
import { parseInstructionPrompt } from "../../fixtures/fake-openai.js";
import { makeOptimizeFixture, slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { executeRun } from "../../src/optimizers/run.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";

const fx = makeOptimizeFixture();

/** A generator with few distinct outputs: many soft prompts map to the same instruction. */
const coarseGenerator: SoftPromptGenerator = {
  async generate(zs) {
    return zs.map((z) => ({ text: `instruction ${Math.round(z[0] * 2)}${Math.round(z[1] * 2)}` }));
  },
  async close() {},
};

async function run(batchMode: "reference" | "distinct") {
  const ledger = openLedger(":memory:");
  const config = smallRunConfig(fx.taskFile, {
    generator: "coarse",
    batchMode,
    batchSize: 4,
  });
  const runId = ledger.createRun(config);
  const { bb: blackBox, stats } = slowBlackBox(() => 0);
  const out = await executeRun(runId, {
    ledger,
    blackBox,
    generator: coarseGenerator,
    pointProposer: createBoPointProposer(),
    skipTest: true,
  });
  const evals = ledger.evaluations(runId);
  ledger.close();
  // candidates' queries (the "no instruction" baseline's have no instruction line)
  return { out, evals, calls: stats.prompts.filter((p) => p.startsWith("Instruction:")).length };
}

describe("batch modes on a generator with many soft prompts per instruction", () => {
  it("distinct evaluates new instructions where reference repeats them", async () => {
    const ref = await run("reference");
    const dis = await run("distinct");
    expect(ref.out.status).toBe("completed");
    expect(dis.out.status).toBe("completed");
    const distinctCount = (e: typeof ref.evals) => new Set(e.map((r) => r.instruction)).size;
    // After the initial design, distinct batches only hold instructions not scored before (while any exist).
    const seenAfterInit = new Set(dis.evals.slice(0, 8).map((r) => r.instruction));
    for (const r of dis.evals.slice(8)) {
      if (!r.reused) expect(seenAfterInit.has(r.instruction)).toBe(false);
      seenAfterInit.add(r.instruction);
    }
    expect(distinctCount(dis.evals)).toBeGreaterThan(distinctCount(ref.evals));
    // Repeated instructions are never re-queried: calls = distinct instructions x validation size.
    expect(ref.calls).toBe(distinctCount(ref.evals) * 5);
    expect(dis.calls).toBe(distinctCount(dis.evals) * 5);
    expect(parseInstructionPrompt("Instruction: a\n\nInput: b\n Output: ")).toEqual({
      instruction: "a",
      input: "b",
    });
  });

  it("stops generating a distinct batch's candidates once q new instructions are found", async () => {
    const generated: number[] = [];
    const unique: SoftPromptGenerator = {
      async generate(zs) {
        generated.push(zs.length);
        return zs.map((z) => ({ text: `instruction ${z.map((v) => v.toFixed(6)).join(" ")}` }));
      },
      async close() {},
    };
    const ledger = openLedger(":memory:");
    const config = smallRunConfig(fx.taskFile, {
      generator: "unique",
      batchMode: "distinct",
      budget: 18,
      batchSize: 5,
    });
    const runId = ledger.createRun(config);
    const out = await executeRun(runId, {
      ledger,
      blackBox: slowBlackBox(() => 0).bb,
      generator: unique,
      pointProposer: createBoPointProposer(),
      skipTest: true,
    });
    expect(out.status).toBe("completed");
    // every instruction is new, so each BO batch generates exactly its 5 points (of 15 candidates)
    expect(generated.reduce((a, b) => a + b, 0)).toBe(18);
    expect(new Set(ledger.evaluations(runId).map((r) => r.instruction)).size).toBe(18);
    ledger.close();
  });
});
