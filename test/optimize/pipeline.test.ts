import { describe, expect, it } from "vitest";
import { makeOptimizeFixture, slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { executeRun } from "../../src/optimizers/run.js";
import { chunkSizes, generatesWhole } from "../../src/optimizers/soft-prompt/chunks.js";
import { batchWindows } from "../../src/optimizers/soft-prompt/pipeline.js";
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
    const run = await runAndKeep(batchMode, stopAfter, pipelined);
    return run.evals;
  }

  async function runAndKeep(batchMode: "reference" | "distinct", stopAfter: number[], pipelined: boolean) {
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
    const zs = ledger.evaluations(runId).map((r) => r.z);
    const state = (key: string) => ledger.getState<{ points: number[][]; count?: number }>(runId, key);
    const checkpoints = { head: state("batch:1"), rest: state("batch:1:rest"), batch0: state("batch:0") };
    ledger.close();
    return { evals, zs, checkpoints };
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
      const straight = await runAndKeep(mode, [], true);
      expect(straight.evals).toHaveLength(20);
      expect(straight.evals).not.toEqual(await runInterrupted(mode, [], false));
      // batch 1 (records 8-13) in two parts: its head (8, 9) and the rest (10-13), each a checkpoint
      expect(straight.checkpoints.head?.count).toBe(2);
      expect(straight.checkpoints.head?.points).toEqual(straight.zs.slice(8, 10));
      expect(straight.checkpoints.rest?.count).toBeUndefined();
      expect(straight.checkpoints.rest?.points).toEqual(straight.zs.slice(10, 14));
      expect(straight.checkpoints.batch0?.count).toBeUndefined();
      // 6 and 7 are the initial batch's last chunk (batch 1's head proposed, its rest not yet), 8 and 9
      // batch 1's head (its rest proposed from the initial batch's scores), 13 batch 1's last chunk,
      // 14 and 15 batch 2's head
      expect(await runInterrupted(mode, [1, 6, 7, 8, 9, 10, 12, 13, 14, 15, 17], true)).toEqual(
        straight.evals,
      );
    },
  );
});

describe("pipelined batches (--pipelined)", () => {
  it("split each batch after the first: its first chunk proposed early, the rest with full data", () => {
    // chunks: 8 -> 3 + 3 + 2, 6 -> 2 + 3 + 1, 1 -> 1
    expect(batchWindows([8, 6, 6, 1], true)).toEqual([
      { start: 0, size: 8, parts: [{ from: 0, to: 8, dataEnd: 0 }] },
      {
        start: 8,
        size: 6,
        parts: [
          { from: 0, to: 2, dataEnd: 6 },
          { from: 2, to: 6, dataEnd: 8 },
        ],
      },
      {
        start: 14,
        size: 6,
        parts: [
          { from: 0, to: 2, dataEnd: 13 },
          { from: 2, to: 6, dataEnd: 14 },
        ],
      },
      // one chunk: all head
      { start: 20, size: 1, parts: [{ from: 0, to: 1, dataEnd: 19 }] },
    ]);
    expect(batchWindows([8, 6], false)).toEqual([
      { start: 0, size: 8, parts: [{ from: 0, to: 8, dataEnd: 0 }] },
      { start: 8, size: 6, parts: [{ from: 0, to: 6, dataEnd: 8 }] },
    ]);
    // the paper's batches: 10 of 25 early (the previous batch's last 6 pending), 15 with full data
    expect(batchWindows([25, 25], true)[1].parts).toEqual([
      { from: 0, to: 10, dataEnd: 19 },
      { from: 10, to: 25, dataEnd: 25 },
    ]);
  });

  it("propose each batch's first chunk before the previous batch's last chunk is scored (that chunk pending), the rest after (the first chunk pending), and generate each meanwhile", async () => {
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
    const asked: number[] = [];
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
          asked.push(q);
          return bo.next(history, q, options);
        },
      },
      skipTest: true,
      onProgress: (e) => {
        if (e.phase === "evaluate") evaluations = e.evaluations;
      },
    });
    expect(out.status).toBe("completed");
    // batch 1: its first chunk (2) on all but the initial batch's last chunk, its rest (4) on all 8;
    // batch 2 alike (the last chunk of batch 1 is 1)
    expect(asked).toEqual([2, 4, 2, 4]);
    expect(fitted).toEqual([8 - 2, 8, 14 - 1, 14]);
    // the soft prompts still being scored are pending points of the proposal: the previous batch's last
    // chunk, then the batch's own first chunk
    const zs = ledger.evaluations(runId).map((r) => r.z);
    expect(pending).toEqual([zs.slice(6, 8), zs.slice(8, 10), zs.slice(13, 14), zs.slice(14, 16)]);
    expect(calls.map((c) => c.rows)).toEqual([3, 3, 2, 2, 3, 1, 2, 3, 1]);
    // batch 1's first chunk was generated while the initial batch's last chunk was being scored
    expect(calls[3].evaluations).toBeGreaterThanOrEqual(6);
    expect(calls[3].evaluations).toBeLessThan(8);
    // its rest once the initial batch was scored
    expect(calls[4].evaluations).toBeGreaterThanOrEqual(8);
    expect(ledger.evaluations(runId).map((r) => r.index)).toEqual([...Array(20).keys()]);
    ledger.close();
  });
});
