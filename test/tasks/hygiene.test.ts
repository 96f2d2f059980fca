/**
 * Data hygiene (issue 11 item 5): duplicate inputs merged before splitting, induce inputs also in the
 * test file kept out of demos and validation, cause_and_effect inputs independent of the data folder.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerTasksCommand } from "../../src/cli/commands/tasks.js";
import { BIGBENCH_II_TASKS, INSTRUCTION_INDUCTION_TASKS } from "../../src/tasks/catalog.js";
import {
  cleanTaskExamples,
  inputKey,
  mergeDuplicateInputs,
  unusedExamples,
} from "../../src/tasks/hygiene.js";
import { parseInstructionInductionFile } from "../../src/tasks/instruction-induction.js";
import { benchmarkTaskNames, loadTask } from "../../src/tasks/load.js";
import { splitTask } from "../../src/tasks/splits.js";
import type { Example, Task, TaskSplits } from "../../src/tasks/types.js";
import { UserError } from "../../src/util/errors.js";
import { Rng, seedFor } from "../../src/util/rng.js";

const FIXTURE_DATA = join(import.meta.dirname, "../fixtures/tasks/data");
const sha = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const ex = (input: string, ...answers: string[]): Example => ({ input, answers });
const task = (name: string, induce: Example[], execute: Example[] = []): Task => ({
  name,
  source: execute.length ? "instruction-induction" : "file",
  metric: "em",
  induce,
  execute,
});
const inputsOf = (s: TaskSplits) => ({
  promptGen: s.promptGen.map((e) => inputKey(e.input)),
  validation: s.validation.map((e) => inputKey(e.input)),
  test: s.test.map((e) => inputKey(e.input)),
});
/** Every input at most once over all three splits. */
function expectDisjoint(s: TaskSplits, label = ""): void {
  const all = Object.values(inputsOf(s)).flat();
  expect(new Set(all).size, label).toBe(all.length);
}

/**
 * The splitting code as it was before this change (notes aside), to check that tasks without
 * duplicates or overlaps still split bit for bit the same.
 */
function legacySplit(t: Task, seed = 0, validationSize = 20, testSize = 100, promptGenMax = 100) {
  const rng = new Rng(seedFor(seed, `split:${t.name}`));
  let induce = rng.shuffled(t.induce);
  let test: Example[];
  if (t.execute.length > 0) test = rng.shuffled(t.execute).slice(0, testSize);
  else {
    const held = Math.min(testSize, Math.floor(induce.length / 3));
    test = induce.slice(0, held);
    induce = induce.slice(held);
  }
  const promptGenSize = Math.min(Math.floor(induce.length / 2), promptGenMax);
  const promptGen = induce
    .slice(0, promptGenSize)
    .map((e) => ({ input: e.input, answers: [rng.pick(e.answers)] }));
  const validation = induce.slice(promptGenSize, promptGenSize + validationSize);
  return { promptGen, validation, test };
}
const withoutNotes = (s: TaskSplits) => ({ promptGen: s.promptGen, validation: s.validation, test: s.test });

describe("merging duplicate inputs", () => {
  it("keeps the first occurrence and unites the accepted answers, in order, without repeats", () => {
    const first = ex(" cat ", "chat");
    const list = [
      first,
      ex("dog", "chien"),
      ex("cat", "chatte", "chat"),
      ex("cat\n", "minou"),
      ex("Cat", "x"),
    ];
    const m = mergeDuplicateInputs(list);
    expect(m.removed).toBe(2);
    expect(m.examples).toEqual([
      { input: " cat ", answers: ["chat", "chatte", "minou"] }, // input text of the first occurrence
      { input: "dog", answers: ["chien"] },
      { input: "Cat", answers: ["x"] }, // exact match after trimming: case counts
    ]);
    expect(m.examples[1]).toBe(list[1]); // examples without a duplicate are untouched
    expect(first.answers).toEqual(["chat"]); // the input list is not modified
    expect(inputKey("  a b \n")).toBe("a b");
    expect(mergeDuplicateInputs([ex("a b"), ex("a  b")]).removed).toBe(0); // inner spaces count
  });

  it("returns a list without duplicates element for element", () => {
    const list = [ex("a", "1", "1"), ex("b", "2")];
    const m = mergeDuplicateInputs(list);
    expect(m.removed).toBe(0);
    expect(m.examples).not.toBe(list);
    expect(m.examples[0]).toBe(list[0]); // answers not deduplicated when nothing is merged
    expect(m.examples[1]).toBe(list[1]);
  });

  it("splits a task with duplicates like the same task deduplicated, and says how many", () => {
    const rng = new Rng(11);
    const base = Array.from({ length: 48 }, (_, i) => ex(`q${i}`, `a${i}`));
    const induce = [...base];
    for (let k = 0; k < 12; k++) {
      const i = rng.int(0, 47);
      const first = induce.findIndex((e) => e.input === `q${i}`);
      const at = rng.int(first + 1, induce.length); // after the first occurrence
      induce.splice(at, 0, ex(`  q${i}`, `alt${k}`, `a${i}`));
    }
    const s = splitTask(task("dups", induce), { seed: 3 });
    expect(s.notes?.[0]).toBe("12 duplicate inputs removed (merged into their first occurrence)");
    expectDisjoint(s);
    const merged = mergeDuplicateInputs(induce).examples;
    expect(merged).toHaveLength(48);
    expect(withoutNotes(s)).toEqual(withoutNotes(splitTask(task("dups", merged), { seed: 3 })));
    // a merged example in validation or test accepts every answer of its group
    for (const e of [...s.validation, ...s.test]) {
      const i = Number(e.input.trim().slice(1));
      expect(e.answers[0]).toBe(`a${i}`);
      expect(new Set(e.answers).size).toBe(e.answers.length);
    }
    const one = splitTask(task("one", [...base, ex("q0", "b")]), { seed: 0 });
    expect(one.notes?.[0]).toBe("1 duplicate input removed (merged into their first occurrence)");
  });

  it("refuses a file whose examples all have the same input, instead of scoring 1.000", async () => {
    const dir = tmp("iz-hygiene-");
    const path = join(dir, "same.jsonl");
    writeFileSync(
      path,
      `${Array(30)
        .fill(JSON.stringify({ input: "2+2", output: "4" }))
        .join("\n")}\n`,
    );
    const t = await loadTask(path);
    expect(t.induce).toHaveLength(30);
    let err: unknown;
    try {
      splitTask(t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      "task same has too few distinct examples to split: 30 examples with 1 distinct input; " +
        "examples with the same input (after trimming whitespace) count once",
    );
    // in memory too, with a test file whose inputs repeat
    const mem = task("mem", Array(10).fill(ex("x", "y")), [ex("t", "u"), ex("t ", "v")]);
    expect(() => splitTask(mem)).toThrow(
      /too few distinct examples to split: 10 induce examples with 1 distinct input, 2 test examples with 1 distinct input/,
    );
    // three distinct inputs among many rows are enough (one each for test, demos and validation)
    const three = task("three", [...Array(10).fill(ex("a", "A")), ex("b", "B"), ex("c", "C")]);
    const s = splitTask(three);
    expect(s.notes?.[0]).toBe("9 duplicate inputs removed (merged into their first occurrence)");
    expect(s.notes?.[1]).toMatch(/^validation: 1 example \(20 requested; the task has 3 distinct examples: /);
    expectDisjoint(s);
  });

  it("leaves tasks without duplicates bit-identical to the old splits", async () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 40; trial++) {
      const n = rng.int(6, 150);
      const m = rng.int(0, 1) ? rng.int(1, 130) : 0;
      const mk = (k: number, p: string) =>
        Array.from({ length: k }, (_, i) =>
          ex(`${p}${i}`, ...Array.from({ length: rng.int(1, 3) }, (_, j) => `${p}${i}-${j}`)),
        );
      const t = task(`t${trial}`, mk(n, "q"), mk(m, "x"));
      const seed = rng.int(0, 9);
      const vs = rng.int(1, 30);
      const s = splitTask(t, { seed, validationSize: vs });
      expect(withoutNotes(s), `trial ${trial}`).toEqual(legacySplit(t, seed, vs));
      for (const note of s.notes ?? []) expect(note).toMatch(/^validation: /);
    }
    // fixture tasks without duplicates: hashes computed by the code before this change
    const pinned: [string, number, string][] = [
      ["antonyms", 0, "8ea65cbd512f38cd"],
      ["antonyms", 1, "ddc573fddaefdf19"],
      ["antonyms", 5, "5b8d208f68bd4b74"],
      ["word_sorting", 0, "aba145a3b12b4f84"],
      ["word_sorting", 5, "ef45a901fdd7944d"],
      ["bigbench-ii/snarks", 1, "c352e3ddfe87ec97"],
    ];
    for (const [name, seed, hash] of pinned) {
      const s = splitTask(await loadTask(name, { dataDir: FIXTURE_DATA }), { seed });
      expect(sha({ p: s.promptGen, v: s.validation, t: s.test, n: s.notes ?? null }), `${name} ${seed}`).toBe(
        hash,
      );
    }
  });
});

describe("inputs in both the induce and the test file", () => {
  const induce = Array.from({ length: 40 }, (_, i) => ex(`q${i}`, `a${i}`));
  const execute = [
    ...Array.from({ length: 25 }, (_, i) => ex(`t${i}`, `b${i}`)),
    ex("q3 ", "a3"),
    ex("q17", "other"),
  ];

  it("are removed from demos and validation, kept in test, and counted", () => {
    const t = task("overlap", induce, execute);
    const c = cleanTaskExamples(t);
    expect(c).toMatchObject({ overlap: 2, induceDuplicates: 0, executeDuplicates: 0 });
    expect(c.induce.map((e) => e.input)).not.toContain("q3");
    expect(c.execute).toEqual(execute);
    for (const seed of [0, 1, 2]) {
      const s = splitTask(t, { seed, validationSize: 10 });
      expect(s.notes).toEqual([
        "2 inputs also in the test file removed from demos and validation (kept in test)",
      ]);
      expectDisjoint(s, `seed ${seed}`);
      // the test set is still the whole test file
      expect(new Set(s.test.map((e) => e.input))).toEqual(new Set(execute.map((e) => e.input)));
      expect(s.promptGen).toHaveLength(19); // floor(38 / 2): 40 inputs less the 2 in the test file
    }
    const one = splitTask(task("one", induce, [...execute.slice(0, 25), ex("q1", "a1")]), {
      validationSize: 10,
    });
    expect(one.notes).toEqual([
      "1 input also in the test file removed from demos and validation (kept in test)",
    ]);
  });

  it("are counted after merging duplicates on either side", () => {
    const t = task("both", [...induce, ex("q3", "z")], [...execute, ex("t0", "c"), ex("t1 ", "d")]);
    const c = cleanTaskExamples(t);
    expect(c).toMatchObject({ overlap: 2, induceDuplicates: 1, executeDuplicates: 2 });
    expect(c.execute.find((e) => e.input === "t0")?.answers).toEqual(["b0", "c"]);
    const s = splitTask(t, { validationSize: 10 });
    expect(s.notes).toEqual([
      "1 duplicate input in the induce data removed (merged into their first occurrence)",
      "2 duplicate inputs in the test file removed (merged into their first occurrence)",
      "2 inputs also in the test file removed from demos and validation (kept in test)",
    ]);
    expectDisjoint(s);
    expect(s.test).toHaveLength(27);
  });

  it("can leave too few distinct examples, which is an error", () => {
    const t = task("all-in-test", induce.slice(0, 5), [...induce.slice(0, 5), ex("z", "Z")]);
    expect(() => splitTask(t)).toThrow(
      "task all-in-test has too few distinct examples to split: 5 induce examples (5 inputs also in the test file, kept out of demos and validation), 6 test examples",
    );
  });

  it("are found in the fixture data and noted", async () => {
    const t = await loadTask("common_concept", { dataDir: FIXTURE_DATA });
    const s = splitTask(t);
    expect(s.notes?.[0]).toBe(
      "2 inputs also in the test file removed from demos and validation (kept in test)",
    );
    expectDisjoint(s);
  });
});

/** Sentence order of the fixture's 8 induce examples for seed 0: "ce" = cause first. */
const CE_ORDER_SEED0 = "ec ec ec ce ce ce ec ec";

describe("cause_and_effect inputs", () => {
  const files = ["induce", "execute"].map((kind) => `instruction-induction/${kind}/cause_and_effect.json`);
  function copyTo(root: string): string {
    for (const f of files) {
      mkdirSync(join(root, f, ".."), { recursive: true });
      copyFileSync(join(FIXTURE_DATA, f), join(root, f));
    }
    return root;
  }

  it("do not depend on where the data lives", async () => {
    const a = copyTo(tmp("iz-ce-a-"));
    const b = copyTo(join(tmp("iz-ce-b-"), "some", "deeper", "folder"));
    for (const seed of [0, 1, 7]) {
      const ta = await loadTask("cause_and_effect", { dataDir: a, seed });
      const tb = await loadTask("cause_and_effect", { dataDir: b, seed });
      expect(tb, `seed ${seed}`).toEqual(ta);
      expect(splitTask(tb, { seed }), `seed ${seed}`).toEqual(splitTask(ta, { seed }));
      // the same as from the repository's fixture folder
      expect(await loadTask("cause_and_effect", { dataDir: FIXTURE_DATA, seed })).toEqual(ta);
    }
    // fixed inputs for seed 0 (seeded on the task name and file kind)
    const t = await loadTask("cause_and_effect", { dataDir: a });
    expect(t.induce.map((e) => (e.input.startsWith("Sentence 1: Cause") ? "ce" : "ec")).join(" ")).toBe(
      CE_ORDER_SEED0,
    );
    // a different seed or file kind draws its own order
    const path = join(a, files[0]);
    const orders = (seed: number, kind: "induce" | "execute") =>
      parseInstructionInductionFile(path, "cause_and_effect", seed, kind).map((e) => e.input);
    expect(orders(0, "induce")).toEqual(t.induce.map((e) => e.input));
    expect([orders(1, "induce"), orders(0, "execute")]).not.toContainEqual(orders(0, "induce"));
  });
});

describe.skipIf(!process.env.INSTRUCTZERO_DATA)("the full benchmark data (INSTRUCTZERO_DATA)", () => {
  const dataDir = process.env.INSTRUCTZERO_DATA ?? "";
  /** Figures of the published data (InstructZero / APE repositories), counted after trimming. */
  const OVERLAP: Record<string, number> = { auto_debugging: 1, periodic_elements: 2, sentence_similarity: 1 };
  const DUPLICATES: Record<string, [number, number]> = {
    common_concept: [1, 1],
    larger_animal: [23, 0],
    periodic_elements: [3, 1],
    rhymes: [2113, 0],
    sentence_similarity: [32, 0],
    "bigbench-ii/causal_judgment": [2, 0],
    "bigbench-ii/operators": [1, 0],
    "bigbench-ii/presuppositions_as_nli": [3, 0],
    "bigbench-ii/question_selection": [8, 0],
    "bigbench-ii/sports_understanding": [14, 0],
    "bigbench-ii/winowhy": [6, 0],
  };

  it("has the known duplicates and overlaps; every split is disjoint; clean tasks split as before", async () => {
    for (const name of benchmarkTaskNames()) {
      const t = await loadTask(name, { dataDir });
      const c = cleanTaskExamples(t);
      expect(c.overlap, name).toBe(OVERLAP[name] ?? 0);
      expect([c.induceDuplicates, c.executeDuplicates], name).toEqual(DUPLICATES[name] ?? [0, 0]);
      for (const seed of [0, 1]) {
        const s = splitTask(t, { seed });
        expectDisjoint(s, name);
        if (!OVERLAP[name] && !DUPLICATES[name]) {
          expect(withoutNotes(s), name).toEqual(legacySplit(t, seed));
        }
      }
    }
  });
});

describe("instructzero tasks", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A data folder with a few examples for every benchmark task. */
  function fullData(): string {
    const root = tmp("iz-tasks-data-");
    const write = (rel: string, value: unknown) => {
      mkdirSync(join(root, rel, ".."), { recursive: true });
      writeFileSync(join(root, rel), JSON.stringify(value));
    };
    const ii = (name: string, i: number, p: string) => {
      if (name === "cause_and_effect") return { cause: `${p}c${i}`, effect: `${p}e${i}` };
      if (name === "common_concept")
        return { items: [`${p}a${i}`, `${p}b${i}`, "z"], all_common_concepts: ["k"] };
      if (name === "rhymes") return { input: `${p}${i}`, other_rhymes: ["r"] };
      if (name.startsWith("translation_")) return { input: `${p}${i}`, possible_translations: ["t"] };
      return { input: `${p}${i}`, output: "o" };
    };
    const examples = (name: string, n: number, p: string, extra: unknown[] = []) => {
      const list = [...Array.from({ length: n }, (_, i) => ii(name, i, p)), ...extra];
      return { examples: Object.fromEntries(list.map((e, i) => [String(i + 1), e])) };
    };
    for (const name of INSTRUCTION_INDUCTION_TASKS) {
      const extra =
        name === "antonyms"
          ? [ii(name, 1, "q"), ii(name, 2, "q"), ii(name, 3, "t")] // 2 duplicates, 1 input in the test file
          : name === "sum"
            ? [ii(name, 0, "t"), ii(name, 1, "t")]
            : [];
      write(`instruction-induction/induce/${name}.json`, examples(name, 50, "q", extra));
      write(`instruction-induction/execute/${name}.json`, examples(name, 10, "t"));
    }
    for (const name of BIGBENCH_II_TASKS) {
      write(`bigbench-ii/${name}/task.json`, {
        examples: Array.from({ length: 90 }, (_, i) => ({ input: `b${i}`, target: "x" })),
      });
    }
    return root;
  }

  async function run(args: string[]): Promise<string> {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const program = new Command().exitOverride();
    registerTasksCommand(program);
    await program.parseAsync(["node", "instructzero", "tasks", ...args]);
    vi.restoreAllMocks();
    return out;
  }

  it("reports duplicate inputs and inputs also in the test file, per task", async () => {
    const dir = fullData();
    const rows = JSON.parse(await run(["--json", "--data-dir", dir])) as Record<string, unknown>[];
    expect(rows).toHaveLength(55);
    const antonyms = rows.find((r) => r.name === "antonyms");
    expect(antonyms).toMatchObject({
      induce: 53,
      execute: 10,
      duplicateInputs: 2,
      duplicateTestInputs: 0,
      alsoInTestFile: 1,
      notes: [
        "2 duplicate inputs in the induce data removed (merged into their first occurrence)",
        "1 input also in the test file removed from demos and validation (kept in test)",
      ],
    });
    expect(antonyms?.promptGen).toBe(25); // 50 distinct inputs not in the test file
    expect(rows.find((r) => r.name === "sum")).toMatchObject({ alsoInTestFile: 2, duplicateInputs: 0 });
    expect(rows.find((r) => r.name === "diff")).toMatchObject({
      duplicateInputs: 0,
      duplicateTestInputs: 0,
      alsoInTestFile: 0,
      notes: [],
    });

    const table = await run(["--data-dir", dir]);
    expect(table).toMatch(
      /^ {2}antonyms: 2 duplicate inputs in the induce data removed \(merged into their first occurrence\); 1 input also in the test file removed from demos and validation \(kept in test\)$/m,
    );
    expect(table).toMatch(/^ {2}sum: 2 inputs also in the test file removed from demos and validation/m);
    expect(table).not.toMatch(/^ {2}diff:/m);
    expect(table).toMatch(
      /same input \(after trimming whitespace\) are merged \(first occurrence kept, accepted answers\nunited\)/,
    );
  });

  it.skipIf(!process.env.INSTRUCTZERO_DATA)("on the full data, names the tasks with overlaps", async () => {
    const rows = JSON.parse(await run(["--json", "--data-dir", process.env.INSTRUCTZERO_DATA ?? ""])) as {
      name: string;
      alsoInTestFile: number;
    }[];
    const withOverlap = Object.fromEntries(
      rows.filter((r) => r.alsoInTestFile > 0).map((r) => [r.name, r.alsoInTestFile]),
    );
    expect(withOverlap).toEqual({ auto_debugging: 1, periodic_elements: 2, sentence_similarity: 1 });
  });
});

describe("unusedExamples (the selection split's exclusion)", () => {
  it("excludes whitespace variants of used inputs, by the same key hygiene uses", () => {
    const pool = [
      { input: "cat ", answers: ["a"] },
      { input: "dog", answers: ["b"] },
      { input: "\tbird\n", answers: ["c"] },
      { input: " dog", answers: ["d"] },
      { input: "fish", answers: ["e"] },
    ];
    const out = unusedExamples(pool, ["cat", "  bird"]);
    expect(out.map((e) => e.answers[0])).toEqual(["b", "e"]);
    for (const e of out) expect(["cat", "bird"]).not.toContain(inputKey(e.input));
  });

  it("keeps everything, in order, when nothing is used and there are no duplicates", () => {
    const pool = [
      { input: "a", answers: ["1"] },
      { input: "b", answers: ["2"] },
    ];
    expect(unusedExamples(pool, [])).toEqual(pool);
  });
});
