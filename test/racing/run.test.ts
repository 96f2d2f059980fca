import { describe, expect, it } from "vitest";
import { parseInstructionPrompt } from "../../fixtures/fake-openai.js";
import { makeOptimizeFixture, reverse, slowBlackBox, smallRunConfig } from "../../fixtures/optimize.js";
import { parseRunOptions } from "../../src/config/parse.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { incumbentOf, isPerfect, raceDecision } from "../../src/optimizers/racing.js";
import { executeRun, makeRunConfig } from "../../src/optimizers/run.js";
import type { PointProposer, SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { validateRecord } from "../../src/store/validate.js";
import { seedFor } from "../../src/util/rng.js";

const fx = makeOptimizeFixture();
/** The fixture task (30 examples) leaves 10 for validation: 5 blocks of 2, 4 racing decisions. */
const TOTAL = 10;

/** Hash to [0, 1). */
const unit = (label: string) => (seedFor(0, label) >>> 0) / 2 ** 32;

/**
 * Many distinct instructions (a grid over 3 coordinates of z), each with a latent quality; slow enough
 * (25 ms per chunk) that generation overlaps scoring.
 */
const gridGenerator: SoftPromptGenerator = {
  async generate(zs) {
    await new Promise((r) => setTimeout(r, 5));
    return zs.map((z) => ({
      text: `instruction ${z
        .slice(0, 3)
        .map((v) => Math.round(v * 3))
        .join(" ")}`,
    }));
  },
  async close() {},
};

/**
 * A black box answering "reverse the word" right with probability q(instruction) (decided by a hash of
 * instruction and input, so the same query always gets the same answer); with `perfectAbove`,
 * instructions with q above it are always right and the others right with probability 0.7 q. Answers take `delay(prompt)` ms. `crashAt`: the n-th call throws
 * (a crash in the middle of a race).
 */
function qualityBlackBox(
  options: { delay?: (p: string) => number; perfectAbove?: number; crashAt?: number[] } = {},
) {
  return slowBlackBox(options.delay ?? (() => 0), {
    crashAt: options.crashAt,
    answer: (prompt) => {
      const parsed = parseInstructionPrompt(prompt);
      if (!parsed) return "?";
      const q = unit(`q:${parsed.instruction}`);
      const cap = options.perfectAbove;
      const p = cap === undefined ? q : q > cap ? 1 : 0.7 * q;
      const right = unit(`a:${parsed.instruction}:${parsed.input}`) < p;
      return right ? reverse(parsed.input) : parsed.input;
    },
  });
}

type Opts = Parameters<typeof smallRunConfig>[1];

/**
 * A racing run (10 validation examples, blocks of 2, 20 evaluations), interrupted after each of
 * `stopAfter` evaluations (signal, as Ctrl-C) and crashed at the calls `crashAt` (as kill -9: the
 * evaluation under way is lost), resumed until completed.
 */
async function racingRun(
  options: Opts = {},
  how: {
    stopAfter?: number[];
    crashAt?: number[];
    delay?: (p: string) => number;
    perfectAbove?: number;
    proposer?: PointProposer;
  } = {},
) {
  const ledger = openLedger(":memory:");
  const config = smallRunConfig(fx.taskFile, {
    generator: "grid",
    racing: true,
    racingBlock: 2,
    validationSize: TOTAL,
    ...options,
  });
  const runId = ledger.createRun(config);
  const { bb, stats } = qualityBlackBox({
    delay: how.delay,
    perfectAbove: how.perfectAbove,
    crashAt: how.crashAt,
  });
  const stops = [...(how.stopAfter ?? [])];
  let out: Awaited<ReturnType<typeof executeRun>> | undefined;
  let sessions = 0;
  do {
    sessions++;
    const controller = new AbortController();
    const at = stops.shift();
    try {
      out = await executeRun(runId, {
        ledger,
        blackBox: bb,
        generator: gridGenerator,
        pointProposer: how.proposer ?? createBoPointProposer(),
        skipTest: true,
        signal: controller.signal,
        onProgress: (e) => {
          if (at !== undefined && e.phase === "evaluate" && e.evaluations >= at) controller.abort();
        },
      });
    } catch (err) {
      if (!/crash at call/.test(String(err))) throw err;
      out = undefined;
    }
    if (sessions > 20) throw new Error("the run does not finish");
  } while (out?.status !== "completed");
  const evals = ledger.evaluations(runId);
  ledger.close();
  return { out, evals, stats, sessions };
}

/** A record without its timings. */
const strip = (r: EvaluationRecord) => ({ ...r, generationMs: 0, evaluationMs: 0, latencyMs: 0 });
const summary = (evals: EvaluationRecord[]) =>
  evals.map((r) => `${r.index} ${r.instruction} ${r.scores.join("")}`);

/** Every record obeys the racing rule against the incumbent of its position (records before it). */
function expectRaced(evals: EvaluationRecord[], block: number, alpha: number, rank = 1): void {
  for (const [j, r] of evals.entries()) {
    const incumbent = incumbentOf(evals.slice(0, j), TOTAL, rank);
    expect(r.scored === undefined || r.scored === r.scores.length).toBe(true);
    expect(r.score).toBeCloseTo(r.scores.reduce((a, b) => a + b, 0) / r.scores.length, 12);
    if (r.reused) {
      // a repeat copies the first record of its instruction, prefix and all
      const first = evals.find((e) => e.instruction === r.instruction && !e.reused)!;
      expect(r.scores).toEqual(first.scores);
      continue;
    }
    const n = r.scores.length;
    expect(n === TOTAL || n % block === 0).toBe(true);
    // no decision before the end stopped it ...
    for (let b = block; b < n; b += block)
      expect(raceDecision(r.scores.slice(0, b), incumbent, TOTAL, alpha), `#${j} after ${b}`).toBeNull();
    // ... and a record that stopped early was stopped by the rule
    if (n < TOTAL) expect(raceDecision(r.scores, incumbent, TOTAL, alpha), `#${j}`).not.toBeNull();
  }
}

describe("racing inside the search", () => {
  it("scores each candidate in blocks and stops it by the bound or the paired test, as the rule says", async () => {
    const { out, evals, stats } = await racingRun({ racingAlpha: 0.05 });
    expect(out.status).toBe("completed");
    expect(evals).toHaveLength(20);
    expectRaced(evals, 2, 0.05);
    const partial = evals.filter((r) => r.scores.length < TOTAL);
    expect(partial.length).toBeGreaterThan(3);
    expect(evals[0].scores).toHaveLength(TOTAL); // nothing to race against yet
    // every query the search sent is in a record (no repeat re-queried, nothing lost)
    const scoring = stats.prompts.filter((p) => p.startsWith("Instruction:")).length;
    const inRecords = evals.filter((r) => !r.reused && !r.empty).reduce((a, r) => a + r.scores.length, 0);
    expect(scoring).toBe(inRecords);
    expect(evals.reduce((a, r) => a + r.calls, 0)).toBe(inRecords);
    expect(inRecords).toBeLessThan(new Set(evals.map((r) => r.instruction)).size * TOTAL);
    // the chosen instruction is fully scored
    expect(out.best?.scores).toHaveLength(TOTAL);
    for (const r of evals) validateRecord(r);
  });

  it("under fresh selection races against the top-k-th best (issue 20 item 3), batch by batch and resumed alike", async () => {
    const options = { racingAlpha: 0.05, selection: "fresh" as const, selectionTopK: 3 };
    const { out, evals } = await racingRun(options);
    expect(out.status).toBe("completed");
    expectRaced(evals, 2, 0.05, 3);
    expect(evals.some((r) => r.scores.length < TOTAL)).toBe(true); // racing still stops some
    const stopped = await racingRun(options, { stopAfter: [2, 9, 15] });
    expect(stopped.evals.map(strip)).toEqual(evals.map(strip));
  });

  it("is deterministic: answers arriving in any order give the same records", async () => {
    let h = 0;
    const scrambled = await racingRun(
      { concurrency: 8 },
      {
        delay: (p) => {
          for (const c of p) h = (h * 31 + c.charCodeAt(0)) % 1009;
          return 1 + (h % 9);
        },
      },
    );
    const instant = await racingRun({ concurrency: 8 });
    expect(scrambled.evals.map(strip)).toEqual(instant.evals.map(strip));
    expect(scrambled.out.best?.index).toBe(instant.out.best?.index);
  });

  it.each(["reference", "distinct"] as const)(
    "%s: interrupted (Ctrl-C) and crashed mid-race (kill -9) runs resume to the uninterrupted result",
    async (batchMode) => {
      const straight = await racingRun({ batchMode });
      expect(straight.evals).toHaveLength(20);
      const stopped = await racingRun({ batchMode }, { stopAfter: [1, 3, 8, 9, 14, 19] });
      expect(summary(stopped.evals)).toEqual(summary(straight.evals));
      expect(stopped.evals.map(strip)).toEqual(straight.evals.map(strip));
      expect(stopped.out.best?.index).toBe(straight.out.best?.index);
      // crashes at calls inside races (the first block of #0, later blocks of later candidates)
      const crashed = await racingRun({ batchMode }, { crashAt: [3, 27, 60, 95, 140] });
      expect(crashed.sessions).toBeGreaterThan(3);
      expect(crashed.evals.map(strip)).toEqual(straight.evals.map(strip));
      expect(crashed.out.best?.index).toBe(straight.out.best?.index);
    },
  );

  it("gives BO the prefixes of raced candidates (shorter score vectors)", async () => {
    const bo = createBoPointProposer();
    const lengths: number[][] = [];
    const proposer: PointProposer = {
      initial: (n, d, seed) => bo.initial(n, d, seed),
      next(history, q, options) {
        lengths.push(history.scoreVectors.map((v) => v.length));
        return bo.next(history, q, options);
      },
    };
    const { evals } = await racingRun({}, { proposer });
    // pipelined (the default): each BO batch in two parts, the second fitted on every record before it
    expect(lengths).toHaveLength(4);
    expect(lengths[3]).toEqual(evals.slice(0, 14).map((r) => r.scores.length));
    expect(lengths.flat().some((n) => n < TOTAL)).toBe(true);
  });

  it("ape races its proposals too", async () => {
    const ledger = openLedger(":memory:");
    const config = smallRunConfig(fx.taskFile, {
      method: "ape",
      racing: true,
      racingBlock: 2,
      validationSize: TOTAL,
      racingAlpha: 0.05,
    });
    const runId = ledger.createRun(config);
    const { bb } = qualityBlackBox();
    const out = await executeRun(runId, { ledger, blackBox: bb, skipTest: true });
    const evals = ledger.evaluations(runId);
    ledger.close();
    expect(out.status).toBe("completed");
    expectRaced(evals, 2, 0.05);
  });
});

describe("stopAtPerfect", () => {
  // seed 1: the first perfect candidate is #2 (initial design); seed 6: #16 (a BO batch, pipelined by default)
  it.each([1, 6])(
    "ends the search at the first perfect validation score, also when resumed (seed %i)",
    async (seed) => {
      const opts = { stopAtPerfect: true, racing: false, budget: 40, seed };
      const plain = await racingRun({ ...opts, stopAtPerfect: false }, { perfectAbove: 0.9 });
      expect(plain.evals).toHaveLength(40);
      const first = plain.evals.findIndex((r) => isPerfect(r, TOTAL));
      expect(first).toBe(seed === 1 ? 2 : 16);

      const stopped = await racingRun(opts, { perfectAbove: 0.9 });
      expect(stopped.out.status).toBe("completed");
      expect(stopped.evals).toHaveLength(first + 1);
      expect(stopped.evals.map(strip)).toEqual(plain.evals.slice(0, first + 1).map(strip));
      expect(stopped.out.best?.index).toBe(first);
      const resumed = await racingRun(opts, {
        perfectAbove: 0.9,
        stopAfter: [1, first - 1, first, first + 1],
      });
      expect(resumed.evals.map(strip)).toEqual(stopped.evals.map(strip));

      // with racing: the search ends at its own first perfect candidate, resumed alike (not pipelined:
      // seed 6's raced pipelined search finds none in 40)
      const racedOpts = { ...opts, racing: true, pipelined: false };
      const raced = await racingRun(racedOpts, { perfectAbove: 0.9 });
      const last = raced.evals[raced.evals.length - 1];
      expect(raced.evals.length).toBeLessThan(40);
      expect(isPerfect(last, TOTAL)).toBe(true);
      expect(raced.evals.filter((r) => isPerfect(r, TOTAL))).toHaveLength(1);
      expect(raced.out.best?.index).toBe(last.index);
      const racedResumed = await racingRun(racedOpts, { perfectAbove: 0.9, stopAfter: [1, 5] });
      expect(racedResumed.evals.map(strip)).toEqual(raced.evals.map(strip));
      const recorded = (e: EvaluationRecord[]) => e.reduce((a, r) => a + r.calls, 0);
      if (seed === 1) {
        // the same first perfect candidate (the initial design does not depend on racing), for fewer calls
        expect(last.instruction).toBe(plain.evals[first].instruction);
        expect(recorded(raced.evals)).toBeLessThan(recorded(stopped.evals));
      }
      // candidates under way when the perfect one is stored stop at their next block: at most the scoring
      // window (8 candidates at concurrency 8, blocks of 2) x one block is spent on them, + 10 for the baseline
      expect(raced.stats.calls).toBeLessThanOrEqual(recorded(raced.evals) + 8 * 2 + TOTAL);
    },
  );
});

describe("preset", () => {
  const base = { task: fx.taskFile, target: "test:bb" };

  it("efficient turns on racing, distinct batches and stopAtPerfect; paper sets the reference's rules", () => {
    const c = makeRunConfig({ ...base, preset: "efficient" });
    expect(c).toMatchObject({
      preset: "efficient",
      racing: true,
      batchMode: "distinct",
      stopAtPerfect: true,
    });
    expect(c.racingBlock).toBe(5);
    expect(c.racingAlpha).toBe(0.01);
    const paper = makeRunConfig({ ...base, preset: "paper" });
    const none = makeRunConfig(base);
    // issue 20: paper is the reference's protocol (test/tasks/reference-split.test.ts), the rest as the defaults
    const paperRules = {
      splitRule: "reference",
      hygiene: "off",
      rawInstructions: true,
      selection: "validation",
      selectionTies: "latest",
      maxTokens: 256,
      // the reference scores the chosen instruction on the whole test split
      postSearch: "full",
      // and waits for each batch's scores before proposing the next
      pipelined: false,
    };
    expect(paper).toMatchObject(paperRules);
    expect({ ...paper, preset: undefined }).toEqual({ ...none, ...paperRules, preset: undefined });
    expect(none).toMatchObject({
      racing: false,
      batchMode: "reference",
      stopAtPerfect: false,
      postSearch: "adaptive",
      pipelined: true,
    });
  });

  it("options given explicitly win over the preset", () => {
    const c = makeRunConfig({
      ...base,
      preset: "efficient",
      batchMode: "reference",
      racing: false,
      racingBlock: 4,
    });
    expect(c).toMatchObject({ racing: false, batchMode: "reference", stopAtPerfect: true, racingBlock: 4 });
    // undefined counts as not given
    expect(makeRunConfig({ ...base, preset: "efficient", racing: undefined }).racing).toBe(true);
  });

  it("an unknown preset or racing setting is an error naming the field", () => {
    expect(() => makeRunConfig({ ...base, preset: "fast" as "paper" })).toThrow(/preset/);
    expect(() => parseRunOptions({ ...base, racingAlpha: 1 })).toThrow(/racingAlpha/);
    expect(() => parseRunOptions({ ...base, racingBlock: 0 })).toThrow(/racingBlock/);
  });
});

describe("records of raced candidates", () => {
  it("validateRecord: scored, when present, is the number of scores", () => {
    const r: EvaluationRecord = {
      index: 0,
      iteration: 0,
      z: null,
      instruction: "x",
      score: 0.5,
      scores: [1, 0],
      outputs: ["a", "b"],
      scored: 2,
      reused: false,
      calls: 2,
      cacheHits: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      generationMs: 0,
      evaluationMs: 0,
    };
    expect(() => validateRecord(r)).not.toThrow();
    expect(() => validateRecord({ ...r, scored: 3 })).toThrow(/scored/);
    expect(() => validateRecord({ ...r, scored: 1.5 })).toThrow(/scored/);
  });
});
