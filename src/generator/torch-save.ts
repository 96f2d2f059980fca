/**
 * Write the bytes of `torch.save(tensor)` for a dense, contiguous CPU tensor, without torch.
 *
 * Layout (what PyTorch's zip serialisation writes and `torch.load(weights_only=True)` accepts):
 * an uncompressed ("stored") ZIP whose records are 64-byte aligned, holding
 *   archive/data.pkl   pickle protocol 2: torch._utils._rebuild_tensor_v2(
 *                        persistent_id(("storage", torch.<Dtype>Storage, "0", "cpu", numel)),
 *                        0, shape, stride, False, collections.OrderedDict())
 *   archive/byteorder  "little"
 *   archive/data/0     the raw little-endian element bytes
 *   archive/version    "3\n"
 *
 * vLLM's `prompt_embeds` on /v1/completions is base64 of these bytes for a (seq, hidden) tensor.
 */

/** Element types vLLM accepts for prompt embeddings. */
export type TorchDtype = "float32" | "float16" | "bfloat16";

const STORAGE: Record<TorchDtype, string> = {
  float32: "FloatStorage",
  float16: "HalfStorage",
  bfloat16: "BFloat16Storage",
};

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<TorchDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** Storage class name (as pickled, e.g. "FloatStorage") -> dtype. */
export const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
};

/** Row-major (C-contiguous) strides of `shape`, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  return strides;
}

/** Append-only byte buffer. */
class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(...xs: number[]): void {
    this.push(Uint8Array.from(xs));
  }

  ascii(s: string): void {
    this.push(Buffer.from(s, "latin1"));
  }

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  u16(n: number): void {
    this.bytes(n & 0xff, (n >>> 8) & 0xff);
  }

  u32(n: number): void {
    this.bytes(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }

  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** The data.pkl bytes for a tensor of `shape` over storage "0". */
export function pickleTensor(dtype: TorchDtype, shape: readonly number[]): Buffer {
  const w = new ByteWriter();
  const unicode = (s: string) => {
    const u = Buffer.from(s, "utf8");
    w.bytes(0x58); // BINUNICODE
    w.u32(u.length);
    w.push(u);
  };
  const int = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new Error(`torchSave: bad integer ${n}`);
    if (n < 0x100)
      w.bytes(0x4b, n); // BININT1
    else if (n < 0x10000)
      w.bytes(0x4d, n & 0xff, n >>> 8); // BININT2
    else {
      w.bytes(0x4a); // BININT (signed 32-bit)
      w.u32(n);
    }
  };
  const tuple = (xs: readonly number[]) => {
    if (xs.length === 0) return w.bytes(0x29); // EMPTY_TUPLE
    w.bytes(0x28); // MARK
    for (const x of xs) int(x);
    w.bytes(0x74); // TUPLE
  };
  const numel = shape.reduce((a, c) => a * c, 1);
  w.bytes(0x80, 2); // PROTO 2
  w.ascii("ctorch._utils\n_rebuild_tensor_v2\n"); // GLOBAL
  w.bytes(0x28); // MARK: arguments of _rebuild_tensor_v2
  w.bytes(0x28); // MARK: persistent id tuple
  unicode("storage");
  w.ascii(`ctorch\n${STORAGE[dtype]}\n`);
  unicode("0"); // storage key = archive/data/0
  unicode("cpu");
  int(numel);
  w.bytes(0x74, 0x51); // TUPLE, BINPERSID
  int(0); // storage_offset
  tuple(shape);
  tuple(contiguousStrides(shape));
  w.bytes(0x89); // NEWFALSE: requires_grad
  w.ascii("ccollections\nOrderedDict\n");
  w.bytes(0x29, 0x52); // EMPTY_TUPLE, REDUCE: OrderedDict() (backward hooks)
  w.bytes(0x74, 0x52, 0x2e); // TUPLE, REDUCE, STOP
  return w.concat();
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE, as ZIP uses it). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A stored (uncompressed) ZIP of `files`, each record's data 64-byte aligned through a padding
 * extra field (id 0x4246 "FB"), as PyTorchStreamWriter writes it.
 */
export function zipStored(files: ReadonlyArray<readonly [string, Uint8Array]>): Buffer {
  const body = new ByteWriter();
  const central = new ByteWriter();
  for (const [name, data] of files) {
    const nameB = Buffer.from(name, "utf8");
    const offset = body.length;
    const pad = (64 - ((offset + 30 + nameB.length + 4) % 64)) % 64;
    const crc = crc32(data);
    body.u32(0x04034b50); // local file header
    body.u16(20); // version needed
    body.u16(0); // flags
    body.u16(0); // method: stored
    body.u16(0); // time
    body.u16(0); // date
    body.u32(crc);
    body.u32(data.length); // compressed size
    body.u32(data.length); // uncompressed size
    body.u16(nameB.length);
    body.u16(4 + pad); // extra field length
    body.push(nameB);
    body.u16(0x4246);
    body.u16(pad);
    body.push(new Uint8Array(pad));
    body.push(data);

    central.u32(0x02014b50); // central directory header
    central.u16(20); // version made by
    central.u16(20); // version needed
    central.u16(0);
    central.u16(0);
    central.u16(0);
    central.u16(0);
    central.u32(crc);
    central.u32(data.length);
    central.u32(data.length);
    central.u16(nameB.length);
    central.u16(0); // extra
    central.u16(0); // comment
    central.u16(0); // disk
    central.u16(0); // internal attributes
    central.u32(0); // external attributes
    central.u32(offset);
    central.push(nameB);
  }
  const cdOffset = body.length;
  const cd = central.concat();
  body.push(cd);
  body.u32(0x06054b50); // end of central directory
  body.u16(0);
  body.u16(0);
  body.u16(files.length);
  body.u16(files.length);
  body.u32(cd.length);
  body.u32(cdOffset);
  body.u16(0);
  return body.concat();
}

/** Round a float32 value to IEEE half precision, returning its 16-bit pattern (round to nearest even). */
export function float32ToFloat16Bits(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000; // subnormal half: shift in the implicit bit
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mant & 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

/** Round a float32 value to bfloat16, returning its 16-bit pattern (round to nearest even). */
export function float32ToBfloat16Bits(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff; // NaN stays NaN
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Little-endian element bytes of `data` converted to `dtype`. */
export function encodeElements(data: Float32Array, dtype: TorchDtype): Uint8Array {
  if (dtype === "float32") {
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    return out;
  }
  const conv = dtype === "float16" ? float32ToFloat16Bits : float32ToBfloat16Bits;
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, conv(data[i]), true);
  return out;
}

/**
 * The bytes `torch.save(tensor)` writes for a dense tensor of `shape` holding `data`
 * (row-major float32 values, converted to `dtype` with round-to-nearest-even).
 */
export function torchSave(
  data: Float32Array,
  shape: readonly number[],
  dtype: TorchDtype = "float32",
): Buffer {
  const numel = shape.reduce((a, c) => a * c, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`torchSave: bad shape [${shape}]`);
  if (data.length !== numel) {
    throw new Error(`torchSave: ${data.length} values do not fill shape [${shape.join(", ")}]`);
  }
  if (!(dtype in STORAGE)) throw new Error(`torchSave: unsupported dtype ${dtype}`);
  return zipStored([
    ["archive/data.pkl", pickleTensor(dtype, shape)],
    ["archive/byteorder", Buffer.from("little")],
    ["archive/data/0", encodeElements(data, dtype)],
    ["archive/version", Buffer.from("3\n")],
  ]);
}

/** vLLM's `prompt_embeds` value: base64 of torch.save of a (seq, hidden) tensor. */
export function promptEmbedsBase64(
  data: Float32Array,
  seq: number,
  hidden: number,
  dtype: TorchDtype = "float32",
): string {
  return torchSave(data, [seq, hidden], dtype).toString("base64");
}
