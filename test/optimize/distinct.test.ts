import { describe, expect, it } from "vitest";
import type { BlackBox, Completion, CompletionRequest, UsageTotals } from "../../src/blackbox/types.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { executeRun, makeRunConfig } from "../../src/optimizers/run.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";
import { parseInstructionPrompt } from "../helpers/fake-openai.js";
import { instructionQualityAnswer, makeOptimizeFixture } from "./fixtures.js";

const fx = makeOptimizeFixture();

/** A generator with few distinct outputs: many soft prompts map to the same instruction. */
const coarseGenerator: SoftPromptGenerator = {
  async generate(zs) {
    return zs.map((z) => ({ text: `instruction ${Math.round(z[0] * 2)}${Math.round(z[1] * 2)}` }));
  },
  async close() {},
};

/** An in-process black box answering like the fake server, counting calls. */
function countingBlackBox(): BlackBox & { calls: number } {
  const bb = {
    id: "test:bb",
    calls: 0,
    async complete(request: CompletionRequest): Promise<Completion> {
      bb.calls++;
      const text = instructionQualityAnswer({
        n: bb.calls,
        api: "openai",
        model: "m",
        prompt: request.prompt,
        body: {},
      });
      return { text, usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0, cached: false };
    },
    totals(): UsageTotals {
      return {
        completions: 0,
        requests: bb.calls,
        cacheHits: 0,
        retries: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      };
    },
    async close() {},
  };
  return bb;
}

async function run(batchMode: "reference" | "distinct") {
  const ledger = openLedger(":memory:");
  const config = makeRunConfig({
    task: fx.taskFile,
    taskFile: fx.taskFile,
    target: "test:bb",
    generator: "coarse",
    batchMode,
    budget: 20,
    initialPoints: 8,
    batchSize: 4,
    validationSize: 5,
  });
  const runId = ledger.createRun(config);
  const blackBox = countingBlackBox();
  const out = await executeRun(runId, {
    ledger,
    blackBox,
    generator: coarseGenerator,
    pointProposer: createBoPointProposer(),
    skipTest: true,
  });
  const evals = ledger.evaluations(runId);
  ledger.close();
  return { out, evals, calls: blackBox.calls };
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
});
