/**
 * costOf: a candidate's dollars per 1,000 queries count every answer at the target's prices (a cached
 * answer at what it cost when it was paid), so the figure does not depend on what the cache held (e.g.
 * after a resume); latency counts paid calls only.
 */
import { describe, expect, it } from "vitest";
import { costOf, type ExampleResult } from "../../src/evaluation/evaluate.js";

function result(costUsd: number, ms: number, cached = false, listUsd?: number): ExampleResult {
  return {
    input: "x",
    answers: ["y"],
    prompt: "p",
    output: "y",
    score: 1,
    cached,
    ...(listUsd !== undefined ? { listUsd } : {}),
    ms,
    inputTokens: 10,
    outputTokens: 2,
    costUsd,
  };
}

describe("costOf", () => {
  it("prices paid answers at what was paid and cached ones at their listed price", () => {
    const paid = [result(0.002, 30), result(0.004, 50)];
    expect(costOf(paid)).toEqual({ usdPer1k: 3, latencyMs: 40 });
    // the same answers served from the cache on a resume: the same cost per 1,000 queries, no latency
    const cached = [result(0, 1, true, 0.002), result(0, 1, true, 0.004)];
    expect(costOf(cached)).toEqual({ usdPer1k: 3 });
    // a mix: every answer counts for the cost, the paid one alone for the latency
    expect(costOf([result(0.002, 30), result(0, 1, true, 0.004)])).toEqual({ usdPer1k: 3, latencyMs: 30 });
  });

  it("leaves out cached answers without a price, and says nothing when no result gives a figure", () => {
    expect(costOf([result(0.002, 30), result(0, 1, true)])).toEqual({ usdPer1k: 2, latencyMs: 30 });
    expect(costOf([result(0, 1, true)])).toEqual({});
    expect(costOf([])).toEqual({});
  });
});
