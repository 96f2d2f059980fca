"""Oracle values for the small-n verdict (src/stats: wilson.ts, newcombe.ts, studentized.ts, normal.ts,
power.ts; test/stats/verdict-oracle.test.ts), computed with numpy/scipy independently of the TypeScript:
  - normalQuantile: scipy.stats.norm.ppf at a few p;
  - wilson: the Wilson score interval as statsmodels' proportion_confint(method="wilson") computes it
    (formula with z = norm.ppf(1 - alpha / 2)); Clopper-Pearson (scipy.stats.beta.ppf) beside it, for
    reference only (the Wilson interval lies inside it or close to it);
  - newcombe: Newcombe's (1998) hybrid score interval for paired proportions (method 10), from the
    2x2 table, as Fagerland, Lydersen and Laake (2014) state it;
  - bonettPrice: the Bonett-Price (2012) adjusted Wald interval for paired proportions and its p-value
    2 (1 - Phi(|d| / se)), from the discordant counts;
  - studentized: the bootstrap-t interval of a mean from a recorded index stream (numpy's generator,
    resample-major), replayed in TypeScript through studentizedReplicates(values, B, nextIndex);
  - power: the smallest detectable gain, solved with scipy.optimize.brentq.

Run: python3 scripts/oracles/verdict_oracle.py > test/fixtures/stats/verdict-oracle.json
"""

import json
import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import beta, norm

rng = np.random.default_rng(20261206)


def wilson(k, n, level):
    alpha = 1 - level
    z = norm.ppf(1 - alpha / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half) if k > 0 else 0.0, min(1.0, centre + half) if k < n else 1.0


def clopper_pearson(k, n, level):
    alpha = 1 - level
    lo = 0.0 if k == 0 else beta.ppf(alpha / 2, k, n - k + 1)
    hi = 1.0 if k == n else beta.ppf(1 - alpha / 2, k + 1, n - k)
    return float(lo), float(hi)


def newcombe(n11, n10, n01, n00, level):
    n = n11 + n10 + n01 + n00
    p1 = (n11 + n10) / n
    p2 = (n11 + n01) / n
    l1, u1 = wilson(n11 + n10, n, level)
    l2, u2 = wilson(n11 + n01, n, level)
    den = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    phi = 0.0 if den == 0 else (n11 * n00 - n10 * n01) / math.sqrt(den)
    d = p1 - p2
    lo = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    hi = d + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return d, max(-1.0, lo), min(1.0, hi)


def bonett_price(n10, n01, n, level):
    a = (n10 + 1) / (n + 2)
    b = (n01 + 1) / (n + 2)
    d = a - b
    se = math.sqrt((a + b - d * d) / (n + 2))
    z = norm.ppf(1 - (1 - level) / 2)
    return d, max(-1.0, d - z * se), min(1.0, d + z * se), float(min(1.0, 2 * norm.sf(abs(d) / se)))


def studentized(values, indices, level, rng_range):
    x = np.asarray(values, dtype=float)
    n = len(x)
    m = x.mean()
    se = x.std(ddof=1) / math.sqrt(n)
    idx = np.asarray(indices).reshape(-1, n)
    xs = x[idx]
    ms = xs.mean(axis=1)
    ses = xs.std(axis=1, ddof=1) / math.sqrt(n)
    tol = 1e-12 * max(1.0, abs(m))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ses > tol, (ms - m) / ses, np.where(np.abs(ms - m) <= tol, 0.0, np.sign(ms - m) * np.inf))
    t = np.sort(t)
    tail = (1 - level) / 2
    q_lo = np.quantile(t, tail)
    q_hi = np.quantile(t, 1 - tail)
    lo = m - q_hi * se
    hi = m - q_lo * se
    return float(max(rng_range[0], min(lo, m))), float(min(rng_range[1], max(hi, m)))


def min_gain(n, p0, alpha=0.05, power=0.8):
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)

    def g(d):
        p1 = p0 + d
        return d * math.sqrt(n) - z * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))

    top = 1 - p0
    if top <= 0 or g(top) < 0:
        return None
    return brentq(g, 1e-15, top, xtol=1e-14)


out = {
    "normalQuantile": [{"p": p, "z": float(norm.ppf(p))} for p in [1e-10, 0.001, 0.01, 0.025, 0.1, 0.5, 0.8, 0.975, 0.995, 1 - 1e-9]],
    "wilson": [],
    "newcombe": [],
    "bonettPrice": [],
    "studentized": [],
    "power": [],
}
for n in [1, 5, 10, 20, 50, 100]:
    for k in sorted({0, 1, n // 2, max(0, n - 1), n}):
        for level in [0.95, 0.9]:
            lo, hi = wilson(k, n, level)
            cl, ch = clopper_pearson(k, n, level)
            out["wilson"].append({"k": k, "n": n, "level": level, "low": lo, "high": hi, "cpLow": cl, "cpHigh": ch})
TABLES = [(5, 0, 0, 5), (10, 1, 0, 9), (12, 5, 0, 3), (6, 9, 1, 4), (6, 3, 3, 8), (0, 6, 0, 0), (0, 0, 0, 6),
          (20, 25, 3, 52), (48, 12, 10, 30), (1, 0, 0, 0), (0, 10, 10, 0), (3, 2, 1, 0)]
for t in TABLES:
    for level in [0.95, 0.99]:
        d, lo, hi = newcombe(*t, level)
        out["newcombe"].append({"table": list(t), "level": level, "diff": d, "low": lo, "high": hi})
for t in TABLES:
    n11, n10, n01, n00 = t
    n = sum(t)
    for level in [0.95, 0.99]:
        d, lo, hi, p = bonett_price(n10, n01, n, level)
        out["bonettPrice"].append({"n10": n10, "n01": n01, "n": n, "level": level, "center": d, "low": lo, "high": hi, "pValue": p})
for n, graded in [(10, True), (15, True), (20, True), (8, False)]:
    if graded:
        values = [float(round(v, 2)) for v in rng.beta(2, 1, size=n)]
        rr = [0.0, 1.0]
    else:
        values = [float(v) for v in rng.normal(0.1, 0.3, size=n)]
        rr = [-math.inf, math.inf]
    B = 400
    indices = rng.integers(0, n, size=B * n).tolist()
    levels = []
    for level in [0.95, 0.9]:
        lo, hi = studentized(values, indices, level, rr)
        levels.append({"level": level, "low": lo, "high": hi})
    out["studentized"].append({"values": values, "resamples": B, "indices": indices, "unit": graded, "levels": levels})
for n in [10, 20, 50, 100, 500]:
    for p0 in [0.0, 0.3, 0.5, 0.8, 0.95, 1.0]:
        out["power"].append({"n": n, "baseline": p0, "gain": min_gain(n, p0)})


def clean(o):
    if isinstance(o, float) and math.isinf(o):
        return "inf" if o > 0 else "-inf"
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clean(v) for v in o]
    return o


print(json.dumps(clean(out)))
