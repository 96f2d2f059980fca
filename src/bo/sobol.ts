/**
 * Scrambled Sobol sequences, deterministic from a seed: Joe-Kuo direction numbers
 * (new-joe-kuo-6.21201, dims 1..40), linear matrix scramble + digital shift (as torch/scipy do),
 * 32-bit resolution, Gray-code ordering. Points lie in [0, 1)^d before mapping to bounds.
 */
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";

/**
 * Joe-Kuo table for dims 2..40: [primitive polynomial with leading and trailing 1 bits, initial m_k].
 * Dimension 1 is the van der Corput sequence (all m_k = 1).
 */
const JOE_KUO: readonly (readonly [number, readonly number[]])[] = [
  [3, [1]],
  [7, [1, 3]],
  [11, [1, 3, 1]],
  [13, [1, 1, 1]],
  [19, [1, 1, 3, 3]],
  [25, [1, 3, 5, 13]],
  [37, [1, 1, 5, 5, 17]],
  [41, [1, 1, 5, 5, 5]],
  [47, [1, 1, 7, 11, 19]],
  [55, [1, 1, 5, 1, 1]],
  [59, [1, 1, 1, 3, 11]],
  [61, [1, 3, 5, 5, 31]],
  [67, [1, 3, 3, 9, 7, 49]],
  [91, [1, 1, 1, 15, 21, 21]],
  [97, [1, 3, 1, 13, 27, 49]],
  [103, [1, 1, 1, 15, 7, 5]],
  [109, [1, 3, 1, 15, 13, 25]],
  [115, [1, 1, 5, 5, 19, 61]],
  [131, [1, 3, 7, 11, 23, 15, 103]],
  [137, [1, 3, 7, 13, 13, 15, 69]],
  [143, [1, 1, 3, 13, 7, 35, 63]],
  [145, [1, 3, 5, 9, 1, 25, 53]],
  [157, [1, 3, 1, 13, 9, 35, 107]],
  [167, [1, 3, 1, 5, 27, 61, 31]],
  [171, [1, 1, 5, 11, 19, 41, 61]],
  [185, [1, 3, 5, 3, 3, 13, 69]],
  [191, [1, 1, 7, 13, 1, 19, 1]],
  [193, [1, 3, 7, 5, 13, 19, 59]],
  [203, [1, 1, 3, 9, 25, 29, 41]],
  [211, [1, 3, 5, 13, 23, 1, 55]],
  [213, [1, 3, 7, 3, 13, 59, 17]],
  [229, [1, 3, 1, 3, 5, 53, 69]],
  [239, [1, 1, 5, 5, 23, 33, 13]],
  [241, [1, 1, 7, 7, 1, 61, 123]],
  [247, [1, 1, 7, 9, 13, 61, 49]],
  [253, [1, 3, 3, 5, 3, 55, 33]],
  [285, [1, 3, 1, 15, 31, 13, 49, 245]],
  [299, [1, 3, 5, 15, 31, 59, 63, 97]],
  [301, [1, 3, 1, 11, 11, 11, 77, 249]],
];

/** Largest supported dimension. */
export const SOBOL_MAX_DIM = JOE_KUO.length + 1;

const BITS = 32;

/** Unscrambled direction numbers v_1..v_32 (32-bit integers, MSB = first binary digit) of dimension `dimIndex` (0-based). */
export function directionNumbers(dimIndex: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dimIndex === 0) {
    for (let k = 0; k < BITS; k++) v[k] = (1 << (BITS - 1 - k)) >>> 0;
    return v;
  }
  const [poly, m] = JOE_KUO[dimIndex - 1];
  const s = m.length;
  for (let k = 0; k < s; k++) v[k] = (m[k] << (BITS - 1 - k)) >>> 0;
  for (let k = s; k < BITS; k++) {
    // v_k = a_1 v_{k-1} ^ ... ^ a_{s-1} v_{k-s+1} ^ v_{k-s} ^ (v_{k-s} >> s)
    let x = (v[k - s] ^ (v[k - s] >>> s)) >>> 0;
    for (let j = 1; j < s; j++) {
      if ((poly >>> (s - j)) & 1) x = (x ^ v[k - j]) >>> 0;
    }
    v[k] = x;
  }
  return v;
}

function parity32(x: number): number {
  let y = x;
  y ^= y >>> 16;
  y ^= y >>> 8;
  y ^= y >>> 4;
  y ^= y >>> 2;
  y ^= y >>> 1;
  return y & 1;
}

function random32(rng: Rng): number {
  return ((rng.int(0, 0xffff) << 16) | rng.int(0, 0xffff)) >>> 0;
}

/** A Sobol sequence generator; `next(n)` continues where the previous call stopped. */
export class Sobol {
  private readonly v: Uint32Array[];
  private readonly state: Uint32Array;
  private index = 0;

  /** `scramble` (default true) applies a seeded linear matrix scramble and digital shift. */
  constructor(
    readonly dim: number,
    options: { seed?: number; scramble?: boolean } = {},
  ) {
    if (!Number.isInteger(dim) || dim < 1 || dim > SOBOL_MAX_DIM) {
      throw new UserError(`Sobol: dimension ${dim} is outside 1..${SOBOL_MAX_DIM}`);
    }
    const scramble = options.scramble ?? true;
    const rng = new Rng(options.seed ?? 0);
    this.v = [];
    this.state = new Uint32Array(dim);
    for (let d = 0; d < dim; d++) {
      const base = directionNumbers(d);
      if (!scramble) {
        this.v.push(base);
        continue;
      }
      // Lower-triangular binary matrix with unit diagonal: digit i (from the MSB) of the new
      // number is the parity of (mask_i & old number); mask_i covers digits 0..i, digit i set.
      const masks = new Uint32Array(BITS);
      for (let i = 0; i < BITS; i++) {
        const digit = (1 << (BITS - 1 - i)) >>> 0;
        const above = i === 0 ? 0 : ~(2 ** (BITS - i) - 1) >>> 0;
        masks[i] = ((random32(rng) & above) | digit) >>> 0;
      }
      const scr = new Uint32Array(BITS);
      for (let k = 0; k < BITS; k++) {
        let out = 0;
        for (let i = 0; i < BITS; i++) {
          if (parity32(base[k] & masks[i])) out |= 1 << (BITS - 1 - i);
        }
        scr[k] = out >>> 0;
      }
      this.v.push(scr);
      this.state[d] = random32(rng);
    }
  }

  /** The next n points, each in [0, 1)^dim. */
  next(n: number): number[][] {
    const out: number[][] = [];
    const scale = 2 ** -BITS;
    for (let p = 0; p < n; p++) {
      if (this.index >= 2 ** BITS) throw new Error("Sobol: sequence exhausted (2^32 points)");
      if (this.index > 0) {
        // Gray code: flip the direction number of the lowest zero bit of index-1.
        let c = 0;
        let i = this.index - 1;
        while (i % 2 === 1) {
          i = (i - 1) / 2;
          c++;
        }
        for (let d = 0; d < this.dim; d++) this.state[d] = (this.state[d] ^ this.v[d][c]) >>> 0;
      }
      const row = new Array<number>(this.dim);
      for (let d = 0; d < this.dim; d++) row[d] = this.state[d] * scale;
      out.push(row);
      this.index++;
    }
    return out;
  }
}

/**
 * The first n points of a scrambled Sobol sequence in [lo, hi]^dim (default [-1, 1], the same
 * box the acquisition search covers), deterministic from `seed`.
 */
export function sobolPoints(
  n: number,
  dim: number,
  seed: number,
  bounds: [number, number] = [-1, 1],
): number[][] {
  const [lo, hi] = bounds;
  if (!(hi > lo)) throw new UserError(`sobolPoints: bounds [${lo}, ${hi}] are empty`);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`sobolPoints: n = ${n} is not a count`);
  const pts = new Sobol(dim, { seed }).next(n);
  for (const row of pts) for (let j = 0; j < dim; j++) row[j] = lo + (hi - lo) * row[j];
  return pts;
}
