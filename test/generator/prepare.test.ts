import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { floatData, openSession, PreparedDecoder } from "../../src/generator/decoder.js";
import { GraphBuilder } from "../../src/generator/onnx/graph-builder.js";
import { DataType, readModel, writeModel } from "../../src/generator/onnx/proto.js";
import {
  checkRewrite,
  type PreparedFiles,
  prepareDecoder,
  preparedNames,
} from "../../src/generator/prepare/prepare.js";
import { rewriteToInputsEmbeds } from "../../src/generator/prepare/rewrite.js";
import type { EmbeddingStorage } from "../../src/generator/test-model/llama.js";
import { UserError } from "../../src/util/errors.js";
import { maxAbsDiff, tempDir, testModel } from "./helpers.js";

const ids = [1, 40, 7, 300, 12, 99, 5, 250, 3, 17];

/** The original graph (input_ids) and the prepared pair run on `ids` with an empty cache. */
async function runBoth(src: string, files: PreparedFiles, optimization: "basic" | "all") {
  const orig = await openSession(src, { optimization });
  const dec = new PreparedDecoder(
    await openSession(files.decoder, { optimization }),
    await openSession(files.embed, { optimization }),
    32,
    "test",
  );
  const n = ids.length;
  const a = await orig.run({
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new ort.Tensor("int64", BigInt64Array.from(ids.keys(), BigInt), [1, n]),
    ...dec.emptyCache(1),
  });
  const b = await dec.forward(await dec.embed(ids), 1, n, dec.emptyCache(1), 0);
  const la = floatData(a.logits as ort.Tensor).subarray((n - 1) * b.vocab, n * b.vocab);
  let kvDiff = 0;
  dec.kv.pastNames.forEach((name, i) => {
    kvDiff = Math.max(
      kvDiff,
      maxAbsDiff(floatData(a[dec.kv.presentNames[i]] as ort.Tensor), floatData(b.cache[name])),
    );
  });
  await orig.release();
  await dec.release();
  return { logitsDiff: maxAbsDiff(la, b.logits), kvDiff, maxLogit: Math.max(...la.map(Math.abs)) };
}

/** Prepare the fp32-named decoder of `dir` and compare it with the original on `ids` (batch of 1). */
async function compare(dir: string, optimization: "basic" | "all") {
  const src = path.join(dir, "onnx/model.onnx");
  const files = await prepareDecoder(src, { hidden: 32 });
  return { ...(await runBoth(src, files, optimization)), files };
}

describe("prepare (inputs_embeds rewrite)", () => {
  it("fp32 table, inline and external weights: logits and KV cache bit-identical (ORT 'all' and 'basic')", async () => {
    for (const external of [false, true]) {
      const dir = testModel({ preset: "micro", seed: 2, external });
      for (const opt of ["all", "basic"] as const) {
        const r = await compare(dir, opt);
        expect(r.logitsDiff, `external=${external} ${opt}`).toBe(0);
        expect(r.kvDiff, `external=${external} ${opt}`).toBe(0);
        expect(r.files.manifest.check.maxAbsDiff).toBe(0);
        expect(r.files.manifest.lookup).toBe("Gather");
      }
    }
  });

  // Stated tolerance for converted/quantized tables: 1e-4 absolute on logits of size ~5-25, with ORT
  // 'basic' (runtime.md: 'extended'/'all' may fuse DequantizeLinear+Gather differently).
  it.each<[EmbeddingStorage, string]>([
    ["fp16", "Gather"],
    ["int8", "Gather"],
    ["gbq8", "GatherBlockQuantized"],
    ["gbq4", "GatherBlockQuantized"],
  ])("%s table: same logits within 1e-4 and the lookup is cut out", async (embedding, lookup) => {
    const dir = testModel({ preset: "micro", seed: 3, embedding, external: true });
    const r = await compare(dir, "basic");
    expect(r.logitsDiff).toBeLessThanOrEqual(1e-4);
    expect(r.kvDiff).toBeLessThanOrEqual(1e-4);
    expect(r.maxLogit).toBeGreaterThan(1);
    expect(r.files.manifest.lookup).toBe(lookup);
    expect(r.files.manifest.plainFloatTable).toBe(false);
    const embed = readModel(r.files.embed);
    expect(embed.graph?.node.map((n) => n.opType)).toContain(lookup);
    const decoder = readModel(r.files.decoder);
    expect(decoder.graph?.node.some((n) => n.opType === lookup && n.input[1] === "input_ids")).toBe(false);
    expect(decoder.graph?.input[0].name).toBe("inputs_embeds");
  });

  it("q8 exports (MatMulInteger linears and head): the head is sliced before its DynamicQuantizeLinear", async () => {
    const dir = testModel({ preset: "micro", seed: 5, linears: "q8" });
    const src = path.join(dir, "onnx/model_quantized.onnx");
    expect(fs.existsSync(path.join(dir, "onnx/model.onnx"))).toBe(false);
    const files = await prepareDecoder(src, { hidden: 32 });
    const m = files.manifest;
    expect(m.lastLogitsOnly).toBe(true);
    expect(m.lookup).toBe("Gather"); // int8 table -> DequantizeLinear -> Gather, as q8 exports store it
    // ... which the embedding graph turns round: look up the int8 rows, dequantize only them
    expect(m.dequantizesRows).toBe(true);
    // the check compares logits of a one-position pass (where slicing cannot change the scale) and
    // the KV cache of the full pass: both exact
    expect(m.check.maxAbsDiff).toBe(0);
    const decoder = readModel(files.decoder);
    const slice = decoder.graph?.node.find((n) => n.name === "/instructzero/lm_head/Slice");
    const reader = decoder.graph?.node.find((n) => n.input[0] === slice?.output[0]);
    expect(reader?.opType).toBe("DynamicQuantizeLinear");
    // a full prompt: the KV cache is still exact, the last-position logits are close (the head's
    // activation scale now covers the last position only)
    const r = await runBoth(src, files, "basic");
    expect(r.kvDiff).toBe(0);
    expect(r.logitsDiff).toBeLessThan(0.05 * r.maxLogit);
  });

  it("writes beside the original, leaves the weights file untouched, and caches the result", async () => {
    const dir = testModel({ preset: "micro", seed: 4, external: true });
    const dataFile = path.join(dir, "onnx/model.onnx_data");
    const hash = () => crypto.createHash("sha256").update(fs.readFileSync(dataFile)).digest("hex");
    const before = hash();
    const src = path.join(dir, "onnx/model.onnx");
    const first = await prepareDecoder(src);
    expect(first.cached).toBe(false);
    expect(path.dirname(first.decoder)).toBe(path.join(dir, "onnx"));
    expect(path.basename(first.embed)).toBe("embed_tokens.onnx");
    expect(hash()).toBe(before);
    expect(fs.statSync(first.decoder).size).toBeLessThan(fs.statSync(dataFile).size); // weights not copied in
    const second = await prepareDecoder(src);
    expect(second.cached).toBe(true);
    // a changed source (new mtime) is prepared again
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(src, t, t);
    expect((await prepareDecoder(src)).cached).toBe(false);
    expect((await prepareDecoder(src, { force: true })).cached).toBe(false);
  });

  it("computes logits at the last position only unless asked not to", async () => {
    const dir = testModel({ preset: "micro", seed: 4 });
    const src = path.join(dir, "onnx/model.onnx");
    for (const lastLogitsOnly of [true, false]) {
      const files = await prepareDecoder(src, { lastLogitsOnly });
      const s = await ort.InferenceSession.create(files.decoder);
      const n = 6;
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: new ort.Tensor("float32", new Float32Array(n * 32).fill(0.1), [1, n, 32]),
        attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
        position_ids: new ort.Tensor("int64", BigInt64Array.from([0n, 1n, 2n, 3n, 4n, 5n]), [1, n]),
      };
      for (let l = 0; l < 2; l++)
        for (const kv of ["key", "value"])
          feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor("float32", new Float32Array(0), [1, 2, 0, 8]);
      const r = await s.run(feeds);
      expect(r.logits.dims).toEqual([1, lastLogitsOnly ? 1 : n, 384]);
      await s.release();
    }
  });

  it("adds step_key_values.* outputs equal to this pass's K/V, unless present.* is not Concat(past, new)", async () => {
    const dir = testModel({ preset: "micro", seed: 4 });
    const src = path.join(dir, "onnx/model.onnx");
    const files = await prepareDecoder(src);
    expect(files.manifest.stepKv).toBe(true);
    const dec = new PreparedDecoder(
      await openSession(files.decoder),
      await openSession(files.embed),
      32,
      "t",
    );
    expect(dec.kv.stepNames).toEqual(
      dec.kv.pastNames.map((n) => n.replace("past_key_values.", "step_key_values.")),
    );
    // after 3 cached positions, the step outputs are the last S positions of present.*
    const first = await dec.forward(await dec.embed([5, 6, 7]), 1, 3, dec.emptyCache(1), 0);
    const next = await dec.forward(await dec.embed([8, 9]), 1, 2, first.cache, 3);
    for (const n of dec.kv.pastNames) {
      const present = floatData(next.cache[n]);
      expect(next.step[n].dims).toEqual([1, 2, 2, 8]);
      const step = floatData(next.step[n]);
      for (let h = 0; h < 2; h++)
        expect(Array.from(step.subarray(h * 16, (h + 1) * 16))).toEqual(
          Array.from(present.subarray(h * 40 + 24, (h + 1) * 40)),
        );
    }
    expect(dec.cacheStrategy({})).toBe("step");
    await dec.release();

    // present.0.key produced through an Identity: no step outputs anywhere, the runtime falls back
    const model = readModel(src);
    const g = model.graph!;
    const concat = g.node.find((n) => n.output[0] === "present.0.key")!;
    concat.output[0] = "present.0.key_concat";
    const identity = structuredClone(concat);
    Object.assign(identity, {
      opType: "Identity",
      name: "extra",
      input: ["present.0.key_concat"],
      output: ["present.0.key"],
      attribute: [],
    });
    g.node.splice(g.node.indexOf(concat) + 1, 0, identity);
    const other = path.join(dir, "onnx/model_other.onnx");
    writeModel(other, model);
    const plain = await prepareDecoder(other);
    expect(plain.manifest.stepKv).toBe(false);
    const dec2 = new PreparedDecoder(
      await openSession(plain.decoder),
      await openSession(plain.embed),
      32,
      "t",
    );
    expect(dec2.kv.stepNames).toBeNull();
    expect(dec2.cacheStrategy({})).toBe("present");
    expect(() => dec2.cacheStrategy({ cache: "step" })).toThrow(/step_key_values/);
    await dec2.release();
  });

  it("names variant files after the source", () => {
    expect(preparedNames("/m/onnx/model.onnx")).toEqual({
      decoder: "model_embeds.onnx",
      embed: "embed_tokens.onnx",
      manifest: "model_embeds.json",
    });
    expect(preparedNames("model_q4.onnx").embed).toBe("embed_tokens_q4.onnx");
  });

  it("rejects graphs without input_ids or without an embedding lookup (UserError)", async () => {
    const noIds = new GraphBuilder();
    noIds.input("tokens", DataType.INT64, ["b", "s"]);
    noIds.op("Identity", ["tokens"], {}, { outputs: ["logits"] });
    noIds.output("logits", DataType.INT64, ["b", "s"]);
    expect(() => rewriteToInputsEmbeds(noIds.toModel(), { label: "x.onnx" })).toThrow(UserError);
    expect(() => rewriteToInputsEmbeds(noIds.toModel(), { label: "x.onnx" })).toThrow(/x\.onnx.*"input_ids"/);

    const noGather = new GraphBuilder();
    noGather.input("input_ids", DataType.INT64, ["b", "s"]);
    noGather.op("Cast", ["input_ids"], { to: DataType.FLOAT }, { outputs: ["logits"] });
    noGather.output("logits", DataType.FLOAT, ["b", "s"]);
    const dir = tempDir();
    const file = path.join(dir, "model.onnx");
    writeModel(file, noGather.toModel());
    await expect(prepareDecoder(file)).rejects.toThrow(/found 0; unsupported graph/);
    fs.writeFileSync(path.join(dir, "junk.onnx"), "not a model");
    await expect(prepareDecoder(path.join(dir, "junk.onnx"))).rejects.toThrow(UserError);
  });

  it("checkRewrite reports a difference when the rewritten graph is wrong", async () => {
    const a = testModel({ preset: "micro", seed: 7 });
    const b = testModel({ preset: "micro", seed: 8 });
    const fa = await prepareDecoder(path.join(a, "onnx/model.onnx"));
    const fb = await prepareDecoder(path.join(b, "onnx/model.onnx"));
    // original of model a against the prepared pair of model b
    const c = await checkRewrite(path.join(a, "onnx/model.onnx"), fb.decoder, fb.embed, 32, [1, 2, 3]);
    expect(c.maxAbsDiff).toBeGreaterThan(0.1);
    expect(fa.manifest.check.maxAbsDiff).toBe(0);
  });

  it("handles a Cast of input_ids and other readers of input_ids (Shape), without a KV cache", async () => {
    const g = new GraphBuilder();
    const rng = Float32Array.from({ length: 10 * 4 }, (_, i) => Math.sin(i));
    g.input("input_ids", DataType.INT64, ["b", "s"]);
    g.init("table", [10, 4], DataType.FLOAT, rng);
    g.init(
      "w",
      [4, 3],
      DataType.FLOAT,
      Float32Array.from({ length: 12 }, (_, i) => i / 7),
    );
    const ids32 = g.op("Cast", ["input_ids"], { to: DataType.INT32 });
    const emb = g.op("Gather", ["table", ids32], { axis: 0 });
    g.op("MatMul", [emb, "w"], {}, { outputs: ["logits"] });
    g.op("Shape", ["input_ids"], {}, { outputs: ["ids_shape"] });
    g.output("logits", DataType.FLOAT, ["b", "s", 3]);
    g.output("ids_shape", DataType.INT64, [2]);
    const dir = tempDir();
    writeModel(path.join(dir, "orig.onnx"), g.toModel()); // before the in-place rewrite
    const r = rewriteToInputsEmbeds(g.toModel(), { lastLogitsOnly: false });
    expect(r.hidden).toBe(4);
    expect(r.plainFloatTable).toBe(true);
    writeModel(path.join(dir, "dec.onnx"), r.decoder);
    writeModel(path.join(dir, "emb.onnx"), r.embed);
    const ids = new ort.Tensor("int64", BigInt64Array.from([3n, 1n, 4n, 1n, 5n, 9n]), [2, 3]);
    const orig = await ort.InferenceSession.create(path.join(dir, "orig.onnx"));
    const emb2 = await ort.InferenceSession.create(path.join(dir, "emb.onnx"));
    const dec = await ort.InferenceSession.create(path.join(dir, "dec.onnx"));
    expect(dec.inputNames).toEqual(["inputs_embeds"]);
    const a = await orig.run({ input_ids: ids });
    const e = await emb2.run({ input_ids: ids });
    const b = await dec.run({ inputs_embeds: e.inputs_embeds });
    expect(Array.from(b.logits.data as Float32Array)).toEqual(Array.from(a.logits.data as Float32Array));
    expect(Array.from(b.ids_shape.data as BigInt64Array)).toEqual([2n, 3n]);
    for (const s of [orig, emb2, dec]) await s.release();
  });

  it("quantized embedding tables reproduce the fp32 table within their quantisation step", async () => {
    const lookup = async (embedding: EmbeddingStorage) => {
      const dir = testModel({ preset: "micro", seed: 3, embedding });
      const files = await prepareDecoder(path.join(dir, "onnx/model.onnx"), { hidden: 32 });
      const s = await ort.InferenceSession.create(files.embed);
      const all = Array.from({ length: 384 }, (_, i) => i);
      const r = await s.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(all, BigInt), [1, 384]),
      });
      await s.release();
      return r.inputs_embeds.data as Float32Array;
    };
    const ref = await lookup("fp32");
    // N(0,1) table: per-block max ~2.5-4 -> step/2 = max/254 (8-bit), max/14 (4-bit)
    const bounds: [EmbeddingStorage, number][] = [
      ["fp16", 2e-3],
      ["int8", 0.03],
      ["gbq8", 0.02],
      ["gbq4", 0.35],
    ];
    for (const [kind, bound] of bounds) {
      const d = maxAbsDiff(await lookup(kind), ref);
      expect(d, kind).toBeLessThan(bound);
      expect(d, kind).toBeGreaterThan(0);
    }
  });
});
