import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectRows } from "../../src/generator/decoder.js";
import { type InstructionGenerator, loadGenerator } from "../../src/generator/generator.js";
import { cutAtStop, type LocalModel, openLocalModel } from "../../src/generator/local-model.js";
import { readModelFolder } from "../../src/generator/model-folder.js";
import { renderInductionPrompt } from "../../src/tasks/templates.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { tempDir, testModel } from "./helpers.js";

const demos = [
  { input: "hot", output: "cold" },
  { input: "big", output: "small" },
  { input: "up", output: "down" },
];

/** n soft prompts of length d, uniform in [-1, 1], seeded. */
function points(n: number, d: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => 2 * rng.uniform() - 1));
}

describe("generator runtime on the micro test model", () => {
  let dir: string;
  let model: LocalModel;
  beforeAll(async () => {
    dir = testModel({ preset: "micro", seed: 11 });
    model = await openLocalModel(dir);
  });
  afterAll(async () => {
    await model.close();
  });

  it("KV-cache decoding equals full recompute", async () => {
    const ids = model.promptIds([{ role: "user", content: renderInductionPrompt(demos) }]);
    const x = await model.decoder.embed(ids);
    // two rows: the text alone and the text with a perturbed first token
    const B = 2;
    const P = ids.length;
    const batch = new Float32Array(B * P * model.hidden);
    batch.set(x);
    batch.set(x, P * model.hidden);
    for (let j = 0; j < model.hidden; j++) batch[P * model.hidden + j] += 0.5;
    const opts = { maxNewTokens: 24, eosIds: new Set<number>() };
    const cached = await model.decoder.greedy(batch, B, P, opts);
    const full = await model.decoder.greedy(batch, B, P, { ...opts, recompute: true });
    expect(cached).toEqual(full);
    expect(cached[0]).toHaveLength(24);
    expect(cached[0]).not.toEqual(cached[1]);
  });

  it("stops rows at EOS and at stop strings, cutting the text before the stop", async () => {
    const ids = model.promptIds([{ role: "user", content: "Say something." }]);
    const x = await model.decoder.embed(ids);
    const free = await model.decoder.greedy(x, 1, ids.length, { maxNewTokens: 12, eosIds: new Set() });
    const first = free[0][3];
    // pretend the 4th generated token is EOS: the row ends before it
    const eos = await model.decoder.greedy(x, 1, ids.length, { maxNewTokens: 12, eosIds: new Set([first]) });
    expect(eos[0]).toEqual(free[0].slice(0, free[0].indexOf(first)));
    const text = model.chat.decode(free[0]);
    const stop = text.slice(4, 6);
    const [out] = await model.generateFromEmbeddings(x, 1, ids.length, { maxNewTokens: 12, stop: [stop] });
    expect(out.text).toBe(cutAtStop(text, [stop]).text.trim());
    expect(out.ids.length).toBeLessThan(12);
    expect(cutAtStop("abcXYdefXY", ["XY", "d"])).toEqual({ text: "abc", stopped: true });
    expect(cutAtStop("abc", ["z"])).toEqual({ text: "abc", stopped: false });
  });

  it("rows that stop early leave the batch without changing the other rows", async () => {
    const ids = model.promptIds([{ role: "user", content: renderInductionPrompt(demos) }]);
    const x = await model.decoder.embed(ids);
    const H = model.hidden;
    const P = ids.length;
    const B = 4;
    const batch = new Float32Array(B * P * H);
    for (let b = 0; b < B; b++) {
      batch.set(x, b * P * H);
      for (let j = 0; j < H; j++) batch[b * P * H + j] += 0.7 * b; // different first position per row
    }
    const free = await model.decoder.greedy(batch, B, P, { maxNewTokens: 16, eosIds: new Set() });
    // an "EOS" that row 0 emits early: rows end at different steps
    const eos = new Set([free[0][2]]);
    const steps: number[] = [];
    const batched = await model.decoder.greedy(batch, B, P, {
      maxNewTokens: 16,
      eosIds: eos,
      onStep: (_s, n) => steps.push(n),
    });
    const single: number[][] = [];
    for (let b = 0; b < B; b++)
      single.push(
        (
          await model.decoder.greedy(batch.slice(b * P * H, (b + 1) * P * H), 1, P, {
            maxNewTokens: 16,
            eosIds: eos,
          })
        )[0],
      );
    expect(batched).toEqual(single);
    expect(batched[0]).toEqual(free[0].slice(0, 2));
    expect(Math.min(...steps)).toBeLessThan(B); // the batch shrank
  });

  it("both cache strategies decode like full recompute, across cache growth and a shrinking batch", async () => {
    const ids = model.promptIds([{ role: "user", content: renderInductionPrompt(demos) }]);
    const x = await model.decoder.embed(ids);
    const H = model.hidden;
    const P = ids.length;
    const B = 3;
    const batch = new Float32Array(B * P * H);
    for (let b = 0; b < B; b++) {
      batch.set(x, b * P * H);
      for (let j = 0; j < H; j++) batch[b * P * H + j] -= 0.6 * b;
    }
    expect(model.decoder.cacheStrategy({})).toBe("step");
    // 70 new tokens: the step cache grows twice (32 positions at a time)
    const free = await model.decoder.greedy(batch, B, P, {
      maxNewTokens: 70,
      eosIds: new Set(),
      cache: "step",
    });
    // an "EOS" that makes row 1 stop early: the batch shrinks mid-way
    const eos = new Set([free[1][40]]);
    const opts = { maxNewTokens: 70, eosIds: eos };
    const step = await model.decoder.greedy(batch, B, P, { ...opts, cache: "step" });
    const present = await model.decoder.greedy(batch, B, P, { ...opts, cache: "present" });
    const full = await model.decoder.greedy(batch, B, P, { ...opts, recompute: true });
    expect(step).toEqual(full);
    expect(present).toEqual(full);
    expect(step[1].length).toBeLessThanOrEqual(40);
    expect(Math.max(...step.map((r) => r.length))).toBe(70);
  });

  it("selectRows keeps the chosen batch rows of every cache tensor", () => {
    const t = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i),
      [3, 2, 2, 1],
    );
    const r = selectRows({ k: t }, [2, 0], 3);
    expect(r.k.dims).toEqual([2, 2, 2, 1]);
    expect(Array.from(r.k.data as Float32Array)).toEqual([8, 9, 10, 11, 0, 1, 2, 3]);
  });

  it("complete() renders the chat template and decodes greedily", async () => {
    const a = await model.complete("Hello", { maxNewTokens: 10 });
    const b = await model.complete([{ role: "user", content: "Hello" }], { maxNewTokens: 10 });
    expect(a.text).toBe(b.text);
    expect(a.newTokens).toBe(10);
    expect(a.promptTokens).toBe(model.promptIds([{ role: "user", content: "Hello" }]).length);
    const c = await model.complete("Hello", { maxNewTokens: 10, system: "Be terse." });
    expect(c.promptTokens).not.toBe(a.promptTokens);
  });
});

describe("instruction generator", () => {
  let dir: string;
  let gen: InstructionGenerator;
  beforeAll(async () => {
    dir = testModel({ preset: "tiny", seed: 3 });
    gen = await loadGenerator(dir, { seed: 7, maxNewTokens: 16, batchSize: 4 });
  });
  afterAll(async () => {
    await gen.close();
  });

  it("builds the prompt as [A z ; embedded templated induction prompt]", async () => {
    const z = points(1, 10, 1)[0];
    const e = await gen.promptEmbeddings(z, demos);
    const H = gen.embedder.hidden;
    const ids = gen.embedder.textIds(demos);
    expect(e.length).toBe((5 + ids.length) * H);
    expect(Array.from(e.subarray(0, 5 * H))).toEqual(Array.from(gen.embedder.softPrompt(z)));
    expect(Array.from(e.subarray(5 * H))).toEqual(Array.from(await gen.embedder.embed(ids)));
    const text = gen.embedder.chat.decode(ids);
    expect(text).toContain(
      "Input: hot\nOutput: cold\n\nInput: big\nOutput: small\n\nInput: up\nOutput: down\n\nThe instruction was to?",
    );
  });

  it("a batch gives the same instructions as one-by-one, and different z give different ones", async () => {
    const zs = points(6, 10, 2);
    const batched = await gen.generate(zs, demos); // batches of 4 + 2
    const single: string[] = [];
    for (const z of zs) single.push((await gen.generate([z], demos))[0].text);
    expect(batched.map((r) => r.text)).toEqual(single);
    expect(new Set(single).size).toBe(6);
    for (const r of batched) {
      expect(r.newTokens).toBeGreaterThan(0);
      expect(r.newTokens).toBeLessThanOrEqual(16);
      expect(r.promptTokens).toBe(5 + gen.embedder.textIds(demos).length);
      expect(r.ms).toBeGreaterThan(0);
    }
  });

  it("same z and seed give the same instruction across loads; another seed changes the projection", async () => {
    const zs = points(3, 10, 3);
    const again = await loadGenerator(dir, { seed: 7, maxNewTokens: 16 });
    const other = await loadGenerator(dir, { seed: 8, maxNewTokens: 16 });
    try {
      const a = (await gen.generate(zs, demos)).map((r) => r.text);
      expect((await again.generate(zs, demos)).map((r) => r.text)).toEqual(a);
      expect(Array.from(again.embedder.projection.data)).toEqual(Array.from(gen.embedder.projection.data));
      expect(Array.from(other.embedder.projection.data)).not.toEqual(
        Array.from(gen.embedder.projection.data),
      );
      expect((await other.generate(zs, demos)).map((r) => r.text)).not.toEqual(a);
    } finally {
      await again.close();
      await other.close();
    }
  });

  it("normal projection: std = std(embedding table) / sqrt(d)", async () => {
    const g = await loadGenerator(dir, { seed: 1, projection: "normal", nTokens: 3, intrinsicDim: 4 });
    try {
      const A = g.embedder.projection;
      expect(A.dim).toBe(4);
      expect(A.out).toBe(3 * 64);
      let ss = 0;
      for (const v of A.data) ss += v * v;
      const std = Math.sqrt(ss / A.data.length);
      // tiny test model: embedding std 1 -> sigma 0.5; 768 draws -> ~2.5% sampling error
      expect(std).toBeGreaterThan(0.45);
      expect(std).toBeLessThan(0.55);
    } finally {
      await g.close();
    }
  });
});

describe("bad model folders get clear errors", () => {
  it("missing folder, tokenizer, decoder, unknown dtype", async () => {
    expect(() => readModelFolder("/nonexistent/model")).toThrow(
      /model folder not found: \/nonexistent\/model/,
    );
    const dir = testModel({ preset: "micro", seed: 1 });
    fs.rmSync(path.join(dir, "tokenizer.json"));
    expect(() => readModelFolder(dir)).toThrow(UserError);
    expect(() => readModelFolder(dir)).toThrow(/missing tokenizer\.json/);
    await expect(openLocalModel(dir)).rejects.toThrow(/missing tokenizer\.json/);
    const dir2 = testModel({ preset: "micro", seed: 1 });
    fs.renameSync(path.join(dir2, "onnx/model.onnx"), path.join(dir2, "onnx/model_q4.onnx"));
    expect(() => readModelFolder(dir2)).toThrow(
      /no decoder graph onnx\/model\.onnx for dtype fp32 \(found: model_q4\.onnx\)/,
    );
    expect(readModelFolder(dir2, { dtype: "q4" }).decoderFile).toBe(path.join(dir2, "onnx/model_q4.onnx"));
    expect(() => readModelFolder(dir2, { dtype: "q3" })).toThrow(/unknown dtype "q3"/);
    const empty = tempDir();
    fs.copyFileSync(path.join(dir2, "tokenizer.json"), path.join(empty, "tokenizer.json"));
    fs.copyFileSync(path.join(dir2, "tokenizer_config.json"), path.join(empty, "tokenizer_config.json"));
    expect(() => readModelFolder(empty)).toThrow(/no onnx\/ folder/);
  });

  it("a decoder graph that is not a causal LM export is an unsupported-graph UserError", async () => {
    const dir = testModel({ preset: "micro", seed: 1 });
    // an embedding-only graph in place of the decoder
    const { prepareDecoder } = await import("../../src/generator/prepare/prepare.js");
    const files = await prepareDecoder(path.join(dir, "onnx/model.onnx"));
    fs.copyFileSync(files.decoder, path.join(dir, "onnx/model.onnx"));
    await expect(openLocalModel(dir)).rejects.toThrow(UserError);
    await expect(openLocalModel(dir)).rejects.toThrow(/expected a decoder input "input_ids"/);
  });
});
