import { describe, expect, it } from "vitest";
import { propose, selectNovel, sobolPoints } from "../../src/bo/index.js";

describe("selectNovel (instruction-level de-duplication)", () => {
  it("keeps the first q candidates with a new key, in order, skipping seen and in-batch repeats", () => {
    const keys = ["a", "b", "a", "c", "d", "b", "e", "f"];
    const s = selectNovel(keys, 3, ["c"]);
    expect(s).toEqual({ indices: [0, 1, 4], novel: 3 });
  });

  it("fills up with the remaining candidates in order when fewer than q keys are new", () => {
    const keys = ["x", "y", "x", "z", "y"];
    expect(selectNovel(keys, 4, ["z"])).toEqual({ indices: [0, 1, 2, 3], novel: 2 });
    expect(selectNovel(keys, 4, ["z"], false)).toEqual({ indices: [0, 1], novel: 2 });
    expect(selectNovel(keys, 10)).toEqual({ indices: [0, 1, 3, 2, 4], novel: 3 });
    expect(selectNovel([], 3)).toEqual({ indices: [], novel: 0 });
    expect(() => selectNovel(keys, -1)).toThrow(RangeError);
  });

  it("turns an over-proposed reference batch into points with distinct, unseen 'instructions'", () => {
    // 'instruction' of a soft prompt: its cell in a coarse 3^4 grid of [-1,1]^4 (many prompts, one instruction)
    const cell = (z: number[]) => z.map((v) => Math.min(2, Math.floor((v + 1) * 1.5))).join("");
    const points = sobolPoints(12, 4, 3);
    const values = points.map((z) => -z.reduce((s, v, i) => s + (v - 0.2 * i) ** 2, 0));
    const q = 4;
    const cand = propose({ points, values }, 3 * q, { seed: 5, batchMode: "reference" });
    const keys = cand.points.map(cell);
    const seen = points.map(cell);
    const s = selectNovel(keys, q, seen, false);
    const chosen = s.indices.map((i) => keys[i]);
    expect(new Set(chosen).size).toBe(chosen.length);
    for (const k of chosen) expect(seen).not.toContain(k);
    const unseen = new Set(keys.filter((k) => !seen.includes(k)));
    expect(s.novel).toBe(Math.min(q, unseen.size));
    // candidates come best EI first: the chosen ones keep that order
    expect(s.indices).toEqual([...s.indices].sort((a, b) => a - b));
    // the plain reference batch of q points covers fewer new instructions than the selection
    const plainNew = new Set(keys.slice(0, q).filter((k) => !seen.includes(k))).size;
    expect(s.novel).toBeGreaterThan(plainNew);
  });
});
