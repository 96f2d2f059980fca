import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../src/generator/onnx/graph-builder.js";
import { DataType, writeModel } from "../../src/generator/onnx/proto.js";
import { rewriteToInputsEmbeds } from "../../src/generator/prepare/rewrite.js";
import { tempDir } from "./helpers.js";

const V = 10;
const H = 4;

/**
 * input_ids -> Cast -> Gather(DequantizeLinear(int8 table, scale, zero point)) -> MatMul -> logits, the
 * layout of an int8 embedding table; `scales`: one (per tensor) or H (axis 1) or V (axis 0) values.
 */
function int8Lookup(scales: number[], axis: number | null) {
  const g = new GraphBuilder();
  g.input("input_ids", DataType.INT64, ["b", "s"]);
  g.init(
    "table_q",
    [V, H],
    DataType.INT8,
    Int8Array.from({ length: V * H }, (_, i) => ((i * 37) % 255) - 127),
  );
  const dims = scales.length === 1 ? [] : [scales.length];
  g.init("table_scale", dims, DataType.FLOAT, Float32Array.from(scales));
  g.init(
    "table_zp",
    dims,
    DataType.INT8,
    Int8Array.from(scales, (_, i) => (i % 3) - 1),
  );
  const table = g.op(
    "DequantizeLinear",
    ["table_q", "table_scale", "table_zp"],
    axis === null ? {} : { axis },
  );
  const ids32 = g.op("Cast", ["input_ids"], { to: DataType.INT32 });
  const emb = g.op("Gather", [table, ids32], { axis: 0 });
  g.init(
    "w",
    [H, 3],
    DataType.FLOAT,
    Float32Array.from({ length: H * 3 }, (_, i) => Math.cos(i) / 3),
  );
  g.op("MatMul", [emb, "w"], {}, { outputs: ["logits"] });
  g.output("logits", DataType.FLOAT, ["b", "s", 3]);
  return g;
}

/** Rewrite `g` and run the original and the prepared pair on the same ids; returns both logits. */
async function runBoth(g: GraphBuilder) {
  const dir = tempDir();
  writeModel(path.join(dir, "orig.onnx"), g.toModel());
  const r = rewriteToInputsEmbeds(g.toModel(), { lastLogitsOnly: false });
  writeModel(path.join(dir, "dec.onnx"), r.decoder);
  writeModel(path.join(dir, "emb.onnx"), r.embed);
  const ids = new ort.Tensor("int64", BigInt64Array.from([3n, 1n, 4n, 1n, 5n, 9n, 0n, 7n]), [2, 4]);
  const orig = await ort.InferenceSession.create(path.join(dir, "orig.onnx"));
  const emb = await ort.InferenceSession.create(path.join(dir, "emb.onnx"));
  const dec = await ort.InferenceSession.create(path.join(dir, "dec.onnx"));
  const a = await orig.run({ input_ids: ids });
  const e = await emb.run({ input_ids: ids });
  const b = await dec.run({ inputs_embeds: e.inputs_embeds });
  for (const s of [orig, emb, dec]) await s.release();
  return {
    r,
    embedOps: r.embed.graph?.node.map((n) => n.opType),
    embedInits: r.embed.graph?.initializer.map((t) => t.name).sort(),
    original: Array.from(a.logits.data as Float32Array),
    prepared: Array.from(b.logits.data as Float32Array),
  };
}

describe("prepare: an int8 embedding table is looked up before it is dequantized", () => {
  it.each<[string, number[], number | null]>([
    ["per tensor", [0.013], null],
    ["per hidden column (axis 1)", [0.01, 0.02, 0.005, 0.03], 1],
    ["per hidden column (axis -1)", [0.01, 0.02, 0.005, 0.03], -1],
  ])(
    "%s: Gather on the int8 rows, then DequantizeLinear, same logits bit for bit",
    async (_, scales, axis) => {
      const out = await runBoth(int8Lookup(scales, axis));
      expect(out.r.dequantizesRows).toBe(true);
      expect(out.embedOps).toEqual(["Cast", "Gather", "DequantizeLinear"]);
      const gather = out.r.embed.graph!.node[1];
      expect(gather.input[0]).toBe("table_q");
      expect(out.embedInits).toEqual(["table_q", "table_scale", "table_zp"]);
      expect(out.prepared).toEqual(out.original);
    },
  );

  it("one scale per row (axis 0): keeps dequantizing the table first, still exact", async () => {
    const scales = Array.from({ length: V }, (_, i) => 0.01 + i / 1000);
    const out = await runBoth(int8Lookup(scales, 0));
    expect(out.r.dequantizesRows).toBe(false);
    expect(out.embedOps).toEqual(["DequantizeLinear", "Cast", "Gather"]);
    expect(out.prepared).toEqual(out.original);
  });
});
