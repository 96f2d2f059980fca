/** Preallocated KV buffers for step-by-step decoding (see {@link RowKvCache}). */
import "./ort-env.js"; // telemetry off before the runtime loads
import * as ort from "onnxruntime-node";
import type { KvLayout } from "./kv-layout.js";
import type { KvData } from "./prefix-cache.js";

/** Positions added to a {@link RowKvCache} whenever it runs out of room. */
const GROWTH = 32;

/**
 * The "step" cache strategy: preallocated per-row KV buffers (rows, NKV, width, HD), fed whole every
 * pass, with a per-row validity mask over the slots: slots [0, filled) hold the cache (unfilled and
 * padding slots are hidden by the attention mask). This pass's K/V (step_key_values.*) is written at
 * slots [filled, filled + S) afterwards. Keys carry their rotary position, so where a slot sits in
 * the buffer does not change the attention result. Used by the decoder (every slot valid) and the
 * batched decoder (rows of different prefixes and pads).
 */
export class RowKvCache {
  readonly stepNames: string[];
  private width: number;
  private filled = 0;
  private rows: number;
  private bufs: KvData[];
  private valid: Uint8Array;

  constructor(
    private readonly kv: KvLayout,
    B: number,
    need: number,
    private readonly limit: number,
  ) {
    if (!kv.stepNames) throw new Error("RowKvCache needs step_key_values.* outputs");
    this.stepNames = kv.stepNames;
    this.rows = B;
    this.width = Math.min(need + GROWTH, limit);
    this.bufs = kv.pastNames.map(() => this.alloc(B * this.rowSize()));
    this.valid = new Uint8Array(B * this.width);
  }

  private rowSize(width = this.width): number {
    return this.kv.kvHeads * width * this.kv.headDim;
  }

  private alloc(n: number): KvData {
    return this.kv.type === "float16" ? new Uint16Array(n) : new Float32Array(n);
  }

  /** Copy the first n slots of a prefix (per past input: (NKV, slots, HD)) into row b. */
  setPrefix(b: number, kv: KvData[], slots: number, n: number): void {
    const { kvHeads: NKV, headDim: HD } = this.kv;
    this.bufs.forEach((dst, i) => {
      for (let h = 0; h < NKV; h++)
        dst.set(kv[i].subarray(h * slots * HD, (h * slots + n) * HD), (b * NKV + h) * this.width * HD);
    });
    this.valid.fill(1, b * this.width, b * this.width + n);
  }

  /** Slots [0, filled) are in use (prefixes set, shorter ones masked at their end). */
  start(filled: number): void {
    this.filled = filled;
  }

  /** Past length fed to the next pass (0 while nothing is filled). */
  pastLength(): number {
    return this.filled === 0 ? 0 : this.width;
  }

  /** Make room for S more slots. */
  reserve(S: number): void {
    if (this.filled + S <= this.width) return;
    const width = Math.max(this.filled + S, Math.min(this.width + GROWTH, this.limit));
    const HD = this.kv.headDim;
    this.bufs = this.bufs.map((src) => {
      const dst = this.alloc(this.rows * this.rowSize(width));
      for (let bh = 0; bh < this.rows * this.kv.kvHeads; bh++)
        dst.set(src.subarray(bh * this.width * HD, (bh * this.width + this.filled) * HD), bh * width * HD);
      return dst;
    });
    const valid = new Uint8Array(this.rows * width);
    for (let b = 0; b < this.rows; b++)
      valid.set(this.valid.subarray(b * this.width, b * this.width + this.filled), b * width);
    this.valid = valid;
    this.width = width;
  }

  /** Attention mask (rows, pastLength + S): valid past slots, then the pass's own validity. */
  mask(S: number, newValid: Uint8Array): BigInt64Array {
    const P = this.pastLength();
    const T = P + S;
    const m = new BigInt64Array(this.rows * T);
    for (let b = 0; b < this.rows; b++) {
      for (let j = 0; j < P; j++) if (this.valid[b * this.width + j]) m[b * T + j] = 1n;
      for (let s = 0; s < S; s++) if (newValid[b * S + s]) m[b * T + P + s] = 1n;
    }
    return m;
  }

  /** past_key_values.* feeds: empty before anything is filled, else the whole buffers (no copy). */
  feeds(): Record<string, ort.Tensor> {
    const { kvHeads: NKV, headDim: HD, type } = this.kv;
    const T = this.pastLength();
    const f: Record<string, ort.Tensor> = {};
    this.kv.pastNames.forEach((n, i) => {
      const data = T === 0 ? this.alloc(0) : this.bufs[i].subarray(0, this.rows * this.rowSize());
      f[n] = new ort.Tensor(type as "float32", data as Float32Array, [this.rows, NKV, T, HD]);
    });
    return f;
  }

  /** Write this pass's K/V (rows, NKV, S, HD) at slots [filled, filled + S) with their validity. */
  append(r: ort.InferenceSession.ReturnType, S: number, newValid: Uint8Array): void {
    const { kvHeads: NKV, headDim: HD } = this.kv;
    this.stepNames.forEach((n, i) => {
      const src = (r[n] as ort.Tensor).data as KvData;
      const dst = this.bufs[i];
      for (let bh = 0; bh < this.rows * NKV; bh++)
        dst.set(src.subarray(bh * S * HD, (bh + 1) * S * HD), (bh * this.width + this.filled) * HD);
    });
    for (let b = 0; b < this.rows; b++)
      this.valid.set(newValid.subarray(b * S, (b + 1) * S), b * this.width + this.filled);
    this.filled += S;
  }

  /** Keep only rows `keep` (increasing), moved to the front. */
  keepRows(keep: number[]): void {
    const size = this.rowSize();
    for (const buf of this.bufs)
      keep.forEach((b, i) => {
        if (b !== i) buf.copyWithin(i * size, b * size, (b + 1) * size);
      });
    keep.forEach((b, i) => {
      if (b !== i) this.valid.copyWithin(i * this.width, b * this.width, (b + 1) * this.width);
    });
    this.rows = keep.length;
  }
}
