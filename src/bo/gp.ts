/**
 * Exact GP regression (BoTorch's SingleTaskGP shape): constant mean c, Gaussian noise sigma^2,
 * covariance s * k with k either Matern-5/2 ARD or the instruction-coupled kernel.
 * Posterior of the latent f (no observation noise) at many points at once.
 */
import { COUPLED_KERNEL_JITTER, coupledPieces, matern52, symmetrise } from "./kernels.js";
import { cholesky, choleskyInverse, choleskySolve, matmul, matvec } from "./linalg.js";

const SQRT5 = Math.sqrt(5);

/** Kernel family: plain Matern-5/2 over points, or InstructZero's instruction-coupled kernel. */
export type KernelKind = "matern" | "coupled";

/**
 * GP hyperparameters in natural units; JSON-serialisable so a run ledger can store them and a
 * resumed run warm-starts from exactly the same values.
 */
export interface GpHyperparameters {
  kernel: KernelKind;
  /** ARD lengthscales of the Matern kernel over points (length d). */
  lengthscales: number[];
  /** Coupled kernel only: ARD lengthscales of the Matern kernel over score vectors (length D). */
  scoreLengthscales?: number[];
  /** Scale kernel multiplier s. */
  outputscale: number;
  /** Observation noise variance sigma^2 (>= 1e-4). */
  noise: number;
  /** Constant mean c. */
  mean: number;
}

/** Training set: X (n x d, row-major), targets y (n), and for the coupled kernel scores (n x D). */
export interface GpTrainingData {
  X: Float64Array;
  y: Float64Array;
  n: number;
  d: number;
  scores?: Float64Array;
  D?: number;
  /**
   * Per-observation noise multipliers (length n, default all 1): observation i has noise variance
   * sigma^2 noiseScale[i] (a partially scored candidate: D / examples seen, see partial.ts).
   */
  noiseScale?: Float64Array;
}

/** Covariance of the training targets, K = s k(X, X) + sigma^2 W (W = diag(noiseScale), default I), and the kernel pieces behind it. */
export interface TrainingCovariance {
  /** s k(X, X) + sigma^2 I (n x n). */
  K: Float64Array;
  /** k(X, X) without scale or noise (for the coupled kernel: B S B). */
  Kbase: Float64Array;
  coupled?: ReturnType<typeof coupledPieces>;
}

/** Build K = s k(X,X) + sigma^2 diag(noiseScale) for the given hyperparameters. */
export function trainingCovariance(data: GpTrainingData, h: GpHyperparameters): TrainingCovariance {
  const { n, d } = data;
  let Kbase: Float64Array;
  let coupled: ReturnType<typeof coupledPieces> | undefined;
  if (h.kernel === "coupled") {
    if (!data.scores || !data.D || !h.scoreLengthscales) {
      throw new Error("coupled kernel needs score vectors and scoreLengthscales");
    }
    coupled = coupledPieces(data.X, data.scores, n, d, data.D, h.lengthscales, h.scoreLengthscales);
    Kbase = coupled.Kc;
  } else {
    Kbase = matern52(data.X, data.X, n, n, d, h.lengthscales);
  }
  const K = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) K[i] = h.outputscale * Kbase[i];
  const w = data.noiseScale;
  for (let i = 0; i < n; i++) K[i * n + i] += h.noise * (w ? w[i] : 1);
  return { K, Kbase, coupled };
}

/** Posterior mean and variance of f at m points. */
export interface PosteriorPrediction {
  mean: Float64Array;
  variance: Float64Array;
}

/**
 * The posterior of f given training data and hyperparameters. With phi(x) = k(x, X) (the Matern
 * correlations to the training points, length n):
 *   mean(x) = c + phi(x) . v,       var(x) = p0 + phi(x)^T Q phi(x),
 *   cov(x, x') = p0 k(x, x') + phi(x)^T Q phi(x')
 * Matern: v = s K^-1 (y - c), Q = -s^2 K^-1, p0 = s.
 * Coupled: P = A k(X,X), v = s P K^-1 (y - c), Q = s A - s^2 P K^-1 P^T, p0 = 0.
 */
export class GpPosterior {
  readonly n: number;
  readonly d: number;
  private readonly X: Float64Array;
  private readonly v: Float64Array;
  private readonly Q: Float64Array;
  private readonly p0: number;

  constructor(
    data: GpTrainingData,
    readonly hyper: GpHyperparameters,
  ) {
    const { n, d } = data;
    this.n = n;
    this.d = d;
    this.X = data.X;
    const cov = trainingCovariance(data, hyper);
    const { L } = cholesky(cov.K, n);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = data.y[i] - hyper.mean;
    const alpha = choleskySolve(L, n, r, 1);
    const Kinv = choleskyInverse(L, n);
    const s = hyper.outputscale;
    if (cov.coupled) {
      const { A, Kzz } = cov.coupled;
      const P = matmul(A, Kzz, n, n, n);
      this.v = matvec(P, alpha, n, n).map((x) => s * x);
      // Q = s A - s^2 P Kinv P^T
      const PK = matmul(P, Kinv, n, n, n);
      const Pt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Pt[j * n + i] = P[i * n + j];
      const PKP = matmul(PK, Pt, n, n, n);
      this.Q = new Float64Array(n * n);
      for (let i = 0; i < n * n; i++) this.Q[i] = s * A[i] - s * s * PKP[i];
      symmetrise(this.Q, n);
      this.p0 = 0;
    } else {
      this.v = alpha.map((x) => s * x);
      this.Q = Kinv.map((x) => -s * s * x);
      this.p0 = s;
    }
  }

  /** phi(Xs) = k(Xs, X): Matern correlations of m points (m x d) to the training points (m x n). */
  features(Xs: Float64Array, m: number): Float64Array {
    return matern52(Xs, this.X, m, this.n, this.d, this.hyper.lengthscales);
  }

  /**
   * Gradient of the posterior mean at m points Xs (m x d): m x d. mean(x) = c + phi(x) . v with
   * d phi_i / dx_j = -5/3 (1 + sqrt5 r) exp(-sqrt5 r) (x_j - X_ij) / l_j^2 (both kernels).
   */
  meanGradients(Xs: Float64Array, m: number): Float64Array {
    const { n, d } = this;
    const inv2 = this.hyper.lengthscales.map((l) => 1 / (l * l));
    const out = new Float64Array(m * d);
    const diff = new Float64Array(d);
    for (let a = 0; a < m; a++) {
      for (let i = 0; i < n; i++) {
        let r2 = 0;
        for (let j = 0; j < d; j++) {
          diff[j] = Xs[a * d + j] - this.X[i * d + j];
          r2 += diff[j] * diff[j] * inv2[j];
        }
        const r = Math.sqrt(r2);
        const c = -(5 / 3) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r) * this.v[i];
        for (let j = 0; j < d; j++) out[a * d + j] += c * diff[j] * inv2[j];
      }
    }
    return out;
  }

  /** Posterior mean and variance of f at m points Xs (m x d). Variance is not clamped. */
  predict(Xs: Float64Array, m: number): PosteriorPrediction {
    return this.predictFromFeatures(this.features(Xs, m), m);
  }

  /** As `predict`, from precomputed features phi (m x n). */
  predictFromFeatures(phi: Float64Array, m: number): PosteriorPrediction {
    const n = this.n;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const PQ = matmul(phi, this.Q, m, n, n);
    for (let a = 0; a < m; a++) {
      let mu = this.hyper.mean;
      let q = 0;
      const ra = a * n;
      for (let i = 0; i < n; i++) {
        mu += phi[ra + i] * this.v[i];
        q += PQ[ra + i] * phi[ra + i];
      }
      mean[a] = mu;
      variance[a] = this.p0 + q;
    }
    return { mean, variance };
  }

  /** Q phi(B)^T for k points with features phiB (k x n): n x k, reused by `crossCovariance`. */
  qTimesFeatures(phiB: Float64Array, k: number): Float64Array {
    const n = this.n;
    const QB = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const qi = i * n;
      for (let b = 0; b < k; b++) {
        let s = 0;
        const rb = b * n;
        for (let j = 0; j < n; j++) s += this.Q[qi + j] * phiB[rb + j];
        QB[i * k + b] = s;
      }
    }
    return QB;
  }

  /**
   * Posterior covariance between m points (coordinates XA, features phiA) and k points
   * (coordinates XB, QB = qTimesFeatures(phi(XB))): m x k.
   */
  crossCovariance(
    XA: Float64Array,
    phiA: Float64Array,
    m: number,
    XB: Float64Array,
    QB: Float64Array,
    k: number,
  ): Float64Array {
    const C = matmul(phiA, QB, m, this.n, k);
    if (this.p0 !== 0) {
      const direct = matern52(XA, XB, m, k, this.d, this.hyper.lengthscales);
      for (let i = 0; i < m * k; i++) C[i] += this.p0 * direct[i];
    }
    return C;
  }
}

/**
 * The posterior after conditioning on extra "fantasy" observations at points F with the kriging
 * believer value (the posterior mean), hyperparameters fixed: the mean is unchanged and
 *   var_F(x) = var(x) - c(x)^T (Sigma_FF + sigma^2 I)^-1 c(x),  c(x) = cov(x, F).
 * Used to make a batch's later points avoid the earlier ones.
 */
export class FantasyPosterior {
  private F: number[][] = [];
  private FX = new Float64Array(0);
  private QF: Float64Array = new Float64Array(0);
  private Linv: Float64Array | null = null; // Cholesky factor of Sigma_FF + sigma^2 I

  constructor(readonly base: GpPosterior) {}

  /** Number of fantasy points added so far. */
  get size(): number {
    return this.F.length;
  }

  /** Condition on one more fantasy point x (length d). */
  add(x: readonly number[]): void {
    const d = this.base.d;
    this.F.push(x.slice());
    const k = this.F.length;
    this.FX = new Float64Array(k * d);
    this.F.forEach((row, i) => {
      this.FX.set(row, i * d);
    });
    const phiF = this.base.features(this.FX, k);
    this.QF = this.base.qTimesFeatures(phiF, k);
    const S = this.base.crossCovariance(this.FX, phiF, k, this.FX, this.QF, k);
    symmetrise(S, k);
    for (let i = 0; i < k; i++) S[i * k + i] += Math.max(this.base.hyper.noise, COUPLED_KERNEL_JITTER);
    this.Linv = cholesky(S, k).L;
  }

  /** Posterior mean and fantasy-reduced variance at m points Xs (m x d). */
  predict(Xs: Float64Array, m: number): PosteriorPrediction {
    const phi = this.base.features(Xs, m);
    const pred = this.base.predictFromFeatures(phi, m);
    const k = this.F.length;
    if (k === 0 || !this.Linv) return pred;
    const C = this.base.crossCovariance(Xs, phi, m, this.FX, this.QF, k); // m x k
    // var -= || L^-1 c ||^2 per row
    const L = this.Linv;
    const w = new Float64Array(k);
    for (let a = 0; a < m; a++) {
      let s2 = 0;
      for (let i = 0; i < k; i++) {
        let t = C[a * k + i];
        for (let j = 0; j < i; j++) t -= L[i * k + j] * w[j];
        w[i] = t / L[i * k + i];
        s2 += w[i] * w[i];
      }
      pred.variance[a] -= s2;
    }
    return pred;
  }
}
