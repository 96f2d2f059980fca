import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { greedyBatch, type RowRequest } from "../../src/generator/batch-decode.js";
import {
  type BatchCompletionRequest,
  type LocalModel,
  openLocalModel,
  type TextCompletion,
} from "../../src/generator/local-model.js";
import { PrefixKvCache, type PrefixPlan } from "../../src/generator/prefix-cache.js";
import { INPUTS, queries, testModel } from "./helpers.js";

const INSTRUCTIONS = [
  "reverse the word and say it loudly please",
  "give the opposite",
  "translate into French",
];

/** Mixed requests: 3 instructions in turn, different inputs and token limits, EOS honoured or not. */
function mixedRequests(n: number): BatchCompletionRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: queries([INSTRUCTIONS[i % 3]], [INPUTS[i % INPUTS.length]])[0],
    maxNewTokens: 2 + ((i * 5) % 17),
    ignoreEos: i % 2 === 0,
  }));
}

for (const preset of ["micro", "tiny"] as const) {
  describe(`batched greedy decoding, ${preset} fp32`, () => {
    let model: LocalModel;
    beforeAll(async () => {
      model = await openLocalModel(testModel({ preset, seed: 5 }));
    });
    afterAll(async () => {
      await model.close();
    });

    it("gives the tokens of one-at-a-time decoding (mixed prompts, lengths, limits, stop strings)", async () => {
      const reqs = mixedRequests(12);
      const seq: TextCompletion[] = [];
      for (const r of reqs) seq.push(await model.complete(r.prompt, r));
      // stop strings taken from the answers themselves, so that they do cut
      reqs.forEach((r, i) => {
        if (i % 3 === 1 && seq[i].text.length > 3) r.stop = [seq[i].text.slice(2, 4)];
      });
      const want: TextCompletion[] = [];
      for (const r of reqs) want.push(await model.complete(r.prompt, r));
      expect(want.some((w, i) => w.newTokens < seq[i].newTokens)).toBe(true); // some stops fired
      const plans: PrefixPlan[] = [];
      const done: number[] = [];
      const got = await model.completeBatch(reqs, {
        prefixCache: new PrefixKvCache(),
        onPlan: (p) => plans.push(p),
        onDone: (i) => done.push(i),
      });
      expect(got.map((g) => [g.text, g.newTokens, g.promptTokens])).toEqual(
        want.map((w) => [w.text, w.newTokens, w.promptTokens]),
      );
      // the three instructions form three groups with a shared prefix
      expect(plans[0].groups).toHaveLength(3);
      for (const g of plans[0].groups) expect(g.prefix).toBeGreaterThan(20);
      // rows are reported as they end: shorter limits first
      expect(done).toHaveLength(12);
      expect(done).not.toEqual([...done].sort((a, b) => a - b));
    });

    it("prefix reuse (within a batch and from the cache) gives what no reuse gives", async () => {
      const reqs = mixedRequests(10);
      const none = await model.completeBatch(reqs, { sharePrefix: false });
      const cache = new PrefixKvCache();
      const shared = await model.completeBatch(reqs, { prefixCache: cache });
      expect(cache.size).toBeGreaterThan(0);
      const hitsBefore = cache.hits;
      // the same prompts again: the prefixes come from the cache (batches of 4, then a single row)
      const again = [
        ...(await model.completeBatch(reqs.slice(0, 4), { prefixCache: cache })),
        ...(await model.completeBatch(reqs.slice(4, 9), { prefixCache: cache })),
        ...(await model.completeBatch(reqs.slice(9), { prefixCache: cache })),
      ];
      expect(cache.hits).toBeGreaterThan(hitsBefore);
      expect(shared.map((c) => c.text)).toEqual(none.map((c) => c.text));
      expect(again.map((c) => c.text)).toEqual(none.map((c) => c.text));
    });

    it("a row cancelled before its first token ends with no text; the others answer as alone", async () => {
      const reqs = mixedRequests(3);
      const alone = await model.complete(reqs[1].prompt, reqs[1]);
      const got = await model.completeBatch([
        { ...reqs[0], cancelled: () => true },
        reqs[1],
        { ...reqs[2], cancelled: () => true },
      ]);
      expect(got.map((g) => [g.end, g.text, g.newTokens])).toEqual([
        ["cancelled", "", 0],
        [got[1].end, alone.text, alone.newTokens],
        ["cancelled", "", 0],
      ]);
      expect(got[1].end).not.toBe("cancelled");
    });

    it("ends rows at EOS, at their stop test and at cancellation, each at its own step", async () => {
      const dec = model.decoder;
      const prompts = queries(["say it"], INPUTS.slice(0, 4)).map((p) => model.chatIds(p));
      const free: number[][] = [];
      for (const ids of prompts)
        free.push(
          (await dec.greedy(await dec.embed(ids), 1, ids.length, { maxNewTokens: 10, eosIds: new Set() }))[0],
        );
      let calls = 0;
      const rows: RowRequest[] = [
        { ids: prompts[0], maxNewTokens: 10, eosIds: new Set([free[0][3]]) }, // EOS at its 4th token (or earlier)
        { ids: prompts[1], maxNewTokens: 10, eosIds: new Set(), shouldStop: (o) => o.length === 2 },
        { ids: prompts[2], maxNewTokens: 10, eosIds: new Set(), cancelled: () => ++calls > 3 },
        { ids: prompts[3], maxNewTokens: 7, eosIds: new Set() },
      ];
      const got = await greedyBatch(dec, rows, { prefixCache: new PrefixKvCache() });
      const eosAt = free[0].indexOf(free[0][3]);
      expect(got[0]).toEqual({ ids: free[0].slice(0, eosAt), end: "eos" });
      expect(got[1]).toEqual({ ids: free[1].slice(0, 2), end: "stop" });
      expect(got[2].end).toBe("cancelled");
      expect(got[3]).toEqual({ ids: free[3].slice(0, 7), end: "length" });
      // a row cancelled before its batch starts is never decoded
      const skipped = await greedyBatch(dec, [{ ...rows[3], cancelled: () => true }, rows[3]]);
      expect(skipped[0]).toEqual({ ids: [], end: "cancelled" });
      expect(skipped[1].ids).toEqual(free[3].slice(0, 7));
    });
  });
}

describe("batched greedy decoding, q8 (dynamically quantised activations)", () => {
  let model: LocalModel;
  beforeAll(async () => {
    model = await openLocalModel(testModel({ preset: "tiny", seed: 5, linears: "q8" }), { dtype: "q8" });
  });
  afterAll(async () => {
    await model.close();
  });

  it("a batch of one row is one-at-a-time decoding exactly; larger batches are measured", async () => {
    const reqs = mixedRequests(12).map((r) => ({ ...r, ignoreEos: true }));
    const seq: TextCompletion[] = [];
    for (const r of reqs) seq.push(await model.complete(r.prompt, r));
    for (const [i, r] of reqs.entries()) {
      const [one] = await model.completeBatch([r], { prefixCache: new PrefixKvCache() });
      expect(one.text).toBe(seq[i].text);
    }
    const batched = await model.completeBatch(reqs, { prefixCache: new PrefixKvCache() });
    const unshared = await model.completeBatch(reqs, { sharePrefix: false });
    const same = (xs: { text: string }[]) => xs.filter((x, i) => x.text === seq[i].text).length;
    // per-tensor activation scales depend on what else is in the pass: no identity is promised
    console.log(
      `q8 tiny: answers equal to one-at-a-time: batched with prefix reuse ${same(batched)}/12, ` +
        `batched without ${same(unshared)}/12`,
    );
    expect(batched.every((b, i) => b.newTokens === reqs[i].maxNewTokens)).toBe(true);
  });

  it("a batch of identical rows (same activation scales) is one-at-a-time decoding", async () => {
    for (const r of mixedRequests(3)) {
      const one = await model.complete(r.prompt, r);
      const many = await model.completeBatch(Array(6).fill(r), { sharePrefix: false });
      expect(many.map((m) => m.text)).toEqual(Array(6).fill(one.text));
    }
  });
});
