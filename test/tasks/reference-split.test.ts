/**
 * `--preset paper` reproduces the reference protocol: the reference's split rule (Python's
 * random.seed(0) + random.sample, the same for every seed), no hygiene, raw instructions and the
 * best validation score with the reference's tie rule (`>=`: the latest of the tied candidates wins).
 * Expected splits come from scripts/oracles/reference_split.py (CPython's `random`, the reference's
 * create_split/subsample_data) on small task files committed as fixtures, so this always runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { slowBlackBox } from "../../fixtures/optimize.js";
import { createBoPointProposer } from "../../src/optimizers/bo-proposer.js";
import { executeRun } from "../../src/optimizers/run.js";
import { makeRunConfig } from "../../src/optimizers/run-config.js";
import { layoutRun } from "../../src/optimizers/run-layout.js";
import type { SoftPromptGenerator } from "../../src/optimizers/types.js";
import { openLedger } from "../../src/store/ledger.js";
import { INSTRUCTION_INDUCTION_TASKS } from "../../src/tasks/catalog.js";
import { loadTask } from "../../src/tasks/load.js";
import { PythonRandom } from "../../src/tasks/python-random.js";
import { referenceSplit } from "../../src/tasks/splits.js";
import type { Example } from "../../src/tasks/types.js";

const DATA = join(import.meta.dirname, "../fixtures/tasks/reference-split");
const TASKS = ["antonyms", "translation_en-fr", "larger_animal"] as const;
type Expected = Record<
  string,
  { promptGen: Example[]; demos: { input: string; output: string }[]; validation: Example[]; test: Example[] }
>;
const expected = JSON.parse(readFileSync(join(DATA, "expected.json"), "utf8")) as Expected;

/** Raw generator text: a chatty prefix the clean-up would remove, then "v<level><variant>". */
const generator: SoftPromptGenerator = {
  async generate(zs) {
    return zs.map((z) => ({
      text: `Sure! Here is the instruction: v${Math.round(z[0] * 2)}${Math.round(z[1] * 2)}`,
    }));
  },
  async close() {},
};

/** The fraction of inputs an instruction gets right depends on its level only: ties are common. */
function answerer(answers: Map<string, string>) {
  return (prompt: string): string => {
    const m = /^Instruction: ([\s\S]*?)\n\nInput: ([\s\S]*?)\n(?: Output| ?\nOUTPUT): $/.exec(prompt);
    if (!m) return "?";
    const level = Number(/v(-?\d)/.exec(m[1])?.[1] ?? -2);
    const right = new PythonRandom(m[2].length).uint32() % 4 < level + 2;
    return right ? (answers.get(m[2]) ?? "?") : "wrong";
  };
}

describe("the reference split rule (scripts/oracles/reference_split.py)", () => {
  it("PythonRandom matches CPython's random.seed(0) / sample / getrandbits", () => {
    // python3 -c "import random; random.seed(0); print(random.sample(range(10),5), random.sample(range(200),100)[:10], random.getrandbits(32))"
    const r = new PythonRandom(0);
    expect(r.sample(10, 5)).toEqual([6, 9, 0, 2, 4]);
    expect(r.sample(200, 100).slice(0, 10)).toEqual([124, 103, 77, 122, 91, 149, 55, 129, 35, 72]);
    expect(r.randbelow(1)).toBe(0);
    expect(r.randbelow(3)).toBe(0);
    expect(r.getrandbits(32)).toBe(3844163078);
  });

  for (const name of TASKS) {
    it(`${name}: prompt-generation set, demos, validation and test equal the reference's, for every seed`, async () => {
      const task = await loadTask(name, { dataDir: DATA });
      const want = expected[name];
      const s = referenceSplit(task, { demos: 5 });
      expect(s.splits.promptGen).toEqual(want.promptGen);
      expect(s.demos).toEqual(want.demos);
      expect(s.splits.validation).toEqual(want.validation);
      expect(s.splits.test).toEqual(want.test);
      for (const seed of [0, 7]) {
        const layout = layoutRun(
          makeRunConfig({ task: name, dataDir: DATA, preset: "paper", seed, target: "test:bb" }),
          task,
        );
        expect(layout.splits.validation).toEqual(want.validation);
        expect(layout.demos).toEqual(want.demos);
        expect(layout.splits.test).toEqual(want.test);
      }
    });
  }
});

const latestDiffered: string[] = [];

describe("--preset paper", () => {
  it("sets the reference's rules and leaves the defaults as they are", () => {
    const paper = makeRunConfig({ task: "antonyms", preset: "paper" });
    expect(paper).toMatchObject({
      splitRule: "reference",
      hygiene: "off",
      rawInstructions: true,
      selection: "validation",
      selectionTies: "latest",
      maxTokens: 256,
      batchMode: "reference",
      racing: false,
    });
    const plain = makeRunConfig({ task: "antonyms" });
    expect(plain).toMatchObject({
      splitRule: "seeded",
      hygiene: "on",
      rawInstructions: false,
      selection: "fresh",
      selectionTies: "earliest",
      maxTokens: 64,
    });
    // an explicit option wins over the preset
    expect(makeRunConfig({ task: "antonyms", preset: "paper", hygiene: "on" }).hygiene).toBe("on");
  });

  for (const name of TASKS) {
    it(`${name}: a run scores raw candidates on the reference's validation set and keeps the latest best`, async () => {
      const task = await loadTask(name, { dataDir: DATA });
      const want = expected[name];
      const answers = new Map(task.induce.concat(task.execute).map((e) => [e.input, e.answers[0]]));
      const ledger = openLedger(":memory:");
      const config = makeRunConfig({
        task: name,
        dataDir: DATA,
        preset: "paper",
        target: "test:bb",
        generator: "stub",
        budget: 16,
        initialPoints: 8,
        batchSize: 4,
        seed: 3,
      });
      const runId = ledger.createRun(config);
      const { bb, stats } = slowBlackBox(() => 0, { answer: answerer(answers) });
      const out = await executeRun(runId, {
        ledger,
        blackBox: bb,
        generator,
        pointProposer: createBoPointProposer(),
      });
      expect(out.status).toBe("completed");
      expect(ledger.getExamples(runId, "validation")).toEqual(want.validation);
      expect(ledger.getExamples(runId, "test")).toEqual(want.test);
      const evals = ledger.evaluations(runId);
      expect(evals).toHaveLength(16);
      // raw instructions: the generator's text as it is
      for (const e of evals) expect(e.instruction).toMatch(/^Sure! Here is the instruction: v-?\d-?\d$/);
      // every candidate query is on the reference's validation inputs, in their order
      const validationInputs = want.validation.map((e) => e.input);
      const candidateInputs = stats.prompts
        .filter((p) => p.startsWith("Instruction: ") && p.endsWith("\n Output: "))
        .map((p) => /\n\nInput: ([\s\S]*)\n Output: $/.exec(p)![1]);
      for (const input of candidateInputs) expect(validationInputs).toContain(input);
      // the reference's rule: `if dev_perf >= best_dev_perf` over the evaluations in order, from 0
      let best = 0;
      let chosen = -1;
      for (const e of evals) {
        if (e.score >= best) {
          best = e.score;
          chosen = e.index;
        }
      }
      expect(ledger.getRun(runId).result?.bestIndex).toBe(chosen);
      const earliest = evals.find((e) => e.score === best)!.index;
      if (earliest !== chosen) latestDiffered.push(name);
      expect(out.best?.instruction).toBe(evals.find((e) => e.index === chosen)!.instruction);
      ledger.close();
    });
  }

  it("the tie rule mattered (the earliest of the tied best differs from the latest) on some task", () => {
    expect(latestDiffered.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!process.env.INSTRUCTZERO_DATA)(
  "--preset paper on the full benchmark data (INSTRUCTZERO_DATA)",
  () => {
    const dataDir = process.env.INSTRUCTZERO_DATA ?? "";
    it("splits every instruction-induction task by the reference's rule; the test set is the execute file", async () => {
      for (const name of INSTRUCTION_INDUCTION_TASKS) {
        const task = await loadTask(name, { dataDir });
        const layout = layoutRun(
          makeRunConfig({ task: name, dataDir, preset: "paper", target: "test:bb" }),
          task,
        );
        // tasks without an execute file hold out min(100, floor(n / 3)) induce examples first
        const held = task.execute.length > 0 ? 0 : Math.min(100, Math.floor(task.induce.length / 3));
        const n = task.induce.length - held;
        expect(layout.splits.test, name).toHaveLength(held || Math.min(100, task.execute.length));
        expect(layout.splits.validation.length, name).toBe(
          Math.min(20, n - Math.min(Math.floor(n / 2), 100)),
        );
        expect(layout.demos, name).toHaveLength(5);
      }
      // no hygiene: the paper's test sets (hygiene would drop an example also in the induce file)
      for (const [name, n] of [
        ["common_concept", 16],
        ["periodic_elements", 50],
      ] as const) {
        const task = await loadTask(name, { dataDir });
        const paper = layoutRun(
          makeRunConfig({ task: name, dataDir, preset: "paper", target: "test:bb" }),
          task,
        );
        expect(paper.splits.test, name).toHaveLength(n);
      }
    });
  },
);
