/**
 * Pairs of candidates scored as one batch group on a local: black box (pair-groups.ts): which
 * candidates share a group depends only on the instructions, never on timing.
 */
import { describe, expect, it } from "vitest";
import { pairGroups, scoresInPairs } from "../../src/optimizers/soft-prompt/pair-groups.js";
import type { Pick } from "../../src/optimizers/soft-prompt/pick.js";
import type { MethodContext } from "../../src/optimizers/types.js";
import type { EvaluationRecord } from "../../src/store/types.js";

const validation = Array.from({ length: 20 }, (_, i) => ({ input: `x${i}`, answers: [`y${i}`] }));
function ctx(config: Record<string, unknown> = {}): MethodContext {
  return {
    runId: "run-1",
    config: { target: "local:./model", racing: false, intrinsicDim: 10, ...config },
    splits: { validation },
  } as unknown as MethodContext;
}
const picks = (texts: string[]): Promise<Pick>[] =>
  texts.map((text, i) => Promise.resolve({ z: [i], text, generationMs: 0 }));

describe("pair groups", () => {
  it("pairs candidates 2p and 2p+1 when both send queries; the rest get groups of their own", async () => {
    const seen = { instruction: "scored before", reused: false } as unknown as EvaluationRecord;
    const texts = ["a", "b", "c", "a", "scored before", "d", "e", "f", "", "g", "h"];
    const groupOf = pairGroups(ctx(), 3, 0, picks(texts), [seen]);
    const gs = await Promise.all(texts.map((_, j) => groupOf(j)));
    expect(gs[0]).toEqual({ id: "run-1:batch-3:pair-0", size: 40, offset: 0 });
    expect(gs[1]).toEqual({ id: "run-1:batch-3:pair-0", size: 40, offset: 20 });
    // 3 is a twin of 0 (reuses its scores): 2 alone; 4 was scored in an earlier batch: 5 alone
    expect(gs.slice(2, 6)).toEqual([undefined, undefined, undefined, undefined]);
    expect(gs[6]).toEqual({ id: "run-1:batch-3:pair-3", size: 40, offset: 0 });
    expect(gs[7]?.offset).toBe(20);
    // 8 is empty (scored 0 without a call): 9 alone; 10 has no partner
    expect([gs[8], gs[9], gs[10]]).toEqual([undefined, undefined, undefined]);
  });

  it("resumed at an odd index, the first candidate's partner is done: it is alone", async () => {
    const texts = ["a", "b", "c", "d"];
    const groupOf = pairGroups(ctx(), 0, 1, picks(texts), []);
    expect(await groupOf(1)).toBeUndefined();
    expect(await groupOf(2)).toEqual({ id: "run-1:batch-0:pair-1", size: 40, offset: 0 });
    expect(await groupOf(3)).toEqual({ id: "run-1:batch-0:pair-1", size: 40, offset: 20 });
  });

  it("only for a local: black box without racing whose batch and concurrency hold two candidates", () => {
    expect(scoresInPairs(ctx())).toBe(true);
    expect(scoresInPairs(ctx({ target: "openai:gpt-4o-mini" }))).toBe(false);
    expect(scoresInPairs(ctx({ racing: true }))).toBe(false);
    expect(scoresInPairs(ctx({ concurrency: 20 }))).toBe(false);
    const big = { ...ctx(), splits: { validation: [...validation, ...validation] } } as MethodContext;
    expect(scoresInPairs(big)).toBe(false);
  });
});
