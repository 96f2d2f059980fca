/**
 * A small builder for ONNX graphs: append nodes op by op, add initializers and constants, declare
 * inputs/outputs, then emit a ModelProto. Node and tensor names follow the "/op_N" style of
 * exporters; unused initializers are dropped at the end.
 */
import { create } from "@bufbuild/protobuf";
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
} from "onnx-buf";
import { DataType, type TensorData, tensor, type ValueInfoProto, valueInfo } from "./proto.js";

/** Attribute values: integers are INT, other numbers FLOAT, number[] INTS, string STRING, TensorProto TENSOR. */
export type AttrValue = number | number[] | string | TensorProto | { float: number };

/** Build one AttributeProto from a plain value. */
export function attribute(name: string, v: AttrValue): AttributeProto {
  const T = AttributeProto_AttributeType;
  if (typeof v === "number")
    return Number.isInteger(v)
      ? create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(v) })
      : create(AttributeProtoSchema, { name, type: T.FLOAT, f: v });
  if (typeof v === "string")
    return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return create(AttributeProtoSchema, { name, type: T.INTS, ints: v.map(BigInt) });
  if ("float" in v) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: v.float });
  return create(AttributeProtoSchema, { name, type: T.TENSOR, t: v });
}

/** Options of one node: explicit output names (or count), node name, operator domain. */
export interface OpOptions {
  outputs?: string[];
  name?: string;
  domain?: string;
}

/** Incremental ONNX graph builder. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly name = "main_graph") {}

  /** A fresh unique name with the given prefix. */
  uniq(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Append a single-output node; returns its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: OpOptions = {}): string {
    const name = opts.name ?? this.uniq(`/${opType}`);
    const outputs = opts.outputs ?? [`${name}_output_0`];
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        name,
        input: inputs,
        output: outputs,
        domain: opts.domain ?? "",
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs[0];
  }

  /** Add an initializer; returns its name. */
  init(name: string, dims: number[], dataType: number, data: TensorData): string {
    this.initializers.push(tensor(name, dims, dataType, data));
    return name;
  }

  /** Remove and return the initializer called `name` (for re-encoding it in another type). */
  takeInit(name: string): TensorProto {
    const i = this.initializers.findIndex((t) => t.name === name);
    if (i < 0) throw new Error(`no initializer ${name}`);
    return this.initializers.splice(i, 1)[0];
  }

  /** int64 constant initializer (dims default to [vals.length]; pass [] for a scalar). */
  constI64(vals: number[], dims: number[] = [vals.length]): string {
    return this.init(this.uniq("const_i64"), dims, DataType.INT64, BigInt64Array.from(vals.map(BigInt)));
  }

  /** float32 constant initializer. */
  constF32(vals: number[], dims: number[] = [vals.length]): string {
    return this.init(this.uniq("const_f32"), dims, DataType.FLOAT, Float32Array.from(vals));
  }

  /** Declare a graph input. */
  input(name: string, elemType: number, dims: (string | number)[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declare a graph output. */
  output(name: string, elemType: number, dims: (string | number)[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Emit the model; initializers no node reads are dropped. */
  toModel(opts: { opset?: number; irVersion?: number; extraDomains?: string[] } = {}): ModelProto {
    const used = new Set(this.nodes.flatMap((n) => n.input));
    return create(ModelProtoSchema, {
      irVersion: BigInt(opts.irVersion ?? 8),
      producerName: "instructzero",
      opsetImport: [
        { domain: "", version: BigInt(opts.opset ?? 17) },
        ...(opts.extraDomains ?? []).map((domain) => ({ domain, version: 1n })),
      ],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers.filter((t) => used.has(t.name)),
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}
