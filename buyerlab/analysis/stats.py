"""Small-sample statistics for comparing how often groups of interviews mention a code.

Every share in buyerlab is a count of interviews out of a group of interviews, so the
tools here are the ones for binomial proportions and 2 x k contingency tables:

- ``wilson_interval``: the Wilson score interval (good coverage for small n and for
  shares near 0 or 1, unlike the normal approximation).
- ``compare_groups``: one test of independence for a 2 x k table (row 0 = interviews
  that mention the code, row 1 = those that do not; one column per group).
  Pearson's chi-square (no Yates correction) when every expected count is >= 5; otherwise
  Fisher's exact test (2 x 2: ``scipy.stats.fisher_exact``; 2 x k: the Freeman-Halton
  extension, enumerated exactly here, or, when the table has more than
  ``MAX_EXACT_TABLES`` possible fillings, a Monte Carlo estimate from ``MC_RESAMPLES``
  random tables with the same margins and a fixed seed, so results are reproducible).
  Effect size: Cramér's V always; for 2 x 2 also the difference in shares and the sample
  odds ratio.
- ``fdr``: Benjamini-Hochberg q-values (``scipy.stats.false_discovery_control``),
  ignoring untestable (NaN) p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as _st
from scipy.special import gammaln

SMALL_GROUP = 5  # groups with fewer interviews are flagged (never dropped)
MIN_EXPECTED = 5.0  # any expected count below this switches chi-square to Fisher
MAX_EXACT_TABLES = 200_000  # beyond this many tables, Freeman-Halton is estimated
MC_RESAMPLES = 4_999  # standard error of p near 0.05: 0.003
MC_SEED = 20260101


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n; (nan, nan) when n == 0."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"wilson_interval needs 0 <= k <= n, got k={k}, n={n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if n == 0:
        return (math.nan, math.nan)
    z = float(_st.norm.ppf(1 - (1 - confidence) / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 and k = n the bound is exactly 0 or 1; floating error would say 5e-17.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


def wilson_arrays(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``wilson_interval`` over arrays of counts (NaN where n == 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = float(_st.norm.ppf(1 - (1 - confidence) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


@dataclass
class GroupTest:
    """The result of ``compare_groups`` for one code."""

    test: str  # chi2 | fisher | fisher_freeman_halton | fisher_freeman_halton_mc | not_testable
    p: float
    statistic: float  # chi-square statistic (also reported when Fisher gives the p-value)
    cramers_v: float
    share_diff: float = math.nan  # 2 x 2 only: share in group 0 minus share in group 1
    odds_ratio: float = math.nan  # 2 x 2 only: (a d) / (b c), inf when b c == 0
    min_expected: float = math.nan
    small_groups: list[int] = field(default_factory=list)  # column indices with n < SMALL_GROUP


def _as_table(table) -> np.ndarray:
    arr = np.asarray(table)
    if arr.ndim != 2 or arr.shape[0] != 2:
        raise ValueError(f"compare_groups needs a 2 x k table (mentioned / not), got shape {arr.shape}")
    if np.any(arr < 0) or not np.all(np.equal(np.mod(arr, 1), 0)):
        raise ValueError("compare_groups needs non-negative integer counts")
    return arr.astype(np.int64)


def _chi2(arr: np.ndarray) -> tuple[float, float, np.ndarray]:
    n = arr.sum()
    expected = np.outer(arr.sum(axis=1), arr.sum(axis=0)) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.nansum((arr - expected) ** 2 / expected))
    dof = (arr.shape[0] - 1) * (arr.shape[1] - 1)
    p = float(_st.chi2.sf(stat, dof))
    return stat, p, expected


def _log_comb(n, k):
    return gammaln(np.asarray(n) + 1) - gammaln(np.asarray(k) + 1) - gammaln(np.asarray(n) - np.asarray(k) + 1)


def _count_tables(cols: np.ndarray, m: int) -> float:
    """How many first rows x (0 <= x_j <= c_j, sum x = m) exist; float, may be huge."""
    counts = np.zeros(m + 1)
    counts[0] = 1.0
    for c in cols:
        counts = np.convolve(counts, np.ones(int(c) + 1))[: m + 1]
    return float(counts[m])


def freeman_halton_2xk(table, max_tables: int = MAX_EXACT_TABLES) -> tuple[float, str]:
    """Fisher-Freeman-Halton p-value for a 2 x k table: exact, or Monte Carlo when too many tables."""
    arr = _as_table(table)
    cols = arr.sum(axis=0)
    m = int(arr[0].sum())
    n_total = int(cols.sum())
    observed = float(np.sum(_log_comb(cols, arr[0]))) - float(_log_comb(n_total, m))
    if _count_tables(cols, m) > max_tables:
        # Random tables with both margins fixed: the first row is a multivariate hypergeometric
        # draw. p = (1 + tables at most as likely as the observed) / (R + 1), as scipy's
        # Monte Carlo tests count, with a fixed seed so the same table gives the same p.
        rng = np.random.default_rng(MC_SEED)
        draws = rng.multivariate_hypergeometric(cols, m, size=MC_RESAMPLES, method="marginals")
        # log C(c, x) from a table of log factorials: integer indexing beats gammaln per cell.
        lf = gammaln(np.arange(int(cols.max()) + 2, dtype=float))
        logp = (lf[cols + 1] - lf[draws + 1] - lf[cols - draws + 1]).sum(axis=1) - float(_log_comb(n_total, m))
        hits = int(np.count_nonzero(logp <= observed + 1e-7))
        return (hits + 1) / (MC_RESAMPLES + 1), "fisher_freeman_halton_mc"
    # Enumerate every first row consistent with both margins; the table's probability is
    # multivariate hypergeometric: prod C(c_j, x_j) / C(N, m).
    remaining_cap = np.concatenate([np.cumsum(cols[::-1])[::-1][1:], [0]])
    sums = np.zeros(1, dtype=np.int64)
    logp = np.zeros(1)
    for j, c in enumerate(cols):
        new_s, new_l = [], []
        for x in range(int(c) + 1):
            s = sums + x
            ok = (s <= m) & (m - s <= remaining_cap[j])
            if ok.any():
                new_s.append(s[ok])
                new_l.append(logp[ok] + float(_log_comb(c, x)))
        sums = np.concatenate(new_s)
        logp = np.concatenate(new_l)
    logp -= float(_log_comb(n_total, m))
    # Relative tolerance as in scipy's 2 x 2 code: tables as likely as the observed one count.
    p = float(np.exp(logp[logp <= observed + 1e-7]).sum())
    return min(1.0, p), "fisher_freeman_halton"


def compare_groups(table, small_group: int = SMALL_GROUP) -> GroupTest:
    """Test whether mentioning a code depends on the group: 2 x k table, row 0 = mentioned."""
    arr = _as_table(table)
    sizes = arr.sum(axis=0)
    small = [int(i) for i in np.flatnonzero(sizes < small_group)]
    n = int(arr.sum())
    k = arr.shape[1]
    share_diff = odds_ratio = math.nan
    if k == 2 and sizes.min() > 0:
        share_diff = float(arr[0, 0] / sizes[0] - arr[0, 1] / sizes[1])
        a, b = arr[0, 0], arr[0, 1]
        c, d = arr[1, 0], arr[1, 1]
        # Odds of mentioning in group 0 over odds in group 1.
        num, den = float(a * d), float(b * c)
        odds_ratio = num / den if den > 0 else (math.inf if num > 0 else math.nan)
    if k < 2 or n == 0 or (sizes == 0).any() or (arr.sum(axis=1) == 0).any():
        return GroupTest("not_testable", math.nan, math.nan, math.nan, share_diff, odds_ratio,
                         math.nan, small)
    stat, p, expected = _chi2(arr)
    cramers_v = math.sqrt(stat / (n * (min(arr.shape) - 1)))
    min_exp = float(expected.min())
    test = "chi2"
    if min_exp < MIN_EXPECTED:
        if k == 2:
            p = float(_st.fisher_exact(arr).pvalue)
            test = "fisher"
        else:
            p, test = freeman_halton_2xk(arr)
    return GroupTest(test, p, stat, cramers_v, share_diff, odds_ratio, min_exp, small)


def fdr(pvalues) -> np.ndarray:
    """Benjamini-Hochberg q-values; NaN p-values (untestable codes) stay NaN and are not counted."""
    p = np.asarray(pvalues, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = _st.false_discovery_control(p[ok], method="bh")
    return q
