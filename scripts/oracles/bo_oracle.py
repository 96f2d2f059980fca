"""Oracle values for the BO engine tests (test/bo/oracle.test.ts).

Computes, independently of the TypeScript code (numpy/scipy/mpmath, the reference's formulas
written the direct way, with np.linalg.inv like torch.inverse):
  - Matern-5/2 ARD kernel matrices,
  - the instruction-coupled kernel on training and test points,
  - GP posterior mean/variance of f (constant mean, Gaussian noise, scale kernel),
  - the MLL with Gamma priors divided by n (gpytorch ExactMarginalLogLikelihood) and its
    gradient with respect to the natural hyperparameters by Richardson-extrapolated central
    differences,
  - EI and log-EI (mpmath, 50 digits) including the deep left tail,
  - scipy's unscrambled Sobol points (21 dims, 64 points) to check the direction numbers,
  - partially observed points (racing): score vectors that are prefixes of the longest one, completed
    by imputing each missing entry with the vector's own mean, and per-observation noise
    sigma^2 * D / (entries observed) (src/bo/partial.ts); posterior, MLL and its gradient as above.

Run: python3 scripts/oracles/bo_oracle.py > test/fixtures/bo/oracle.json
"""

import json
import math

import mpmath
import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import gamma, norm

EPS_COUPLED = 1e-4


def matern52(x1, x2, ls):
    r = cdist(x1 / ls, x2 / ls)
    return (1 + math.sqrt(5) * r + 5.0 / 3.0 * r**2) * np.exp(-math.sqrt(5) * r)


def coupled(x1, x2, z, v, ls, sls):
    kzz = matern52(z, z, ls)
    inv = np.linalg.inv(kzz + EPS_COUPLED * np.eye(len(z)))
    s = matern52(v, v, sls)
    return matern52(x1, z, ls) @ inv.T @ s @ inv @ matern52(z, x2, ls)


def kernel(h, x1, x2, data):
    if h["kernel"] == "coupled":
        return coupled(x1, x2, data["X"], data["scores"], np.array(h["lengthscales"]), np.array(h["scoreLengthscales"]))
    return matern52(x1, x2, np.array(h["lengthscales"]))


def noise_diag(data, n):
    """diag(noiseScale): observation i has noise variance sigma^2 * noiseScale[i] (default 1)."""
    return np.diag(data["noiseScale"]) if "noiseScale" in data else np.eye(n)


def complete_prefixes(vectors):
    """Prefix score vectors -> n x D matrix (missing entries = the row's mean) and D / observed."""
    d = max(len(v) for v in vectors)
    out = np.array([list(v) + [float(np.mean(v))] * (d - len(v)) for v in vectors], dtype=float)
    return out, np.array([d / len(v) for v in vectors], dtype=float)


def mll(h, data):
    x = data["X"]
    y = data["y"]
    n = len(y)
    k = h["outputscale"] * kernel(h, x, x, data) + h["noise"] * noise_diag(data, n)
    r = y - h["mean"]
    sign, logdet = np.linalg.slogdet(k)
    assert sign > 0
    val = -0.5 * r @ np.linalg.solve(k, r) - 0.5 * logdet - 0.5 * n * math.log(2 * math.pi)
    for l in h["lengthscales"]:
        val += gamma.logpdf(l, 3.0, scale=1 / 6.0)
    if h["kernel"] == "coupled":
        for l in h["scoreLengthscales"]:
            val += gamma.logpdf(l, 3.0, scale=1 / 6.0)
    val += gamma.logpdf(h["noise"], 1.1, scale=1 / 0.05)
    return val / n


def posterior(h, data, xs):
    x = data["X"]
    y = data["y"]
    n = len(y)
    s = h["outputscale"]
    k = s * kernel(h, x, x, data) + h["noise"] * noise_diag(data, n)
    kxs = s * kernel(h, xs, x, data)
    kss = s * kernel(h, xs, xs, data)
    kinv = np.linalg.inv(k)
    mean = h["mean"] + kxs @ kinv @ (y - h["mean"])
    var = np.diag(kss - kxs @ kinv @ kxs.T)
    return mean, var


def flat(h):
    v = list(h["lengthscales"]) + list(h.get("scoreLengthscales") or []) + [h["outputscale"], h["noise"], h["mean"]]
    return np.array(v, dtype=float)


def unflat(h, v):
    out = dict(h)
    d = len(h["lengthscales"])
    out["lengthscales"] = list(v[:d])
    i = d
    if h["kernel"] == "coupled":
        dd = len(h["scoreLengthscales"])
        out["scoreLengthscales"] = list(v[i : i + dd])
        i += dd
    out["outputscale"], out["noise"], out["mean"] = v[i], v[i + 1], v[i + 2]
    return out


def grad(h, data):
    v0 = flat(h)
    g = np.zeros_like(v0)
    for i in range(len(v0)):
        step = 1e-3 * max(1.0, abs(v0[i]))
        if i == len(v0) - 2:  # noise: stay above zero
            step = min(step, v0[i] / 4)

        def central(hh):
            vp = v0.copy()
            vm = v0.copy()
            vp[i] += hh
            vm[i] -= hh
            return (mll(unflat(h, vp), data) - mll(unflat(h, vm), data)) / (2 * hh)

        d1, d2, d3 = central(step), central(step / 2), central(step / 4)
        r1 = (4 * d2 - d1) / 3
        r2 = (4 * d3 - d2) / 3
        g[i] = (16 * r2 - r1) / 15
    return g


def case(name, h, data, xs):
    mean, var = posterior(h, data, xs)
    g = grad(h, data)
    out = {
        "name": name,
        "hyper": h,
        "X": data["X"].tolist(),
        "y": data["y"].tolist(),
        "Xs": xs.tolist(),
        "kernelTrain": kernel(h, data["X"], data["X"], data).tolist(),
        "kernelCross": kernel(h, xs, data["X"], data).tolist(),
        "mean": mean.tolist(),
        "variance": var.tolist(),
        "mll": mll(h, data),
        "mllGrad": g.tolist(),
    }
    if "scores" in data:
        out["scores"] = data["scores"].tolist()
    if "noiseScale" in data:
        out["noiseScale"] = data["noiseScale"].tolist()
    return out


def ei_exact(mean, var, best):
    mpmath.mp.dps = 50
    sigma = mpmath.sqrt(mpmath.mpf(var))
    z = (mpmath.mpf(mean) - best) / sigma
    h = mpmath.npdf(z) + z * mpmath.ncdf(z)
    return float(sigma * h), float(mpmath.log(sigma * h))


def main():
    rng = np.random.default_rng(20240601)
    cases = []
    # Matern, d = 3
    x = rng.uniform(-1, 1, size=(12, 3))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 - 0.5 * x[:, 2] + 0.05 * rng.standard_normal(12)
    y = (y - y.mean()) / (y.std(ddof=1) + 1e-9)
    h = {"kernel": "matern", "lengthscales": [0.4, 0.9, 1.7], "outputscale": 1.3, "noise": 0.02, "mean": 0.1}
    xs = rng.uniform(-1, 1, size=(7, 3))
    cases.append(case("matern-d3", h, {"X": x, "y": y}, xs))
    # Coupled, d = 4, score vectors D = 5 (0/1 with a repeated vector, plus fractional scores)
    x = rng.uniform(-1, 1, size=(10, 4))
    v = (rng.uniform(size=(10, 5)) > 0.5).astype(float)
    v[7] = v[2]
    v[9] = rng.uniform(size=5)
    y = v.mean(axis=1) + 0.1 * x[:, 0]
    y = (y - y.mean()) / (y.std(ddof=1) + 1e-9)
    h = {
        "kernel": "coupled",
        "lengthscales": [0.6, 0.8, 1.1, 0.5],
        "scoreLengthscales": [0.7, 1.2, 0.9, 1.5, 0.4],
        "outputscale": 0.9,
        "noise": 0.05,
        "mean": -0.2,
    }
    xs = rng.uniform(-1, 1, size=(6, 4))
    cases.append(case("coupled-d4-D5", h, {"X": x, "y": y, "scores": v}, xs))

    ei = []
    for mean, var, best in [(-0.5, 1.0, 0.0), (0.3, 0.25, 0.1), (1.0, 2.0, 0.5), (0.0, 1e-6, 0.0), (-3, 1, 0),
                            (-8, 1, 0), (-20, 0.5, 0), (-40, 1, 0), (-100, 1, 0), (-1.5, 4, 1.2), (2, 0.01, -1)]:
        v_, lv = ei_exact(mean, var, best)
        ei.append({"mean": mean, "variance": var, "best": best, "ei": v_, "logEi": lv})
    from scipy.stats import qmc

    sobol = qmc.Sobol(21, scramble=False).random(64).tolist()
    # Partially observed points (racing), from their own stream so the cases above do not change.
    rng = np.random.default_rng(20261201)
    partial = []
    # coupled, d = 3, D = 6 with blocks of 2: prefixes of length 2, 4 or 6 (full)
    n = 11
    x = rng.uniform(-1, 1, size=(n, 3))
    full = (rng.uniform(size=(n, 6)) < 0.3 + 0.5 * (x[:, :1] > 0)).astype(float)
    lengths = [6, 2, 4, 6, 2, 6, 4, 2, 6, 6, 4]
    prefixes = [full[i, : lengths[i]].tolist() for i in range(n)]
    prefixes[5] = rng.uniform(size=6).tolist()  # a graded (f1-like) full vector
    prefixes[6] = [0.25, 1.0, 0.5, 0.0]  # a graded prefix
    v, w = complete_prefixes(prefixes)
    y = np.array([np.mean(p) for p in prefixes])
    y = (y - y.mean()) / (y.std(ddof=1) + 1e-9)
    h = {
        "kernel": "coupled",
        "lengthscales": [0.7, 0.5, 1.3],
        "scoreLengthscales": [0.8, 1.1, 0.6, 1.4, 0.9, 0.5],
        "outputscale": 1.1,
        "noise": 0.04,
        "mean": 0.05,
    }
    xs = rng.uniform(-1, 1, size=(5, 3))
    c = case("coupled-partial-d3-D6", h, {"X": x, "y": y, "scores": v, "noiseScale": w}, xs)
    c["prefixes"] = prefixes
    partial.append(c)
    # Matern, d = 2, explicit per-observation noise multipliers
    x = rng.uniform(-1, 1, size=(9, 2))
    y = np.cos(2 * x[:, 0]) - x[:, 1] + 0.1 * rng.standard_normal(9)
    y = (y - y.mean()) / (y.std(ddof=1) + 1e-9)
    w = np.array([1, 5, 1, 2.5, 1, 1, 10, 1, 4 / 3])
    h = {"kernel": "matern", "lengthscales": [0.6, 1.2], "outputscale": 0.8, "noise": 0.03, "mean": -0.1}
    xs = rng.uniform(-1, 1, size=(4, 2))
    partial.append(case("matern-noise-scale-d2", h, {"X": x, "y": y, "noiseScale": w}, xs))
    print(json.dumps({"cases": cases, "ei": ei, "sobolUnscrambled21": sobol, "partial": partial}))


if __name__ == "__main__":
    main()
