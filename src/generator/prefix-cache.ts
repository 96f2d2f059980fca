/**
 * Shared prompt prefixes of a batch of greedy requests, and the KV cache of prefixes already
 * computed.
 *
 * One candidate's validation queries render to the same chat template + "Instruction: ..." text with
 * only the input differing near the end, so their token ids share a long common prefix. The batched
 * decoder (./batch-decode.ts) computes such a prefix once (batch 1), copies its keys/values into every
 * row of the group, and prefills only each row's remaining tokens. {@link planPrefixGroups} chooses
 * the groups; {@link PrefixKvCache} keeps recently computed prefixes across batches (the 20 queries of
 * one candidate arrive in one batch of 20 by default, or e.g. 8, 8 and 4 with a smaller batch size; the
 * template header is shared by every candidate).
 *
 * Pure data structures: no onnxruntime here.
 */

/** Length of the longest common prefix of two id sequences. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Lexicographic order of id sequences (a prefix sorts first). */
function compareIds(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** One group of rows that share a prefix. */
export interface PrefixGroup {
  /** Indices into the planned rows. */
  rows: number[];
  /**
   * Tokens every row of the group takes from the shared prefix KV (always <= each row's length - 1,
   * so that every row prefills at least its last token and gets its own logits). 0: no prefix.
   */
  prefix: number;
  /** Of those, tokens already in the prefix cache (not recomputed). */
  cached: number;
}

/** A batch plan: groups, and the width of the batched prefill of the remaining tokens. */
export interface PrefixPlan {
  groups: PrefixGroup[];
  /** max over rows of (length - group prefix): positions of the batched prefill pass. */
  suffix: number;
  /** Estimated cost in token-positions (see {@link PlanOptions.passCost}). */
  cost: number;
}

/** Options of {@link planPrefixGroups}. */
export interface PlanOptions {
  /**
   * Fixed cost of one extra forward pass, in token positions (default 16: on CPU a pass over a few
   * tokens of a 0.5B model costs about as much as 16 more positions in a larger pass).
   */
  passCost?: number;
  /** Tokens of `ids` (at most `limit`) whose KV is already cached (default: none). */
  cachedLength?: (ids: readonly number[], limit: number) => number;
  /** Allow groups of several rows to share a computed prefix (default true). */
  share?: boolean;
}

/**
 * Split rows (token ids, each non-empty) into prefix groups. Rows are sorted; for each threshold t
 * over the LCPs of sorted neighbours, runs of neighbours with LCP >= t form a group whose prefix is
 * their common prefix; the plan minimising
 *   sum over groups needing a prefix pass (passCost + prefix tokens not cached) + rows x suffix width
 * is kept (pads of the batched prefill are computed like real tokens, hence rows x width). A row alone
 * in its group uses a cached prefix when there is one, and is never given a prefix pass of its own.
 */
export function planPrefixGroups(
  rows: readonly (readonly number[])[],
  options: PlanOptions = {},
): PrefixPlan {
  const B = rows.length;
  const passCost = options.passCost ?? 16;
  const cachedLength = options.cachedLength ?? (() => 0);
  if (B === 0) return { groups: [], suffix: 0, cost: 0 };
  const order = rows.map((_, i) => i).sort((a, b) => compareIds(rows[a], rows[b]) || a - b);
  const adj: number[] = [];
  for (let k = 0; k + 1 < B; k++) adj.push(commonPrefixLength(rows[order[k]], rows[order[k + 1]]));
  const thresholds =
    options.share === false ? [Number.POSITIVE_INFINITY] : [Number.POSITIVE_INFINITY, ...new Set(adj)];
  let best: PrefixPlan | null = null;
  for (const t of thresholds) {
    const groups: PrefixGroup[] = [];
    let start = 0;
    for (let k = 0; k < B; k++) {
      if (k + 1 < B && adj[k] >= t) continue;
      const members = order.slice(start, k + 1);
      groups.push(groupOf(rows, members, adj.slice(start, k), cachedLength));
      start = k + 1;
    }
    let cost = 0;
    let suffix = 0;
    for (const g of groups) {
      if (g.prefix > g.cached) cost += passCost + g.prefix - g.cached;
      for (const r of g.rows) suffix = Math.max(suffix, rows[r].length - g.prefix);
    }
    cost += B * suffix;
    if (!best || cost < best.cost) best = { groups, suffix, cost };
  }
  const plan = best as PrefixPlan;
  for (const g of plan.groups) g.rows.sort((a, b) => a - b);
  plan.groups.sort((a, b) => a.rows[0] - b.rows[0]);
  return plan;
}

function groupOf(
  rows: readonly (readonly number[])[],
  members: number[],
  lcps: number[],
  cachedLength: (ids: readonly number[], limit: number) => number,
): PrefixGroup {
  const minLen = Math.min(...members.map((r) => rows[r].length));
  if (members.length === 1) {
    // alone: only a prefix that is already cached is worth taking
    const cached = cachedLength(rows[members[0]], minLen - 1);
    return { rows: members, prefix: cached, cached };
  }
  const prefix = Math.min(Math.min(...lcps), minLen - 1);
  const cached = prefix > 0 ? Math.min(prefix, cachedLength(rows[members[0]], prefix)) : 0;
  return { rows: members, prefix, cached };
}

/** Element arrays of a KV tensor. */
export type KvData = Float32Array | Uint16Array;

/** A computed prefix: its ids and, per past input (in the decoder's order), K or V of shape (NKV, length, HD). */
export interface PrefixEntry {
  ids: readonly number[];
  kv: KvData[];
  /** Bytes held. */
  bytes: number;
}

/**
 * Recently computed prefixes (least recently used dropped first once `maxBytes` is exceeded). Any
 * leading part of an entry is a valid prefix too: keys and values of position i depend only on
 * tokens 0..i.
 */
export class PrefixKvCache {
  private entries: PrefixEntry[] = [];
  private held = 0;
  /** Lookups that found a prefix, and tokens they saved. */
  hits = 0;
  savedTokens = 0;

  /** `maxBytes`: default 64 MB (Qwen2.5-0.5B: 24.6 KB per token, about 2,700 tokens). */
  constructor(readonly maxBytes = 64 * 2 ** 20) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.length;
  }

  /** The entry sharing the longest prefix with `ids` (at most `limit` tokens), or null. */
  lookup(ids: readonly number[], limit = ids.length): { entry: PrefixEntry; length: number } | null {
    let best: { entry: PrefixEntry; length: number } | null = null;
    for (const e of this.entries) {
      const n = Math.min(commonPrefixLength(e.ids, ids), limit);
      if (n > 0 && (!best || n > best.length)) best = { entry: e, length: n };
    }
    return best;
  }

  /** Length of the longest cached prefix of `ids` (at most `limit`). */
  matchLength(ids: readonly number[], limit = ids.length): number {
    return this.lookup(ids, limit)?.length ?? 0;
  }

  /** Mark an entry as just used. */
  touch(entry: PrefixEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0 && i !== this.entries.length - 1) {
      this.entries.splice(i, 1);
      this.entries.push(entry);
    }
  }

  /** Add a prefix (an entry it extends is dropped: the new one covers it). */
  add(ids: readonly number[], kv: KvData[]): void {
    const bytes = kv.reduce((a, d) => a + d.byteLength, 0);
    if (bytes > this.maxBytes) return;
    this.entries = this.entries.filter((e) => {
      const covered = e.ids.length <= ids.length && commonPrefixLength(e.ids, ids) === e.ids.length;
      if (covered) this.held -= e.bytes;
      return !covered;
    });
    this.entries.push({ ids: ids.slice(), kv, bytes });
    this.held += bytes;
    while (this.held > this.maxBytes && this.entries.length > 1) {
      const old = this.entries.shift() as PrefixEntry;
      this.held -= old.bytes;
    }
  }

  /** Drop everything. */
  clear(): void {
    this.entries = [];
    this.held = 0;
  }
}
