/**
 * The embedding table read without onnxruntime (what the vLLM generator embeds with) gives the same
 * embeddings as the ONNX embedding graph run by onnxruntime, for every storage the test-model
 * builder writes (fp32, fp16, int8 + DequantizeLinear, GatherBlockQuantized 8 and 4 bits, external
 * data, q8 linears) and for a safetensors checkpoint; and the prompt embedder over it equals the
 * ONNX one (chat template, projection, soft tokens).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadPromptEmbedder } from "../../src/generator/lazy.js";
import {
  readEmbeddingTable,
  readModelFolder,
  readOnnxEmbeddingTable,
  readSafetensorsEmbeddingTable,
  UnsupportedEmbeddingTable,
} from "../../src/generator/model-folder.js";
import { fromHalf, toHalf } from "../../src/generator/onnx/proto.js";
import type { BuildTestModelOptions } from "../../src/generator/test-model/build.js";
import { loadTablePromptEmbedder } from "../../src/generator/vllm-generator.js";
import { testModel } from "../generator/helpers.js";

const DEMOS = [
  { input: "hot", output: "cold" },
  { input: "up", output: "down" },
];

const allIds = (n: number) => Array.from({ length: n }, (_, i) => i);

const CASES: Array<{ name: string; build: BuildTestModelOptions; dtype?: string; source: RegExp }> = [
  { name: "fp32", build: { preset: "micro", embedding: "fp32" }, source: /\(Gather, fp32\)/ },
  { name: "fp16", build: { preset: "micro", embedding: "fp16", seed: 1 }, source: /\(Gather, fp16\)/ },
  {
    name: "int8 + DequantizeLinear",
    build: { preset: "micro", embedding: "int8", seed: 2 },
    source: /DequantizeLinear int8/,
  },
  {
    name: "GatherBlockQuantized 8 bits",
    build: { preset: "micro", embedding: "gbq8", seed: 3 },
    source: /GatherBlockQuantized, 8 bits/,
  },
  {
    name: "GatherBlockQuantized 4 bits",
    build: { preset: "micro", embedding: "gbq4", seed: 4 },
    source: /GatherBlockQuantized, 4 bits/,
  },
  {
    name: "external data",
    build: { preset: "micro", embedding: "fp32", external: true, seed: 5 },
    source: /\(Gather, fp32\)/,
  },
  {
    name: "q8 linears (model_quantized.onnx)",
    build: { preset: "micro", linears: "q8", seed: 6 },
    dtype: "q8",
    source: /model_quantized\.onnx: .*DequantizeLinear int8/,
  },
];

describe("embedding table without onnxruntime", () => {
  for (const c of CASES) {
    it(`equals the ONNX embedding graph: ${c.name}`, async () => {
      const dir = testModel(c.build);
      const folder = readModelFolder(dir, { dtype: c.dtype });
      if (c.build.external) expect(fs.existsSync(`${folder.decoderFile}_data`)).toBe(true);
      const table = readEmbeddingTable(folder);
      expect(table.source).toMatch(c.source);
      expect(table.hidden).toBe(32);
      expect(table.vocab).toBe(384);

      const ort = await loadPromptEmbedder(dir, { seed: 0, dtype: c.dtype });
      try {
        const ids = allIds(table.vocab);
        expect(Array.from(table.lookup(ids))).toEqual(Array.from(await ort.embed(ids)));
        // the whole prompt embedder: same template ids, soft tokens and embeddings, both projections
        for (const projection of ["uniform", "normal"] as const) {
          const opts = { seed: 7, dtype: c.dtype, projection, nTokens: 3, intrinsicDim: 4 };
          const a = await loadTablePromptEmbedder(dir, opts);
          const b = await loadPromptEmbedder(dir, opts);
          try {
            const zs = [
              [0.1, -0.2, 0.3, 0.9],
              [-1, 1, 0.5, 0],
            ];
            const x = await a.embedBatch(zs, DEMOS);
            const y = await b.embedBatch(zs, DEMOS);
            expect(x.P).toBe(y.P);
            expect(Array.from(x.x)).toEqual(Array.from(y.x));
            expect(Array.from(a.projection.data)).toEqual(Array.from(b.projection.data));
          } finally {
            await a.close();
            await b.close();
          }
        }
      } finally {
        await ort.close();
      }
    });
  }

  it("gives the same prompt embeddings as the ONNX embedder with the same options", async () => {
    const dir = testModel({ preset: "micro", seed: 8 });
    const opts = { seed: 3, nTokens: 5, intrinsicDim: 10 };
    const a = await loadTablePromptEmbedder(dir, opts);
    const b = await loadPromptEmbedder(dir, opts);
    try {
      const z = Array.from({ length: 10 }, (_, i) => (i - 5) / 5);
      expect(Array.from(await a.embedPrompt(z, DEMOS))).toEqual(Array.from(await b.embedPrompt(z, DEMOS)));
      expect(a.hidden).toBe(b.hidden);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("reads a safetensors checkpoint (F32, F16, BF16) when the folder has no decoder graph", async () => {
    const dir = testModel({ preset: "micro", seed: 9 });
    const onnxTable = readOnnxEmbeddingTable(path.join(dir, "onnx", "model.onnx"));
    const rows = onnxTable.lookup(allIds(onnxTable.vocab));
    const V = onnxTable.vocab;
    const H = onnxTable.hidden;
    // exact in each format: the expected values are the encoded ones read back
    const toF16 = (v: number) => {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(toHalf(v));
      return b;
    };
    const bf16 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v);
      return b.subarray(2, 4); // truncation: an exact bf16 value for the check below
    };
    for (const [dtype, encode] of [
      ["F32", (v: number) => Buffer.from(Float32Array.of(v).buffer)],
      ["F16", toF16],
      ["BF16", bf16],
    ] as const) {
      const st = fs.mkdtempSync(path.join(dir, "st-"));
      for (const f of ["tokenizer.json", "tokenizer_config.json", "config.json"])
        fs.copyFileSync(path.join(dir, f), path.join(st, f));
      const data = Buffer.concat(Array.from(rows, (v) => encode(v)));
      writeSafetensors(path.join(st, "model.safetensors"), {
        "lm_head.weight": { dtype, shape: [V, H], data },
        "model.embed_tokens.weight": { dtype, shape: [V, H], data },
      });
      const t = readSafetensorsEmbeddingTable(st);
      expect(t.source).toBe(`model.safetensors: model.embed_tokens.weight (${dtype})`);
      const got = t.lookup([0, 5, V - 1]);
      const want = (i: number) => {
        const b = encode(rows[i]);
        if (dtype === "F32") return b.readFloatLE(0);
        if (dtype === "BF16") return Buffer.concat([Buffer.alloc(2), b]).readFloatLE(0);
        return fromHalf(b.readUInt16LE(0));
      };
      for (const [k, id] of [0, 5, V - 1].entries())
        for (let h = 0; h < H; h++) expect(got[k * H + h]).toBe(want(id * H + h));
      // a folder with safetensors and no onnx/ serves the vLLM path too
      const folder = readModelFolder(st, { requireDecoder: false });
      expect(readEmbeddingTable(folder).source).toMatch(/model\.safetensors/);
      const e = await loadTablePromptEmbedder(st, { seed: 0 });
      expect(e.hidden).toBe(H);
      await e.close();
    }
  });

  it("says which lookup it cannot read", () => {
    const dir = testModel({ preset: "micro" });
    expect(() => readOnnxEmbeddingTable(path.join(dir, "tokenizer.json"))).toThrow(
      /not a readable ONNX model/,
    );
    const err = new UnsupportedEmbeddingTable("x");
    expect(err.name).toBe("UnsupportedEmbeddingTable");
  });
});

/** Write a safetensors file: 8-byte header length, JSON header, data. */
function writeSafetensors(
  file: string,
  tensors: Record<string, { dtype: string; shape: number[]; data: Buffer }>,
): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const parts: Buffer[] = [];
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.length] };
    parts.push(t.data);
    off += t.data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, ...parts]));
}
