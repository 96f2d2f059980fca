import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlackBox, Completion, CompletionRequest } from "../../src/blackbox/types.js";
import { type RunConfig, RunOptionsSchema } from "../../src/config/schema.js";
import {
  DEFAULT_GENERATOR_STOP,
  generatorStop,
  localGeneratorOptions,
  type SoftPromptGenerator,
} from "../../src/generator/backend.js";
import { openGenerator } from "../../src/generator/backends/index.js";
import { cutAtStop } from "../../src/generator/local-model.js";
import { buildTestModel } from "../../src/generator/test-model/build.js";
import { builtinScorer } from "../../src/metrics/scorer.js";
import { cleanProposal, runApe } from "../../src/optimizers/ape.js";
import {
  cleanInstruction,
  emptyInstructionRecord,
  isEmptyInstruction,
} from "../../src/optimizers/clean-instruction.js";
import type { StoredBatch } from "../../src/optimizers/soft-prompt/checkpoint.js";
import { generateChunk } from "../../src/optimizers/soft-prompt/chunks.js";
import { streamNovel } from "../../src/optimizers/soft-prompt/distinct.js";
import { scoreBatch } from "../../src/optimizers/soft-prompt/score-batch.js";
import type { MethodContext } from "../../src/optimizers/types.js";
import { type Ledger, openLedger } from "../../src/store/ledger.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { validateRecord } from "../../src/store/validate.js";
import type { Example } from "../../src/tasks/types.js";
import { Rng } from "../../src/util/rng.js";
import { tempDir } from "../generator/helpers.js";

interface Case {
  name: string;
  input: string;
  expected: string;
}

/** Realistic generator outputs and the instruction each should give (test/fixtures/instructions). */
const corpus: Case[] = JSON.parse(
  readFileSync(new URL("../fixtures/instructions/corpus.json", import.meta.url), "utf8"),
) as Case[];

/** Pieces small chat models put around (or instead of) an instruction, for the property checks. */
const PIECES = [
  "Sure!",
  "Certainly, ",
  "Here is the instruction:",
  "Here's an instruction",
  "The instruction was to",
  "the instruction is",
  "Instruction:",
  "**Instruction:**",
  "Based on the examples,",
  "**",
  "*",
  "_",
  "`",
  "```",
  '"',
  "'",
  "“",
  "”",
  "«",
  "»",
  "\n",
  "\n\n",
  "\r\n",
  " ",
  "\t",
  ":",
  ".",
  "Input: hot",
  "Output: cold",
  "Example 1:",
  "1. ",
  "2) ",
  "- ",
  "# ",
  // issue 20 item 6: special tokens, steps, self-talk, label-first instructions
  "<|im_end|>",
  "</s>",
  "<|im_start|>assistant\n",
  "Step 1: ",
  "Then ",
  "As an AI language model, ",
  "I cannot be sure, but ",
  "Output: the first letter of the word.",
  "> ",
  "---",
  "add the numbers",
  "Reverse the word.",
  "Write the word's antonym",
  "I hope this helps!",
  "Let me know if you need more.",
  "😊",
  "Note: none.",
  "to",
  "ß",
];

/** Seeded random texts built from {@link PIECES} and corpus inputs. */
function fuzzTexts(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.uniform() * xs.length)];
  return Array.from({ length: n }, () => {
    const k = 1 + Math.floor(rng.uniform() * 8);
    let s = "";
    for (let i = 0; i < k; i++) s += rng.uniform() < 0.15 ? pick(corpus).input : pick(PIECES);
    return s;
  });
}

describe("cleanInstruction: corpus of generator outputs", () => {
  it("has at least 40 cases, among them the two APE bugs of the issue", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    const find = (input: string) => corpus.find((c) => c.input === input)?.expected;
    expect(find("The instruction was to:\n\nAdd the numbers.")).toBe("Add the numbers.");
    expect(find("Sure! Here is the instruction:")).toBe("");
    expect(corpus.some((c) => c.input === "")).toBe(true);
    expect(corpus.some((c) => c.input !== "" && c.input.trim() === "")).toBe(true);
  });

  it.each(corpus)("$name", ({ input, expected }) => {
    expect(cleanInstruction(input)).toBe(expected);
  });
});

describe("cleanInstruction: properties", () => {
  const texts = [...corpus.map((c) => c.input), ...corpus.map((c) => c.expected), ...fuzzTexts(3000, 7)];

  it("is idempotent: clean(clean(x)) === clean(x)", () => {
    for (const x of texts) {
      const once = cleanInstruction(x);
      expect(cleanInstruction(once), JSON.stringify(x)).toBe(once);
    }
  });

  it("never returns a text longer than its input", () => {
    for (const x of texts)
      expect(cleanInstruction(x).length, JSON.stringify(x)).toBeLessThanOrEqual(x.length);
  });

  it('returns "" or one trimmed line with a letter or digit (never a fragment such as ":")', () => {
    for (const x of texts) {
      const y = cleanInstruction(x);
      if (y === "") continue;
      expect(y, JSON.stringify(x)).toMatch(/[\p{L}\p{N}]/u);
      expect(y).toBe(y.trim());
      expect(y).not.toMatch(/[\n\r]|\s{2}/);
      expect(y).not.toMatch(/^[:：\-–—,;.]/);
    }
  });

  it("is deterministic and pure", () => {
    const a = texts.map(cleanInstruction);
    const b = texts.map(cleanInstruction);
    expect(a).toEqual(b);
  });
});

describe("cleanProposal (ape): the first line with an instruction, cleaned", () => {
  it("fixes the two bugs of the issue and keeps APE's first-line rule", () => {
    expect(cleanProposal("The instruction was to:\n\nAdd the numbers.")).toBe("Add the numbers.");
    expect(cleanProposal("Sure! Here is the instruction:")).toBe("");
    expect(cleanProposal(" write the word backwards (variant 606).\nMore text.")).toBe(
      "write the word backwards (variant 606).",
    );
    expect(
      cleanProposal('Sure! Here\'s an instruction:\n\n**"Reverse the word."**\nI hope this helps!'),
    ).toBe("Reverse the word.");
    expect(cleanProposal("\nInput: hot\nOutput: cold\n")).toBe("");
    expect(cleanProposal("   ")).toBe("");
  });

  it("is idempotent, never longer than its input, and agrees with cleanInstruction on one line", () => {
    for (const x of [...corpus.map((c) => c.input), ...fuzzTexts(1000, 11)]) {
      const y = cleanProposal(x);
      expect(cleanProposal(y), JSON.stringify(x)).toBe(y);
      expect(y.length).toBeLessThanOrEqual(x.length);
      if (!/[\r\n]/.test(x)) expect(y).toBe(cleanInstruction(x));
    }
  });
});

/** Validation examples: inputs "a", "b", ... answered by themselves. */
function examples(n: number): Example[] {
  return Array.from({ length: n }, (_, i) => ({
    input: String.fromCharCode(97 + i),
    answers: [String.fromCharCode(97 + i)],
  }));
}

/** A black box answering every query with its input, recording the instructions it was asked with. */
function echoBlackBox() {
  const instructions: string[] = [];
  const bb: BlackBox = {
    id: "test:echo",
    async complete(request: CompletionRequest): Promise<Completion> {
      instructions.push(request.parts?.instruction ?? request.prompt);
      return {
        text: request.parts?.input ?? "?",
        usage: { inputTokens: 1, outputTokens: 1 },
        costUsd: 0,
        cached: false,
      };
    },
    totals: () => ({
      completions: instructions.length,
      requests: instructions.length,
      cacheHits: 0,
      retries: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    }),
    async close() {},
  };
  return { bb, instructions };
}

/** A proposer answering call i with texts[i % texts.length]. */
function scriptedProposer(texts: readonly string[]): BlackBox {
  let n = 0;
  return {
    id: "test:proposer",
    async complete(): Promise<Completion> {
      const text = texts[n++ % texts.length];
      return { text, usage: { inputTokens: 10, outputTokens: 5 }, costUsd: 0.001, cached: false };
    },
    totals: () => ({
      completions: n,
      requests: n,
      cacheHits: 0,
      retries: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    }),
    async close() {},
  };
}

/** A method context on an in-memory ledger with 3 validation examples. */
function context(
  options: Record<string, unknown>,
  parts: Partial<MethodContext>,
): { ctx: MethodContext; ledger: Ledger } {
  const config: RunConfig = RunOptionsSchema.parse({
    task: "clean-test",
    target: "test:echo",
    validationSize: 3,
    ...options,
  });
  const ledger = openLedger(":memory:");
  const runId = ledger.createRun(config);
  const ctx: MethodContext = {
    runId,
    config,
    ledger,
    blackBox: echoBlackBox().bb,
    splits: { promptGen: examples(8), validation: examples(3), test: [] },
    metric: builtinScorer("em"),
    demos: [{ input: "a", output: "a" }],
    maxTokens: 8,
    timing: { generationMs: 0, evaluationMs: 0, boMs: 0 },
    ...parts,
  };
  return { ctx, ledger };
}

describe("an empty instruction is never scored as one", () => {
  it("emptyInstructionRecord: score 0 per example, outputs '', no call, marked empty, valid", () => {
    const r = emptyInstructionRecord(
      { index: 3, iteration: 1, z: [0.5], instruction: "", generationMs: 12 },
      4,
    );
    expect(r).toMatchObject({
      index: 3,
      iteration: 1,
      z: [0.5],
      instruction: "",
      score: 0,
      scores: [0, 0, 0, 0],
      outputs: ["", "", "", ""],
      empty: true,
      reused: false,
      calls: 0,
      cacheHits: 0,
      costUsd: 0,
      evaluationMs: 0,
    });
    expect(() => validateRecord(r)).not.toThrow();
    expect(() => validateRecord({ ...r, empty: "yes" } as unknown as EvaluationRecord)).toThrow(/"empty"/);
    expect(isEmptyInstruction("")).toBe(true);
    expect(isEmptyInstruction(" \n")).toBe(true);
    expect(isEmptyInstruction("Add.")).toBe(false);
  });

  it("ape: proposals are cleaned; an empty one scores 0 without any black-box call", async () => {
    const { bb, instructions } = echoBlackBox();
    const proposer = scriptedProposer([
      "Sure! Here is the instruction:",
      "The instruction was to:\n\nAdd the numbers.",
      " repeat the input.\nInput: a\nOutput: a",
      "   ",
    ]);
    const { ctx, ledger } = context(
      { method: "ape", budget: 5, initialPoints: 2, batchSize: 3 },
      { blackBox: bb, proposer },
    );
    await runApe(ctx);
    const records = ledger.evaluations(ctx.runId);
    ledger.close();
    expect(records.map((r) => r.instruction)).toEqual(["", "Add the numbers.", "repeat the input.", "", ""]);
    for (const i of [0, 3, 4]) {
      expect(records[i]).toMatchObject({
        empty: true,
        score: 0,
        scores: [0, 0, 0],
        outputs: ["", "", ""],
        reused: false,
        calls: 1, // the proposal; no validation query
      });
    }
    expect(records[2]).toMatchObject({ score: 1, calls: 4, reused: false });
    expect(records[2].empty).toBeUndefined();
    // only the two non-empty instructions were sent, 3 validation queries each
    expect(instructions).toEqual([
      ...Array(3).fill("Add the numbers."),
      ...Array(3).fill("repeat the input."),
    ]);
  });

  // Needs the one-line hook at the top of evaluateCandidate (src/optimizers/score-candidate.ts):
  //   if (isEmptyInstruction(candidate.instruction)) return emptyInstructionRecord(candidate, ctx.splits.validation.length);
  // Enable this test once it is in.
  it("soft-prompt batches: an empty instruction scores 0 without any black-box call", async () => {
    const { bb, instructions } = echoBlackBox();
    const { ctx, ledger } = context({ method: "instructzero" }, { blackBox: bb });
    const texts = ["", "Repeat the input.", "", "Add."];
    const picks = texts.map((text, j) => Promise.resolve({ z: [j / 10], text, generationMs: 0 }));
    const records: EvaluationRecord[] = [];
    expect(await scoreBatch(ctx, 0, 0, texts.length, 0, picks, records)).toBe(true);
    ledger.close();
    for (const i of [0, 2])
      expect(records[i]).toMatchObject({
        empty: true,
        score: 0,
        calls: 0,
        reused: false,
        outputs: ["", "", ""],
      });
    expect(instructions).not.toContain("");
    expect(instructions).toHaveLength(6);
  });
});

/** A generator answering z with texts[round(z[0])]. */
function scriptedGenerator(texts: readonly string[]): SoftPromptGenerator {
  return {
    async generate(zs) {
      return zs.map((z) => ({ text: texts[Math.round(z[0])] }));
    },
    async close() {},
  };
}

describe("soft-prompt instructions are cleaned unless rawInstructions", () => {
  const raw = [
    "Sure! Here is the instruction:\n\n“Repeat the input.”",
    "The instruction was to add.\nInput: 1",
  ];

  it("generateChunk cleans the generator's texts; rawInstructions keeps them", async () => {
    const zs = [[0], [1]];
    const clean = context({}, { generator: scriptedGenerator(raw) });
    expect((await generateChunk(clean.ctx, zs))?.rows).toEqual(["Repeat the input.", "Add."]);
    clean.ledger.close();
    const kept = context({ rawInstructions: true }, { generator: scriptedGenerator(raw) });
    expect(kept.ctx.config.rawInstructions).toBe(true);
    expect((await generateChunk(kept.ctx, zs))?.rows).toEqual(raw);
    kept.ledger.close();
  });

  it("is recorded in the run configuration, default false", () => {
    expect(RunOptionsSchema.parse({ task: "t" }).rawInstructions).toBe(false);
    expect(RunOptionsSchema.parse({ task: "t", rawInstructions: true }).rawInstructions).toBe(true);
  });

  it("distinct batches compare cleaned instructions, and checkpoint them", async () => {
    const texts = ["Sure! Reverse the word.", '"Reverse the word."', "**Add the numbers.**", "Sort."];
    const { ctx, ledger } = context({ batchMode: "distinct" }, { generator: scriptedGenerator(texts) });
    const batch: StoredBatch = { points: [], candidates: [[0], [1], [2], [3]] };
    const saved: StoredBatch[] = [];
    const picks = await Promise.all(streamNovel(ctx, batch, 2, [], (b) => saved.push(b)));
    ledger.close();
    expect(picks.map((p) => p?.text)).toEqual(["Reverse the word.", "Add the numbers."]);
    expect(picks.map((p) => p?.z)).toEqual([[0], [2]]);
    await new Promise((r) => setTimeout(r, 0));
    const last = saved[saved.length - 1];
    expect(last.instructions).toEqual(["Reverse the word.", "Add the numbers."]);
    expect(last.candidateTexts).toEqual(["Reverse the word.", "Reverse the word.", "Add the numbers."]);
  });
});

describe("generator stop strings", () => {
  const base = {
    source: "x",
    seed: 0,
    nTokens: 2,
    intrinsicDim: 4,
    projection: "uniform" as const,
    dtype: "fp32",
    maxNewTokens: 8,
  };

  it('default "\\nInput:" and "\\nOutput:", none when raw, explicit ones kept', () => {
    expect(DEFAULT_GENERATOR_STOP).toEqual(["\nInput:", "\nOutput:"]);
    expect(generatorStop({})).toEqual(["\nInput:", "\nOutput:"]);
    expect(localGeneratorOptions(base).stop).toEqual(["\nInput:", "\nOutput:"]);
    expect(localGeneratorOptions({ ...base, rawInstructions: true })).not.toHaveProperty("stop");
    expect(localGeneratorOptions({ ...base, rawInstructions: true, stop: ["##"] }).stop).toEqual(["##"]);
    expect(localGeneratorOptions({ ...base, stop: [] })).not.toHaveProperty("stop");
  });

  describe("on the micro test model through the onnx backend", () => {
    let dir: string;
    beforeAll(() => {
      dir = join(tempDir("iz-stop-"), "micro");
      buildTestModel(dir, { preset: "micro", seed: 5 });
    });
    const zs = [
      [0.1, -0.4, 0.7, 0.2],
      [-0.8, 0.3, 0.05, -0.6],
    ];
    const demos = [{ input: "hot", output: "cold" }];
    const open = (extra: { stop?: string[]; rawInstructions?: boolean }) =>
      openGenerator({ ...base, source: dir, maxNewTokens: 16, ...extra });
    const gens: SoftPromptGenerator[] = [];
    afterAll(async () => {
      for (const g of gens) await g.close();
    });

    it("generation stops at a stop string and the text is cut before it", async () => {
      const free = await open({ rawInstructions: true });
      gens.push(free);
      const full = (await free.generate(zs, demos)) as { text: string; newTokens: number }[];
      // a stop string from the middle of the first text (the random model rarely writes "\nInput:")
      const stop = full[0].text.slice(3, 5);
      expect(stop.length).toBe(2);
      const stopped = await open({ stop: [stop] });
      gens.push(stopped);
      const cut = (await stopped.generate(zs, demos)) as { text: string; newTokens: number }[];
      for (let i = 0; i < zs.length; i++)
        expect(cut[i].text).toBe(cutAtStop(full[i].text, [stop]).text.trim());
      expect(cut[0].newTokens).toBeLessThan(full[0].newTokens);
      // the default stop strings do not change text that does not contain them
      const byDefault = await open({});
      gens.push(byDefault);
      const d = (await byDefault.generate(zs, demos)) as { text: string }[];
      for (let i = 0; i < zs.length; i++)
        expect(d[i].text).toBe(cutAtStop(full[i].text, DEFAULT_GENERATOR_STOP).text.trim());
    });
  });
});
