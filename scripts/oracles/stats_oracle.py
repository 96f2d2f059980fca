"""Oracle values for src/stats (test/stats/*.test.ts), computed with numpy/scipy independently of the
TypeScript code:
  - mcnemar: exact two-sided McNemar p-values, scipy.stats.binomtest(b10, b01 + b10, 0.5) on the
    discordant pairs, for a set of 2x2 tables (small, lopsided, balanced, large); each table also
    as two shuffled 0/1 score lists a, b so the test counts the discordant pairs itself;
  - meanStdErr: numpy mean and scipy.stats.sem (ddof = 1) of a few lists;
  - quantiles: numpy.quantile (default "linear" method) of a few lists at a few q;
  - bootstrap: a percentile interval from a recorded index stream (numpy's generator, resample-major),
    replayed in TypeScript through bootstrapMeans(values, B, nextIndex): the mean and the paired
    difference, at levels 0.95 and 0.9. (The TypeScript bootstrap draws its indices from
    src/util/rng.ts, a stream numpy cannot reproduce; this checks everything but the stream.)

Run: python3 scripts/oracles/stats_oracle.py > test/fixtures/stats/oracle.json
"""

import json

import numpy as np
from scipy.stats import binomtest, sem

rng = np.random.default_rng(20240611)

# (n00, n01, n10, n11): a=0,b=0 / a=0,b=1 / a=1,b=0 / a=1,b=1
TABLES = [
    (5, 0, 0, 5),  # no discordant pair: p = 1
    (10, 0, 1, 9),
    (3, 0, 5, 12),
    (4, 1, 9, 6),
    (8, 3, 3, 6),  # balanced: p = 1
    (2, 7, 8, 3),
    (40, 10, 20, 30),
    (0, 2, 10, 0),
    (50, 25, 40, 85),
    (100, 100, 130, 170),
    (10, 600, 700, 90),
    (0, 0, 17, 0),
    (30, 31, 0, 39),
    (12, 13, 14, 11),
]


def table_case(t):
    n00, n01, n10, n11 = t
    pairs = [(0, 0)] * n00 + [(0, 1)] * n01 + [(1, 0)] * n10 + [(1, 1)] * n11
    order = rng.permutation(len(pairs))
    a = [pairs[i][0] for i in order]
    b = [pairs[i][1] for i in order]
    n = n01 + n10
    p = 1.0 if n == 0 else float(binomtest(n10, n, 0.5, alternative="two-sided").pvalue)
    return {"table": list(t), "a": a, "b": b, "b01": n01, "b10": n10, "pValue": p}


def mean_sem_case(xs):
    xs = np.asarray(xs, dtype=float)
    return {
        "xs": xs.tolist(),
        "mean": float(np.mean(xs)),
        "stdErr": float(sem(xs, ddof=1)) if len(xs) > 1 else None,
    }


def quantile_case(xs, qs):
    xs = np.asarray(xs, dtype=float)
    return {"xs": xs.tolist(), "qs": qs, "values": [float(np.quantile(xs, q)) for q in qs]}


def bootstrap_case(n, resamples, levels, binary):
    if binary:
        a = (rng.random(n) < 0.7).astype(float)
        b = (rng.random(n) < 0.55).astype(float)
    else:
        a = np.round(rng.random(n), 3)
        b = np.round(rng.random(n) * 0.8, 3)
    idx = rng.integers(0, n, size=(resamples, n))
    d = a - b
    means = d[idx].mean(axis=1)
    means_a = a[idx].mean(axis=1)
    out = {"a": a.tolist(), "b": b.tolist(), "resamples": resamples, "indices": idx.ravel().tolist(), "levels": []}
    for level in levels:
        tail = (1 - level) / 2
        out["levels"].append(
            {
                "level": level,
                "meanLow": float(np.quantile(means_a, tail)),
                "meanHigh": float(np.quantile(means_a, 1 - tail)),
                "diffLow": float(np.quantile(means, tail)),
                "diffHigh": float(np.quantile(means, 1 - tail)),
            }
        )
    out["mean"] = float(a.mean())
    out["diff"] = float(d.mean())
    return out


def main():
    oracle = {
        "mcnemar": [table_case(t) for t in TABLES],
        "meanStdErr": [
            mean_sem_case([0.5, 0.7, 0.65, 0.9, 0.55]),
            mean_sem_case([1, 1, 1, 1]),
            mean_sem_case([0.123456789, 0.987654321]),
            mean_sem_case(list(np.round(rng.random(50), 6))),
            mean_sem_case([0.42]),
            mean_sem_case([1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.3]),
        ],
        "quantiles": [
            quantile_case([3, 1, 2], [0, 0.025, 0.5, 0.975, 1]),
            quantile_case(list(np.round(rng.random(101), 6)), [0.025, 0.05, 0.5, 0.95, 0.975]),
            quantile_case(list(np.round(rng.random(10), 6)), [0.025, 0.3333, 0.975]),
            quantile_case([0.5], [0.025, 0.975]),
        ],
        "bootstrap": [
            bootstrap_case(30, 400, [0.95, 0.9], binary=True),
            bootstrap_case(17, 333, [0.95, 0.9], binary=False),
        ],
    }
    print(json.dumps(oracle))


if __name__ == "__main__":
    main()
