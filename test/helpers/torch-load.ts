/**
 * Read a single dense tensor back from `torch.save` bytes: a minimal ZIP reader (stored records
 * only) and a minimal pickle machine covering what PyTorch writes for one tensor. Enough to decode
 * what torch-save.ts produces (and simple real torch.save files); used to check vLLM payloads.
 */
import { crc32, STORAGE_DTYPES, type TorchDtype } from "../../src/generator/torch-save.js";

/** One entry of a ZIP archive. */
export interface ZipEntry {
  name: string;
  /** Offset of the entry's data inside the archive. */
  dataOffset: number;
  data: Uint8Array;
  crc: number;
}

/** The entries of a ZIP archive whose records are stored uncompressed; checks CRCs. */
export function readZipStored(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("zip: no end-of-central-directory record");
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error(`zip: bad central header at ${p}`);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const size = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = Buffer.from(bytes.subarray(p + 46, p + 46 + nameLen)).toString("utf8");
    if (method !== 0) throw new Error(`zip: ${name} is compressed (method ${method}); only stored records`);
    if (view.getUint32(local, true) !== 0x04034b50) throw new Error(`zip: bad local header for ${name}`);
    const dataOffset = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.subarray(dataOffset, dataOffset + size);
    if (crc32(data) !== crc) throw new Error(`zip: CRC mismatch for ${name}`);
    entries.push({ name, dataOffset, data, crc });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** A pickled global reference such as torch._utils._rebuild_tensor_v2. */
export interface PickleGlobal {
  kind: "global";
  module: string;
  name: string;
}

/** A call recorded by REDUCE (the pickle machine does not execute anything). */
export interface PickleCall {
  kind: "call";
  fn: PickleValue;
  args: PickleValue[];
}

/** A persistent-id reference (torch uses it for storages). */
export interface PicklePersistent {
  kind: "persid";
  id: PickleValue;
}

/** Values the minimal pickle machine produces. */
export type PickleValue =
  | null
  | boolean
  | number
  | string
  | PickleValue[]
  | PickleGlobal
  | PickleCall
  | PicklePersistent
  | Map<PickleValue, PickleValue>;

const MARK = Symbol("mark");
type StackItem = PickleValue | typeof MARK;

/**
 * Run a pickle program (protocols 2-4 subset: the opcodes torch.save uses for a tensor) and return
 * the value STOP leaves, with globals, calls and persistent ids kept symbolic.
 * `opcodes` collects the opcode bytes seen, in order, when given.
 */
export function readPickle(bytes: Uint8Array, opcodes?: number[]): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new Error(`pickle: stack underflow at ${p}`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error(`pickle: no MARK at ${p}`);
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw new Error("pickle: unterminated line");
    const s = Buffer.from(bytes.subarray(p, end)).toString("latin1");
    p = end + 1;
    return s;
  };
  const text = (n: number): string => {
    const s = Buffer.from(bytes.subarray(p, p + n)).toString("utf8");
    p += n;
    return s;
  };
  while (p < bytes.length) {
    const op = bytes[p++];
    opcodes?.push(op);
    switch (op) {
      case 0x80: // PROTO
        p += 1;
        break;
      case 0x95: // FRAME
        p += 8;
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push({ kind: "global", module, name: line() });
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push({ kind: "global", module: String(module), name: String(name) });
        break;
      }
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x58: {
        // BINUNICODE
        const n = view.getUint32(p, true);
        p += 4;
        stack.push(text(n));
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        const n = bytes[p++];
        stack.push(text(n));
        break;
      }
      case 0x4b: // BININT1
        stack.push(bytes[p++]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(p, true));
        p += 2;
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x8a: {
        // LONG1 (small values only)
        const n = bytes[p++];
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]);
        if (n > 0 && bytes[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(v));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = stack[stack.length - 1];
        if (!(d instanceof Map)) throw new Error("pickle: SETITEMS on a non-dict");
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x51: // BINPERSID
        stack.push({ kind: "persid", id: pop() });
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) throw new Error("pickle: REDUCE arguments are not a tuple");
        stack.push({ kind: "call", fn, args });
        break;
      }
      case 0x71: // BINPUT
        memo.set(bytes[p++], stack[stack.length - 1] as PickleValue);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(p, true), stack[stack.length - 1] as PickleValue);
        p += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1] as PickleValue);
        break;
      case 0x68: // BINGET
        stack.push(memo.get(bytes[p++]) ?? null);
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memo.get(view.getUint32(p, true)) ?? null);
        p += 4;
        break;
      case 0x2e: {
        // STOP
        const v = pop();
        if (stack.length !== 0) throw new Error(`pickle: ${stack.length} items left on the stack at STOP`);
        if (p !== bytes.length) throw new Error(`pickle: ${bytes.length - p} bytes after STOP`);
        return v;
      }
      default:
        throw new Error(`pickle: unsupported opcode 0x${op.toString(16)} at ${p - 1}`);
    }
  }
  throw new Error("pickle: no STOP opcode");
}

/** A tensor decoded from torch.save bytes. */
export interface LoadedTensor {
  dtype: TorchDtype;
  shape: number[];
  stride: number[];
  storageOffset: number;
  /** Element values widened to float32, in row-major order of `shape`. */
  data: Float32Array;
  /** Raw bytes of the whole storage. */
  storageBytes: Uint8Array;
  /** ZIP entry names, in archive order. */
  entries: string[];
}

/** The float value of an IEEE half-precision bit pattern. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** The float value of a bfloat16 bit pattern. */
export function bfloat16BitsToFloat32(b: number): number {
  const u = new Uint32Array([(b & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0];
}

function asInts(v: PickleValue, what: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number"))
    throw new Error(`torch: ${what} is not ints`);
  return v as number[];
}

/**
 * Decode the single tensor `torch.save` wrote into `bytes` (ZIP serialisation, one dense
 * float32/float16/bfloat16 tensor rebuilt by torch._utils._rebuild_tensor_v2).
 */
export function torchLoad(bytes: Uint8Array): LoadedTensor {
  const entries = readZipStored(bytes);
  const pkl = entries.find((e) => e.name.endsWith("/data.pkl") || e.name === "data.pkl");
  if (!pkl) throw new Error("torch: no data.pkl in the archive");
  const prefix = pkl.name.slice(0, pkl.name.length - "data.pkl".length);
  const byteorder = entries.find((e) => e.name === `${prefix}byteorder`);
  if (byteorder && Buffer.from(byteorder.data).toString() !== "little") {
    throw new Error("torch: only little-endian archives are supported");
  }
  const root = readPickle(pkl.data);
  if (
    !root ||
    typeof root !== "object" ||
    Array.isArray(root) ||
    root instanceof Map ||
    root.kind !== "call" ||
    typeof root.fn !== "object" ||
    root.fn === null ||
    Array.isArray(root.fn) ||
    root.fn instanceof Map ||
    root.fn.kind !== "global" ||
    root.fn.module !== "torch._utils" ||
    root.fn.name !== "_rebuild_tensor_v2"
  ) {
    throw new Error("torch: the pickle is not a single tensor (_rebuild_tensor_v2)");
  }
  const [storage, offset, sizeV, strideV] = root.args;
  if (!storage || typeof storage !== "object" || Array.isArray(storage) || storage instanceof Map) {
    throw new Error("torch: bad storage reference");
  }
  if (storage.kind !== "persid" || !Array.isArray(storage.id))
    throw new Error("torch: bad storage reference");
  const [tag, cls, key, , numelV] = storage.id;
  if (tag !== "storage" || !cls || typeof cls !== "object" || Array.isArray(cls) || cls instanceof Map) {
    throw new Error("torch: bad storage reference");
  }
  if (cls.kind !== "global" || cls.module !== "torch") throw new Error("torch: bad storage class");
  const dtype = STORAGE_DTYPES[cls.name];
  if (!dtype) throw new Error(`torch: unsupported storage ${cls.name}`);
  const shape = asInts(sizeV, "size");
  const stride = asInts(strideV, "stride");
  const storageOffset = Number(offset);
  const data = entries.find((e) => e.name === `${prefix}data/${String(key)}`);
  if (!data) throw new Error(`torch: storage ${String(key)} missing from the archive`);
  const width = dtype === "float32" ? 4 : 2;
  if (typeof numelV === "number" && data.data.length !== numelV * width) {
    throw new Error(`torch: storage holds ${data.data.length} bytes, expected ${Number(numelV) * width}`);
  }
  const view = new DataView(data.data.buffer, data.data.byteOffset, data.data.byteLength);
  const numel = shape.reduce((a, c) => a * c, 1);
  const out = new Float32Array(numel);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let e = storageOffset;
    for (let d = 0; d < shape.length; d++) e += idx[d] * stride[d];
    if (dtype === "float32") out[i] = view.getFloat32(e * 4, true);
    else {
      const bits = view.getUint16(e * 2, true);
      out[i] = dtype === "float16" ? float16BitsToFloat32(bits) : bfloat16BitsToFloat32(bits);
    }
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return {
    dtype,
    shape,
    stride,
    storageOffset,
    data: out,
    storageBytes: data.data,
    entries: entries.map((e) => e.name),
  };
}
