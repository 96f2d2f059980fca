/** The similarity map's projection against exact answers, and its SVG (one dot per instruction, escaped). */
import { describe, expect, it } from "vitest";
import {
  principalCoordinates,
  renderSimilarityMap,
  similarityVectors,
} from "../../src/report/charts/similarity.js";

describe("principalCoordinates", () => {
  it("finds the axes of a rotated rectangle of points (up to sign)", () => {
    // points (a, b) with a spread 3x wider than b, rotated by 30 degrees and shifted
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const ab: [number, number][] = [];
    for (const a of [-3, -1, 1, 3]) for (const b of [-1, 1]) ab.push([a, b]);
    const x = ab.map(([a, b]) => [5 + a * c - b * s, -2 + a * s + b * c, 7]);
    const pc = principalCoordinates(x, 2);
    const sign0 = Math.sign(pc[0][0] / ab[0][0]);
    const sign1 = Math.sign(pc[0][1] / ab[0][1]);
    ab.forEach(([a, b], i) => {
      expect(pc[i][0] * sign0).toBeCloseTo(a, 6);
      expect(pc[i][1] * sign1).toBeCloseTo(b, 6);
    });
  });

  it("is deterministic and handles one point or identical points", () => {
    const x = [
      [1, 2],
      [1, 2],
    ];
    expect(principalCoordinates(x)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(principalCoordinates([[4, 5, 6]])).toEqual([[0, 0]]);
  });
});

describe("renderSimilarityMap", () => {
  it("uses the soft prompts when every instruction has one, else their text", () => {
    const withZ = similarityVectors([
      { instruction: "a", score: 1, index: 0, z: [1, 2] },
      { instruction: "b", score: 0, index: 1, z: [3, 4] },
    ]);
    expect(withZ).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const text = similarityVectors([
      { instruction: "reverse the word", score: 1, index: 0, z: [1, 2] },
      { instruction: "reverse the word", score: 1, index: 1, z: null },
    ]);
    expect(text[0]).toEqual(text[1]);
    expect(Math.hypot(...text[0])).toBeCloseTo(1, 12);
  });

  it("draws one dot per instruction with its escaped text, the winner ringed", () => {
    const svg = renderSimilarityMap([
      { instruction: "<script>x()</script>", score: 0.5, index: 0, z: [0, 0] },
      { instruction: "b", score: 1, index: 3, z: [1, 0], chosen: true },
      { instruction: "c", score: 0, index: 5, z: [0, 1] },
    ]);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;x()&lt;/script&gt;");
    expect(svg).toMatch(/class="sim-point h10 chosen" data-index="3"/);
    expect(renderSimilarityMap([])).toContain("no evaluations yet");
  });
});
