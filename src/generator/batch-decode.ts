/**
 * Greedy decoding of several independent prompts in one batch, with shared prefixes computed once.
 *
 * Rows are token-id prompts of any lengths, each with its own token limit, EOS set, stop test and
 * cancellation. The plan (./prefix-cache.ts) splits them into groups sharing a prefix. Then:
 *
 * 1. Prefix passes (batch 1): each group's prefix is run once (or taken from the prefix cache, or
 *    its cached part fed as past and only the rest run), giving its keys/values.
 * 2. Layout: one preallocated KV buffer per past input, (rows, NKV, width, HD). Row b holds its
 *    group's prefix K/V in slots [0, prefix_b); slots [prefix_b, Pmax) are masked out.
 * 3. Suffix pass: the remaining tokens of every row, right-aligned in S = max remaining positions
 *    (left pads: zero embeddings, masked out by the attention mask), so that the last position of
 *    the pass is every row's last prompt token and the graph's last-position logits serve all rows.
 *    position_ids are per row (prefix_b + j for its j-th remaining token), so rotary positions are
 *    those of one-at-a-time decoding.
 * 4. Decoding steps of one token per row at its own position; finished rows (EOS, stop, their own
 *    token limit, cancellation) leave the batch at once and are reported through onRowDone.
 *
 * This needs what the "step" cache strategy of ./decoder.ts needs (step_key_values.* outputs and a
 * position_ids input) and the same property of the graph: causality is by slot order and padding by
 * the attention mask (Optimum/transformers.js exports build their 4D mask this way), so masked slots
 * anywhere in the buffer are ignored. Without it rows are decoded one at a time.
 *
 * Identity with one-at-a-time decoding: a batch of one row with no cached prefix is decoded by
 * PreparedDecoder.greedy itself (bit-identical). Otherwise the arithmetic is the same up to float
 * summation order (fp32: same tokens barring exact near-ties of the top two logits). Models with
 * dynamically quantised activations (q8: one scale per tensor, over every row and position of a pass)
 * give slightly different logits in a different batch composition; see the tests for the agreement.
 */
import "./ort-env.js"; // telemetry off before the runtime loads
import * as ort from "onnxruntime-node";
import { argmax, extraFeeds, type KvCache, lastLogits, type PreparedDecoder } from "./decoder.js";
import { RowKvCache } from "./kv-buffers.js";
import type { KvLayout } from "./kv-layout.js";
import {
  type KvData,
  type PrefixEntry,
  type PrefixKvCache,
  type PrefixPlan,
  planPrefixGroups,
} from "./prefix-cache.js";
import { EMBEDS_INPUT } from "./prepare/rewrite.js";

/** One prompt of a batch. */
export interface RowRequest {
  /** Prompt token ids (non-empty). */
  ids: readonly number[];
  /** Upper bound on new tokens (0: nothing generated). */
  maxNewTokens: number;
  /** Token ids that end the row (not included in its output). */
  eosIds: ReadonlySet<number>;
  /** Called after every new token of the row; true ends it (stop strings). */
  shouldStop?: (ids: readonly number[]) => boolean;
  /** Checked before the row's first pass and after each step; true drops the row. */
  cancelled?: () => boolean;
}

/** Why a row ended. */
export type RowEnd = "eos" | "stop" | "length" | "cancelled";

/** Output of one row: new ids (EOS excluded) and why it ended. */
export interface RowResult {
  ids: number[];
  end: RowEnd;
}

/** Options of {@link greedyBatch}. */
export interface BatchGreedyOptions {
  /** Share the KV of common prefixes between rows (default true). */
  sharePrefix?: boolean;
  /** Prefixes kept across batches (used and filled when sharePrefix is on). */
  prefixCache?: PrefixKvCache | null;
  /** Cost of one extra pass in token positions, for the grouping (see planPrefixGroups). */
  passCost?: number;
  /** Called as soon as a row ends (before the rest of the batch ends). */
  onRowDone?: (row: number, result: RowResult) => void;
  /** The grouping chosen (indices refer to the rows still live at the start). */
  onPlan?: (plan: PrefixPlan, live: readonly number[]) => void;
  /** Called after every batched forward pass: step 0 = suffix prefill; prefix passes are not counted. */
  onStep?: (step: number, batch: number, ms: number) => void;
}

/**
 * Greedy decoding of `rows` together (see the module comment). Returns every row's result in input
 * order; each is also passed to `onRowDone` as soon as the row ends.
 */
export async function greedyBatch(
  dec: PreparedDecoder,
  rows: readonly RowRequest[],
  opts: BatchGreedyOptions = {},
): Promise<RowResult[]> {
  const results: RowResult[] = rows.map(() => ({ ids: [], end: "length" }));
  const finish = (i: number, end: RowEnd) => {
    results[i].end = end;
    opts.onRowDone?.(i, results[i]);
  };
  const live: number[] = [];
  rows.forEach((r, i) => {
    if (r.ids.length === 0) throw new Error("greedyBatch: empty prompt");
    if (r.cancelled?.()) finish(i, "cancelled");
    else if (r.maxNewTokens <= 0) finish(i, "length");
    else live.push(i);
  });
  if (live.length === 0) return results;

  const single = async (i: number) => {
    const r = rows[i];
    if (r.cancelled?.()) return finish(i, "cancelled");
    let end: RowEnd | null = null;
    const [ids] = await dec.greedy(await dec.embed(r.ids), 1, r.ids.length, {
      maxNewTokens: r.maxNewTokens,
      eosIds: r.eosIds,
      shouldStop: (_row, out) => {
        if (r.shouldStop?.(out)) end = "stop";
        else if (r.cancelled?.()) end = "cancelled";
        return end !== null;
      },
      onStep: opts.onStep,
    });
    results[i].ids = ids;
    finish(i, end ?? (ids.length < r.maxNewTokens ? "eos" : "length"));
  };
  if (dec.cacheStrategy({}) !== "step") {
    for (const i of live) await single(i);
    return results;
  }
  const share = opts.sharePrefix !== false;
  const cache = share ? (opts.prefixCache ?? null) : null;
  const plan = planPrefixGroups(
    live.map((i) => rows[i].ids),
    {
      passCost: opts.passCost,
      share,
      cachedLength: cache ? (ids, limit) => cache.matchLength(ids, limit) : undefined,
    },
  );
  opts.onPlan?.(plan, live);
  if (live.length === 1 && plan.groups[0].prefix === 0) {
    await single(live[0]);
    return results;
  }

  // 1. prefix K/V of every group that has one
  const B = live.length;
  const prefixOf = new Array<number>(B).fill(0);
  const groupKv: { kv: KvData[]; slots: number; n: number; rows: number[] }[] = [];
  for (const g of plan.groups) {
    if (g.prefix === 0) continue;
    const ids = rows[live[g.rows[0]]].ids.slice(0, g.prefix);
    const hit = cache?.lookup(ids, g.prefix) ?? null;
    let kv: KvData[];
    let slots: number;
    if (hit && hit.length === g.prefix) {
      cache?.touch(hit.entry);
      kv = hit.entry.kv;
      slots = hit.entry.ids.length;
    } else {
      const m = hit?.length ?? 0;
      const past = hit ? entryPrefix(dec.kv, hit.entry, m) : dec.emptyCache(1);
      const r = await dec.forward(await dec.embed(ids.slice(m)), 1, g.prefix - m, past, m);
      kv = dec.kv.pastNames.map((n) => r.cache[n].data as KvData);
      slots = g.prefix;
      if (cache && g.rows.length > 1) cache.add(ids, kv);
    }
    if (cache && hit) {
      cache.hits++;
      cache.savedTokens += hit.length;
    }
    for (const b of g.rows) prefixOf[b] = g.prefix;
    groupKv.push({ kv, slots, n: g.prefix, rows: g.rows });
  }

  // 2. the batch buffers with every row's prefix in place
  const Pmax = Math.max(...prefixOf);
  const S = plan.suffix;
  const maxNew = Math.max(...live.map((i) => rows[i].maxNewTokens));
  const kvc = new RowKvCache(dec.kv, B, Pmax + S, Pmax + S + maxNew);
  for (const g of groupKv) for (const b of g.rows) kvc.setPrefix(b, g.kv, g.slots, g.n);
  kvc.start(Pmax);

  // 3. the remaining tokens, right-aligned
  const H = dec.hidden;
  const rest = live.map((i, b) => rows[i].ids.slice(prefixOf[b]));
  const emb = await dec.embed(rest.flat());
  let x: Float32Array = new Float32Array(B * S * H);
  let valid = new Uint8Array(B * S);
  let pos = new BigInt64Array(B * S);
  const nextPos = new Array<number>(B);
  let o = 0;
  rest.forEach((r, b) => {
    const pad = S - r.length;
    x.set(emb.subarray(o * H, (o + r.length) * H), (b * S + pad) * H);
    o += r.length;
    for (let s = 0; s < S; s++) {
      valid[b * S + s] = s >= pad ? 1 : 0;
      pos[b * S + s] = BigInt(prefixOf[b] + Math.max(0, s - pad));
    }
    nextPos[b] = prefixOf[b] + r.length;
  });

  // 4. decoding
  const inputNames = dec.session.inputNames;
  let active = Array.from({ length: B }, (_, b) => b);
  let width = S;
  for (let step = 0; active.length; step++) {
    const t0 = performance.now();
    kvc.reserve(width);
    const n = active.length;
    const pastLen = kvc.pastLength();
    const feeds: Record<string, ort.Tensor> = {
      [EMBEDS_INPUT]: new ort.Tensor("float32", x, [n, width, H]),
      attention_mask: new ort.Tensor("int64", kvc.mask(width, valid), [n, pastLen + width]),
      position_ids: new ort.Tensor("int64", pos, [n, width]),
      ...extraFeeds(inputNames, pastLen),
      ...kvc.feeds(),
    };
    const r = await dec.session.run(feeds, ["logits", ...kvc.stepNames]);
    kvc.append(r, width, valid);
    const { logits, vocab } = lastLogits(r.logits as ort.Tensor, n);
    opts.onStep?.(step, n, performance.now() - t0);
    const keep: number[] = [];
    const nextIds: number[] = [];
    for (const [k, b] of active.entries()) {
      const i = live[b];
      const row = rows[i];
      const out = results[i].ids;
      const tok = argmax(logits, k * vocab, vocab);
      let end: RowEnd | null = null;
      if (row.eosIds.has(tok)) end = "eos";
      else {
        out.push(tok);
        if (row.shouldStop?.(out)) end = "stop";
        else if (out.length >= row.maxNewTokens) end = "length";
        else if (row.cancelled?.()) end = "cancelled";
      }
      if (end) finish(i, end);
      else {
        keep.push(k);
        nextIds.push(tok);
      }
    }
    if (keep.length === 0) break;
    if (keep.length !== n) kvc.keepRows(keep);
    active = keep.map((k) => active[k]);
    x = await dec.embed(nextIds);
    width = 1;
    valid = new Uint8Array(active.length).fill(1);
    pos = BigInt64Array.from(active, (b) => BigInt(nextPos[b]++));
  }
  return results;
}

/** The first m positions of a cached prefix as past_key_values feeds (batch 1). */
function entryPrefix(kv: KvLayout, e: PrefixEntry, m: number): KvCache {
  const { kvHeads: NKV, headDim: HD, type } = kv;
  const L = e.ids.length;
  const out: KvCache = {};
  kv.pastNames.forEach((name, i) => {
    const src = e.kv[i];
    const dst = type === "float16" ? new Uint16Array(NKV * m * HD) : new Float32Array(NKV * m * HD);
    for (let h = 0; h < NKV; h++) dst.set(src.subarray(h * L * HD, (h * L + m) * HD), h * m * HD);
    out[name] = new ort.Tensor(type as "float32", dst as Float32Array, [1, NKV, m, HD]);
  });
  return out;
}
