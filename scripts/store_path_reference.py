#!/usr/bin/env python3
"""Reference for test/store/store-path.test.ts: per-user values with large means and small spreads,
negative means and capped whales, and what scipy says about them (Welch t-test, fixed analysis).

The test sends these users' events through the stores (shifted sums, caps) and checks the report
against these numbers. Deterministic: numpy's default_rng with fixed seeds.
Run: python3 scripts/store_path_reference.py > test/fixtures/store-path-reference.json
"""
import json

import numpy as np
from scipy import stats

ALPHA = 0.05


def case(name, rng, n, control, treatment, cap=None, split=False):
    arms = {}
    for arm, (mean, sd) in (("control", control), ("treatment", treatment)):
        # Multiples of 1/64 so every value and every per-user sum is exact in binary.
        values = np.round(rng.normal(mean, sd, n) * 64) / 64
        arms[arm] = values
    events = {}
    for arm, values in arms.items():
        rows = []
        for v in values.tolist():
            if split:
                half = np.floor(v * 32) / 64  # two events per user, summing to v
                rows.append([half, v - half])
            else:
                rows.append([v])
        events[arm] = rows
    counted = {a: (np.minimum(v, cap) if cap is not None else v) for a, v in arms.items()}
    c, t = counted["control"], counted["treatment"]
    welch = stats.ttest_ind(t, c, equal_var=False)
    se = np.sqrt(c.var(ddof=1) / len(c) + t.var(ddof=1) / len(t))
    df = se**4 / ((c.var(ddof=1) / len(c)) ** 2 / (len(c) - 1) + (t.var(ddof=1) / len(t)) ** 2 / (len(t) - 1))
    q = stats.t.ppf(1 - ALPHA / 2, df)
    diff = t.mean() - c.mean()
    return {
        "name": name,
        "cap": cap,
        "events": events,
        "expected": {
            "means": {"control": c.mean(), "treatment": t.mean()},
            "variances": {"control": c.var(ddof=1), "treatment": t.var(ddof=1)},
            "diff": diff,
            "diff_ci": [diff - q * se, diff + q * se],
            "p_value": welch.pvalue,
            "statistic": welch.statistic,
        },
    }


def main():
    rng = np.random.default_rng(20261127)
    cases = [
        # Unix-timestamp-like values: Σx² − (Σx)²/n would lose the variance entirely in doubles.
        case("timestamps", rng, 2000, (1.7e9, 1000.0), (1.7e9 + 60, 1000.0)),
        # Mean 1e6, sd 1, a shift of 0.1: t ≈ 3; the old store called this zero_variance.
        case("large-mean-small-spread", rng, 2000, (1e6, 1.0), (1e6 + 0.1, 1.0)),
        # Per-user sums of two events (a user's value moves after the first one).
        case("per-user-sums", rng, 2000, (100.0, 30.0), (104.0, 30.0), split=True),
        # A negative metric (e.g. a loss): the lift divides by |control mean|.
        case("negative-means", rng, 1500, (-5.0, 2.0), (-4.75, 2.0)),
        # Revenue with whales, capped at 100 per user (winsorised before the sums).
        case("capped", rng, 1500, (40.0, 60.0), (46.0, 60.0), cap=100.0),
    ]
    print(json.dumps({"alpha": ALPHA, "cases": cases}, indent=None, separators=(",", ":")))


if __name__ == "__main__":
    main()
