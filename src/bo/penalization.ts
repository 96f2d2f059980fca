/**
 * Local penalisation of an acquisition function for batch selection (González, Dai, Hennig,
 * Lawrence, "Batch Bayesian optimization via local penalization", AISTATS 2016), on the
 * standardised scale, maximisation. Distances are measured in lengthscale units,
 * r(x, x') = ||(x - x') / l|| with the GP's ARD lengthscales l, so "close" means close for the GP.
 *
 * If f is L-Lipschitz (in those units) and M is the best value seen, no maximiser of f lies within
 * (M - f(x_j)) / L of a pending point x_j. With f(x_j) ~ N(mu_j, sigma_j^2) under the posterior, the
 * probability that x lies outside that ball is
 *   phi_j(x) = Phi((L r(x, x_j) - M + mu_j) / sigma_j),
 * and the next point maximises log EI(x) + sum_j log phi_j(x). A pending point predicted to be poor
 * (mu_j << M) excludes a wide ball; one predicted to match or beat M only a small one, so the batch
 * can still refine around the incumbent while no two of its points chase the same peak.
 * L is the largest norm of the posterior mean's gradient over a set of sample points (the paper's
 * estimate before its local polish).
 */
import type { GpPosterior } from "./gp.js";
import { logNormCdf } from "./normal.js";

/** Smallest posterior standard deviation used for a pending point. */
const MIN_STD = 1e-6;

/** Sum of log local penalties of the pending points; add it to log EI. */
export class LocalPenalizer {
  /** Lipschitz constant of the posterior mean in lengthscale units (sample estimate). */
  readonly lipschitz: number;
  private readonly invLengthscales: Float64Array;
  private readonly pending: Float64Array[] = [];
  private readonly means: number[] = [];
  private readonly stds: number[] = [];

  /**
   * @param posterior the GP posterior (its mean and variance, on the standardised scale)
   * @param best M, the best value seen (standardised)
   * @param samples points (m x d, row-major) where the mean's gradient is measured to estimate L
   */
  constructor(
    private readonly posterior: GpPosterior,
    readonly best: number,
    samples: Float64Array,
    m: number,
  ) {
    const d = posterior.d;
    const ls = posterior.hyper.lengthscales;
    this.invLengthscales = Float64Array.from(ls, (l) => 1 / l);
    const g = posterior.meanGradients(samples, m);
    let lip = 0;
    for (let a = 0; a < m; a++) {
      let s2 = 0;
      for (let j = 0; j < d; j++) s2 += (g[a * d + j] * ls[j]) ** 2;
      lip = Math.max(lip, Math.sqrt(s2));
    }
    this.lipschitz = lip;
  }

  /** Number of pending points. */
  get size(): number {
    return this.pending.length;
  }

  /** Add a pending point x (length d). */
  add(x: readonly number[]): void {
    const p = this.posterior.predict(Float64Array.from(x), 1);
    this.pending.push(Float64Array.from(x));
    this.means.push(p.mean[0]);
    this.stds.push(Math.sqrt(Math.max(p.variance[0], MIN_STD * MIN_STD)));
  }

  /** sum_j log phi_j at m points X (m x d, row-major): 0 with no pending point, always <= 0. */
  logPenalty(X: Float64Array, m: number): Float64Array {
    const d = this.posterior.d;
    const out = new Float64Array(m);
    const inv = this.invLengthscales;
    for (let a = 0; a < m; a++) {
      const ra = a * d;
      let s = 0;
      for (let k = 0; k < this.pending.length; k++) {
        const p = this.pending[k];
        let r2 = 0;
        for (let j = 0; j < d; j++) {
          const t = (X[ra + j] - p[j]) * inv[j];
          r2 += t * t;
        }
        s += logNormCdf((this.lipschitz * Math.sqrt(r2) - this.best + this.means[k]) / this.stds[k]);
      }
      out[a] = s;
    }
    return out;
  }
}
