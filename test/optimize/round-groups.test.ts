/** The batch groups of a selection race's round: whole candidates, at most the local batch and concurrency. */
import { describe, expect, it } from "vitest";
import { LOCAL_BATCH_SIZE } from "../../src/generator/batch-limits.js";
import { roundGroupCap, roundGroups } from "../../src/optimizers/phases/round-groups.js";
import type { MethodContext } from "../../src/optimizers/types.js";

const ctx = (target: string, concurrency?: number) =>
  ({ config: { target, ...(concurrency !== undefined ? { concurrency } : {}) } }) as unknown as MethodContext;

describe("round groups", () => {
  it("cut consecutive candidates into groups that fit the cap; a larger one stands alone", () => {
    expect(roundGroups([10, 10, 10, 10, 10], 40)).toEqual([[0, 1, 2, 3], [4]]);
    expect(roundGroups([5, 5, 5], 40)).toEqual([[0, 1, 2]]);
    expect(roundGroups([10, 50, 10], 40)).toEqual([[0], [1], [2]]);
    expect(roundGroups([3, 4, 3], 7)).toEqual([[0, 1], [2]]);
    expect(roundGroups([], 40)).toEqual([]);
    expect(roundGroups([10, 10, 10], Number.POSITIVE_INFINITY)).toEqual([[0, 1, 2]]);
  });

  it("cap: the local batch and the concurrency for a local: black box, none otherwise", () => {
    expect(roundGroupCap(ctx("local:hf:Qwen/Qwen2.5-0.5B-Instruct"))).toBe(LOCAL_BATCH_SIZE);
    expect(roundGroupCap(ctx("local:/models/m", 16))).toBe(16);
    expect(roundGroupCap(ctx("local:/models/m", 100))).toBe(LOCAL_BATCH_SIZE);
    expect(roundGroupCap(ctx("openai:gpt-4o-mini", 8))).toBe(Number.POSITIVE_INFINITY);
  });
});
