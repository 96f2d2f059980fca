import { describe, expect, it } from "vitest";
import { bestIndex } from "../../src/optimizers/score-candidate.js";
import { compareScore, rankFresh, selectWinner, topDistinct } from "../../src/optimizers/select.js";
import type { EvaluationRecord } from "../../src/store/types.js";
import { Rng } from "../../src/util/rng.js";

describe("selectWinner, rule fresh", () => {
  it("picks the highest selection score, whatever the validation scores", () => {
    const r = selectWinner(
      [
        { index: 3, validationScore: 0.9, selectionScore: 0.6 },
        { index: 7, validationScore: 0.8, selectionScore: 0.72 },
        { index: 9, validationScore: 0.85, selectionScore: 0.7 },
      ],
      "fresh",
    );
    expect(r.index).toBe(7);
    expect(r.reason).toBe("highest selection score 0.720 among 3 candidates");
  });

  it("uses the mean of selectionScores when selectionScore is absent (and prefers selectionScore)", () => {
    const r = selectWinner(
      [
        { index: 1, validationScore: 0.9, selectionScores: [1, 0, 0, 1] },
        { index: 2, validationScore: 0.8, selectionScores: [1, 1, 0, 1] },
        { index: 5, validationScore: 0.7, selectionScore: 0.7, selectionScores: [0, 0, 0, 0] },
      ],
      "fresh",
    );
    expect(r.index).toBe(2);
    expect(r.reason).toContain("0.750 on 4 fresh examples");
  });

  it("breaks selection ties by the higher validation score, then by the earliest index", () => {
    const byVal = selectWinner(
      [
        { index: 4, validationScore: 0.8, selectionScore: 0.7 },
        { index: 6, validationScore: 0.85, selectionScore: 0.7 },
        { index: 2, validationScore: 0.9, selectionScore: 0.5 },
      ],
      "fresh",
    );
    expect(byVal.index).toBe(6);
    expect(byVal.reason).toContain("tied on selection with #4, broken by the higher validation score 0.850");

    const byIndex = selectWinner(
      [
        { index: 8, validationScore: 0.8, selectionScore: 0.7 },
        { index: 5, validationScore: 0.8, selectionScore: 0.7 },
        { index: 6, validationScore: 0.75, selectionScore: 0.7 },
      ],
      "fresh",
    );
    expect(byIndex.index).toBe(5);
    expect(byIndex.reason).toContain("and on validation with #8: earliest candidate kept");
  });

  it("treats scores equal up to summation order as ties", () => {
    // 0.1 + 0.2 + 0.3 !== 0.3 + 0.2 + 0.1 in floating point.
    const r = selectWinner(
      [
        { index: 2, validationScore: 0.5, selectionScores: [0.1, 0.2, 0.3] },
        { index: 1, validationScore: 0.5, selectionScores: [0.3, 0.2, 0.1] },
      ],
      "fresh",
    );
    expect(r.index).toBe(1);
    expect(compareScore(0.1 + 0.2, 0.3)).toBe(0);
    expect(compareScore(0.3, 0.29)).toBe(1);
  });

  it("does not depend on the order of the candidates", () => {
    const rng = new Rng(1);
    const cands = Array.from({ length: 12 }, (_, i) => ({
      index: i * 3,
      validationScore: rng.int(0, 4) / 4,
      selectionScore: rng.int(0, 3) / 3,
    }));
    const want = selectWinner(cands, "fresh").index;
    const wantVal = selectWinner(cands, "validation").index;
    for (let t = 0; t < 20; t++) {
      const shuffled = rng.shuffled(cands);
      expect(selectWinner(shuffled, "fresh").index).toBe(want);
      expect(selectWinner(shuffled, "validation").index).toBe(wantVal);
    }
  });

  it("refuses candidates without a selection score, empty lists and non-finite scores", () => {
    expect(() => selectWinner([{ index: 0, validationScore: 1 }], "fresh")).toThrow(
      /#0 has no selection score/,
    );
    expect(() => selectWinner([{ index: 0, validationScore: 1, selectionScores: [] }], "fresh")).toThrow(
      RangeError,
    );
    expect(() => selectWinner([], "fresh")).toThrow(RangeError);
    expect(() => selectWinner([{ index: 0, validationScore: Number.NaN }], "validation")).toThrow(RangeError);
    expect(() =>
      selectWinner([{ index: 0, validationScore: 1, selectionScore: Number.NaN }], "fresh"),
    ).toThrow(RangeError);
  });
});

describe("selectWinner, rule validation", () => {
  it("picks the highest validation score, earliest index on ties, and ignores selection scores", () => {
    const r = selectWinner(
      [
        { index: 9, validationScore: 0.9, selectionScore: 0.1 },
        { index: 4, validationScore: 0.9, selectionScore: 0.2 },
        { index: 2, validationScore: 0.85, selectionScore: 1 },
      ],
      "validation",
    );
    expect(r.index).toBe(4);
    expect(r.reason).toBe("highest validation score 0.900; tied with #9, earliest candidate kept");
    expect(selectWinner([{ index: 3, validationScore: 0.4 }], "validation")).toEqual({
      index: 3,
      reason: "highest validation score 0.400",
    });
  });

  it("agrees with bestIndex (today's rule) on run records", () => {
    const rng = new Rng(2);
    for (let t = 0; t < 50; t++) {
      const scores = Array.from({ length: 30 }, () => rng.int(0, 20) / 20);
      const records = scores.map((score, index) => ({ index, score }) as unknown as EvaluationRecord);
      const r = selectWinner(
        scores.map((validationScore, index) => ({ index, validationScore })),
        "validation",
      );
      expect(r.index).toBe(records[bestIndex(records)].index);
    }
  });
});

describe("topDistinct", () => {
  const records = [
    { index: 0, instruction: "A", score: 0.5 },
    { index: 1, instruction: "B", score: 0.8 },
    { index: 2, instruction: "C", score: 0.8 },
    { index: 3, instruction: "B", score: 0.8 }, // a reused duplicate of B
    { index: 4, instruction: "D", score: 0.9 },
    { index: 5, instruction: "E", score: 0.7 },
    { index: 6, instruction: "F", score: 0.8 },
  ];

  it("returns the top k distinct instructions by validation score, ties by earliest index", () => {
    expect(topDistinct(records, 3)).toEqual([4, 1, 2]);
    expect(topDistinct(records, 5)).toEqual([4, 1, 2, 6, 5]);
    expect(topDistinct(records, 1)).toEqual([4]);
  });

  it("returns every distinct instruction when k is larger, and [] for k <= 0 or no records", () => {
    expect(topDistinct(records, 100)).toEqual([4, 1, 2, 6, 5, 0]);
    expect(topDistinct(records, 0)).toEqual([]);
    expect(topDistinct([], 5)).toEqual([]);
  });

  it("represents a repeated instruction by its best record, then its earliest", () => {
    expect(
      topDistinct(
        [
          { index: 0, instruction: "X", score: 0.4 },
          { index: 1, instruction: "Y", score: 0.6 },
          { index: 2, instruction: "X", score: 0.7 },
          { index: 3, instruction: "X", score: 0.7 },
        ],
        2,
      ),
    ).toEqual([2, 1]);
  });

  it("is independent of the records' order, and its first pick is the validation rule's winner", () => {
    const rng = new Rng(3);
    const recs = Array.from({ length: 40 }, (_, index) => ({
      index,
      instruction: `i${rng.int(0, 15)}`,
      score: rng.int(0, 10) / 10,
    }));
    const want = topDistinct(recs, 5);
    expect(new Set(want.map((i) => recs[i].instruction)).size).toBe(want.length);
    for (let t = 0; t < 10; t++) expect(topDistinct(rng.shuffled(recs), 5)).toEqual(want);
    const v = selectWinner(
      recs.map((r) => ({ index: r.index, validationScore: r.score })),
      "validation",
    );
    expect(want[0]).toBe(v.index);
  });

  it("rejects non-finite scores", () => {
    expect(() => topDistinct([{ index: 0, instruction: "A", score: Number.NaN }], 1)).toThrow(RangeError);
  });
});

describe("the validation rule's tie rule", () => {
  const cs = [
    { index: 0, validationScore: 0.9 },
    { index: 3, validationScore: 0.95 },
    { index: 5, validationScore: 0.8 },
    { index: 7, validationScore: 0.95 },
  ];
  it("keeps the earliest of the tied best by default and the latest as the reference's >=", () => {
    expect(selectWinner(cs, "validation").index).toBe(3);
    expect(selectWinner(cs, "validation", "earliest").reason).toMatch(/earliest candidate kept/);
    const latest = selectWinner(cs, "validation", "latest");
    expect(latest.index).toBe(7);
    expect(latest.reason).toMatch(/tied with #3, latest candidate kept/);
  });
});

describe("ranking on prefixes of the selection split", () => {
  it("ranks by the mean on what each was scored on, ties by validation then the earlier", () => {
    const ranked = rankFresh([
      { index: 4, validationScore: 0.8, selectionScores: [1, 1, 0, 1] },
      { index: 2, validationScore: 0.9, selectionScores: [1, 0, 1, 1] },
      { index: 1, validationScore: 0.9, selectionScores: [1, 1, 1, 0] },
      { index: 9, validationScore: 0.7, selectionScores: [1, 1, 1, 1] },
    ]);
    expect(ranked.map((c) => c.index)).toEqual([9, 1, 2, 4]);
  });
});
