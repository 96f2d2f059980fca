import { describe, expect, it } from "vitest";
import { makeOptimizeFixture, slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { executeRun } from "../../src/optimizers/run.js";
import { chunkSizes, generatesWhole } from "../../src/optimizers/soft-prompt/chunks.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";

const fx = makeOptimizeFixture();

/** Few distinct instructions, so a batch holds the same instruction several times. */
const coarseGenerator: SoftPromptGenerator = {
  async generate(zs) {
    return zs.map((z) => ({ text: `instruction ${Math.round(z[0] * 1.5)}${Math.round(z[1] * 1.5)}` }));
  },
  async close() {},
};

async function run(delay: (prompt: string) => number) {
  const ledger = openLedger(":memory:");
  const config = smallRunConfig(fx.taskFile, {
    generator: "coarse",
    concurrency: 8,
  });
  const runId = ledger.createRun(config);
  const { bb, stats } = slowBlackBox(delay);
  const out = await executeRun(runId, {
    ledger,
    blackBox: bb,
    generator: coarseGenerator,
    pointProposer: createBoPointProposer(),
    skipTest: true,
  });
  const evals = ledger.evaluations(runId);
  ledger.close();
  return { out, evals, stats };
}

/** A record without its timings. */
const strip = (r: EvaluationRecord) => ({ ...r, generationMs: 0, evaluationMs: 0, latencyMs: 0 });

describe("scoring several candidates at once", () => {
  it("overlaps candidates, stores records in order, never queries an instruction twice, same result as in order", async () => {
    // answers arrive out of order: the delay depends on the prompt
    let h = 0;
    const scrambled = await run((p) => {
      for (const c of p) h = (h * 31 + c.charCodeAt(0)) % 1009;
      return 1 + (h % 7);
    });
    const instant = await run(() => 0);
    expect(scrambled.out.status).toBe("completed");
    // more queries at once than one candidate has validation examples
    expect(scrambled.stats.maxInFlight).toBeGreaterThan(5);
    expect(scrambled.evals.map((r) => r.index)).toEqual([...Array(20).keys()]);
    expect(scrambled.evals.map(strip)).toEqual(instant.evals.map(strip));
    // duplicates within a batch (some scored while their twin was still under way) reuse its scores
    const distinct = new Set(scrambled.evals.map((r) => r.instruction));
    expect(distinct.size).toBeLessThan(20);
    // candidates' queries (the "no instruction" baseline's have no instruction line)
    const scoring = scrambled.stats.prompts.filter((p) => p.startsWith("Instruction:"));
    expect(scoring.length).toBe(distinct.size * 5);
    expect(new Set(scrambled.stats.prompts).size).toBe(scrambled.stats.prompts.length);
    for (const [i, r] of scrambled.evals.entries()) {
      const first = scrambled.evals.findIndex((e) => e.instruction === r.instruction);
      expect(r.reused).toBe(first !== i);
      expect(r.scores).toEqual(scrambled.evals[first].scores);
    }
  });
});

describe("generation chunks", () => {
  it("split a batch into chunks that sum to n, largest first", () => {
    expect(chunkSizes(0)).toEqual([]);
    expect(chunkSizes(1)).toEqual([1]);
    for (let n = 1; n <= 80; n++) {
      const c = chunkSizes(n);
      expect(c.reduce((a, b) => a + b, 0)).toBe(n);
      expect(c.every((x) => x >= 1)).toBe(true);
    }
    expect(chunkSizes(25)).toEqual([10, 9, 6]);
    expect(chunkSizes(2)).toEqual([1, 1]);
    expect(chunkSizes(25, true)).toEqual([25]);
  });

  it("a local: black box gets whole batches (nothing to overlap on the same cores) unless pipelined", () => {
    expect(generatesWhole({ target: "local:hf:onnx-community/Qwen2.5-0.5B-Instruct" })).toBe(true);
    expect(generatesWhole({ target: "local:./model", pipelined: true })).toBe(false);
    expect(generatesWhole({ target: "openai:gpt-4o-mini" })).toBe(false);
    expect(generatesWhole({ target: "function:./pipeline.mjs" })).toBe(false);
  });
});

describe("resuming with a generator whose rows depend on their chunk (q8: per-tensor activation scales)", () => {
  /** Each instruction names the chunk it was generated in (its size and first soft prompt); slow. */
  const chunkAware: SoftPromptGenerator = {
    async generate(zs) {
      await new Promise((r) => setTimeout(r, 25));
      const tag = `${zs.length}@${zs[0][0].toFixed(5)}`;
      return zs.map((z) => ({ text: `instruction ${Math.round(z[0] * 2)} (${tag})` }));
    },
    async close() {},
  };

  async function runInterrupted(batchMode: "reference" | "distinct", stopAfter: number[], pipelined = false) {
    const ledger = openLedger(":memory:");
    const config = smallRunConfig(fx.taskFile, {
      generator: "chunk-aware",
      batchMode,
      pipelined,
    });
    const runId = ledger.createRun(config);
    const { bb } = slowBlackBox(() => 1);
    const stops = [...stopAfter];
    let out: Awaited<ReturnType<typeof executeRun>>;
    do {
      const controller = new AbortController();
      const at = stops.shift();
      out = await executeRun(runId, {
        ledger,
        blackBox: bb,
        generator: chunkAware,
        pointProposer: createBoPointProposer(),
        skipTest: true,
        signal: controller.signal,
        onProgress: (e) => {
          if (at !== undefined && e.phase === "evaluate" && e.evaluations >= at) controller.abort();
        },
      });
    } while (out.status !== "completed");
    const evals = ledger.evaluations(runId).map((r) => `${r.instruction} ${r.score}`);
    ledger.close();
    return evals;
  }

  it.each(["reference", "distinct"] as const)(
    "%s: same instructions as an uninterrupted run",
    async (mode) => {
      const straight = await runInterrupted(mode, []);
      expect(straight).toHaveLength(20);
      // stopped inside the first and second chunk of the initial batch and inside BO batches
      const resumed = await runInterrupted(mode, [1, 4, 10, 15]);
      expect(resumed).toEqual(straight);
    },
  );

  it.each(["reference", "distinct"] as const)(
    "%s, pipelined: resumed runs are identical too",
    async (mode) => {
      const straight = await runInterrupted(mode, [], true);
      expect(straight).toHaveLength(20);
      expect(straight).not.toEqual(await runInterrupted(mode, [], false));
      // 6 and 7 are the initial batch's last chunk, 13 the first BO batch's
      expect(await runInterrupted(mode, [1, 6, 7, 12, 13, 15], true)).toEqual(straight);
    },
  );
});

describe("pipelined batches (--pipelined)", () => {
  it("fit each proposal on all but the previous batch's last chunk, pass that chunk as pending, and generate it meanwhile", async () => {
    const ledger = openLedger(":memory:");
    const config = smallRunConfig(fx.taskFile, {
      generator: "counting",
      pipelined: true,
      initialPoints: 8, // chunks 3 + 3 + 2
      batchSize: 6, // chunks 2 + 3 + 1
    });
    let evaluations = 0;
    const calls: { rows: number; evaluations: number }[] = [];
    const generator: SoftPromptGenerator = {
      async generate(zs) {
        const call = calls.push({ rows: zs.length, evaluations }) - 1;
        return zs.map((z, i) => ({ text: `instruction g${call}-${i} ${z[0].toFixed(4)}` }));
      },
      async close() {},
    };
    const bo = createBoPointProposer();
    const fitted: number[] = [];
    const pending: number[][][] = [];
    const runId = ledger.createRun(config);
    // the initial batch's last chunk (generate call 2) answers slowly
    const { bb } = slowBlackBox((prompt) => (prompt.includes("instruction g2-") ? 300 : 1));
    const out = await executeRun(runId, {
      ledger,
      blackBox: bb,
      generator,
      pointProposer: {
        initial: (n, d, seed) => bo.initial(n, d, seed),
        next(history, q, options) {
          fitted.push(history.points.length);
          pending.push(history.pending ?? []);
          return bo.next(history, q, options);
        },
      },
      skipTest: true,
      onProgress: (e) => {
        if (e.phase === "evaluate") evaluations = e.evaluations;
      },
    });
    expect(out.status).toBe("completed");
    expect(fitted).toEqual([8 - 2, 14 - 1]);
    // the soft prompts of that chunk, still being scored, are pending points of the proposal
    const zs = ledger.evaluations(runId).map((r) => r.z);
    expect(pending).toEqual([zs.slice(6, 8), zs.slice(13, 14)]);
    expect(calls.map((c) => c.rows)).toEqual([3, 3, 2, 2, 3, 1, 2, 3, 1]);
    // batch 1's first chunk was generated while the initial batch's last chunk was being scored
    expect(calls[3].evaluations).toBeGreaterThanOrEqual(6);
    expect(calls[3].evaluations).toBeLessThan(8);
    expect(ledger.evaluations(runId).map((r) => r.index)).toEqual([...Array(20).keys()]);
    ledger.close();
  });
});
