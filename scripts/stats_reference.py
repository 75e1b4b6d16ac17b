#!/usr/bin/env python3
"""Reference values for the abgate significance engine (src/core/stats).

Simulates seeded per-user data for a set of experiments, reduces it to the per-arm sufficient
statistics the engine consumes, computes every field of the expected analysis independently with
scipy (Wilson, Holm and the delta method straight from their formulas), cross-checks them against
other scipy (and, when installed, statsmodels) routines working on the raw per-user data, and writes
test/fixtures/stats-reference.json for test/core/stats/reference.test.ts.

    python3 scripts/stats_reference.py           # (re)write the fixture
    python3 scripts/stats_reference.py --check   # exit 1 if the committed fixture is stale

Output is deterministic for a given numpy/scipy (numpy's Generator streams are only guaranteed per
version, so regenerating with another numpy may change the simulated data, not the formulas).
"""

from __future__ import annotations

import json
import math
import sys
import warnings as pywarnings
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

try:  # optional, only for an extra cross-check
    from statsmodels.stats.multitest import multipletests  # type: ignore
    from statsmodels.stats.proportion import proportion_confint  # type: ignore

    HAVE_STATSMODELS = True
except ImportError:  # pragma: no cover - depends on the machine
    HAVE_STATSMODELS = False

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test" / "fixtures" / "stats-reference.json"

# Must match src/core/stats.
DEFAULT_MIN_USERS = 100
DEFAULT_MIN_CONVERSIONS = 10
VARIANCE_NOISE = 1e-10
SRM_P_THRESHOLD = 0.001
TARGET_POWER = 0.8

CROSS_CHECK_RTOL = 1e-9


# --------------------------------------------------------------------------------------------
# helpers


def finite(x):
    """The engine's finiteOrNull."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def interval(lo, hi):
    lo, hi = finite(lo), finite(hi)
    return None if lo is None or hi is None else [lo, hi]


def warning(code, metric=None, arm=None):
    w = {"code": code}
    if metric is not None:
        w["metric"] = metric
    if arm is not None:
        w["arm"] = arm
    return w


def dedupe(warnings):
    seen, out = set(), []
    for w in warnings:
        key = (w["code"], w.get("metric"), w.get("arm"))
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def close(a, b, rtol=CROSS_CHECK_RTOL, atol=1e-14):
    return abs(a - b) <= max(atol, rtol * abs(b))


def check(cond, what):
    if not cond:
        raise AssertionError(f"cross-check failed: {what}")


# --------------------------------------------------------------------------------------------
# the statistics, from their formulas


def wilson(x, n, z):
    p = x / n
    z2 = z * z
    denom = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(max(0.0, p * (1 - p) / n + z2 / (4 * n * n)))
    low = 0.0 if x <= 0 else max(0.0, center - half)  # exact at the edges
    high = 1.0 if x >= n else min(1.0, center + half)
    return interval(low, high)


def sample_variance(n, s, ss):
    if n < 2:
        return None
    centered = ss - s * s / n
    if not centered > VARIANCE_NOISE * ss:
        return 0.0
    return finite(centered / (n - 1))


def holm(pvalues):
    present = sorted(
        ((p, i) for i, p in enumerate(pvalues) if p is not None), key=lambda e: (e[0], e[1])
    )
    m = len(present)
    out = [None] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def summarize_arm(metric, arm_name, n, s, alpha, min_users, min_conv):
    mtype = metric["type"]
    ctx = dict(metric=metric["name"], arm=arm_name)
    base = dict(arm=arm_name, n=n, successes=0, mean=None, variance=None, ci=None, warnings=[])
    if n == 0:
        return {**base, "warnings": [warning("empty_arm", **ctx)]}
    warnings = []
    if mtype == "binomial":
        x = s["converted"]
        p = x / n
        if n < min_users or x < min_conv or n - x < min_conv:
            warnings.append(warning("insufficient_data", **ctx))
        if p == 0 or p == 1:
            warnings.append(warning("zero_variance", **ctx))
        z = None if alpha is None else stats.norm.ppf(1 - alpha / 2)
        ci = None if z is None else wilson(x, n, z)
        if ci is not None:  # cross-check against scipy's own Wilson interval
            bt = stats.binomtest(int(x), int(n)).proportion_ci(1 - alpha, method="wilson")
            check(close(ci[0], max(0.0, bt.low), atol=1e-12), "wilson low")
            check(close(ci[1], min(1.0, bt.high), atol=1e-12), "wilson high")
            if HAVE_STATSMODELS:
                lo, hi = proportion_confint(x, n, alpha=alpha, method="wilson")
                check(close(ci[0], lo, atol=1e-12) and close(ci[1], hi, atol=1e-12), "statsmodels wilson")
        return dict(arm=arm_name, n=n, successes=x, mean=finite(p), variance=finite(p * (1 - p)), ci=ci, warnings=warnings)

    mean = finite(s["sum"] / n)
    var = sample_variance(n, s["sum"], s["sumSquares"])
    if n < min_users or n < 2:
        warnings.append(warning("insufficient_data", **ctx))
    if var == 0:
        warnings.append(warning("zero_variance", **ctx))
    ci = None
    if mean is not None and var is not None and var > 0 and alpha is not None:
        half = stats.t.ppf(1 - alpha / 2, n - 1) * math.sqrt(var / n)
        ci = interval(mean - half, mean + half)
        lo, hi = stats.t.interval(1 - alpha, n - 1, loc=mean, scale=math.sqrt(var / n))
        check(close(ci[0], lo) and close(ci[1], hi), "t interval")
    return dict(arm=arm_name, n=n, successes=s["sum"], mean=mean, variance=var, ci=ci, warnings=warnings)


def two_proportion(c, t, z):
    pc, pt = c["successes"] / c["n"], t["successes"] / t["n"]
    diff = pt - pc
    pooled = (c["successes"] + t["successes"]) / (c["n"] + t["n"])
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / c["n"] + 1 / t["n"]))
    statistic = finite(diff / se_pooled) if se_pooled > 0 else None
    p_value = None if statistic is None else finite(min(1.0, 2 * stats.norm.sf(abs(statistic))))
    se = math.sqrt(pc * (1 - pc) / c["n"] + pt * (1 - pt) / t["n"])
    se = finite(se) if se > 0 else None
    diff_ci = None if se is None or z is None else interval(diff - z * se, diff + z * se)
    if p_value is not None and 0 < c["successes"] + t["successes"] < c["n"] + t["n"]:
        # pooled two-proportion z-test == Pearson chi-square on the 2x2 table without correction
        table = [[t["successes"], t["n"] - t["successes"]], [c["successes"], c["n"] - c["successes"]]]
        chi2, p_chi, _, _ = stats.chi2_contingency(table, correction=False)
        check(close(statistic * statistic, chi2), "z^2 == chi2")
        check(close(p_value, p_chi, atol=1e-300), "two-proportion p")
    return dict(statistic=statistic, p_value=p_value, diff=finite(diff), diff_ci=diff_ci, se=se)


def welch(c, t, alpha, raw):
    diff = finite(t["mean"] - c["mean"])
    none = dict(statistic=None, p_value=None, diff=diff, diff_ci=None, se=None)
    if c["variance"] is None or t["variance"] is None or diff is None:
        return none
    vc, vt = c["variance"] / c["n"], t["variance"] / t["n"]
    se2 = vc + vt
    se = finite(math.sqrt(se2))
    if se is None or not se > 0:
        return none
    df = se2 * se2 / (vc * vc / (c["n"] - 1) + vt * vt / (t["n"] - 1))
    res = stats.ttest_ind_from_stats(
        t["mean"], math.sqrt(t["variance"]), t["n"], c["mean"], math.sqrt(c["variance"]), c["n"], equal_var=False
    )
    statistic, p_value = finite(res.statistic), finite(res.pvalue)
    check(close(statistic, diff / se), "welch t")
    diff_ci = None
    if alpha is not None:
        half = stats.t.ppf(1 - alpha / 2, df) * se
        diff_ci = interval(diff - half, diff + half)
    if raw is not None and diff_ci is not None:
        # the same test on the raw per-user data (a constant arm makes scipy warn about precision)
        xt, xc = raw
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)
            r = stats.ttest_ind(xt, xc, equal_var=False)
        check(close(statistic, r.statistic, rtol=1e-6), "welch t (raw)")
        check(close(p_value, r.pvalue, rtol=1e-6, atol=1e-300), "welch p (raw)")
        lo, hi = r.confidence_interval(1 - alpha)
        check(close(diff_ci[0], lo, rtol=1e-6, atol=1e-9) and close(diff_ci[1], hi, rtol=1e-6, atol=1e-9), "welch CI (raw)")
    return dict(statistic=statistic, p_value=p_value, diff=diff, diff_ci=diff_ci, se=se)


def relative_lift(c, t, z):
    mc = c["mean"]
    if mc == 0:
        return None, None
    lift = finite((t["mean"] - mc) / mc)
    if lift is None or c["variance"] is None or t["variance"] is None or z is None:
        return lift, None
    var = t["variance"] / (t["n"] * mc * mc) + t["mean"] ** 2 * c["variance"] / (c["n"] * mc**4)
    if not var > 0:
        return lift, None
    half = z * math.sqrt(var)
    return lift, interval(lift - half, lift + half)


def sample_size(mtype, c, mde, alpha):
    """Returns (n, reason)."""
    if not (math.isfinite(mde) and mde > 0):
        return None, "invalid_mde"
    if alpha is None or c["mean"] == 0:
        return None, "undefined"
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(TARGET_POWER)
    if mtype == "binomial":
        p1 = c["mean"]
        p2 = p1 * (1 + mde)
        if p2 > 1:
            return None, "invalid_mde"
        raw = z * z * (p1 * (1 - p1) + p2 * (1 - p2)) / ((p2 - p1) ** 2)
    else:
        if c["variance"] is None or not c["variance"] > 0:
            return None, "undefined"
        raw = 2 * z * z * c["variance"] / (mde * c["mean"]) ** 2
    n = finite(math.ceil(raw))
    return (None, "undefined") if n is None or n <= 0 else (int(n), None)


def comparable(c, t):
    return c["n"] > 0 and t["n"] > 0 and c["mean"] is not None and t["mean"] is not None


def compare(metric, c, t, alpha, raw):
    z = None if alpha is None else stats.norm.ppf(1 - alpha / 2)
    warnings = list(c["warnings"]) + list(t["warnings"])
    test = dict(statistic=None, p_value=None, diff=None, diff_ci=None, se=None)
    lift, lift_ci = None, None
    if comparable(c, t):
        test = two_proportion(c, t, z) if metric["type"] == "binomial" else welch(c, t, alpha, raw)
        lift, lift_ci = relative_lift(c, t, z)
    chance = None
    if test["diff"] is not None and test["se"] is not None:
        sign = -1 if metric["direction"] == "decrease" else 1
        chance = finite(stats.norm.cdf(sign * test["diff"] / test["se"]))
    size = None
    if c["n"] > 0 and c["mean"] is not None:
        if c["mean"] == 0:
            warnings.append(warning("control_mean_zero", metric=metric["name"], arm=c["arm"]))
        size, reason = sample_size(metric["type"], c, metric["mde"], alpha)
        if size is None and reason == "invalid_mde":
            warnings.append(warning("invalid_mde", metric=metric["name"]))
    progress = None if size is None else finite(min(c["n"], t["n"]) / size)
    return dict(
        arm=t["arm"],
        baseline=c["mean"],
        test=t["mean"],
        statistic=test["statistic"],
        p_value=test["p_value"],
        diff=test["diff"],
        diff_ci=test["diff_ci"],
        relative_lift=lift,
        relative_lift_ci=lift_ci,
        chance_to_beat_control=chance,
        sample_size_needed=size,
        progress=progress,
        warnings=dedupe(warnings),
    )


def srm(arms):
    obs = np.array([a["exposures"] for a in arms], dtype=float)
    w = np.array([a["weight"] for a in arms], dtype=float)
    total = obs.sum()
    if total == 0:
        return dict(chi2=None, p_value=None, mismatch=None), []
    expected = total * w / w.sum()
    chi2 = float(sum((o - e) * (o - e) / e for o, e in zip(obs, expected)))
    res = stats.chisquare(obs, f_exp=expected)
    check(close(chi2, float(res.statistic)), "srm chi2")
    p = finite(stats.chi2.sf(chi2, len(arms) - 1))
    mismatch = p < SRM_P_THRESHOLD
    return dict(chi2=finite(chi2), p_value=p, mismatch=mismatch), [warning("srm_mismatch")] if mismatch else []


def analyze(inp, options, raw_data):
    alpha = inp["alpha"] if 0 < inp["alpha"] < 1 else None
    min_users = options.get("minUsers", DEFAULT_MIN_USERS)
    min_conv = options.get("minConversions", DEFAULT_MIN_CONVERSIONS)
    srm_report, warnings = srm(inp["arms"])
    mau = inp.get("multipleArmUsers")
    if mau is not None and mau > 0:
        warnings.append(warning("multiple_arm_users"))
    control_idx = next(i for i, a in enumerate(inp["arms"]) if a["control"])
    metrics = []
    for metric in inp["metrics"]:
        zero = dict(sum=0, sumSquares=0, converted=0)
        summaries = [
            summarize_arm(metric, a["name"], a["exposures"], metric["arms"].get(a["name"], zero), alpha, min_users, min_conv)
            for a in inp["arms"]
        ]
        control = summaries[control_idx]
        raw = []
        for i, s in enumerate(summaries):
            if i == control_idx:
                continue
            data = raw_data.get(metric["name"])
            pair = None if data is None else (data[s["arm"]], data[control["arm"]])
            raw.append(compare(metric, control, s, alpha, pair))
        adjusted = holm([r["p_value"] for r in raw])
        if HAVE_STATSMODELS and any(p is not None for p in adjusted):
            ps = [r["p_value"] for r in raw if r["p_value"] is not None]
            sm = multipletests(ps, alpha=inp["alpha"], method="holm")[1]
            check(all(close(a, b) for a, b in zip([p for p in adjusted if p is not None], sm)), "statsmodels holm")
        comparisons = []
        for r, p_adj in zip(raw, adjusted):
            comparisons.append(
                dict(
                    arm=r["arm"],
                    baseline=r["baseline"],
                    test=r["test"],
                    statistic=r["statistic"],
                    p_value=r["p_value"],
                    p_value_adjusted=p_adj,
                    significant=None if p_adj is None or alpha is None else bool(p_adj < alpha),
                    diff=r["diff"],
                    diff_ci=r["diff_ci"],
                    relative_lift=r["relative_lift"],
                    relative_lift_ci=r["relative_lift_ci"],
                    chance_to_beat_control=r["chance_to_beat_control"],
                    sample_size_needed=r["sample_size_needed"],
                    progress=r["progress"],
                    warnings=r["warnings"],
                )
            )
        metrics.append(
            dict(
                name=metric["name"],
                type=metric["type"],
                direction=metric["direction"],
                arms=[dict(arm=s["arm"], n=s["n"], mean=s["mean"], ci=s["ci"]) for s in summaries],
                comparisons=comparisons,
            )
        )
        for s in summaries:
            warnings.extend(s["warnings"])
        for c in comparisons:
            warnings.extend(c["warnings"])
    return dict(
        alpha=inp["alpha"],
        arms=[dict(name=a["name"], weight=a["weight"], control=a["control"], exposures=a["exposures"]) for a in inp["arms"]],
        multiple_arm_users=mau,
        srm=srm_report,
        metrics=metrics,
        warnings=dedupe(warnings),
    )


# --------------------------------------------------------------------------------------------
# simulated experiments


def binomial_users(rng, n, p):
    return (rng.random(n) < p).astype(np.float64)


def revenue_users(rng, n, buy_rate, mu, sigma):
    """Many zeros (no purchase), lognormal spend for buyers."""
    buys = rng.random(n) < buy_rate
    return np.where(buys, rng.lognormal(mu, sigma, n), 0.0)


def stats_of(metric_type, values):
    if metric_type == "binomial":
        k = int(values.sum())
        return dict(sum=k, sumSquares=k, converted=k)
    return dict(sum=float(values.sum()), sumSquares=float(np.dot(values, values)), converted=int(np.count_nonzero(values)))


class Case:
    def __init__(self, name, description, seed, alpha=0.05, options=None, multiple_arm_users=None):
        self.name, self.description = name, description
        self.rng = np.random.default_rng(seed)
        self.alpha, self.options, self.mau = alpha, options or {}, multiple_arm_users
        self.arms, self.metrics, self.raw = [], [], {}

    def arm(self, name, weight, exposures, control=False):
        self.arms.append(dict(name=name, weight=weight, control=control, exposures=int(exposures)))
        return self

    def split(self, total, weights):
        """Exposures drawn as a multinomial split of `total` users by the weights (no SRM)."""
        w = np.array(weights, dtype=float)
        return [int(v) for v in self.rng.multinomial(total, w / w.sum())]

    def metric(self, name, mtype, direction, mde, generators, keep_raw=True, omit=()):
        """generators: arm name -> f(rng, n) returning per-user values."""
        arms, raw = {}, {}
        for a in self.arms:
            values = generators[a["name"]](self.rng, a["exposures"])
            raw[a["name"]] = values
            if a["name"] not in omit:
                arms[a["name"]] = stats_of(mtype, values)
        self.metrics.append(dict(name=name, type=mtype, direction=direction, mde=mde, arms=arms))
        if keep_raw and mtype == "continuous":
            self.raw[name] = raw
        return self

    def build(self):
        inp = dict(alpha=self.alpha, arms=self.arms, metrics=self.metrics)
        if self.mau is not None:
            inp["multipleArmUsers"] = self.mau
        expected = analyze(inp, self.options, self.raw)
        out = dict(name=self.name, description=self.description, input=inp)
        if self.options:
            out["options"] = self.options
        out["expected"] = expected
        return out


def const(value):
    return lambda rng, n: np.full(n, float(value))


def bern(p):
    return lambda rng, n: binomial_users(rng, n, p)


def revenue(buy_rate, mu=3.0, sigma=1.2):
    return lambda rng, n: revenue_users(rng, n, buy_rate, mu, sigma)


def build_cases():
    cases = []

    c = Case("balanced", "50/50 split, 10k users, conversion 10% vs 11%, revenue with zeros", seed=101)
    nc, nt = c.split(10_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
    c.metric("conversion", "binomial", "increase", 0.05, {"control": bern(0.10), "treatment": bern(0.11)})
    c.metric("revenue", "continuous", "increase", 0.05, {"control": revenue(0.10), "treatment": revenue(0.105)})
    cases.append(c.build())

    c = Case(
        "unbalanced",
        "80/20 split with raised thresholds (minUsers 3000, minConversions 300): the small arm is flagged",
        seed=202,
        options=dict(minUsers=3000, minConversions=300),
    )
    nc, nt = c.split(12_000, [0.8, 0.2])
    c.arm("control", 0.8, nc, control=True).arm("new_model", 0.2, nt)
    c.metric("click", "binomial", "increase", 0.1, {"control": bern(0.20), "new_model": bern(0.215)})
    c.metric(
        "session_minutes",
        "continuous",
        "increase",
        0.02,
        {"control": lambda r, n: r.gamma(2.0, 4.0, n), "new_model": lambda r, n: r.gamma(2.0, 4.2, n)},
    )
    cases.append(c.build())

    c = Case("tiny", "about 20 users per arm: everything is flagged insufficient", seed=303)
    c.arm("control", 1, 19, control=True).arm("treatment", 1, 22)
    c.metric("conversion", "binomial", "increase", 0.1, {"control": bern(0.3), "treatment": bern(0.45)})
    c.metric("score", "continuous", "increase", 0.1, {"control": lambda r, n: r.normal(10, 3, n), "treatment": lambda r, n: r.normal(11, 3, n)})
    cases.append(c.build())

    c = Case("huge", "10 million users per arm: tiny effects, Welch df in the millions", seed=404)
    nc, nt = c.split(20_000_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
    c.metric("conversion", "binomial", "increase", 0.01, {"control": bern(0.050), "treatment": bern(0.0503)})
    c.metric("revenue", "continuous", "increase", 0.01, {"control": revenue(0.05, 3.0, 1.0), "treatment": revenue(0.05, 3.0, 1.0)})
    c.metric("latency_ms", "continuous", "decrease", 0.001, {"control": lambda r, n: r.normal(120, 15, n), "treatment": lambda r, n: r.normal(119.9, 15, n)})
    cases.append(c.build())

    c = Case("skewed_revenue", "lognormal(sigma=2) spend, ~96% zeros: heavy right tail", seed=505)
    nc, nt = c.split(8_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
    c.metric("revenue", "continuous", "increase", 0.1, {"control": revenue(0.04, 2.5, 2.0), "treatment": revenue(0.045, 2.5, 2.0)})
    c.metric("purchase", "binomial", "increase", 0.1, {"control": bern(0.04), "treatment": bern(0.045)})
    cases.append(c.build())

    c = Case("multi_arm_holm", "control + 3 arms at alpha 0.01: strong, weak and null effects (Holm)", seed=606, alpha=0.01)
    counts = c.split(40_000, [2, 1, 1, 1])
    c.arm("control", 2, counts[0], control=True).arm("strong", 1, counts[1]).arm("weak", 1, counts[2]).arm("null", 1, counts[3])
    c.metric(
        "conversion",
        "binomial",
        "increase",
        0.05,
        {"control": bern(0.12), "strong": bern(0.14), "weak": bern(0.127), "null": bern(0.12)},
    )
    c.metric(
        "revenue",
        "continuous",
        "increase",
        0.05,
        {"control": revenue(0.12), "strong": revenue(0.14), "weak": revenue(0.125), "null": revenue(0.12)},
    )
    cases.append(c.build())

    c = Case("direction_decrease", "lower is better: error rate and latency both improve", seed=707)
    nc, nt = c.split(30_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("fast_model", 1, nt)
    c.metric("error_rate", "binomial", "decrease", 0.1, {"control": bern(0.02), "fast_model": bern(0.017)})
    c.metric(
        "latency_ms",
        "continuous",
        "decrease",
        0.02,
        {"control": lambda r, n: r.lognormal(5.0, 0.4, n), "fast_model": lambda r, n: r.lognormal(4.97, 0.4, n)},
    )
    cases.append(c.build())

    c = Case(
        "degenerate",
        "empty arm, an arm with no metric entry, all-zero metric (zero variance + control mean 0), "
        "constant control values, zero control conversions, rate near 1 (MDE pushes it above 1)",
        seed=808,
    )
    c.arm("control", 1, 5_000, control=True).arm("treatment", 1, 5_050).arm("empty", 1, 0)
    c.metric("refunds", "continuous", "decrease", 0.05, {"control": const(0), "treatment": const(0), "empty": const(0)})
    c.metric(
        "flat_price",
        "continuous",
        "increase",
        0.05,
        {"control": const(9.99), "treatment": lambda r, n: np.where(r.random(n) < 0.9, 9.99, 12.49), "empty": const(0)},
    )
    c.metric("rare_event", "binomial", "increase", 0.05, {"control": bern(0.0), "treatment": bern(0.002), "empty": bern(0)})
    c.metric("page_loaded", "binomial", "increase", 0.01, {"control": bern(0.996), "treatment": bern(0.997), "empty": bern(0)})
    c.metric(
        "signup",
        "binomial",
        "increase",
        0.05,
        {"control": bern(0.05), "treatment": bern(0.0), "empty": bern(0)},
        omit=("treatment",),
    )
    cases.append(c.build())

    c = Case(
        "srm_mismatch",
        "50/50 configured but 5000 vs 5400 exposed, plus users seen in both arms",
        seed=909,
        multiple_arm_users=37,
    )
    c.arm("control", 50, 5_000, control=True).arm("treatment", 50, 5_400)
    c.metric("conversion", "binomial", "increase", 0.05, {"control": bern(0.3), "treatment": bern(0.3)})
    cases.append(c.build())

    return cases


def render():
    doc = dict(
        generator="scripts/stats_reference.py",
        versions=dict(numpy=np.__version__, scipy=scipy.__version__),
        defaults=dict(minUsers=DEFAULT_MIN_USERS, minConversions=DEFAULT_MIN_CONVERSIONS),
        cases=build_cases(),
    )
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python3 scripts/stats_reference.py", file=sys.stderr)
            return 1
        print("fixture up to date")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)} (statsmodels cross-check: {'on' if HAVE_STATSMODELS else 'off'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
