/**
 * A generator model folder in the transformers.js/Optimum layout: config.json,
 * [generation_config.json], tokenizer.json, tokenizer_config.json (or chat_template.jinja/json),
 * onnx/model{suffix}.onnx [+ external data]. Checks and reads the small JSON files; the graphs are
 * handled by ./prepare. {@link readEmbeddingTable} reads the token embedding table without
 * onnxruntime (for backends that decode elsewhere, e.g. vLLM): from the decoder graph's initializers
 * (fp32, fp16, bf16, int8/uint8 + DequantizeLinear, com.microsoft GatherBlockQuantized) or from a
 * safetensors file.
 */
import fs from "node:fs";
import path from "node:path";
import type { NodeProto, TensorProto } from "onnx-buf";
import { UserError } from "../util/errors.js";
import { DTYPE_SUFFIXES } from "./hub/files.js";
import { DataType, fromHalf, isExternal, numel, readModel, toHalf } from "./onnx/proto.js";

/** The parsed small files of a model folder and the path of its decoder graph. */
export interface ModelFolder {
  dir: string;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Chat template source (null when the model has none). */
  chatTemplate: string | null;
  /** Absolute path of onnx/model{suffix}.onnx (absent only when read with requireDecoder: false). */
  decoderFile: string;
  /** config.json hidden_size (or its aliases), when present. */
  hidden?: number;
}

function readJson(file: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${file}: cannot read ${what} (${(err as Error).message})`, { cause: err });
  }
}

/** Pick the chat template: tokenizer_config.chat_template (string or named list), else chat_template.jinja/json. */
function findChatTemplate(dir: string, tokCfg: Record<string, unknown>): string | null {
  const t = tokCfg.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === "default") ?? named[0])?.template ?? null;
  }
  const jinja = path.join(dir, "chat_template.jinja");
  if (fs.existsSync(jinja)) return fs.readFileSync(jinja, "utf8");
  const json = path.join(dir, "chat_template.json");
  if (fs.existsSync(json)) {
    const v = readJson(json, "the chat template").chat_template;
    if (typeof v === "string") return v;
  }
  return null;
}

/**
 * Check and read a local model folder. `dtype` picks onnx/model{suffix}.onnx (fp32 -> model.onnx,
 * q4 -> model_q4.onnx ...). Every missing piece is a UserError naming the file.
 */
export function readModelFolder(
  dir: string,
  options: {
    dtype?: string;
    /**
     * Default true. False: a folder without the decoder graph is accepted (decoderFile is then the
     * path where it would be; for backends that only need the tokenizer and embedding table).
     */
    requireDecoder?: boolean;
  } = {},
): ModelFolder {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory())
    throw new UserError(
      `model folder not found: ${dir} (expected a folder with config.json, tokenizer.json, onnx/)`,
    );
  const tokFile = path.join(abs, "tokenizer.json");
  if (!fs.existsSync(tokFile))
    throw new UserError(
      `${dir}: missing tokenizer.json (the generator needs a Hugging Face fast tokenizer file)`,
    );
  const tokenizerJson = readJson(tokFile, "tokenizer.json");
  const tokCfgFile = path.join(abs, "tokenizer_config.json");
  if (!fs.existsSync(tokCfgFile)) throw new UserError(`${dir}: missing tokenizer_config.json`);
  const tokenizerConfig = readJson(tokCfgFile, "tokenizer_config.json");
  const cfgFile = path.join(abs, "config.json");
  const config = fs.existsSync(cfgFile) ? readJson(cfgFile, "config.json") : {};
  const genFile = path.join(abs, "generation_config.json");
  const generationConfig = fs.existsSync(genFile) ? readJson(genFile, "generation_config.json") : {};
  const dtype = options.dtype ?? "fp32";
  const suffix = DTYPE_SUFFIXES[dtype];
  if (suffix === undefined)
    throw new UserError(
      `unknown dtype "${dtype}": expected one of ${Object.keys(DTYPE_SUFFIXES).join(", ")}`,
    );
  const decoderFile = path.join(abs, "onnx", `model${suffix}.onnx`);
  if (!fs.existsSync(decoderFile) && options.requireDecoder !== false) {
    const onnxDir = path.join(abs, "onnx");
    const found = fs.existsSync(onnxDir)
      ? fs
          .readdirSync(onnxDir)
          .filter((f) => f.endsWith(".onnx") && !f.includes("_embeds") && !f.startsWith("embed_tokens"))
      : [];
    throw new UserError(
      `${dir}: no decoder graph onnx/model${suffix}.onnx for dtype ${dtype}` +
        (found.length ? ` (found: ${found.join(", ")})` : " (no onnx/ folder with .onnx files)"),
    );
  }
  const h = config.hidden_size ?? config.n_embd ?? config.d_model;
  return {
    dir: abs,
    config,
    generationConfig,
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: findChatTemplate(abs, tokenizerConfig),
    decoderFile,
    hidden: typeof h === "number" ? h : undefined,
  };
}

// ---- the token embedding table, read without onnxruntime ------------------------------------

/** The token embedding table of a model folder. */
export interface EmbeddingTable {
  /** Rows (token ids 0 .. vocab-1). */
  vocab: number;
  hidden: number;
  /** Where it was read, e.g. `onnx/model_q4.onnx: model.embed_tokens.weight_Q4 (GatherBlockQuantized, 4 bits)`. */
  source: string;
  /**
   * Rows of `ids`, row-major Float32Array (ids.length, hidden): the values the decoder's lookup
   * produces (dequantized, in the table's float type), cast to float32.
   */
  lookup(ids: readonly number[]): Float32Array;
}

/** The table cannot be read without onnxruntime (a lookup or storage this reader does not know). */
export class UnsupportedEmbeddingTable extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedEmbeddingTable";
  }
}

/** Byte ranges of a tensor: in memory, or a region of a file read on demand. */
interface ByteSource {
  /** Run `fn` with a reader of [offset, offset + length) ranges (relative to the tensor's start). */
  use<T>(fn: (read: (offset: number, length: number) => Uint8Array) => T): T;
}

function memorySource(bytes: Uint8Array): ByteSource {
  return { use: (fn) => fn((o, n) => bytes.subarray(o, o + n)) };
}

function fileSource(file: string, start: number, length: number): ByteSource {
  return {
    use(fn) {
      const fd = fs.openSync(file, "r");
      try {
        return fn((o, n) => {
          if (o < 0 || o + n > length) throw new Error(`read past the end of a tensor in ${file}`);
          const buf = new Uint8Array(n);
          let got = 0;
          while (got < n) {
            const r = fs.readSync(fd, buf, got, n - got, start + o + got);
            if (r === 0) throw new UserError(`${file}: truncated (a tensor ends past the end of the file)`);
            got += r;
          }
          return buf;
        });
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

const F16_TO_F32 = (() => {
  let lut: Float32Array | undefined;
  return () => {
    if (!lut) {
      lut = new Float32Array(65536);
      for (let h = 0; h < 65536; h++) lut[h] = fromHalf(h);
    }
    return lut;
  };
})();

const bf16Buf = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Buf.buffer);
function fromBf16(b: number): number {
  bf16Bits[0] = b << 16;
  return bf16Buf[0];
}

/** Round a float32 value to the nearest fp16 value (as ORT does when an op outputs float16). */
function roundToHalf(v: number): number {
  return F16_TO_F32()[toHalf(v)];
}

/** Decode little-endian float elements of `type` (FLOAT, FLOAT16, BFLOAT16) into `out` at `at`. */
function decodeFloats(bytes: Uint8Array, type: number, out: Float32Array, at: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === DataType.FLOAT) {
    for (let i = 0, n = bytes.byteLength >> 2; i < n; i++) out[at + i] = dv.getFloat32(i * 4, true);
  } else if (type === DataType.FLOAT16) {
    const lut = F16_TO_F32();
    for (let i = 0, n = bytes.byteLength >> 1; i < n; i++) out[at + i] = lut[dv.getUint16(i * 2, true)];
  } else {
    for (let i = 0, n = bytes.byteLength >> 1; i < n; i++) out[at + i] = fromBf16(dv.getUint16(i * 2, true));
  }
}

/** Bytes per element of the float types a table may have; undefined for others. */
function floatSize(type: number): number | undefined {
  if (type === DataType.FLOAT) return 4;
  if (type === DataType.FLOAT16 || type === DataType.BFLOAT16) return 2;
  return undefined;
}

const TYPE_NAMES: Record<number, string> = {
  [DataType.FLOAT]: "fp32",
  [DataType.FLOAT16]: "fp16",
  [DataType.BFLOAT16]: "bf16",
  [DataType.INT8]: "int8",
  [DataType.UINT8]: "uint8",
  [DataType.INT4]: "int4",
  [DataType.UINT4]: "uint4",
};
const typeName = (t: number) => TYPE_NAMES[t] ?? `type ${t}`;

/** The bytes of an initializer: raw_data, external data (read on demand) or the typed fields. */
function tensorBytes(t: TensorProto, modelDir: string, label: string): ByteSource {
  if (isExternal(t)) {
    const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
    const location = kv.get("location");
    if (!location) throw new UserError(`${label}: tensor ${t.name} has external data without a location`);
    const file = path.resolve(modelDir, location);
    if (!fs.existsSync(file))
      throw new UserError(`${label}: external data file ${location} of tensor ${t.name} is missing`);
    const offset = Number(kv.get("offset") ?? 0);
    const length = kv.has("length") ? Number(kv.get("length")) : fs.statSync(file).size - offset;
    return fileSource(file, offset, length);
  }
  if (t.rawData.byteLength > 0) return memorySource(t.rawData);
  let arr: Float32Array | Uint16Array | Uint8Array | Int8Array;
  switch (t.dataType) {
    case DataType.FLOAT:
      arr = Float32Array.from(t.floatData);
      break;
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      arr = Uint16Array.from(t.int32Data);
      break;
    case DataType.UINT8:
      arr = Uint8Array.from(t.int32Data);
      break;
    case DataType.INT8:
      arr = Int8Array.from(t.int32Data);
      break;
    default:
      throw new UnsupportedEmbeddingTable(
        `${label}: tensor ${t.name} (${typeName(t.dataType)}) is stored in typed fields this reader does not decode`,
      );
  }
  return memorySource(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
}

/** Read a whole (small) tensor as numbers: floats decoded, integers as they are. */
function tensorValues(t: TensorProto, modelDir: string, label: string): Float64Array {
  const n = numel(t);
  const bytes = tensorBytes(t, modelDir, label).use((read) =>
    read(0, Math.ceil((n * elementBits(t.dataType, label, t.name)) / 8)),
  );
  const out = new Float64Array(n);
  if (floatSize(t.dataType)) {
    const f = new Float32Array(n);
    decodeFloats(bytes, t.dataType, f, 0);
    out.set(f);
  } else if (t.dataType === DataType.UINT8) out.set(bytes.subarray(0, n));
  else if (t.dataType === DataType.INT8) out.set(new Int8Array(bytes.buffer, bytes.byteOffset, n));
  else if (t.dataType === DataType.UINT4 || t.dataType === DataType.INT4) {
    for (let i = 0; i < n; i++) out[i] = nibble(bytes, i, t.dataType === DataType.INT4);
  } else
    throw new UnsupportedEmbeddingTable(
      `${label}: tensor ${t.name} has an unsupported type (${typeName(t.dataType)})`,
    );
  return out;
}

function elementBits(type: number, label: string, name: string): number {
  const f = floatSize(type);
  if (f) return f * 8;
  if (type === DataType.UINT8 || type === DataType.INT8) return 8;
  if (type === DataType.UINT4 || type === DataType.INT4) return 4;
  throw new UnsupportedEmbeddingTable(`${label}: tensor ${name} has an unsupported type (${typeName(type)})`);
}

/** The i-th 4-bit value of packed bytes (low nibble first), signed for int4. */
function nibble(bytes: Uint8Array, i: number, signed: boolean): number {
  const b = bytes[i >> 1];
  const v = i & 1 ? b >> 4 : b & 15;
  return signed && v >= 8 ? v - 16 : v;
}

function intAttr(n: NodeProto, name: string, fallback: number): number {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : fallback;
}

/** Every node of a graph and its subgraphs. */
function* graphNodes(nodes: readonly NodeProto[]): Generator<NodeProto> {
  for (const n of nodes) {
    yield n;
    for (const a of n.attribute) {
      if (a.g) yield* graphNodes(a.g.node);
      for (const g of a.graphs) yield* graphNodes(g.node);
    }
  }
}

/** A table whose rows are decoded by `row(read, id, out, at)`. */
function table(
  vocab: number,
  hidden: number,
  source: string,
  bytes: ByteSource,
  row: (read: (o: number, n: number) => Uint8Array, id: number, out: Float32Array, at: number) => void,
): EmbeddingTable {
  return {
    vocab,
    hidden,
    source,
    lookup(ids) {
      const out = new Float32Array(ids.length * hidden);
      bytes.use((read) => {
        ids.forEach((id, k) => {
          if (!Number.isInteger(id) || id < 0 || id >= vocab)
            throw new Error(`token id ${id} out of range for the embedding table (${vocab} rows)`);
          row(read, id, out, k * hidden);
        });
      });
      return out;
    },
  };
}

/**
 * The embedding table of an ONNX decoder graph: the single Gather / GatherBlockQuantized on
 * input_ids (possibly behind a Cast), as ./prepare/rewrite.ts finds it.
 */
export function readOnnxEmbeddingTable(
  decoderFile: string,
  options: { hidden?: number } = {},
): EmbeddingTable {
  const label = decoderFile;
  let model: ReturnType<typeof readModel>;
  try {
    model = readModel(decoderFile);
  } catch (err) {
    throw new UserError(`${label}: not a readable ONNX model (${(err as Error).message})`, { cause: err });
  }
  const g = model.graph;
  if (!g) throw new UserError(`${label}: ONNX file has no graph`);
  const dir = path.dirname(decoderFile);
  const rel = path.relative(path.dirname(dir), decoderFile);
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const nodes = [...graphNodes(g.node)];
  const idNames = new Set(["input_ids"]);
  for (const n of nodes) if (n.opType === "Cast" && n.input[0] === "input_ids") idNames.add(n.output[0]);
  const hits = nodes.filter(
    (n) => (n.opType === "Gather" || n.opType === "GatherBlockQuantized") && idNames.has(n.input[1]),
  );
  if (hits.length !== 1)
    throw new UnsupportedEmbeddingTable(
      `${label}: expected exactly one embedding lookup (Gather or GatherBlockQuantized) on input_ids, found ${hits.length}`,
    );
  const lookup = hits[0];
  const checkHidden = (h: number) => {
    if (options.hidden !== undefined && options.hidden !== h)
      throw new UserError(
        `${label}: embedding width ${h} differs from hidden_size ${options.hidden} in config.json`,
      );
    return h;
  };

  if (lookup.opType === "GatherBlockQuantized") {
    const [dataName, , scalesName, zpName] = lookup.input;
    const data = inits.get(dataName);
    const scales = inits.get(scalesName);
    const zpT = zpName ? inits.get(zpName) : undefined;
    if (!data || !scales || (zpName && !zpT))
      throw new UnsupportedEmbeddingTable(`${label}: GatherBlockQuantized inputs are not initializers`);
    const bits = intAttr(lookup, "bits", 4);
    const bs = intAttr(lookup, "block_size", 128);
    const rank = data.dims.length;
    if (
      intAttr(lookup, "gather_axis", 0) !== 0 ||
      ![1, -1].includes(intAttr(lookup, "quantize_axis", 1)) ||
      rank !== 2
    )
      throw new UnsupportedEmbeddingTable(
        `${label}: GatherBlockQuantized with axes other than gather 0 / quantize 1`,
      );
    const packedType = data.dataType === DataType.UINT4 || data.dataType === DataType.INT4;
    if (!packedType && !(data.dataType === DataType.UINT8 && (bits === 4 || bits === 8)))
      throw new UnsupportedEmbeddingTable(
        `${label}: GatherBlockQuantized data ${typeName(data.dataType)} with ${bits} bits is not supported`,
      );
    const nibbles = packedType || bits === 4;
    const signed = data.dataType === DataType.INT4;
    const V = Number(data.dims[0]);
    const cols = Number(data.dims[1]);
    const H = checkHidden(packedType ? cols : bits === 4 ? cols * 2 : cols);
    const nb = Math.ceil(H / bs);
    const sc = tensorValues(scales, dir, label);
    if (sc.length !== V * nb)
      throw new UnsupportedEmbeddingTable(`${label}: GatherBlockQuantized scales shape`);
    const zpv = zpT ? tensorValues(zpT, dir, label) : undefined;
    // zero points of uint8-packed 4-bit data are packed two per byte too
    const zpPacked = zpT !== undefined && zpT.dataType === DataType.UINT8 && nibbles;
    const zpRow = zpPacked ? Math.ceil(nb / 2) : nb;
    const zpRaw = zpPacked ? tensorBytes(zpT, dir, label).use((r) => r(0, V * zpRow).slice()) : undefined;
    const zpDefault = signed ? 0 : nibbles ? 8 : 128;
    const half = scales.dataType === DataType.FLOAT16;
    const rowBytes = nibbles ? Math.ceil(H / 2) : H;
    const bytes = tensorBytes(data, dir, label);
    return table(
      V,
      H,
      `${rel}: ${dataName} (GatherBlockQuantized, ${nibbles ? 4 : 8} bits, blocks of ${bs})`,
      bytes,
      (read, id, out, at) => {
        const b = read(id * rowBytes, rowBytes);
        for (let c = 0; c < H; c++) {
          const blk = Math.floor(c / bs);
          const q = nibbles ? nibble(b, c, signed) : b[c];
          const zp = zpRaw
            ? nibble(zpRaw, id * zpRow * 2 + blk, false)
            : zpv
              ? zpv[id * nb + blk]
              : zpDefault;
          const v = Math.fround((q - zp) * sc[id * nb + blk]);
          out[at + c] = half ? roundToHalf(v) : v;
        }
      },
    );
  }

  if (intAttr(lookup, "axis", 0) !== 0)
    throw new UnsupportedEmbeddingTable(`${label}: embedding Gather on an axis other than 0`);
  const direct = inits.get(lookup.input[0]);
  if (direct) {
    const size = floatSize(direct.dataType);
    if (!size || direct.dims.length !== 2)
      throw new UnsupportedEmbeddingTable(
        `${label}: embedding table ${direct.name} is ${typeName(direct.dataType)} of rank ${direct.dims.length} (expected a float matrix)`,
      );
    const V = Number(direct.dims[0]);
    const H = checkHidden(Number(direct.dims[1]));
    return table(
      V,
      H,
      `${rel}: ${direct.name} (Gather, ${typeName(direct.dataType)})`,
      tensorBytes(direct, dir, label),
      (read, id, out, at) => decodeFloats(read(id * H * size, H * size), direct.dataType, out, at),
    );
  }
  const producer = nodes.find((n) => n.output.includes(lookup.input[0]));
  if (producer?.opType !== "DequantizeLinear")
    throw new UnsupportedEmbeddingTable(
      `${label}: the embedding table is computed by ${producer?.opType ?? "an unknown node"}, not read from an initializer`,
    );
  const [xName, scaleName, zpName] = producer.input;
  const x = inits.get(xName);
  const scale = inits.get(scaleName);
  const zpT = zpName ? inits.get(zpName) : undefined;
  if (!x || !scale || (zpName && !zpT) || x.dims.length !== 2)
    throw new UnsupportedEmbeddingTable(
      `${label}: DequantizeLinear of the embedding table has non-constant inputs`,
    );
  if (x.dataType !== DataType.INT8 && x.dataType !== DataType.UINT8)
    throw new UnsupportedEmbeddingTable(
      `${label}: DequantizeLinear of a ${typeName(x.dataType)} table is not supported (int8 or uint8)`,
    );
  const V = Number(x.dims[0]);
  const H = checkHidden(Number(x.dims[1]));
  const sc = tensorValues(scale, dir, label);
  const zp = zpT ? tensorValues(zpT, dir, label) : new Float64Array(sc.length);
  const axis = (() => {
    const a = intAttr(producer, "axis", 1);
    return a < 0 ? a + 2 : a;
  })();
  const bs = intAttr(producer, "block_size", 0);
  // index of the scale / zero point of element (r, c)
  let at: (r: number, c: number) => number;
  if (sc.length === 1) at = () => 0;
  else if (bs > 0 && scale.dims.length === 2)
    at =
      axis === 0
        ? (r, c) => Math.floor(r / bs) * H + c
        : (r, c) => r * Math.ceil(H / bs) + Math.floor(c / bs);
  else if (scale.dims.length === 1 && sc.length === (axis === 0 ? V : H))
    at = axis === 0 ? (r) => r : (_r, c) => c;
  else
    throw new UnsupportedEmbeddingTable(`${label}: DequantizeLinear scale shape [${scale.dims.join(", ")}]`);
  const half = scale.dataType === DataType.FLOAT16;
  const signed = x.dataType === DataType.INT8;
  return table(
    V,
    H,
    `${rel}: ${xName} (DequantizeLinear ${typeName(x.dataType)} + Gather)`,
    tensorBytes(x, dir, label),
    (read, id, out, o) => {
      const b = read(id * H, H);
      for (let c = 0; c < H; c++) {
        const q = signed ? (b[c] << 24) >> 24 : b[c];
        const k = at(id, c);
        const v = Math.fround((q - zp[k]) * sc[k]);
        out[o + c] = half ? roundToHalf(v) : v;
      }
    },
  );
}

/** Names of the embedding matrix in safetensors checkpoints, most specific first. */
const SAFETENSORS_NAMES = [
  /^model\.embed_tokens\.weight$/,
  /^(.+\.)?embed_tokens\.weight$/,
  /^(.+\.)?(wte|embed_in|word_embeddings)\.weight$/,
];

/** The safetensors files of a folder (one file, or the shards an index names); empty when none. */
function safetensorsIndex(dir: string): Map<string, string> | null {
  const index = path.join(dir, "model.safetensors.index.json");
  if (fs.existsSync(index)) {
    const map = (readJson(index, "model.safetensors.index.json").weight_map ?? {}) as Record<string, string>;
    return new Map(Object.entries(map).map(([k, v]) => [k, path.join(dir, v)]));
  }
  return null;
}

/** True when the folder has model.safetensors or a sharded index. */
export function hasSafetensors(dir: string): boolean {
  return (
    fs.existsSync(path.join(dir, "model.safetensors")) ||
    fs.existsSync(path.join(dir, "model.safetensors.index.json"))
  );
}

/** Header of a safetensors file: tensor name -> dtype, shape, byte range (from the data start). */
function safetensorsHeader(file: string): {
  dataStart: number;
  tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
} {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    if (!(n > 0 && n < 100_000_000)) throw new UserError(`${file}: not a safetensors file`);
    const json = Buffer.alloc(n);
    fs.readSync(fd, json, 0, n, 8);
    const tensors = JSON.parse(json.toString("utf8"));
    delete tensors.__metadata__;
    return { dataStart: 8 + n, tensors };
  } finally {
    fs.closeSync(fd);
  }
}

/** The embedding table of a safetensors checkpoint in `dir` (F32, F16 or BF16). */
export function readSafetensorsEmbeddingTable(
  dir: string,
  options: { hidden?: number } = {},
): EmbeddingTable {
  const index = safetensorsIndex(dir);
  const single = path.join(dir, "model.safetensors");
  const names = index ? [...index.keys()] : Object.keys(safetensorsHeader(single).tensors);
  const name = SAFETENSORS_NAMES.map((re) => names.find((n) => re.test(n))).find((n) => n !== undefined);
  if (!name)
    throw new UnsupportedEmbeddingTable(
      `${dir}: no embedding matrix (embed_tokens.weight) in the safetensors files`,
    );
  const file = index?.get(name) ?? single;
  const { dataStart, tensors } = safetensorsHeader(file);
  const t = tensors[name];
  const type = { F32: DataType.FLOAT, F16: DataType.FLOAT16, BF16: DataType.BFLOAT16 }[t?.dtype ?? ""];
  if (!t || type === undefined || t.shape.length !== 2)
    throw new UnsupportedEmbeddingTable(
      `${file}: ${name} is ${t?.dtype ?? "missing"} (expected an F32/F16/BF16 matrix)`,
    );
  const [V, H] = t.shape;
  if (options.hidden !== undefined && options.hidden !== H)
    throw new UserError(
      `${file}: ${name} width ${H} differs from hidden_size ${options.hidden} in config.json`,
    );
  const size = floatSize(type)!;
  const [b, e] = t.data_offsets;
  return table(
    V,
    H,
    `${path.basename(file)}: ${name} (${t.dtype})`,
    fileSource(file, dataStart + b, e - b),
    (read, id, out, at) => decodeFloats(read(id * H * size, H * size), type, out, at),
  );
}

/**
 * The embedding table of a model folder, without onnxruntime: from the decoder graph of the chosen
 * dtype when the folder has it (the values the ONNX generator embeds with), else from its
 * safetensors checkpoint. Throws {@link UnsupportedEmbeddingTable} when neither can be read.
 */
export function readEmbeddingTable(
  folder: Pick<ModelFolder, "dir" | "decoderFile" | "hidden">,
): EmbeddingTable {
  if (fs.existsSync(folder.decoderFile))
    return readOnnxEmbeddingTable(folder.decoderFile, { hidden: folder.hidden });
  if (hasSafetensors(folder.dir)) return readSafetensorsEmbeddingTable(folder.dir, { hidden: folder.hidden });
  throw new UserError(
    `${folder.dir}: no decoder graph ${path.relative(folder.dir, folder.decoderFile)} and no model.safetensors to read the embedding table from`,
  );
}
