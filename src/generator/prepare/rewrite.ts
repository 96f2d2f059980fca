/**
 * Graph surgery ("prepare"): turn a standard decoder export that reads `input_ids` into one that
 * reads `inputs_embeds` [B,S,H] float32, and cut the embedding lookup out into its own small graph
 * (input_ids [B,S] int64 -> inputs_embeds [B,S,H] float32).
 *
 * Supported lookups: Gather on a float table (fp32 or fp16, any producer chain such as
 * DequantizeLinear of an int8 table) and com.microsoft GatherBlockQuantized, optionally behind a
 * Cast of input_ids. Initializers are copied as TensorProtos, so external-data references
 * (location/offset/length) stay valid as long as the new files sit beside the original.
 * Pure: ModelProto in, ModelProtos out (the input model is modified in place and returned).
 */
import { clone, create } from "@bufbuild/protobuf";
import {
  type GraphProto,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
  TensorProtoSchema,
} from "onnx-buf";
import { UserError } from "../../util/errors.js";
import { attribute } from "../onnx/graph-builder.js";
import { DataType, dimsOf, elemTypeOf, tensor, valueInfo } from "../onnx/proto.js";

/** Names of the rewritten graphs' inputs. */
export const IDS_INPUT = "input_ids";
export const EMBEDS_INPUT = "inputs_embeds";
/** Prefix of the extra outputs holding only this pass's keys/values: step_key_values.N.key|value. */
export const STEP_KV_PREFIX = "step_key_values.";

/** Result of {@link rewriteToInputsEmbeds}. */
export interface RewriteResult {
  /** The decoder, now reading inputs_embeds (float32). */
  decoder: ModelProto;
  /** input_ids -> inputs_embeds (float32). */
  embed: ModelProto;
  /** Hidden size (last dim of inputs_embeds). */
  hidden: number;
  /** Op type of the lookup that was cut out ("Gather" | "GatherBlockQuantized"). */
  lookup: string;
  /** Element type of the lookup's output before the float32 cast (1 = float32, 10 = float16). */
  tableType: number;
  /** True when the table is an fp32 initializer read directly (exact rewrite expected). */
  plainFloatTable: boolean;
  /**
   * True when the table is an int8/uint8 initializer dequantized per tensor (or per hidden column)
   * and the embedding graph now looks rows up first and dequantizes only them (see
   * lookupBeforeDequantize).
   */
  dequantizesRows: boolean;
  /** True when logits are computed at the last position only. */
  lastLogitsOnly: boolean;
  /**
   * True when that slice went before a per-tensor DynamicQuantizeLinear (q8 heads): the last
   * position's logits are then those of a one-position pass, which is what the check compares.
   */
  slicedBeforeQuantization: boolean;
  /** True when step_key_values.* outputs (this pass's K/V only) were added. */
  stepKv: boolean;
}

/** Options of {@link rewriteToInputsEmbeds}. */
export interface RewriteOptions {
  /** Hidden size when it cannot be read off the table (e.g. block-quantized tables). */
  hidden?: number;
  /** Compute logits at the last position only (saves the lm_head on the prompt). Default true. */
  lastLogitsOnly?: boolean;
  /** Label used in error messages (the file name). */
  label?: string;
}

/** Every node of a graph, including nodes of If/Loop/Scan subgraphs, with its owning graph. */
function* allNodes(graph: GraphProto): Generator<[GraphProto, NodeProto]> {
  for (const n of graph.node) {
    yield [graph, n];
    for (const a of n.attribute) {
      if (a.g) yield* allNodes(a.g);
      for (const sg of a.graphs) yield* allNodes(sg);
    }
  }
}

/** The top-level node producing `name`, if any. */
function producerOf(g: GraphProto, name: string): NodeProto | undefined {
  return g.node.find((n) => n.output.includes(name));
}

/** Number of elements of a tensor with these dims (1 for a scalar). */
function sizeOf(dims: readonly bigint[]): number {
  return dims.reduce((a, d) => a * Number(d), 1);
}

/**
 * The lookup as Gather(int8 table, ids) -> DequantizeLinear(rows) when the table is
 * DequantizeLinear(int8/uint8 initializer, float scale[, zero point]) with one scale for the whole
 * table or one per hidden column; else null. Dequantizing is elementwise, so the rows are the same
 * numbers; the original order dequantizes the whole table on every call (Qwen2.5-0.5B q8: 136M
 * values, about 100 ms on 2 cores, for each decoding step of the generator and the local black box).
 */
function lookupBeforeDequantize(
  chain: readonly NodeProto[],
  gather: NodeProto,
  inits: ReadonlyMap<string, TensorProto>,
): NodeProto[] | null {
  if (chain.length !== 1 || chain[0].opType !== "DequantizeLinear") return null;
  const dq = chain[0];
  const axisAttr = dq.attribute.find((a) => a.name === "axis");
  if (dq.attribute.some((a) => a.name !== "axis")) return null; // block_size etc.
  const [q, scale, zp] = [0, 1, 2].map((i) => (dq.input[i] ? inits.get(dq.input[i]) : undefined));
  if (q?.dims.length !== 2) return null;
  if (q.dataType !== DataType.INT8 && q.dataType !== DataType.UINT8) return null;
  if (!scale || scale.dataType !== DataType.FLOAT) return null;
  if (dq.input[2] && !zp) return null;
  const axis = axisAttr ? Number(axisAttr.i) : 1;
  const perTensor = sizeOf(scale.dims) === 1 && (!zp || sizeOf(zp.dims) === 1);
  const perColumn =
    (axis === 1 || axis === -1) &&
    scale.dims.length === 1 &&
    Number(scale.dims[0]) === Number(q.dims[1]) &&
    (!zp || (zp.dims.length === 1 && Number(zp.dims[0]) === Number(q.dims[1])));
  if (!perTensor && !perColumn) return null;
  if ((gather.attribute.find((a) => a.name === "axis")?.i ?? 0n) !== 0n) return null;
  const rows = "/instructzero/embed/rows_quantized";
  return [
    create(NodeProtoSchema, {
      opType: "Gather",
      name: "/instructzero/embed/Gather",
      input: [q.name, gather.input[1]],
      output: [rows],
      attribute: [attribute("axis", 0)],
    }),
    create(NodeProtoSchema, {
      opType: "DequantizeLinear",
      name: "/instructzero/embed/DequantizeLinear",
      input: [rows, ...dq.input.slice(1)],
      output: [gather.output[0]],
      // per column: the hidden axis is the last one of the looked-up rows [B, S, H]
      attribute: perTensor ? [] : [attribute("axis", -1)],
    }),
  ];
}

/** Remove `node` from whichever (sub)graph owns it. */
function removeNode(graph: GraphProto, node: NodeProto): void {
  for (const [owner, n] of allNodes(graph))
    if (n === node) {
      owner.node.splice(owner.node.indexOf(n), 1);
      return;
    }
}

/**
 * Rewrite a decoder to take inputs_embeds. Throws UserError when the graph has no input_ids or no
 * single recognisable embedding lookup on it.
 */
export function rewriteToInputsEmbeds(model: ModelProto, options: RewriteOptions = {}): RewriteResult {
  const label = options.label ?? "decoder graph";
  const g = model.graph;
  if (!g) throw new UserError(`${label}: ONNX file has no graph`);
  const idsInput = g.input.find((i) => i.name === IDS_INPUT);
  if (!idsInput) {
    const names = g.input.map((i) => i.name).slice(0, 6);
    throw new UserError(
      `${label}: expected a decoder input "${IDS_INPUT}" (inputs: ${names.join(", ")}); ` +
        "is this a transformers.js/Optimum causal-LM export?",
    );
  }
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const casts = new Map<string, NodeProto>();
  for (const [, n] of allNodes(g))
    if (n.opType === "Cast" && n.input[0] === IDS_INPUT) casts.set(n.output[0], n);
  const hits = [...allNodes(g)].filter(
    ([, n]) =>
      (n.opType === "Gather" || n.opType === "GatherBlockQuantized") &&
      (n.input[1] === IDS_INPUT || casts.has(n.input[1])),
  );
  if (hits.length !== 1)
    throw new UserError(
      `${label}: expected exactly one embedding lookup (Gather or GatherBlockQuantized) on ${IDS_INPUT}, found ${hits.length}; unsupported graph`,
    );
  const gather = hits[0][1];
  const cast = casts.get(gather.input[1]) ?? null;
  const gbq = gather.opType === "GatherBlockQuantized";
  const table = inits.get(gather.input[0]);
  let hidden = options.hidden;
  if (hidden === undefined && !gbq && table && table.dims.length === 2) hidden = Number(table.dims[1]);
  if (hidden === undefined && !gbq && !table) {
    // produced table (e.g. DequantizeLinear of an int8 initializer): read the width off that initializer
    const src = producerOf(g, gather.input[0])
      ?.input.map((i) => inits.get(i))
      .find((t) => t && t.dims.length === 2);
    if (src) hidden = Number(src.dims[1]);
  }
  if (hidden === undefined)
    throw new UserError(`${label}: cannot infer the hidden size (no hidden_size in config.json?)`);
  const tableType = gbq
    ? (inits.get(gather.input[2])?.dataType ?? DataType.FLOAT)
    : (table?.dataType ?? DataType.FLOAT);
  const embOut = gather.output[0];

  // ---- 1. the embedding graph: the table's producer chain + [Cast] + lookup (+ Cast to float32)
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const chain: NodeProto[] = [];
  const visit = (name: string) => {
    const p = producer.get(name);
    if (p && !chain.includes(p)) {
      for (const i of p.input) visit(i);
      chain.push(p);
    }
  };
  for (const i of gather.input.slice(0, 1).concat(gbq ? gather.input.slice(2) : [])) visit(i);
  const rowsFirst = gbq ? null : lookupBeforeDequantize(chain, gather, inits);
  const embNodes = rowsFirst
    ? [...(cast ? [clone(NodeProtoSchema, cast)] : []), ...rowsFirst]
    : [...chain, ...(cast ? [cast] : []), gather].map((n) => clone(NodeProtoSchema, n));
  const last = embNodes[embNodes.length - 1];
  if (tableType !== DataType.FLOAT) {
    last.output = [`${EMBEDS_INPUT}_native`];
    embNodes.push(
      create(NodeProtoSchema, {
        opType: "Cast",
        name: "/instructzero/embed/Cast",
        input: [`${EMBEDS_INPUT}_native`],
        output: [EMBEDS_INPUT],
        attribute: [attribute("to", DataType.FLOAT)],
      }),
    );
  } else last.output = [EMBEDS_INPUT];
  const needed = new Set(embNodes.flatMap((n) => n.input));
  const embed = create(ModelProtoSchema, {
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: "instructzero-prepare",
    graph: {
      name: "embed_tokens",
      node: embNodes,
      initializer: g.initializer.filter((t) => needed.has(t.name)).map((t) => clone(TensorProtoSchema, t)),
      input: [valueInfo(IDS_INPUT, DataType.INT64, ["batch_size", "sequence_length"])],
      output: [valueInfo(EMBEDS_INPUT, DataType.FLOAT, ["batch_size", "sequence_length", hidden])],
    },
  });

  // ---- 2. the decoder: drop the lookup (and its Cast), read inputs_embeds instead
  removeNode(g, gather);
  if (cast && ![...allNodes(g)].some(([, n]) => n.input.includes(cast.output[0]))) removeNode(g, cast);
  const newNodes: NodeProto[] = [];
  let feed = EMBEDS_INPUT;
  if (tableType !== DataType.FLOAT) {
    feed = `${EMBEDS_INPUT}_cast`;
    newNodes.push(
      create(NodeProtoSchema, {
        opType: "Cast",
        name: "/instructzero/inputs_embeds/Cast",
        input: [EMBEDS_INPUT],
        output: [feed],
        attribute: [attribute("to", tableType)],
      }),
    );
  }
  const rename = (n: NodeProto, from: string, to: string) => {
    n.input = n.input.map((x) => (x === from ? to : x));
  };
  for (const [, n] of allNodes(g)) rename(n, embOut, feed);
  g.valueInfo = g.valueInfo.filter((v) => v.name !== embOut);
  // other readers of input_ids (Optimum: Shape(input_ids)) get int64 zeros shaped [B,S] from inputs_embeds
  const others = [...allNodes(g)].filter(([, n]) => n.input.includes(IDS_INPUT));
  if (others.length) {
    const fake = "/instructzero/input_ids_from_embeds";
    g.initializer.push(
      tensor("/instructzero/c0", [1], DataType.INT64, BigInt64Array.of(0n)),
      tensor("/instructzero/c2", [1], DataType.INT64, BigInt64Array.of(2n)),
    );
    newNodes.push(
      create(NodeProtoSchema, {
        opType: "Shape",
        name: "/instructzero/Shape",
        input: [EMBEDS_INPUT],
        output: ["/instructzero/embeds_shape"],
      }),
      create(NodeProtoSchema, {
        opType: "Slice",
        name: "/instructzero/Slice",
        input: ["/instructzero/embeds_shape", "/instructzero/c0", "/instructzero/c2"],
        output: ["/instructzero/ids_shape"],
      }),
      create(NodeProtoSchema, {
        opType: "ConstantOfShape",
        name: "/instructzero/ConstantOfShape",
        input: ["/instructzero/ids_shape"],
        output: [fake],
        attribute: [attribute("value", tensor("", [1], DataType.INT64, BigInt64Array.of(0n)))],
      }),
    );
    for (const [, n] of others) rename(n, IDS_INPUT, fake);
  }
  g.node.unshift(...newNodes); // only read graph inputs/initializers: topological order kept
  g.input.splice(
    g.input.indexOf(idsInput),
    1,
    valueInfo(EMBEDS_INPUT, DataType.FLOAT, ["batch_size", "sequence_length", hidden]),
  );
  const head = (options.lastLogitsOnly ?? true) ? lmHeadEntry(g) : null;
  if (head) sliceBefore(g, head);
  const stepKv = exposeStepKv(g);
  eliminateDeadCode(g);
  return {
    decoder: model,
    embed,
    hidden,
    lookup: gather.opType,
    tableType,
    plainFloatTable: !gbq && !!table && tableType === DataType.FLOAT,
    dequantizesRows: rowsFirst !== null,
    lastLogitsOnly: !!head,
    slicedBeforeQuantization: ["DynamicQuantizeLinear", "DynamicQuantizeMatMul"].includes(head?.opType ?? ""),
    stepKv,
  };
}

/**
 * Add outputs step_key_values.N.key|value = the keys/values computed by this pass alone, i.e. the
 * second input of the `Concat(past_key_values.N.*, new, axis=2)` that produces present.N.* (the
 * Optimum/transformers.js export pattern), renamed to the output name. The runtime then keeps the cache itself and never has
 * onnxruntime-node copy the whole present.* tensors back every step. Returns false (graph
 * untouched) unless every present output follows the pattern.
 */
function exposeStepKv(g: GraphProto): boolean {
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const inputs = new Map(g.input.map((i) => [i.name, i]));
  const plan: { step: string; source: string; past: (typeof g.input)[number] }[] = [];
  for (const out of g.output) {
    const m = /^present\.(.+)$/.exec(out.name);
    if (!m) continue;
    const past = inputs.get(`past_key_values.${m[1]}`);
    const n = producer.get(out.name);
    const axis = n?.attribute.find((a) => a.name === "axis");
    if (!past || !n || n.opType !== "Concat" || n.input.length !== 2 || n.input[0] !== past.name)
      return false;
    if (!axis || (Number(axis.i) !== 2 && Number(axis.i) !== -2)) return false;
    // the new K/V must be an inner value (it is renamed below)
    if (!producer.has(n.input[1]) || g.output.some((o) => o.name === n.input[1])) return false;
    plan.push({ step: `${STEP_KV_PREFIX}${m[1]}`, source: n.input[1], past });
  }
  if (plan.length === 0) return false;
  if (new Set(plan.map((p) => p.source)).size !== plan.length) return false;
  const renames = new Map(plan.map((p) => [p.source, p.step]));
  // the new K/V value itself is renamed (no Identity copy): producer, readers and value infos
  for (const [, n] of allNodes(g)) {
    n.input = n.input.map((x) => renames.get(x) ?? x);
    n.output = n.output.map((x) => renames.get(x) ?? x);
  }
  g.valueInfo = g.valueInfo.filter((v) => !renames.has(v.name));
  for (const { step, past } of plan) {
    const d = dimsOf(past);
    g.output.push(
      valueInfo(step, elemTypeOf(past), [
        "batch_size",
        d[1] > 0 ? d[1] : "num_key_value_heads",
        "sequence_length",
        d[3] > 0 ? d[3] : "head_dim",
      ]),
    );
  }
  return true;
}

/**
 * Insert Slice(hidden, -1:, axis 1) before `head` (see {@link lmHeadEntry}), so the prompt's logits
 * are not computed, and declare logits (B, 1, V).
 */
function sliceBefore(g: GraphProto, head: NodeProto): void {
  g.initializer.push(
    tensor("/instructzero/last_start", [1], DataType.INT64, BigInt64Array.of(-1n)),
    tensor("/instructzero/last_end", [1], DataType.INT64, BigInt64Array.of(0x7fffffffffffffffn)),
    tensor("/instructzero/last_axis", [1], DataType.INT64, BigInt64Array.of(1n)),
  );
  const sliced = "/instructzero/lm_head_last_position";
  g.node.splice(
    g.node.indexOf(head),
    0,
    create(NodeProtoSchema, {
      opType: "Slice",
      name: "/instructzero/lm_head/Slice",
      input: [head.input[0], "/instructzero/last_start", "/instructzero/last_end", "/instructzero/last_axis"],
      output: [sliced],
    }),
  );
  head.input[0] = sliced;
  const out = g.output.find((o) => o.name === "logits");
  if (out) {
    const dims = dimsOf(out);
    const elem = out.type?.value.case === "tensorType" ? out.type.value.value.elemType : DataType.FLOAT;
    g.output[g.output.indexOf(out)] = valueInfo("logits", elem, [
      "batch_size",
      1,
      dims.length === 3 && dims[2] > 0 ? dims[2] : "vocab_size",
    ]);
  }
  g.valueInfo = g.valueInfo.filter((v) => v.name !== "logits");
}

/**
 * The node whose first input is the final hidden state on the way to `logits`: a MatMul or
 * MatMulNBits (walking back through Cast nodes), or for dynamically quantised heads (q8 exports:
 * DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul by the scales, or the fused
 * DynamicQuantizeMatMul / MatMulIntegerToFloat) the DynamicQuantizeLinear or fused node. Null when
 * not recognised (the logits are then computed at every position).
 */
function lmHeadEntry(g: GraphProto): NodeProto | null {
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  let n = producer.get("logits");
  while (n && n.opType === "Cast") n = producer.get(n.input[0]);
  if (!n) return null;
  if (["MatMul", "MatMulNBits", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"].includes(n.opType)) {
    if (n.opType !== "MatMulIntegerToFloat") return n;
    const q = producer.get(n.input[0]);
    return q?.opType === "DynamicQuantizeLinear" ? q : null;
  }
  if (n.opType !== "Mul") return null;
  // Mul(Cast(MatMulInteger(DynamicQuantizeLinear(h), W, ...)), scales), in either input order
  for (const input of n.input) {
    let m = producer.get(input);
    while (m && m.opType === "Cast") m = producer.get(m.input[0]);
    if (m?.opType !== "MatMulInteger") continue;
    const q = producer.get(m.input[0]);
    if (q?.opType === "DynamicQuantizeLinear") return q;
  }
  return null;
}

/** Drop top-level nodes whose outputs nobody reads, then initializers nobody reads. */
function eliminateDeadCode(g: GraphProto): void {
  const outNames = new Set(g.output.map((o) => o.name));
  for (let changed = true; changed; ) {
    const consumed = new Set([...allNodes(g)].flatMap(([, n]) => n.input));
    const before = g.node.length;
    g.node = g.node.filter((n) => n.output.some((o) => consumed.has(o) || outNames.has(o)));
    changed = g.node.length !== before;
  }
  const used = new Set([...allNodes(g)].flatMap(([, n]) => n.input));
  g.initializer = g.initializer.filter((t) => used.has(t.name));
}
