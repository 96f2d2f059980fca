/**
 * onnxruntime-node sessions of a prepared decoder (inputs_embeds -> logits + KV cache) and its
 * embedding graph (input_ids -> inputs_embeds), and greedy decoding over them.
 *
 * Shapes: embeddings are row-major Float32Array (B, S, H); the KV cache is one tensor per layer
 * and key/value, (B, NKV, T, HD); logits (B, S', V) with S' = 1 when the graph was prepared with
 * last-position logits, else S' = S (the last position is read either way).
 *
 * Two cache strategies for greedy decoding:
 * - "step" (when the prepared graph has step_key_values.* outputs and a position_ids input): the
 *   runtime owns preallocated cache buffers (B, NKV, capacity, HD), feeds them whole with an
 *   attention mask that hides the unfilled slots, fetches only this step's K/V and writes it in
 *   place. onnxruntime-node wraps input arrays without copying but copies every fetched output
 *   into a fresh JS buffer: fetching the whole present.* cache each step made a batch-25 decoding
 *   step about 2.5x slower.
 * - "present": feed past_key_values.*, fetch present.* (any export; the fallback).
 */
import "./ort-env.js"; // telemetry off before the runtime loads
import * as ort from "onnxruntime-node";
import { UserError } from "../util/errors.js";
import { RowKvCache } from "./kv-buffers.js";
import { type KvLayout, kvLayoutOf } from "./kv-layout.js";
import { halfToFloat32 } from "./onnx/proto.js";
import { EMBEDS_INPUT, IDS_INPUT } from "./prepare/rewrite.js";

/** Session options used by the runtime (threads: 0 = ORT default). */
export interface SessionSettings {
  threads?: number;
  optimization?: "disabled" | "basic" | "extended" | "all";
}

/** Create an ORT CPU session with our defaults. */
export async function openSession(
  file: string | Uint8Array,
  s: SessionSettings = {},
): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: s.optimization ?? "all",
    executionMode: "sequential",
    executionProviders: ["cpu"],
  };
  if (s.threads) opts.intraOpNumThreads = s.threads;
  return typeof file === "string"
    ? ort.InferenceSession.create(file, opts)
    : ort.InferenceSession.create(file, opts);
}

/** Extra scalar inputs some exports have, fed with the values greedy decoding needs. */
export function extraFeeds(inputNames: readonly string[], pastLen: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  if (inputNames.includes("use_cache_branch"))
    f.use_cache_branch = new ort.Tensor("bool", [pastLen > 0], [1]);
  if (inputNames.includes("num_logits_to_keep"))
    f.num_logits_to_keep = new ort.Tensor("int64", BigInt64Array.of(1n), []);
  return f;
}

/** The cache after a forward pass: present tensors by past-input name. */
export type KvCache = Record<string, ort.Tensor>;

/** Float32 view of a tensor's data (converting fp16). */
export function floatData(t: ort.Tensor): Float32Array {
  if (t.type === "float16") return halfToFloat32(t.data as Uint16Array);
  return t.data as Float32Array;
}

/** Index of the largest value of a[off, off+n) (first on ties). */
export function argmax(a: Float32Array, off: number, n: number): number {
  let best = 0;
  let bv = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < n; v++) {
    const x = a[off + v];
    if (x > bv) {
      bv = x;
      best = v;
    }
  }
  return best;
}

/** Options of {@link PreparedDecoder.greedy}. */
export interface GreedyOptions {
  /** Upper bound on generated tokens per row. */
  maxNewTokens: number;
  /** Token ids that end a row (not included in the output). Empty: never stop early. */
  eosIds: ReadonlySet<number>;
  /** Called after every new token of a row; return true to stop that row (stop strings). */
  shouldStop?: (row: number, ids: readonly number[]) => boolean;
  /** Recompute the whole sequence every step instead of using the KV cache (for tests). */
  recompute?: boolean;
  /** Cache strategy (see the module comment); default "auto": "step" when the graph allows it. */
  cache?: "auto" | "step" | "present";
  /** Called after every batched forward pass (step 0 = prefill) with the batch size and its wall time. */
  onStep?: (step: number, batch: number, ms: number) => void;
}

/** A prepared decoder plus its embedding graph, ready for forward passes. */
export class PreparedDecoder {
  readonly kv: KvLayout;
  private readonly hasPositions: boolean;

  constructor(
    readonly session: ort.InferenceSession,
    readonly embedSession: ort.InferenceSession,
    readonly hidden: number,
    label: string,
  ) {
    if (!session.inputNames.includes(EMBEDS_INPUT))
      throw new UserError(`${label}: prepared decoder has no ${EMBEDS_INPUT} input`);
    this.kv = kvLayoutOf(session, label);
    this.hasPositions = session.inputNames.includes("position_ids");
  }

  /** Embeddings of token ids: Float32Array (ids.length, H). */
  async embed(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) return new Float32Array(0);
    const r = await this.embedSession.run({
      [IDS_INPUT]: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
    });
    return Float32Array.from(floatData(r[EMBEDS_INPUT] as ort.Tensor));
  }

  /** Empty cache for a batch of B rows. */
  emptyCache(B: number): KvCache {
    const { kvHeads, headDim, type } = this.kv;
    const cache: KvCache = {};
    for (const n of this.kv.pastNames)
      cache[n] =
        type === "float16"
          ? new ort.Tensor("float16", new Uint16Array(0), [B, kvHeads, 0, headDim])
          : new ort.Tensor("float32", new Float32Array(0), [B, kvHeads, 0, headDim]);
    return cache;
  }

  /** Feeds shared by every pass: embeddings, attention mask (B, T), position ids, scalar extras. */
  private baseFeeds(
    x: Float32Array,
    B: number,
    S: number,
    mask: BigInt64Array,
    firstPos: number,
    pastLen: number,
  ): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {
      [EMBEDS_INPUT]: new ort.Tensor("float32", x, [B, S, this.hidden]),
      attention_mask: new ort.Tensor("int64", mask, [B, mask.length / B]),
    };
    if (this.hasPositions) {
      const pos = new BigInt64Array(B * S);
      for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) pos[b * S + s] = BigInt(firstPos + s);
      feeds.position_ids = new ort.Tensor("int64", pos, [B, S]);
    }
    return Object.assign(feeds, extraFeeds(this.session.inputNames, pastLen));
  }

  /**
   * One forward pass over embeddings x (B, S, H) after `pastLen` cached positions.
   * Returns the last-position logits (B, V), the new cache (present.*) and, when the graph has
   * them, this pass's keys/values alone (step_key_values.*, keyed by past-input name).
   */
  async forward(
    x: Float32Array,
    B: number,
    S: number,
    cache: KvCache,
    pastLen: number,
  ): Promise<{ logits: Float32Array; vocab: number; cache: KvCache; step: KvCache }> {
    const mask = new BigInt64Array(B * (pastLen + S)).fill(1n);
    const r = await this.session.run({ ...this.baseFeeds(x, B, S, mask, pastLen, pastLen), ...cache });
    const { logits, vocab } = lastLogits(r.logits as ort.Tensor, B);
    const next: KvCache = {};
    const step: KvCache = {};
    this.kv.pastNames.forEach((n, i) => {
      next[n] = r[this.kv.presentNames[i]] as ort.Tensor;
      if (this.kv.stepNames) step[n] = r[this.kv.stepNames[i]] as ort.Tensor;
    });
    return { logits, vocab, cache: next, step };
  }

  /** The cache strategy greedy decoding uses for `opts` (see the module comment). */
  cacheStrategy(opts: Pick<GreedyOptions, "cache">): "step" | "present" {
    const want = opts.cache ?? "auto";
    const stepOk = this.kv.stepNames !== null && this.hasPositions;
    if (want === "step" && !stepOk)
      throw new Error("decoder graph has no step_key_values.* outputs or no position_ids input");
    return want === "present" || !stepOk ? "present" : "step";
  }

  /**
   * Greedy decoding of B prompts of equal length P given as embeddings (B, P, H), no padding.
   * Finished rows are dropped from the batch (their cache rows are cut out). Returns the new
   * token ids of every row (EOS excluded).
   */
  async greedy(prompts: Float32Array, B: number, P: number, opts: GreedyOptions): Promise<number[][]> {
    const out: number[][] = Array.from({ length: B }, () => []);
    if (opts.maxNewTokens <= 0 || B === 0) return out;
    if (opts.recompute) return this.greedyRecompute(prompts, B, P, opts, out);
    const cache =
      this.cacheStrategy(opts) === "step"
        ? new RowKvCache(this.kv, B, P, P + opts.maxNewTokens) // the last pass reads P + maxNew - 2 slots
        : null;
    let present = this.emptyCache(B);
    let active = Array.from({ length: B }, (_, b) => b);
    let x = prompts;
    let S = P;
    let past = 0;
    for (let step = 0; step < opts.maxNewTokens && active.length; step++) {
      const t0 = performance.now();
      let logits: Float32Array;
      let vocab: number;
      if (cache) {
        cache.reserve(S);
        const valid = new Uint8Array(active.length * S).fill(1); // equal-length prompts: no padding
        const feeds = this.baseFeeds(x, active.length, S, cache.mask(S, valid), past, cache.pastLength());
        const r = await this.session.run({ ...feeds, ...cache.feeds() }, ["logits", ...cache.stepNames]);
        cache.append(r, S, valid);
        ({ logits, vocab } = lastLogits(r.logits as ort.Tensor, active.length));
      } else {
        const r = await this.forward(x, active.length, S, present, past);
        ({ logits, vocab } = r);
        present = r.cache;
      }
      opts.onStep?.(step, active.length, performance.now() - t0);
      past += S;
      const keep: number[] = [];
      const nextIds: number[] = [];
      active.forEach((row, i) => {
        const tok = argmax(logits, i * vocab, vocab);
        if (opts.eosIds.has(tok)) return;
        out[row].push(tok);
        if (opts.shouldStop?.(row, out[row])) return;
        keep.push(i);
        nextIds.push(tok);
      });
      if (keep.length === 0 || step + 1 >= opts.maxNewTokens) break;
      if (keep.length !== active.length) {
        if (cache) cache.keepRows(keep);
        else present = selectRows(present, keep, active.length);
      }
      active = keep.map((i) => active[i]);
      x = await this.embed(nextIds); // one embedding run for the whole step
      S = 1;
    }
    return out;
  }

  /** Reference decoding without a cache: the whole sequence is recomputed for every token. */
  private async greedyRecompute(
    prompts: Float32Array,
    B: number,
    P: number,
    opts: GreedyOptions,
    out: number[][],
  ): Promise<number[][]> {
    const H = this.hidden;
    for (let b = 0; b < B; b++) {
      let seq = prompts.slice(b * P * H, (b + 1) * P * H);
      for (let step = 0; step < opts.maxNewTokens; step++) {
        const S = seq.length / H;
        const { logits, vocab } = await this.forward(seq, 1, S, this.emptyCache(1), 0);
        const tok = argmax(logits, 0, vocab);
        if (opts.eosIds.has(tok)) break;
        out[b].push(tok);
        if (opts.shouldStop?.(b, out[b])) break;
        const grown = new Float32Array(seq.length + H);
        grown.set(seq);
        grown.set(await this.embed([tok]), seq.length);
        seq = grown;
      }
    }
    return out;
  }

  /** Release the sessions. */
  async release(): Promise<void> {
    await this.session.release();
    await this.embedSession.release();
  }
}

/** Keep batch rows `keep` of every cache tensor (B, ...) -> (keep.length, ...). */
export function selectRows(cache: KvCache, keep: number[], B: number): KvCache {
  const next: KvCache = {};
  for (const [name, t] of Object.entries(cache)) {
    const row = t.data.length / B;
    const src = t.data as Float32Array | Uint16Array;
    const dst =
      t.type === "float16" ? new Uint16Array(keep.length * row) : new Float32Array(keep.length * row);
    keep.forEach((b, i) => {
      dst.set(src.subarray(b * row, (b + 1) * row), i * row);
    });
    next[name] = new ort.Tensor(t.type as "float32", dst as Float32Array, [keep.length, ...t.dims.slice(1)]);
  }
  return next;
}

/** Last-position logits (B, V) of a logits tensor (B, S', V). */
export function lastLogits(lt: ort.Tensor, B: number): { logits: Float32Array; vocab: number } {
  const [, Sl, V] = lt.dims;
  const all = floatData(lt);
  // one position (graphs prepared with last-position logits): already (B, V), no copy
  if (Sl === 1 && all.length === B * V) return { logits: all, vocab: V };
  const logits = new Float32Array(B * V);
  for (let b = 0; b < B; b++) logits.set(all.subarray((b * Sl + Sl - 1) * V, (b * Sl + Sl) * V), b * V);
  return { logits, vocab: V };
}
