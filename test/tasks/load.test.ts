import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBigBenchFile } from "../../src/tasks/bigbench.js";
import { dataFile, resolveDataSource } from "../../src/tasks/data-source.js";
import { cleanTaskExamples } from "../../src/tasks/hygiene.js";
import { benchmarkTaskNames, loadTask, resolveTaskRef } from "../../src/tasks/load.js";
import { sampleDemos, splitTask } from "../../src/tasks/splits.js";
import { renderInductionPrompt, renderQuery } from "../../src/tasks/templates.js";
import { UserError } from "../../src/util/errors.js";

const FIX = join(import.meta.dirname, "../fixtures/tasks");
const DATA = join(FIX, "data");
const FILES = join(FIX, "files");

describe("instruction-induction tasks", () => {
  it("loads a plain task with its test set, metric and annotations", async () => {
    const t = await loadTask("antonyms", { dataDir: DATA });
    expect(t.source).toBe("instruction-induction");
    expect(t.metric).toBe("em");
    expect(t.induce).toHaveLength(12);
    expect(t.induce[0]).toEqual({ input: "hot", answers: ["cold"] });
    expect(t.execute).toHaveLength(6);
    expect(t.humanInstructions).toEqual(["Write the opposite of the word."]);
  });

  it("applies the per-task input/answer rules", async () => {
    const ce = await loadTask("cause_and_effect", { dataDir: DATA });
    const orders = ce.induce.map((e, i) => {
      expect(e.answers).toEqual([`Cause ${i}.`]);
      if (e.input === `Sentence 1: Cause ${i}. Sentence 2: Effect ${i}.`) return "ce";
      expect(e.input).toBe(`Sentence 1: Effect ${i}. Sentence 2: Cause ${i}.`);
      return "ec";
    });
    expect(new Set(orders).size).toBe(2); // both orders occur
    const again = await loadTask("cause_and_effect", { dataDir: DATA });
    expect(again.induce).toEqual(ce.induce); // seeded: same order every time

    const cc = await loadTask("common_concept", { dataDir: DATA });
    expect(cc.metric).toBe("f1");
    expect(cc.induce[0]).toEqual({ input: "a0, b0", answers: ["round things", "balls"] });

    const tr = await loadTask("translation_en-fr", { dataDir: DATA });
    expect(tr.induce[0].answers).toEqual(["chat", "chatte"]);
    const rh = await loadTask("rhymes", { dataDir: DATA });
    expect(rh.induce[0].answers).toEqual(["big", "dig"]);
  });

  it("accepts the reference's aliases and suggests names for typos", async () => {
    expect(resolveTaskRef("object_count")).toEqual({
      kind: "instruction-induction",
      name: "object_counting",
    });
    expect(() => resolveTaskRef("antonym")).toThrow(/unknown task "antonym".*antonyms/);
    expect(() => resolveTaskRef("bigbench-ii/nope")).toThrow(UserError);
  });

  it("names the file and the problem for malformed data", async () => {
    await expect(loadTask("sum", { dataDir: DATA })).rejects.toThrow(
      /sum\.json: example "1" has no "output" field/,
    );
    await expect(loadTask("negation", { dataDir: DATA })).rejects.toThrow(/negation\.json is not valid JSON/);
    await expect(loadTask("diff", { dataDir: DATA })).rejects.toThrow(
      /missing data file .*induce\/diff\.json/,
    );
    await expect(loadTask("antonyms", { dataDir: join(FIX, "nowhere") })).rejects.toThrow(/does not exist/);
  });
});

describe("BIG-Bench II tasks", () => {
  it("reads targets and multiple-choice target_scores", async () => {
    const t = await loadTask("bigbench-ii/snarks", { dataDir: DATA });
    expect(t.name).toBe("bigbench-ii/snarks");
    expect(t.metric).toBe("em");
    expect(t.induce[0]).toEqual({ input: "Is fire hot?\nOptions:\n- yes\n- no", answers: ["yes"] });
    expect(t.induce[1].answers).toEqual(["no"]);
    expect(t.induce[2]).toEqual({ input: "Q3", answers: ["three", "3"] });
    expect((await loadTask("bbii/snarks", { dataDir: DATA })).induce).toEqual(t.induce);
    expect(() => parseBigBenchFile(join(DATA, "instruction-induction/induce/antonyms.json"))).toThrow(
      /expected an object with an "examples" list/,
    );
  });
});

describe("user task files", () => {
  it("reads JSONL and CSV with single or multiple answers", async () => {
    const j = await loadTask(join(FILES, "mine.jsonl"));
    expect(j.name).toBe("mine");
    expect(j.source).toBe("file");
    expect(j.induce).toEqual([
      { input: "a", answers: ["A"] },
      { input: "b", answers: ["B", "bee"] },
      { input: "c", answers: ["C"] },
      { input: "d", answers: ["D"] },
    ]);
    const c = await loadTask(join(FILES, "mine.csv"), { metric: "f1" });
    expect(c.metric).toBe("f1");
    expect(c.induce[1]).toEqual({ input: "b, with comma", answers: ["B", "bee"] });
    expect(c.induce[2].input).toBe("multi\nline");
  });

  it("rejects malformed files with the file, line and problem", async () => {
    await expect(loadTask(join(FILES, "bad-json.jsonl"))).rejects.toThrow(/bad-json\.jsonl:2: invalid JSON/);
    await expect(loadTask(join(FILES, "no-output.jsonl"))).rejects.toThrow(
      /no-output\.jsonl:2: "output" must be/,
    );
    await expect(loadTask(join(FILES, "bad-header.csv"))).rejects.toThrow(/"input" and "output" columns/);
    await expect(loadTask(join(FILES, "too-few.jsonl"))).rejects.toThrow(/at least 3/);
    await expect(loadTask(join(FILES, "missing.jsonl"))).rejects.toThrow(/does not exist/);
    await expect(loadTask(join(FILES, "mine.jsonl"), { metric: "bleu" as never })).rejects.toThrow(
      /unknown metric/,
    );
  });
});

describe("splits", () => {
  it("follows the reference sizes and is deterministic", async () => {
    const t = await loadTask("antonyms", { dataDir: DATA });
    const s = splitTask(t, { seed: 3 });
    expect(s.promptGen).toHaveLength(6); // min(floor(12/2), 100)
    expect(s.validation).toHaveLength(6); // min(20, rest)
    expect(s.test).toHaveLength(6);
    const inputs = [...s.promptGen, ...s.validation].map((e) => e.input);
    expect(new Set(inputs).size).toBe(12); // disjoint, all used
    expect(splitTask(t, { seed: 3 })).toEqual(s);
    expect(splitTask(t, { seed: 4 }).promptGen).not.toEqual(s.promptGen);
    expect(splitTask(t, { seed: 3, validationSize: 2 }).validation).toHaveLength(2);
  });

  it("keeps one answer per prompt-generation example", async () => {
    const t = await loadTask("translation_en-fr", { dataDir: DATA });
    const s = splitTask(t, { seed: 0 });
    for (const ex of s.promptGen) expect(ex.answers).toHaveLength(1);
    for (const ex of s.validation) expect(ex.answers.length).toBeGreaterThanOrEqual(1);
  });

  it("holds out a test set when the task has no execute data", async () => {
    const t = await loadTask("word_sorting", { dataDir: DATA });
    expect(t.execute).toEqual([]);
    const s = splitTask(t, { seed: 0 });
    expect(s.test).toHaveLength(3); // min(100, floor(9/3))
    const all = [...s.test, ...s.promptGen, ...s.validation].map((e) => e.input);
    expect(new Set(all).size).toBe(all.length);
    expect(s.promptGen).toHaveLength(3);
    expect(s.validation).toHaveLength(3);
  });

  it("samples demos deterministically", async () => {
    const s = splitTask(await loadTask("antonyms", { dataDir: DATA }), { seed: 0 });
    const d = sampleDemos(s.promptGen, 5, 1);
    expect(d).toHaveLength(5);
    expect(sampleDemos(s.promptGen, 5, 1)).toEqual(d);
    expect(d[0]).toHaveProperty("output");
  });
});

describe("templates", () => {
  it("renders the reference queries without re-substituting placeholders", () => {
    expect(renderQuery("Say the opposite", "hot")).toBe(
      "Instruction: Say the opposite\n\nInput: hot\n Output: ",
    );
    expect(renderQuery("Say the opposite", "hot", "test")).toBe(
      "Instruction: Say the opposite\n\nInput: hot\n\nOUTPUT: ",
    );
    expect(renderQuery("echo [INPUT]", "x")).toBe("Instruction: echo [INPUT]\n\nInput: x\n Output: ");
    expect(
      renderInductionPrompt([
        { input: "a", output: "b" },
        { input: "c", output: "d" },
      ]),
    ).toBe("Input: a\nOutput: b\n\nInput: c\nOutput: d\n\nThe instruction was to?");
  });
});

describe("downloading from the public origin", () => {
  let server: Server;
  let base = "";
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      const m = (req.url ?? "").match(/^\/(ii|ann|bb)\/(.+)$/);
      const root =
        m?.[1] === "ii"
          ? "instruction-induction"
          : m?.[1] === "ann"
            ? "instruction-induction/annotations"
            : "bigbench-ii";
      const path = m ? join(DATA, root, m[2]) : "";
      if (m?.[2] === "induce/diff.json") {
        res.writeHead(200).end("<html>not json</html>");
      } else if (path && existsSync(path)) {
        res.writeHead(200, { "content-type": "application/json" }).end(readFileSync(path));
      } else res.writeHead(404).end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const origins = () => ({
    instructionInduction: `${base}/ii`,
    annotations: `${base}/ann`,
    bigbench: `${base}/bb`,
  });

  it("downloads into the cache once, then reads the cache", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "iz-data-"));
    const downloaded: string[] = [];
    const opts = {
      cacheDir,
      origins: origins(),
      env: {},
      onDownload: (e: { path: string }) => downloaded.push(e.path),
    };
    const t = await loadTask("antonyms", opts);
    expect(t.induce).toHaveLength(12);
    expect(downloaded.sort()).toEqual([
      "instruction-induction/annotations/antonyms.json",
      "instruction-induction/execute/antonyms.json",
      "instruction-induction/induce/antonyms.json",
    ]);
    const before = hits.length;
    await loadTask("antonyms", opts);
    expect(hits.length).toBe(before); // served from the cache

    // Optional files that 404 are remembered as missing.
    const ws = await loadTask("word_sorting", opts);
    expect(ws.execute).toEqual([]);
    const afterWs = hits.length;
    await loadTask("word_sorting", opts);
    expect(hits.length).toBe(afterWs);

    const bb = await loadTask("bigbench-ii/snarks", opts);
    expect(bb.induce).toHaveLength(4);
  });

  it("reports a bad download without caching it, and unreachable origins clearly", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "iz-data-"));
    await expect(loadTask("diff", { cacheDir, origins: origins(), env: {} })).rejects.toThrow(
      /diff\.json is not valid JSON .*nothing was cached/,
    );
    expect(existsSync(join(cacheDir, "instruction-induction/induce/diff.json"))).toBe(false);
    await expect(loadTask("sentiment", { cacheDir, origins: origins(), env: {} })).rejects.toThrow(
      /answered HTTP 404/,
    );
    const dead = {
      instructionInduction: "http://127.0.0.1:9/ii",
      annotations: "http://127.0.0.1:9/a",
      bigbench: "http://127.0.0.1:9/b",
    };
    await expect(loadTask("antonyms", { cacheDir, origins: dead, env: {} })).rejects.toThrow(
      /--data-dir or INSTRUCTZERO_DATA/,
    );
  });

  it("prefers --data-dir, then INSTRUCTZERO_DATA", () => {
    expect(resolveDataSource({ dataDir: DATA, env: { INSTRUCTZERO_DATA: "/nope" } }).dir).toBe(DATA);
    expect(resolveDataSource({ env: { INSTRUCTZERO_DATA: DATA } })).toMatchObject({
      dir: DATA,
      downloads: false,
    });
    expect(resolveDataSource({ env: { XDG_CACHE_HOME: "/c" } })).toMatchObject({
      dir: "/c/instructzero/data",
      downloads: true,
    });
  });

  it("does not download when a data directory is given", async () => {
    const src = resolveDataSource({ dataDir: DATA });
    await expect(dataFile(src, "instruction-induction/induce/diff.json")).rejects.toThrow(
      /missing data file/,
    );
    expect(
      await dataFile(src, "instruction-induction/execute/word_sorting.json", { optional: true }),
    ).toBeNull();
  });
});

const realData = process.env.INSTRUCTZERO_DATA;
describe.skipIf(!realData)("the full benchmark data (INSTRUCTZERO_DATA)", () => {
  it("loads and splits every task", async () => {
    const names = benchmarkTaskNames();
    expect(names).toHaveLength(33 + 22);
    for (const name of names) {
      const t = await loadTask(name, { dataDir: realData });
      const s = splitTask(t, { seed: 0 });
      expect(s.promptGen.length, name).toBeGreaterThan(0);
      // counted after merging duplicate inputs and removing inputs also in the test file
      const induce = cleanTaskExamples(t).induce.length;
      expect(s.validation.length, name).toBe(
        Math.min(20, induce - s.promptGen.length - (t.execute.length ? 0 : s.test.length)),
      );
      expect(s.test.length, name).toBeGreaterThan(0);
      for (const ex of [...s.validation, ...s.test]) expect(ex.answers.length, name).toBeGreaterThan(0);
    }
  });
});
