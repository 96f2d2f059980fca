import { describe, expect, it } from "vitest";
import { commonPrefixLength, PrefixKvCache, planPrefixGroups } from "../../src/generator/prefix-cache.js";

const seq = (...parts: number[][]) => parts.flat();
const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);

describe("prefix groups", () => {
  it("groups rows by their long common prefix and leaves every row at least one token", () => {
    const A = range(100, 40);
    const B = range(500, 40);
    const rows = [seq(A, [1, 2]), seq(B, [3]), seq(A, [4, 5, 6]), seq(B, [7, 8]), seq(A, [9])];
    const plan = planPrefixGroups(rows);
    expect(plan.groups.map((g) => g.rows)).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(plan.groups.map((g) => g.prefix)).toEqual([40, 40]);
    expect(plan.suffix).toBe(3);
    // identical rows: the prefix stops one short of the end
    const same = planPrefixGroups([A, A.slice(), A.slice()]);
    expect(same.groups).toHaveLength(1);
    expect(same.groups[0].prefix).toBe(39);
    expect(same.suffix).toBe(1);
  });

  it("does not split for a short shared prefix, and keeps singletons without a prefix pass", () => {
    const rows = [seq([1, 2], range(10, 30)), seq([1, 2], range(50, 30)), seq([9], range(70, 5))];
    const plan = planPrefixGroups(rows, { passCost: 16 });
    // a 2-token prefix pass is not worth its cost: no group has a computed prefix
    expect(plan.groups.every((g) => g.prefix === 0)).toBe(true);
    expect(plan.suffix).toBe(32);
    expect(planPrefixGroups(rows, { share: false }).groups).toHaveLength(3);
  });

  it("uses cached prefixes, also for a row alone", () => {
    const A = range(100, 40);
    const cache = new PrefixKvCache();
    cache.add(A.slice(0, 30), [new Float32Array(30)]);
    expect(cache.matchLength(seq(A, [1]))).toBe(30);
    const plan = planPrefixGroups([seq(A, [1])], { cachedLength: (ids, n) => cache.matchLength(ids, n) });
    expect(plan.groups[0]).toMatchObject({ prefix: 30, cached: 30 });
    // an entry that extends an older one replaces it; LRU eviction by bytes
    cache.add(A, [new Float32Array(40)]);
    expect(cache.size).toBe(1);
    const small = new PrefixKvCache(300);
    small.add([1, 2], [new Float32Array(40)]);
    small.add([3, 4], [new Float32Array(40)]);
    expect(small.size).toBe(1);
    expect(small.matchLength([3, 4, 5])).toBe(2);
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
  });
});
