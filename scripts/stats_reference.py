#!/usr/bin/env python3
"""Reference values for the abgate significance engine (src/core/stats).

Simulates seeded per-user data for a set of experiments, reduces it to the shifted sums the store
keeps (MomentSums / RatioSums, shift = the first value seen), and computes every field of the
expected analysis independently from the raw per-user data: means and variances with numpy, Welch
tests and intervals with scipy.stats.ttest_ind, z tests with scipy.stats.norm, Fieller intervals by
solving their quadratic, ratio metrics by the delta method with numpy's covariance, Holm from its
definition, Benjamini-Hochberg with scipy.stats.false_discovery_control, confidence sequences from
GrowthBook's formulas (gbstats). It cross-checks them against each other (e.g. the always-valid
p-value against a bisection over the confidence sequence) and writes
test/fixtures/stats-reference.json for test/core/stats/reference.test.ts and the distribution
tables (mpmath, 40 digits) for test/core/stats/distributions.test.ts.

    python3 scripts/stats_reference.py           # (re)write the fixture
    python3 scripts/stats_reference.py --check   # exit 1 if the committed fixture is stale

Output is deterministic for a given numpy/scipy (numpy's Generator streams are only guaranteed per
version, so regenerating with another numpy may change the simulated data, not the formulas).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test" / "fixtures" / "stats-reference.json"

# Must match src/core/stats.
DEFAULT_MIN_USERS = 100
DEFAULT_MIN_CONVERSIONS = 10
DEFAULT_TUNING = 5000
PRECISION_FLOOR = 1e-10
SRM_P_THRESHOLD = 0.001
TARGET_POWER = 0.8
GUARDRAIL_KINDS = ["maxIncrease", "maxRelativeIncrease", "maxDecrease", "maxRelativeDecrease"]

CROSS_CHECK_RTOL = 1e-9


# --------------------------------------------------------------------------------------------
# helpers


def finite(x):
    """The engine's finiteOrNull."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return 0.0 if x == 0 else x


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
# the store's sums (what the engine receives)


def moment_sums(values, has):
    """Σ(x − K), Σ(x − K)² over the users with a value, K = the first value (exactly summed)."""
    xs = values[has]
    if xs.size == 0:
        return dict(users=0, shift=0.0, sum=0.0, sumSquares=0.0)
    k = float(xs[0])
    d = xs - k
    return dict(users=int(xs.size), shift=k, sum=math.fsum(d), sumSquares=math.fsum(d * d))


def zero_shift_sums(values, has):
    """What today's store holds: Σx and Σx² with no shift."""
    xs = values[has]
    return dict(users=int(xs.size), shift=0.0, sum=math.fsum(xs), sumSquares=math.fsum(xs * xs))


def binomial_sums(values):
    k = int(values.sum())
    return dict(users=k, shift=0, sum=k, sumSquares=k)


def ratio_sums(num, den):
    has = (num != 0) | (den != 0)
    n, d = num[has], den[has]
    if n.size == 0:
        return dict(users=0, shiftN=0.0, shiftD=0.0, sumN=0.0, sumD=0.0, sumNN=0.0, sumDD=0.0, sumND=0.0)
    kn, kd = float(n[0]), float(d[0])
    a, b = n - kn, d - kd
    return dict(
        users=int(n.size),
        shiftN=kn,
        shiftD=kd,
        sumN=math.fsum(a),
        sumD=math.fsum(b),
        sumNN=math.fsum(a * a),
        sumDD=math.fsum(b * b),
        sumND=math.fsum(a * b),
    )


# --------------------------------------------------------------------------------------------
# the statistics, from their definitions


def wilson(x, n, z):
    p = x / n
    z2 = z * z
    denom = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(max(0.0, p * (1 - p) / n + z2 / (4 * n * n)))
    low = 0.0 if x <= 0 else max(0.0, center - half)
    high = 1.0 if x >= n else min(1.0, center + half)
    return interval(low, high)


def holm(pvalues):
    """Holm from its definition: adj_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j))."""
    present = sorted(((p, i) for i, p in enumerate(pvalues) if p is not None), key=lambda e: (e[0], e[1]))
    m = len(present)
    out = [None] * len(pvalues)
    for rank, (p, i) in enumerate(present):
        out[i] = min(1.0, max((m - j) * present[j][0] for j in range(rank + 1)))
    return out


def benjamini_hochberg(pvalues):
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    out = [None] * len(pvalues)
    if idx:
        adj = stats.false_discovery_control([pvalues[i] for i in idx], method="bh")
        for i, a in zip(idx, adj):
            out[i] = float(a)
    return out


def adjust(correction, pvalues):
    if correction == "holm":
        return holm(pvalues)
    if correction == "benjamini-hochberg":
        return benjamini_hochberg(pvalues)
    return list(pvalues)


def sequential_rho(alpha, tuning, two_sided=True):
    """gbstats sequential_rho."""
    a = alpha if two_sided else 2 * alpha
    return math.sqrt((-2 * math.log(a) + math.log(-2 * math.log(a) + 1)) / tuning)


def sequential_halfwidth(se, n, alpha, rho):
    """gbstats sequential_interval_halfwidth with s2 = se²·n."""
    s2 = se * se * n
    return math.sqrt(s2) * math.sqrt(2 * (n * rho**2 + 1) * math.log(math.sqrt(n * rho**2 + 1) / alpha) / (n * rho) ** 2)


def sequential_halfwidth_one_sided(se, n, alpha, rho):
    s2 = se * se * n
    return math.sqrt(s2 * 2 * (n * rho**2 + 1) / (n * rho) ** 2 * math.log(1 + math.sqrt(n * rho**2 + 1) / (2 * alpha)))


def sequential_p(estimate, se, n, rho):
    """gbstats SequentialTwoSidedTTest.p_value (Waudby-Smith et al., eq. 155)."""
    st2 = estimate**2 * n / se**2
    tr2p1 = n * rho**2 + 1
    log_evalue = rho**2 * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
    return min(1.0, math.exp(-log_evalue)) if log_evalue > -700 else 1.0


def sequential_p_by_bisection(estimate, se, n, rho):
    """Independent inversion: the smallest level whose confidence sequence excludes 0."""
    lo, hi = 1e-300, 1 - 1e-16
    if abs(estimate) <= sequential_halfwidth(se, n, hi, rho):
        return 1.0
    if abs(estimate) > sequential_halfwidth(se, n, lo, rho):
        return None
    for _ in range(200):
        mid = math.sqrt(lo * hi) if hi / lo > 4 else 0.5 * (lo + hi)
        if abs(estimate) > sequential_halfwidth(se, n, mid, rho):
            hi = mid
        else:
            lo = mid
    return hi


def fieller(a, b, va, vb, q):
    """Lift interval (b − a)/|a| from Fieller's quadratic (b − ρa)² ≤ q²(vb + ρ²va), solved as
    written (unnormalized) in 80-digit arithmetic, so neither values of 1e150 or 1e-80 nor the
    cancellation in B² − AC for means of 1e6 with standard errors of 3e-4 are any concern."""
    with mp.workdps(80):
        a, b, va, vb, q = (mp.mpf(x) for x in (a, b, va, vb, q))
        A = a * a - q * q * va
        B = a * b
        C = b * b - q * q * vb
        if not A > 0:
            return None, "unbounded"
        disc = B * B - A * C
        roots = sorted([(B - mp.sqrt(disc)) / A, (B + mp.sqrt(disc)) / A])
        for r in roots:  # the roots satisfy the quadratic with equality
            lhs, rhs = (b - r * a) ** 2, q * q * (vb + r * r * va)
            check(abs(lhs - rhs) <= mp.mpf("1e-30") * max(lhs, rhs), "fieller root")
        lifts = sorted([mp.sign(a) * (r - 1) for r in roots])
        return interval(float(lifts[0]), float(lifts[1])), "bounded"


def power_of_two_scale(*arrays):
    """A power of two bringing the values near 1 (exact in floating point), for scipy routines whose
    intermediate results (Welch's se⁴) overflow or underflow for values near 1e77 or 1e-80: scipy
    itself returns a wrong df, and so a wrong p-value, for the 1e-80 case without it."""
    top = max(float(np.max(np.abs(x))) for x in arrays)
    if top == 0 or 1e-30 < top < 1e30:
        return 1.0
    return 2.0 ** round(math.log2(top))


def sample_size(mtype, mean, unit_variance, mde, alpha):
    """Returns (n, reason)."""
    if not (math.isfinite(mde) and mde > 0):
        return None, "invalid_mde"
    if alpha is None or mean == 0:
        return None, "undefined"
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(TARGET_POWER)
    if mtype == "binomial":
        p1 = mean
        p2 = p1 * (1 + mde)
        if p2 > 1:
            return None, "invalid_mde"
        raw = z * z * (p1 * (1 - p1) + p2 * (1 - p2)) / ((p2 - p1) ** 2)
    else:
        if unit_variance is None or not unit_variance > 0:
            return None, "undefined"
        raw = 2 * z * z * unit_variance / (mde * mean) ** 2
    n = finite(math.ceil(raw))
    return (None, "undefined") if n is None or n <= 0 else (int(n), None)


# --------------------------------------------------------------------------------------------
# the analysis, from raw per-user data


def summarize_arm(metric, arm, n, sums, raw, alpha, min_users, min_conv):
    """raw: per-user values (binomial, continuous) or (numerators, denominators) (ratio), length n."""
    mtype = metric["type"]
    ctx = dict(metric=metric["name"], arm=arm)
    base = dict(arm=arm, n=n, mean=None, unit=None, v=None, ci=None, raw=raw, warnings=[])
    if n == 0:
        return {**base, "warnings": [warning("empty_arm", **ctx)]}
    warnings = []
    if mtype == "binomial":
        x = int(raw.sum())
        check(x == sums["sum"], "binomial sums")
        p = x / n
        if n < min_users or x < min_conv or n - x < min_conv:
            warnings.append(warning("insufficient_data", **ctx))
        if p == 0 or p == 1:
            warnings.append(warning("zero_variance", **ctx))
        ci = None
        if alpha is not None:
            ci = wilson(x, n, stats.norm.isf(alpha / 2))
            bt = stats.binomtest(x, n).proportion_ci(1 - alpha, method="wilson")
            check(close(ci[0], max(0.0, bt.low), atol=1e-12) and close(ci[1], min(1.0, bt.high), atol=1e-12), "wilson")
        return dict(base, mean=p, unit=p * (1 - p), v=p * (1 - p) / n, ci=ci, warnings=warnings)

    if n < min_users or n < 2:
        warnings.append(warning("insufficient_data", **ctx))

    if mtype == "ratio":
        num, den = raw
        md = den.mean()
        if md == 0:
            return {**base, "warnings": warnings + [warning("denominator_zero", **ctx)]}
        r = num.sum() / den.sum()
        unit = None
        if n >= 2:
            if np.all(num == num[0]) and np.all(den == den[0]):
                unit = 0.0
                warnings.append(warning("zero_variance", **ctx))
            else:
                cov = np.cov(num, den, ddof=1)  # the delta method with the per-user covariance
                unit = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (md * md)
                lin = (num - r * den) / md  # cross-check: variance of the linearized per-user value
                check(close(unit, float(np.var(lin, ddof=1)), rtol=1e-7), "ratio linearization")
        v = None if unit is None else unit / n
        ci = None
        if v is not None and v > 0 and alpha is not None:
            h = stats.norm.isf(alpha / 2) * math.sqrt(v)
            ci = interval(r - h, r + h)
        return dict(base, mean=finite(r), unit=unit, v=v, ci=ci, warnings=warnings)

    values = raw
    mean = float(np.mean(values))
    unit = None
    if n >= 2:
        if np.all(values == values[0]):
            unit = 0.0
            warnings.append(warning("zero_variance", **ctx))
        else:
            unit = float(np.var(values, ddof=1))
            if not unit * (n - 1) > PRECISION_FLOOR * sums["sumSquares"]:
                unit = None
                warnings.append(warning("precision_loss", **ctx))
    v = None if unit is None else unit / n
    ci = None
    if v is not None and v > 0 and alpha is not None:
        lo, hi = stats.t.interval(1 - alpha, n - 1, loc=mean, scale=math.sqrt(v))
        ci = interval(lo, hi)
    return dict(base, mean=finite(mean), unit=unit, v=v, ci=ci, warnings=warnings)


class Reference:
    """How T = diff/se is judged: p-value and the critical value at any level (they must agree)."""

    def __init__(self, kind, df=None, users=None, rho=None):
        self.kind, self.df, self.users, self.rho = kind, df, users, rho

    def critical(self, level):
        if self.kind == "normal":
            return stats.norm.isf(level / 2)
        if self.kind == "t":
            return stats.t.isf(level / 2, self.df)
        return sequential_halfwidth(1.0, self.users, level, self.rho)

    def p(self, t):
        if self.kind == "normal":
            return min(1.0, 2 * stats.norm.sf(abs(t)))
        if self.kind == "t":
            return 2 * stats.t.sf(abs(t), self.df)
        return sequential_p(t, 1.0, self.users, self.rho)


def compare(metric, c, t, ctx):
    alpha = ctx["alpha"]
    at = dict(metric=metric["name"], arm=t["arm"])
    warnings = list(c["warnings"]) + list(t["warnings"])
    out = dict(
        arm=t["arm"],
        baseline=c["mean"],
        test=t["mean"],
        statistic=None,
        p_value=None,
        diff=None,
        diff_ci=None,
        relative_lift=None,
        relative_lift_ci=None,
        ci_level=None if alpha is None else 1 - alpha,
        chance_to_beat_control=None,
        sample_size_needed=None,
        progress=None,
    )
    inference = None
    if c["n"] > 0 and t["n"] > 0 and c["mean"] is not None and t["mean"] is not None:
        diff = t["mean"] - c["mean"]
        out["diff"] = finite(diff)
        out["relative_lift"] = None if c["mean"] == 0 else finite(diff / abs(c["mean"]))
        if c["v"] is not None and t["v"] is not None and c["v"] + t["v"] > 0:
            se = math.sqrt(c["v"] + t["v"])
            if ctx["analysis"] == "sequential":
                ref = None if ctx["rho"] is None else Reference("seq", users=c["n"] + t["n"], rho=ctx["rho"])
            elif metric["type"] == "continuous":
                k = power_of_two_scale(t["raw"], c["raw"])
                res = stats.ttest_ind(t["raw"] / k, c["raw"] / k, equal_var=False)
                ref = Reference("t", df=float(res.df))
                check(close(float(res.statistic), diff / se, rtol=1e-7), "welch t")
                if alpha is not None:
                    ci = res.confidence_interval(1 - alpha)
                    check(close(float(ci.high) * k - diff, ref.critical(alpha) * se, rtol=1e-7), "welch interval")
            else:
                ref = Reference("normal")
            if ref is not None:
                stat = diff / se
                out["statistic"] = finite(stat)
                out["p_value"] = finite(ref.p(stat))
                if ref.kind == "seq":
                    pb = sequential_p_by_bisection(diff, se, ref.users, ref.rho)
                    check(pb is None or close(out["p_value"], pb, rtol=1e-6, atol=1e-12), "sequential p by bisection")
                sign = -1 if metric["direction"] == "decrease" else 1
                out["chance_to_beat_control"] = finite(stats.norm.cdf(sign * stat))
                inference = dict(ref=ref, se=se, diff=diff, a=c["mean"], b=t["mean"], va=c["v"], vb=t["v"])
                if alpha is not None:
                    q = ref.critical(alpha)
                    out["diff_ci"] = interval(diff - q * se, diff + q * se)
                    if c["mean"] != 0:
                        out["relative_lift_ci"], kind = fieller(c["mean"], t["mean"], c["v"], t["v"], q)
                        if kind == "unbounded":
                            warnings.append(warning("lift_interval_unbounded", **at))
    if c["n"] > 0 and c["mean"] is not None:
        if c["mean"] == 0:
            warnings.append(warning("control_mean_zero", metric=metric["name"], arm=c["arm"]))
        size, reason = sample_size(metric["type"], c["mean"], c["unit"], metric["mde"], alpha)
        if size is None and reason == "invalid_mde":
            warnings.append(warning("invalid_mde", metric=metric["name"]))
        out["sample_size_needed"] = size
    if out["sample_size_needed"] is not None:
        out["progress"] = finite(min(c["n"], t["n"]) / out["sample_size_needed"])
    out["warnings"] = warnings
    return out, inference


def finish(metric, pending, p_adj, alpha, family_size, corrected):
    out, inf = pending
    level = diff_adj = lift_adj = None
    extra = []
    if alpha is not None and p_adj is not None and out["p_value"] is not None and inf is not None:
        p = out["p_value"]
        if not corrected:
            a = alpha
        elif not p_adj > 0:
            a = alpha / max(1, family_size)  # p underflowed: Bonferroni's level
        else:
            a = alpha if p_adj == p else alpha * p / p_adj
        level = 1 - a
        q = inf["ref"].critical(a)
        diff_adj = interval(inf["diff"] - q * inf["se"], inf["diff"] + q * inf["se"])
        if inf["a"] != 0:
            lift_adj, kind = fieller(inf["a"], inf["b"], inf["va"], inf["vb"], q)
            if kind == "unbounded":
                extra.append(warning("lift_interval_unbounded", metric=metric["name"], arm=out["arm"]))
        significant = p_adj < alpha
        # the rule the engine promises: significant ⇔ the adjusted intervals exclude 0
        check(significant == (diff_adj[0] > 0 or diff_adj[1] < 0), "significance vs diff interval")
        if lift_adj is not None:
            check(significant == (lift_adj[0] > 0 or lift_adj[1] < 0), "significance vs lift interval")
    return dict(
        arm=out["arm"],
        baseline=out["baseline"],
        test=out["test"],
        statistic=out["statistic"],
        p_value=out["p_value"],
        p_value_adjusted=p_adj,
        significant=None if p_adj is None or alpha is None else bool(p_adj < alpha),
        diff=out["diff"],
        diff_ci=out["diff_ci"],
        relative_lift=out["relative_lift"],
        relative_lift_ci=out["relative_lift_ci"],
        ci_level=out["ci_level"],
        diff_ci_adjusted=diff_adj,
        relative_lift_ci_adjusted=lift_adj,
        ci_level_adjusted=level,
        chance_to_beat_control=out["chance_to_beat_control"],
        sample_size_needed=out["sample_size_needed"],
        progress=out["progress"],
        warnings=dedupe(out["warnings"] + extra),
    )


def guardrail_checks(metric, c, tests, alpha, tuning):
    reports, warnings = [], []
    limits = metric.get("guardrail")
    if limits is None:
        return reports, warnings
    for kind in GUARDRAIL_KINDS:
        if kind not in limits:
            continue
        value = limits[kind]
        if not (math.isfinite(value) and value >= 0):
            warnings.append(warning("invalid_guardrail", metric=metric["name"]))
            continue
        increase = "Increase" in kind
        relative = "Relative" in kind
        limit = value if increase else -value
        for t in tests:
            estimate = bounds = None
            if c["n"] > 0 and t["n"] > 0 and c["mean"] is not None and t["mean"] is not None:
                d = t["mean"] - c["mean"]
                estimate = (None if c["mean"] == 0 else d / abs(c["mean"])) if relative else d
                if estimate is not None and alpha is not None and c["v"] is not None and t["v"] is not None:
                    se = math.sqrt(c["v"] + t["v"])
                    if se > 0:
                        n = c["n"] + t["n"]
                        h = sequential_halfwidth_one_sided(se, n, alpha, sequential_rho(alpha, tuning, False))
                        if relative:
                            bounds, _ = fieller(c["mean"], t["mean"], c["v"], t["v"], h / se)
                        else:
                            bounds = interval(d - h, d + h)
            status = "inconclusive"
            if bounds is not None:
                lo, hi = bounds
                if increase:
                    status = "breach" if lo > limit else "ok" if hi < limit else "inconclusive"
                else:
                    status = "breach" if hi < limit else "ok" if lo > limit else "inconclusive"
            bound = None if bounds is None else (bounds[0] if increase else bounds[1])
            reports.append(
                dict(
                    metric=metric["name"],
                    arm=t["arm"],
                    kind=kind,
                    limit=float(limit),
                    estimate=finite(estimate),
                    bound=bound,
                    interval=bounds,
                    status=status,
                )
            )
            if status == "breach":
                warnings.append(warning("guardrail_breach", metric=metric["name"], arm=t["arm"]))
    return reports, warnings


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
    correction = inp.get("correction", "holm")
    analysis = inp.get("analysis", "sequential")
    tuning = inp.get("sequentialTuning", DEFAULT_TUNING)
    min_users = options.get("minUsers", DEFAULT_MIN_USERS)
    min_conv = options.get("minConversions", DEFAULT_MIN_CONVERSIONS)
    srm_report, warnings = srm(inp["arms"])
    mau = inp.get("multipleArmUsers")
    if mau is not None and mau > 0:
        warnings.append(warning("multiple_arm_users"))
    control_idx = next(i for i, a in enumerate(inp["arms"]) if a["control"])
    ctx = dict(alpha=alpha, analysis=analysis, rho=None if alpha is None else sequential_rho(alpha, tuning))
    per_metric = []
    for metric in inp["metrics"]:
        summaries = []
        for a in inp["arms"]:
            raw = raw_data[metric["name"]][a["name"]]
            sums = metric["arms"].get(a["name"])
            if sums is None:  # no entry: the engine reads all zeros
                raw = (np.zeros(a["exposures"]), np.zeros(a["exposures"])) if metric["type"] == "ratio" else np.zeros(a["exposures"])
                sums = dict(sumSquares=0.0, sum=0)
            summaries.append(summarize_arm(metric, a["name"], a["exposures"], sums, raw, alpha, min_users, min_conv))
        control = summaries[control_idx]
        pending = [compare(metric, control, s, ctx) for i, s in enumerate(summaries) if i != control_idx]
        per_metric.append((metric, summaries, control, pending))

    family = [p[0]["p_value"] for metric, _, _, pending in per_metric if "guardrail" not in metric for p in pending]
    adjusted = adjust(correction, family)
    family_size = sum(1 for p in adjusted if p is not None)
    metrics, guardrails, guardrail_warnings = [], [], []
    k = 0
    for metric, summaries, control, pending in per_metric:
        comparisons = []
        for p in pending:
            if "guardrail" in metric:
                p_adj = p[0]["p_value"]
            else:
                p_adj = adjusted[k]
                k += 1
            corrected = "guardrail" not in metric and correction != "none"
            comparisons.append(finish(metric, p, p_adj, alpha, family_size, corrected))
        metrics.append(
            dict(
                name=metric["name"],
                type=metric["type"],
                direction=metric["direction"],
                guardrail=metric.get("guardrail"),
                arms=[dict(arm=s["arm"], n=s["n"], mean=s["mean"], ci=s["ci"]) for s in summaries],
                comparisons=comparisons,
            )
        )
        tests = [s for i, s in enumerate(summaries) if i != control_idx]
        reports, gw = guardrail_checks(metric, control, tests, alpha, tuning)
        guardrails += reports
        guardrail_warnings += gw
        for s in summaries:
            warnings.extend(s["warnings"])
        for c in comparisons:
            warnings.extend(c["warnings"])
    warnings += guardrail_warnings
    return dict(
        alpha=inp["alpha"],
        correction=correction,
        analysis=analysis,
        sequential_tuning=tuning,
        arms=[dict(name=a["name"], weight=a["weight"], control=a["control"], exposures=a["exposures"]) for a in inp["arms"]],
        multiple_arm_users=mau,
        srm=srm_report,
        metrics=metrics,
        guardrails=guardrails,
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


class Case:
    def __init__(self, name, description, seed, alpha=0.05, options=None, multiple_arm_users=None, **settings):
        self.name, self.description = name, description
        self.rng = np.random.default_rng(seed)
        self.alpha, self.options, self.mau = alpha, options or {}, multiple_arm_users
        self.settings = settings  # correction, analysis, sequentialTuning
        self.arms, self.metrics, self.raw = [], [], {}

    def arm(self, name, weight, exposures, control=False):
        self.arms.append(dict(name=name, weight=weight, control=control, exposures=int(exposures)))
        return self

    def split(self, total, weights):
        """Exposures drawn as a multinomial split of `total` users by the weights (no SRM)."""
        w = np.array(weights, dtype=float)
        return [int(v) for v in self.rng.multinomial(total, w / w.sum())]

    def metric(self, name, mtype, direction, mde, generators, omit=(), guardrail=None, shift="first"):
        """generators: arm name -> f(rng, n) returning per-user values (ratio: a (num, den) pair)."""
        arms, raw = {}, {}
        for a in self.arms:
            values = generators[a["name"]](self.rng, a["exposures"])
            raw[a["name"]] = values
            if a["name"] in omit:
                continue
            if mtype == "binomial":
                arms[a["name"]] = binomial_sums(values)
            elif mtype == "ratio":
                arms[a["name"]] = ratio_sums(*values)
            else:
                sums = moment_sums if shift == "first" else zero_shift_sums
                arms[a["name"]] = sums(values, values != 0)
        m = dict(name=name, type=mtype, direction=direction, mde=mde)
        if guardrail is not None:
            m["guardrail"] = guardrail
        m["arms"] = arms
        self.metrics.append(m)
        self.raw[name] = raw
        return self

    def build(self):
        inp = dict(alpha=self.alpha, arms=self.arms, metrics=self.metrics)
        if self.mau is not None:
            inp["multipleArmUsers"] = self.mau
        inp.update(self.settings)
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


def normal(mean, sd):
    return lambda rng, n: rng.normal(mean, sd, n)


def scaled(gen, factor):
    return lambda rng, n: gen(rng, n) * factor


def sessions_revenue(active, sessions_mean, value_per_session, lift=0.0):
    """Ratio metric revenue / sessions per user: active users have 1 + Poisson sessions and a
    revenue that grows with them (so numerator and denominator are correlated)."""

    def gen(rng, n):
        act = rng.random(n) < active
        sessions = np.where(act, 1 + rng.poisson(sessions_mean - 1, n), 0).astype(np.float64)
        spend = np.where(rng.random(n) < 0.3, rng.gamma(2.0, value_per_session * (1 + lift), n), 0.0)
        return sessions * spend / 2, sessions

    return gen


def build_cases():
    cases = []

    c = Case("balanced", "50/50 split, 10k users, conversion 10% vs 11%, revenue with zeros (sequential, Holm)", seed=101)
    nc, nt = c.split(10_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
    c.metric("conversion", "binomial", "increase", 0.05, {"control": bern(0.10), "treatment": bern(0.11)})
    c.metric("revenue", "continuous", "increase", 0.05, {"control": revenue(0.10), "treatment": revenue(0.105)})
    cases.append(c.build())

    c = Case("balanced_fixed", "the same data with the fixed-horizon analysis (Welch and z tests)", seed=101, analysis="fixed")
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
        analysis="fixed",
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

    c = Case("tiny", "about 20 users per arm: everything is flagged insufficient", seed=303, analysis="fixed")
    c.arm("control", 1, 19, control=True).arm("treatment", 1, 22)
    c.metric("conversion", "binomial", "increase", 0.1, {"control": bern(0.3), "treatment": bern(0.45)})
    c.metric("score", "continuous", "increase", 0.1, {"control": normal(10, 3), "treatment": normal(11, 3)})
    cases.append(c.build())

    c = Case("huge", "10 million users per arm: tiny effects, Welch df in the millions", seed=404, analysis="fixed")
    nc, nt = c.split(20_000_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
    c.metric("conversion", "binomial", "increase", 0.01, {"control": bern(0.050), "treatment": bern(0.0503)})
    c.metric("latency_ms", "continuous", "decrease", 0.001, {"control": normal(120, 15), "treatment": normal(119.9, 15)})
    cases.append(c.build())

    c = Case("skewed_revenue", "lognormal(sigma=2) spend, ~96% zeros: heavy right tail", seed=505)
    nc, nt = c.split(8_000, [1, 1])
    c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
    c.metric("revenue", "continuous", "increase", 0.1, {"control": revenue(0.04, 2.5, 2.0), "treatment": revenue(0.045, 2.5, 2.0)})
    c.metric("purchase", "binomial", "increase", 0.1, {"control": bern(0.04), "treatment": bern(0.045)})
    cases.append(c.build())

    c = Case(
        "multi_arm_holm",
        "control + 3 arms at alpha 0.01, Holm over both metrics × 3 arms (fixed)",
        seed=606,
        alpha=0.01,
        analysis="fixed",
    )
    counts = c.split(40_000, [2, 1, 1, 1])
    c.arm("control", 2, counts[0], control=True).arm("strong", 1, counts[1]).arm("weak", 1, counts[2]).arm("null", 1, counts[3])
    gens = {"control": bern(0.12), "strong": bern(0.14), "weak": bern(0.127), "null": bern(0.12)}
    c.metric("conversion", "binomial", "increase", 0.05, gens)
    c.metric(
        "revenue",
        "continuous",
        "increase",
        0.05,
        {"control": revenue(0.12), "strong": revenue(0.14), "weak": revenue(0.125), "null": revenue(0.12)},
    )
    cases.append(c.build())

    for correction in ("benjamini-hochberg", "none"):
        c = Case(
            f"multi_arm_{correction}",
            f"the multi_arm_holm data with correction {correction}",
            seed=606,
            alpha=0.01,
            analysis="fixed",
            correction=correction,
        )
        counts = c.split(40_000, [2, 1, 1, 1])
        c.arm("control", 2, counts[0], control=True).arm("strong", 1, counts[1]).arm("weak", 1, counts[2]).arm("null", 1, counts[3])
        c.metric("conversion", "binomial", "increase", 0.05, gens)
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

    # ---- issue 9, item 1: relative lift over a negative control mean
    c = Case(
        "negative_control_mean",
        "profit per user around −5: treatment −4.75 raises it, so the lift and its interval are positive",
        seed=1001,
        analysis="fixed",
    )
    c.arm("control", 1, 4_000, control=True).arm("treatment", 1, 4_000)
    c.metric("profit", "continuous", "increase", 0.05, {"control": normal(-5, 1), "treatment": normal(-4.75, 1)})
    cases.append(c.build())

    # ---- item 2: large means with small spreads, exact from shifted sums
    c = Case("large_mean_small_sd", "mean 1e6, sd 1, 1e7 users per arm (s² must be 1, not 0.63)", seed=1002, analysis="fixed")
    c.arm("control", 1, 10_000_000, control=True).arm("treatment", 1, 10_000_000)
    c.metric("score", "continuous", "increase", 0.01, {"control": normal(1e6, 1), "treatment": normal(1e6 + 0.001, 1)})
    cases.append(c.build())

    c = Case("timestamps", "Unix timestamps 1.7e9 ± 1000 (4% off with unshifted sums)", seed=1003, analysis="fixed")
    c.arm("control", 1, 200_000, control=True).arm("treatment", 1, 200_000)
    c.metric("seen_at", "continuous", "increase", 0.01, {"control": normal(1.7e9, 1000), "treatment": normal(1.7e9 + 10, 1000)})
    cases.append(c.build())

    c = Case("mean_1e5_sd_1", "mean 1e5, sd 1, 1e6 users per arm, true diff 0.004: t ≈ 2.8, not zero_variance", seed=1004, analysis="fixed")
    c.arm("control", 1, 1_000_000, control=True).arm("treatment", 1, 1_000_000)
    c.metric("score", "continuous", "increase", 0.01, {"control": normal(1e5, 1), "treatment": normal(1e5 + 0.004, 1)})
    cases.append(c.build())

    c = Case(
        "unshifted_sums",
        "values 1e6 ± 1 summed without a shift (today's store): the variance is unresolvable, "
        "which is precision_loss, never zero_variance",
        seed=1005,
        analysis="fixed",
    )
    c.arm("control", 1, 100_000, control=True).arm("treatment", 1, 100_000)
    c.metric("score", "continuous", "increase", 0.01, {"control": normal(1e6, 1), "treatment": normal(1e6, 1)}, shift="zero")
    cases.append(c.build())

    # ---- item 3: overflow and underflow of intermediate results
    for name, factor in (("huge_values", 1e78), ("huge_values_1e150", 1e150), ("tiny_values", 1e-80)):
        c = Case(name, f"values of order {factor:g}: Welch df and lift variance without se⁴ or m⁴", seed=1006, analysis="fixed")
        c.arm("control", 1, 3_000, control=True).arm("treatment", 1, 3_000)
        c.metric("x", "continuous", "increase", 0.05, {"control": scaled(normal(5, 2), factor), "treatment": scaled(normal(5.2, 3), factor)})
        cases.append(c.build())

    # ---- ratio metrics (fixed and sequential)
    for analysis in ("fixed", "sequential"):
        c = Case(
            f"ratio_{analysis}",
            "revenue per session (ratio metric, delta method with the per-user covariance) next to a binomial",
            seed=1007,
            analysis=analysis,
        )
        nc, nt = c.split(20_000, [1, 1])
        c.arm("control", 1, nc, control=True).arm("treatment", 1, nt)
        c.metric(
            "revenue_per_session",
            "ratio",
            "increase",
            0.05,
            {"control": sessions_revenue(0.6, 3, 4.0), "treatment": sessions_revenue(0.6, 3, 4.0, lift=0.06)},
        )
        c.metric("active", "binomial", "increase", 0.05, {"control": bern(0.6), "treatment": bern(0.61)})
        cases.append(c.build())

    # ---- guardrails (issue 11): outside the family, one-sided and sequential
    c = Case(
        "guardrails",
        "errors +5 points against max_increase 0.005 (breach), latency against +10% (ok), a healthy arm, "
        "an invalid limit; the goal metric is corrected alone",
        seed=1008,
    )
    counts = c.split(6_000, [1, 1, 1])
    c.arm("control", 1, counts[0], control=True).arm("broken", 1, counts[1]).arm("healthy", 1, counts[2])
    c.metric("conversion", "binomial", "increase", 0.05, {"control": bern(0.2), "broken": bern(0.2), "healthy": bern(0.22)})
    c.metric(
        "abgate_errors",
        "binomial",
        "decrease",
        0.5,
        {"control": bern(0.002), "broken": bern(0.052), "healthy": bern(0.002)},
        guardrail=dict(maxIncrease=0.005),
    )
    c.metric(
        "abgate_latency_ms",
        "continuous",
        "decrease",
        0.05,
        {"control": normal(120, 20), "broken": normal(121, 20), "healthy": normal(119, 20)},
        guardrail=dict(maxRelativeIncrease=0.1, maxDecrease=-1.0),
    )
    cases.append(c.build())

    return cases


# --------------------------------------------------------------------------------------------
# distribution tables (mpmath, 40 significant digits)


def t_sf(t, df):
    """P(T > t) by integrating the density (fast and exact for any df with mpmath)."""
    df, t = mp.mpf(df), mp.mpf(t)
    c = mp.exp(mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2)) / mp.sqrt(df * mp.pi)
    return mp.quad(lambda x: c * mp.exp(-(df + 1) / 2 * mp.log1p(x * x / df)), [t, t + 1, t + 10, mp.inf])


def t_upper_quantile(q, df):
    q = mp.mpf(q)
    if df == 1:
        return mp.cot(mp.pi * q)  # Cauchy: closed form
    z = normal_upper_quantile(q)
    # start from the larger of the normal quantile (with the first Cornish-Fisher term) and the
    # power-law tail t ~ q^(−1/df); solve in u = ln t
    start = max(z * (1 + (z * z + 1) / (4 * df)), q ** (-1 / mp.mpf(df)))
    u = mp.findroot(lambda u: mp.log(t_sf(mp.exp(u), df)) - mp.log(q), mp.log(start))
    t = mp.exp(u)
    check(abs(t_sf(t, df) / q - 1) < mp.mpf("1e-15"), "t quantile")
    return t


def normal_upper_quantile(q):
    q = mp.mpf(q)
    if q == mp.mpf("0.5"):
        return mp.mpf(0)
    return mp.findroot(lambda z: mp.log(mp.ncdf(-z)) - mp.log(q), mp.sqrt(-2 * mp.log(q)) if q < mp.mpf("0.1") else mp.mpf(1) - 2 * q)


def distributions():
    mp.mp.dps = 40
    normal_q = []
    for q in ["0.5", "0.3", "0.025", "1e-3", "1e-5", "1e-10", "1e-20", "1e-50", "1e-100", "1e-300"]:
        z = normal_upper_quantile(q)
        check(abs(mp.ncdf(-z) / mp.mpf(q) - 1) < mp.mpf("1e-30"), "normal quantile")
        normal_q.append([float(mp.mpf(q)), float(z)])
    t_q = []
    for df in [1, 2, 3.5, 10, 30, 1000, 1e5, 5e6, 2e7, 5e8]:
        for q in ["0.3", "0.025", "1e-8", "1e-30"]:
            if df >= 5e6 and q == "1e-30":
                continue  # beyond any use and slow to integrate
            t = t_upper_quantile(q, df)
            t_q.append([float(mp.mpf(q)), df, float(t)])
    t_q.append([1e-300, 1, float(t_upper_quantile("1e-300", 1))])
    chi2 = []
    for df in [1, 2, 3, 5]:
        for target in ["0.5", "1e-3", "1e-12", "1e-30", "1e-100", "1e-300"]:
            # the x at which the tail is (about) the target, rounded so it is exactly a double
            x = mp.findroot(lambda x: mp.log(mp.gammainc(mp.mpf(df) / 2, x / 2, mp.inf, regularized=True)) - mp.log(mp.mpf(target)), 2 * df + 2 * (-mp.log(mp.mpf(target))))
            x = float(x)
            p = mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)
            chi2.append([x, df, float(p)])
    log_gamma = [[x, float(mp.loggamma(x))] for x in [0.1, 0.5, 1, 1.5, 2.5, 7.3, 50, 1234.5, 1e6]]
    return dict(normal_upper_quantile=normal_q, t_upper_quantile=t_q, chi2_sf=chi2, log_gamma=log_gamma)


def render():
    doc = dict(
        generator="scripts/stats_reference.py",
        versions=dict(numpy=np.__version__, scipy=scipy.__version__, mpmath=mp.__version__),
        defaults=dict(minUsers=DEFAULT_MIN_USERS, minConversions=DEFAULT_MIN_CONVERSIONS, sequentialTuning=DEFAULT_TUNING),
        distributions=distributions(),
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
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
