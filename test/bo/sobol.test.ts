import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SOBOL_MAX_DIM, Sobol, sobolPoints } from "../../src/bo/sobol.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const oracle: { sobolUnscrambled21: number[][] } = JSON.parse(
  readFileSync(new URL("../fixtures/bo/oracle.json", import.meta.url), "utf8"),
);

/** Squared L2-star discrepancy (Warnock's formula) of points in [0,1)^d. */
function l2StarDiscrepancy(pts: number[][]): number {
  const n = pts.length;
  const d = pts[0].length;
  let a = 0;
  for (const p of pts) a += p.reduce((acc, x) => acc * (1 - x * x), 1);
  let b = 0;
  for (const p of pts) for (const r of pts) b += p.reduce((acc, x, k) => acc * (1 - Math.max(x, r[k])), 1);
  return 3 ** -d - (2 ** (1 - d) / n) * a + b / (n * n);
}

describe("Sobol", () => {
  it("unscrambled points equal scipy's (Joe-Kuo direction numbers), 21 dims", () => {
    const pts = new Sobol(21, { scramble: false }).next(64);
    expect(pts).toEqual(oracle.sobolUnscrambled21);
  });

  it("scrambled: one point per dyadic interval per coordinate for the first 2^m points", () => {
    const d = 21;
    const pts = new Sobol(d, { seed: 7 }).next(512);
    for (let m = 1; m <= 9; m++) {
      const count = 2 ** m;
      for (let k = 0; k < d; k++) {
        const cells = new Set(pts.slice(0, count).map((p) => Math.floor(p[k] * count)));
        expect(cells.size, `m=${m} dim=${k}`).toBe(count);
      }
    }
  });

  it("scrambled points have far lower L2-star discrepancy than uniform random points (d = 2, 5)", () => {
    const n = 256;
    for (const [d, ratio] of [
      [2, 0.1],
      [5, 0.3],
    ]) {
      for (const seed of [1, 2, 3]) {
        const sob = new Sobol(d, { seed }).next(n);
        const rng = new Rng(seed);
        const rnd = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.uniform()));
        expect(l2StarDiscrepancy(sob), `d=${d} seed=${seed}`).toBeLessThan(ratio * l2StarDiscrepancy(rnd));
      }
    }
  });

  it("is deterministic from the seed; seeds differ; next() continues the sequence", () => {
    expect(sobolPoints(32, 10, 5)).toEqual(sobolPoints(32, 10, 5));
    expect(sobolPoints(32, 10, 5)).not.toEqual(sobolPoints(32, 10, 6));
    const s = new Sobol(4, { seed: 9 });
    const first = s.next(10);
    const rest = s.next(6);
    expect([...first, ...rest]).toEqual(new Sobol(4, { seed: 9 }).next(16));
  });

  it("sobolPoints covers the search box [-1,1]^d by default, or the given bounds", () => {
    const pts = sobolPoints(64, 10, 0);
    expect(pts).toHaveLength(64);
    for (const p of pts) for (const x of p) expect(x >= -1 && x < 1).toBe(true);
    // both halves of the box are used on every coordinate
    for (let k = 0; k < 10; k++) expect(pts.filter((p) => p[k] < 0)).toHaveLength(32);
    const box = sobolPoints(8, 3, 0, [2, 5]);
    for (const p of box) for (const x of p) expect(x >= 2 && x < 5).toBe(true);
  });

  it("rejects bad dimensions and bounds with a UserError", () => {
    expect(() => new Sobol(0)).toThrow(UserError);
    expect(() => new Sobol(SOBOL_MAX_DIM + 1)).toThrow(/dimension/);
    expect(() => sobolPoints(4, 2, 0, [1, 1])).toThrow(UserError);
  });
});
