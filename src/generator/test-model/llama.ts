/**
 * A LLaMA-architecture causal LM (RMSNorm, RoPE, grouped-query attention, SwiGLU, KV cache, tied
 * lm_head) written op by op as an ONNX graph with the I/O contract of Optimum/transformers.js
 * exports:
 *
 *   inputs : input_ids [B,S] int64, attention_mask [B,T] int64, position_ids [B,S] int64,
 *            past_key_values.{l}.key|value [B,NKV,P,HD] float32          (T = P + S)
 *   outputs: logits [B,S,V] float32, present.{l}.key|value [B,NKV,T,HD] float32
 *
 * Weights are random normal (seeded). Used to build offline test models in the real folder layout.
 */
import { Rng } from "../../util/rng.js";
import { GraphBuilder } from "../onnx/graph-builder.js";
import { DataType, type ModelProto, toHalf } from "../onnx/proto.js";

/** Shapes and init scales of a LLaMA decoder. */
export interface LlamaShape {
  vocab: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** Per-head dim; default hidden / heads. */
  headDim?: number;
  /** RMSNorm epsilon (default 1e-5). */
  eps?: number;
  /** RoPE base (default 10000). */
  theta?: number;
  /** Std of projection weights (0.25-0.3 so that the output depends on the soft prompt). */
  std: number;
  /** Std of the embedding table (1). */
  embStd: number;
}

/**
 * How the embedding table is stored: fp32 Gather (tied lm_head), fp16 table + Gather + Cast
 * (untied fp32 lm_head), int8 table -> DequantizeLinear -> Gather (tied through the dequantized
 * table), or com.microsoft GatherBlockQuantized with 8-bit (gbq8, explicit zero points) or 4-bit
 * (gbq4, two values per byte, low nibble first, default zero point 8: the q4 exports' layout)
 * blocks of 16 along the hidden axis (untied lm_head).
 */
export type EmbeddingStorage = "fp32" | "fp16" | "int8" | "gbq8" | "gbq4";

/**
 * How the linear layers are stored: fp32 MatMul, or "q8" as ORT dynamic quantisation writes them
 * (transformers.js `model_quantized.onnx`): int8 weights with per-output-channel scales,
 * DynamicQuantizeLinear on the activations, MatMulInteger, Cast and the two scales multiplied in.
 */
export type LinearStorage = "fp32" | "q8";

/** Fill a Float32Array with N(0, std^2) draws from `rng`. */
function randn(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

/**
 * x [.., K] times w [K, N] as ORT dynamic quantisation writes it: int8 weights with per-column scales,
 * DynamicQuantizeLinear(x) -> MatMulInteger -> Cast -> Mul(x_scale * w_scale).
 */
function quantizedLinear(
  g: GraphBuilder,
  x: string,
  name: string,
  K: number,
  N: number,
  w: Float32Array,
  output?: string,
): string {
  const scales = new Float32Array(N);
  for (let i = 0; i < K * N; i++) scales[i % N] = Math.max(scales[i % N], Math.abs(w[i]));
  for (let n = 0; n < N; n++) scales[n] = scales[n] / 127 || 1;
  g.init(
    `${name}_quantized`,
    [K, N],
    DataType.INT8,
    Int8Array.from(w, (v, i) => Math.round(v / scales[i % N])),
  );
  g.init(`${name}_scale`, [N], DataType.FLOAT, scales);
  g.init(`${name}_zero_point`, [N], DataType.INT8, new Int8Array(N));
  const dq = g.uniq(`/${name}/DynamicQuantizeLinear`);
  const [xq, xs, xzp] = [`${dq}_q`, `${dq}_scale`, `${dq}_zero_point`];
  g.op("DynamicQuantizeLinear", [x], {}, { name: dq, outputs: [xq, xs, xzp] });
  const acc = g.op("MatMulInteger", [xq, `${name}_quantized`, xzp, `${name}_zero_point`]);
  const f = g.op("Cast", [acc], { to: DataType.FLOAT });
  return g.op("Mul", [f, g.op("Mul", [xs, `${name}_scale`])], {}, output ? { outputs: [output] } : {});
}

/** Head dim of a shape. */
export function headDimOf(s: LlamaShape): number {
  return s.headDim ?? s.hidden / s.heads;
}

/**
 * Build the decoder graph. Deterministic in `seed`: weights are drawn in a fixed order from
 * `new Rng(seed)` (embedding table first, then per layer q,k,v,o,gate,up,down, then any untied head).
 */
export function buildLlamaGraph(
  shape: LlamaShape,
  seed: number,
  storage: EmbeddingStorage = "fp32",
  linears: LinearStorage = "fp32",
): ModelProto {
  const { vocab: V, hidden: H, intermediate: I, layers: L, heads: NH, kvHeads: NKV } = shape;
  const HD = headDimOf(shape);
  if (NH % NKV !== 0 || HD % 2 !== 0) throw new Error("heads must be a multiple of kvHeads and headDim even");
  const REP = NH / NKV;
  const eps = shape.eps ?? 1e-5;
  const theta = shape.theta ?? 10000;
  const rng = new Rng(seed);
  const g = new GraphBuilder("main_graph");
  const W = (name: string, dims: number[], std = shape.std) =>
    g.init(
      name,
      dims,
      DataType.FLOAT,
      randn(
        rng,
        dims.reduce((a, b) => a * b, 1),
        std,
      ),
    );
  // x [.., K] times a weight [K, N] drawn now (fp32 or dynamically quantised, see LinearStorage)
  const linear = (x: string, name: string, K: number, N: number): string =>
    linears === "fp32"
      ? g.op("MatMul", [x, W(name, [K, N])])
      : quantizedLinear(g, x, name, K, N, randn(rng, K * N, shape.std));
  const ones = (name: string, n: number) => g.init(name, [n], DataType.FLOAT, new Float32Array(n).fill(1));

  // ---- embedding lookup (the node "prepare" later cuts out)
  const table = randn(rng, V * H, shape.embStd);
  const ids = g.input("input_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  let x: string;
  let tiedTable: string | null = null;
  if (storage === "fp32") {
    tiedTable = g.init("model.embed_tokens.weight", [V, H], DataType.FLOAT, table);
    x = g.op("Gather", [tiedTable, ids], { axis: 0 }, { name: "/model/embed_tokens/Gather" });
  } else if (storage === "int8") {
    // like ORT dynamic quantisation of a Gather weight: int8 table * scale -> DequantizeLinear -> Gather
    let m = 0;
    for (const v of table) m = Math.max(m, Math.abs(v));
    const scale = m / 127;
    const q = Int8Array.from(table, (v) => Math.round(v / scale));
    g.init("model.embed_tokens.weight_quantized", [V, H], DataType.INT8, q);
    g.init("model.embed_tokens.weight_scale", [], DataType.FLOAT, Float32Array.of(scale));
    g.init("model.embed_tokens.weight_zero_point", [], DataType.INT8, new Int8Array(1));
    tiedTable = g.op(
      "DequantizeLinear",
      [
        "model.embed_tokens.weight_quantized",
        "model.embed_tokens.weight_scale",
        "model.embed_tokens.weight_zero_point",
      ],
      {},
      { name: "/model/embed_tokens/DequantizeLinear" },
    );
    x = g.op("Gather", [tiedTable, ids], { axis: 0 }, { name: "/model/embed_tokens/Gather" });
  } else if (storage === "fp16") {
    g.init("model.embed_tokens.weight", [V, H], DataType.FLOAT16, Uint16Array.from(table, toHalf));
    const e = g.op(
      "Gather",
      ["model.embed_tokens.weight", ids],
      { axis: 0 },
      { name: "/model/embed_tokens/Gather" },
    );
    x = g.op("Cast", [e], { to: DataType.FLOAT }, { name: "/model/embed_tokens/Cast" });
  } else if (storage === "gbq8") {
    const BS = 16;
    const nb = H / BS;
    const q = new Uint8Array(V * H);
    const sc = new Float32Array(V * nb);
    const zp = new Uint8Array(V * nb).fill(128);
    for (let r = 0; r < V; r++)
      for (let b = 0; b < nb; b++) {
        let m = 0;
        for (let j = 0; j < BS; j++) m = Math.max(m, Math.abs(table[r * H + b * BS + j]));
        const s = m / 127 || 1;
        sc[r * nb + b] = s;
        for (let j = 0; j < BS; j++) q[r * H + b * BS + j] = Math.round(table[r * H + b * BS + j] / s) + 128;
      }
    g.init("model.embed_tokens.weight_Q8", [V, H], DataType.UINT8, q);
    g.init("model.embed_tokens.weight_scales", [V, nb], DataType.FLOAT, sc);
    g.init("model.embed_tokens.weight_zp", [V, nb], DataType.UINT8, zp);
    x = g.op(
      "GatherBlockQuantized",
      [
        "model.embed_tokens.weight_Q8",
        ids,
        "model.embed_tokens.weight_scales",
        "model.embed_tokens.weight_zp",
      ],
      { gather_axis: 0, quantize_axis: 1, block_size: BS, bits: 8 },
      { name: "/model/embed_tokens/GatherBlockQuantized", domain: "com.microsoft" },
    );
  } else {
    const BS = 16;
    const nb = H / BS;
    const q = new Uint8Array((V * H) / 2);
    const sc = new Float32Array(V * nb);
    for (let r = 0; r < V; r++)
      for (let b = 0; b < nb; b++) {
        let m = 0;
        for (let j = 0; j < BS; j++) m = Math.max(m, Math.abs(table[r * H + b * BS + j]));
        const s = m / 7 || 1;
        sc[r * nb + b] = s;
        for (let j = 0; j < BS; j++) {
          const i = r * H + b * BS + j;
          const v = Math.min(15, Math.max(0, Math.round(table[i] / s) + 8));
          q[i >> 1] |= i & 1 ? v << 4 : v;
        }
      }
    g.init("model.embed_tokens.weight_Q4", [V, H / 2], DataType.UINT8, q);
    g.init("model.embed_tokens.weight_scales", [V, nb], DataType.FLOAT, sc);
    x = g.op(
      "GatherBlockQuantized",
      ["model.embed_tokens.weight_Q4", ids, "model.embed_tokens.weight_scales"],
      { gather_axis: 0, quantize_axis: 1, block_size: BS, bits: 4 },
      { name: "/model/embed_tokens/GatherBlockQuantized", domain: "com.microsoft" },
    );
  }
  g.input("attention_mask", DataType.INT64, ["batch_size", "total_sequence_length"]);
  g.input("position_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  for (let l = 0; l < L; l++)
    for (const kv of ["key", "value"])
      g.input(`past_key_values.${l}.${kv}`, DataType.FLOAT, ["batch_size", NKV, "past_sequence_length", HD]);

  // ---- lengths and the causal + padding mask [B,1,1,S,T], shared by all layers
  const c0 = g.constI64([0], []);
  const c1 = g.constI64([1], []);
  const c2 = g.constI64([2], []);
  const pastLen = g.op("Gather", [g.op("Shape", ["past_key_values.0.key"]), c2], { axis: 0 });
  // like Optimum exports, the sequence length is read from Shape(input_ids): a second reader of input_ids
  const seqLen = g.op("Gather", [g.op("Shape", [ids], {}, { name: "/model/Shape" }), c1], { axis: 0 });
  const totLen = g.op("Add", [pastLen, seqLen]);
  const qPos = g.op("Unsqueeze", [g.op("Range", [pastLen, totLen, c1]), g.constI64([1])]); // [S,1]
  const kPos = g.op("Range", [c0, totLen, c1]); // [T]
  const causal = g.op("LessOrEqual", [kPos, qPos]); // [S,T]
  const pad = g.op("Unsqueeze", [
    g.op("Cast", ["attention_mask"], { to: DataType.BOOL }),
    g.constI64([1, 2, 3]),
  ]);
  const mask = g.op("And", [causal, pad]); // [B,1,1,S,T]
  const negInf = g.constF32([-3.4028234663852886e38], []);
  // [0, NKV, REP, -1, T]: scores (B,NKV,REP*S,T) viewed per query position for the mask
  const totLen1 = g.op("Unsqueeze", [totLen, g.constI64([0])]);
  const scoresShape5 = g.op("Concat", [g.constI64([0, NKV, REP, -1]), totLen1], { axis: 0 });
  const scoresShape4 = g.op("Concat", [g.constI64([0, NKV, -1]), totLen1], { axis: 0 });

  // ---- rotary embeddings (HF rotate_half convention)
  const invFreq = g.constF32(
    Array.from({ length: HD / 2 }, (_, i) => theta ** (-(2 * i) / HD)),
    [1, 1, HD / 2],
  );
  const posF = g.op("Unsqueeze", [g.op("Cast", ["position_ids"], { to: DataType.FLOAT }), g.constI64([2])]); // [B,S,1]
  const freqs = g.op("Mul", [posF, invFreq]);
  const angles = g.op("Concat", [freqs, freqs], { axis: -1 }); // [B,S,HD]
  const cos = g.op("Unsqueeze", [g.op("Cos", [angles]), g.constI64([2])]); // [B,S,1,HD]
  const sin = g.op("Unsqueeze", [g.op("Sin", [angles]), g.constI64([2])]);
  const hStart = g.constI64([0]);
  const hMid = g.constI64([HD / 2]);
  const hEnd = g.constI64([HD]);
  const ax3 = g.constI64([3]);
  const rope = (t: string) => {
    const x1 = g.op("Slice", [t, hStart, hMid, ax3]);
    const x2 = g.op("Slice", [t, hMid, hEnd, ax3]);
    const rot = g.op("Concat", [g.op("Neg", [x2]), x1], { axis: 3 });
    return g.op("Add", [g.op("Mul", [t, cos]), g.op("Mul", [rot, sin])]);
  };
  const epsC = g.constF32([eps], []);
  const axesLast = g.constI64([-1]);
  const two = g.constF32([2], []);
  // RMSNorm as transformers exports it (Pow, ReduceMean, Add, Sqrt, Div, Mul): ORT fuses this
  // pattern into one SimplifiedLayerNormalization node
  const rms = (t: string, w: string) => {
    const ms = g.op("ReduceMean", [g.op("Pow", [t, two]), axesLast], { keepdims: 1 });
    return g.op("Mul", [g.op("Div", [t, g.op("Sqrt", [g.op("Add", [ms, epsC])])]), w]);
  };
  const shp = (dims: number[]) => g.constI64(dims);
  const scale = g.constF32([1 / Math.sqrt(HD)], []);

  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    const h = rms(x, ones(`${p}.input_layernorm.weight`, H));
    const proj = (w: string, n: number) => linear(h, `${p}.self_attn.${w}.weight_T`, H, n);
    let q = g.op("Reshape", [proj("q_proj", NH * HD), shp([0, 0, NH, HD])]);
    let k = g.op("Reshape", [proj("k_proj", NKV * HD), shp([0, 0, NKV, HD])]);
    let v = g.op("Reshape", [proj("v_proj", NKV * HD), shp([0, 0, NKV, HD])]);
    q = rope(q);
    k = rope(k);
    // grouped-query attention in 4D: the REP query heads of a KV head are stacked as REP*S rows,
    // so the cache is never copied for broadcasting and K^T folds into the MatMul (transB)
    q = g.op("Transpose", [g.op("Reshape", [q, shp([0, 0, NKV, REP, HD])])], { perm: [0, 2, 3, 1, 4] }); // [B,NKV,REP,S,HD]
    q = g.op("Reshape", [q, shp([0, NKV, -1, HD])]); // [B,NKV,REP*S,HD]
    k = g.op("Transpose", [k], { perm: [0, 2, 1, 3] }); // [B,NKV,S,HD]
    v = g.op("Transpose", [v], { perm: [0, 2, 1, 3] });
    const pk = g.op(
      "Concat",
      [`past_key_values.${l}.key`, k],
      { axis: 2 },
      { outputs: [`present.${l}.key`] },
    );
    const pv = g.op(
      "Concat",
      [`past_key_values.${l}.value`, v],
      { axis: 2 },
      { outputs: [`present.${l}.value`] },
    );
    g.output(pk, DataType.FLOAT, ["batch_size", NKV, "total_sequence_length", HD]);
    g.output(pv, DataType.FLOAT, ["batch_size", NKV, "total_sequence_length", HD]);
    const kT = g.op("Transpose", [pk], { perm: [0, 1, 3, 2] }); // [B,NKV,HD,T]
    let s = g.op("Mul", [g.op("MatMul", [q, kT]), scale]); // [B,NKV,REP*S,T]
    s = g.op("Reshape", [s, scoresShape5]); // [B,NKV,REP,S,T]
    s = g.op("Softmax", [g.op("Where", [mask, s, negInf])], { axis: -1 });
    s = g.op("Reshape", [s, scoresShape4]); // [B,NKV,REP*S,T]
    let a = g.op("MatMul", [s, pv]); // [B,NKV,REP*S,HD]
    a = g.op("Reshape", [a, shp([0, NKV, REP, -1, HD])]); // [B,NKV,REP,S,HD]
    a = g.op("Reshape", [g.op("Transpose", [a], { perm: [0, 3, 1, 2, 4] }), shp([0, 0, NH * HD])]);
    x = g.op("Add", [x, linear(a, `${p}.self_attn.o_proj.weight_T`, NH * HD, H)]);
    const h2 = rms(x, ones(`${p}.post_attention_layernorm.weight`, H));
    const gate = linear(h2, `${p}.mlp.gate_proj.weight_T`, H, I);
    const up = linear(h2, `${p}.mlp.up_proj.weight_T`, H, I);
    const act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up]);
    x = g.op("Add", [x, linear(act, `${p}.mlp.down_proj.weight_T`, I, H)]);
  }
  const xn = rms(x, ones("model.norm.weight", H));
  if (linears === "q8") {
    // quantisation unties the head: an int8 copy of the table (transposed), like q8 exports
    const t = new Float32Array(H * V);
    for (let v = 0; v < V; v++) for (let j = 0; j < H; j++) t[j * V + v] = table[v * H + j];
    quantizedLinear(g, xn, "lm_head.weight_T", H, V, t, "logits");
  } else {
    const head = tiedTable
      ? g.op("Transpose", [tiedTable], { perm: [1, 0] }, { name: "/lm_head/Transpose" })
      : W("lm_head.weight_T", [H, V], shape.embStd / Math.sqrt(H));
    g.op("MatMul", [xn, head], {}, { outputs: ["logits"], name: "/lm_head/MatMul" });
  }
  g.output("logits", DataType.FLOAT, ["batch_size", "sequence_length", V]);
  g.outputs.unshift(g.outputs.pop()!); // logits first, like exporters
  return g.toModel({
    opset: 18,
    irVersion: 8,
    extraDomains: storage.startsWith("gbq") ? ["com.microsoft"] : [],
  });
}
