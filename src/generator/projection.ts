/**
 * The fixed random projection A of InstructZero: a soft prompt z in R^d becomes n_tokens embedding
 * vectors, soft = z A reshaped to (n_tokens, hidden), with A of shape (d, n_tokens * hidden).
 *
 * - "uniform": A_ij ~ U[-1, 1] (the reference's default, torch.nn.init.uniform_(-1, 1)).
 * - "normal":  A_ij ~ N(0, sigma^2), sigma = std(E) / sqrt(d), with std(E) the standard deviation of
 *   the generator's embedding table (what the reference's broken option meant to compute), so
 *   that z with unit-size entries gives soft tokens on the scale of real token embeddings.
 * Pure numeric code; draws come from the given seed only.
 */
import { Rng } from "../util/rng.js";

/** Projection kind. */
export type ProjectionKind = "uniform" | "normal";

/** A projection matrix, row-major (dim, out). */
export interface Projection {
  dim: number;
  out: number;
  data: Float32Array;
}

/**
 * Draw A of shape (dim, out). `embStd` is required for "normal".
 * Same (kind, dim, out, seed, embStd) -> same matrix, bit for bit.
 */
export function makeProjection(
  kind: ProjectionKind,
  dim: number,
  out: number,
  seed: number,
  embStd?: number,
): Projection {
  const rng = new Rng(seed);
  const data = new Float32Array(dim * out);
  if (kind === "uniform") {
    for (let i = 0; i < data.length; i++) data[i] = 2 * rng.uniform() - 1;
  } else {
    if (embStd === undefined || !(embStd > 0)) throw new Error("normal projection needs a positive embStd");
    const sigma = embStd / Math.sqrt(dim);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * sigma;
  }
  return { dim, out, data };
}

/** soft = z A: (dim) x (dim, out) -> (out). */
export function project(A: Projection, z: readonly number[]): Float32Array {
  if (z.length !== A.dim) throw new Error(`soft prompt has ${z.length} numbers, expected ${A.dim}`);
  const out = new Float32Array(A.out);
  for (let i = 0; i < A.dim; i++) {
    const zi = z[i];
    if (zi === 0) continue;
    const row = A.data.subarray(i * A.out, (i + 1) * A.out);
    for (let j = 0; j < A.out; j++) out[j] += zi * row[j];
  }
  return out;
}

/** Streaming population mean and std (sums in float64). */
export class MeanStd {
  private n = 0;
  private s = 0;
  private ss = 0;

  /** Add every value of a chunk. */
  add(chunk: ArrayLike<number>): void {
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i];
      this.s += v;
      this.ss += v * v;
    }
    this.n += chunk.length;
  }

  get mean(): number {
    return this.s / this.n;
  }

  get std(): number {
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.ss / this.n - m * m));
  }
}
