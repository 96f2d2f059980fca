/**
 * Thin helpers over the ONNX protobuf schema (onnx-buf + @bufbuild/protobuf): read/write model
 * files, make tensors and value infos, move weights to external data, fp16 conversion.
 * No graph logic lives here.
 */
import fs from "node:fs";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type ModelProto,
  ModelProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from "onnx-buf";

export { TensorProto_DataType as DataType } from "onnx-buf";

/** Typed-array view types accepted as tensor payloads. */
export type TensorData = Float32Array | Int8Array | Uint8Array | Uint16Array | BigInt64Array | Int32Array;

/** Decode an ONNX model file (external data is not read). */
export function readModel(file: string): ModelProto {
  return fromBinary(ModelProtoSchema, fs.readFileSync(file));
}

/** Encode and write an ONNX model file. */
export function writeModel(file: string, model: ModelProto): void {
  fs.writeFileSync(file, toBinary(ModelProtoSchema, model));
}

/** Encode a model to bytes (for in-memory sessions). */
export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** Little-endian raw bytes of a typed array (a view, no copy). */
export function bytesOf(data: TensorData): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

/** An initializer tensor with raw data. */
export function tensor(name: string, dims: number[], dataType: number, data: TensorData): TensorProto {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType, rawData: bytesOf(data) });
}

/** A value info (graph input/output) of a tensor type; string dims are symbolic. */
export function valueInfo(name: string, elemType: number, dims: (string | number)[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: {
      value: {
        case: "tensorType",
        value: {
          elemType,
          shape: {
            dim: dims.map((d) =>
              typeof d === "string"
                ? { value: { case: "dimParam" as const, value: d } }
                : { value: { case: "dimValue" as const, value: BigInt(d) } },
            ),
          },
        },
      },
    },
  });
}

/** Element type of a tensor value info (0 when unknown). */
export function elemTypeOf(v: ValueInfoProto): number {
  return v.type?.value.case === "tensorType" ? v.type.value.value.elemType : 0;
}

/** Static dims of a tensor value info (-1 for symbolic/unknown dims). */
export function dimsOf(v: ValueInfoProto): number[] {
  if (v.type?.value.case !== "tensorType") return [];
  return (v.type.value.value.shape?.dim ?? []).map((d) =>
    d.value.case === "dimValue" ? Number(d.value.value) : -1,
  );
}

/** True when the tensor's bytes live in an external data file. */
export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === TensorProto_DataLocation.EXTERNAL;
}

/** Number of elements of a tensor (product of dims). */
export function numel(t: TensorProto): number {
  return t.dims.reduce((a, d) => a * Number(d), 1);
}

/**
 * Move initializers of at least `threshold` bytes to `dir/dataFile` (ONNX external-data convention,
 * 4096-byte aligned offsets like onnx.save_model). Mutates the model.
 */
export function externalize(model: ModelProto, dir: string, dataFile: string, threshold = 1024): void {
  const fd = fs.openSync(path.join(dir, dataFile), "w");
  try {
    let off = 0;
    for (const t of model.graph?.initializer ?? []) {
      if (t.rawData.byteLength < threshold) continue;
      const pad = (4096 - (off % 4096)) % 4096;
      if (pad) {
        fs.writeSync(fd, new Uint8Array(pad));
        off += pad;
      }
      fs.writeSync(fd, t.rawData);
      t.dataLocation = TensorProto_DataLocation.EXTERNAL;
      t.externalData = [
        { key: "location", value: dataFile },
        { key: "offset", value: String(off) },
        { key: "length", value: String(t.rawData.byteLength) },
      ].map((e) => ({ $typeName: "onnx.StringStringEntryProto" as const, ...e }));
      off += t.rawData.byteLength;
      t.rawData = new Uint8Array(0);
    }
  } finally {
    fs.closeSync(fd);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE fp16 bits, round to nearest even (subnormals handled, overflow -> inf). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let r = mant >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** IEEE fp16 bits -> float32 value. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Float32 copy of an fp16 buffer. */
export function halfToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = fromHalf(h[i]);
  return out;
}

export type { ModelProto, TensorProto, ValueInfoProto };
