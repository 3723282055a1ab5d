"""Statistics checked against scipy and against numbers computed by hand."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from scipy import stats

from buyerlab.analysis.stats import (
    compare_groups, fdr, freeman_halton_2xk, wilson_arrays, wilson_interval,
)


def test_wilson_by_hand():
    # 5 of 10, z = 1.959964: centre 0.5, half-width z*sqrt(.025 + z^2/400)/(1 + z^2/10)
    z = 1.959963984540054
    half = z * math.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.5 - half) and high == pytest.approx(0.5 + half)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)


def test_wilson_edges_and_confidence():
    low, high = wilson_interval(0, 7)
    assert low == 0.0 and high == pytest.approx(0.3543, abs=1e-4)
    assert wilson_interval(7, 7)[1] == 1.0
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    wide = wilson_interval(3, 10, confidence=0.99)
    narrow = wilson_interval(3, 10, confidence=0.90)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]
    with pytest.raises(ValueError):
        wilson_interval(4, 3)


def test_wilson_arrays_match_scalar():
    k, n = np.array([0, 3, 9, 0]), np.array([4, 10, 9, 0])
    lo, hi = wilson_arrays(k, n)
    for i in range(3):
        assert (lo[i], hi[i]) == pytest.approx(wilson_interval(int(k[i]), int(n[i])))
    assert np.isnan(lo[3]) and np.isnan(hi[3])


def test_chi_square_when_expected_counts_are_large():
    table = [[30, 12, 20], [20, 38, 30]]
    res = compare_groups(table)
    chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)
    assert res.test == "chi2"
    assert res.p == pytest.approx(p) and res.statistic == pytest.approx(chi2)
    assert res.cramers_v == pytest.approx(math.sqrt(chi2 / 150))
    assert res.min_expected == pytest.approx(expected.min())
    assert math.isnan(res.share_diff)  # only defined for two groups


def test_fisher_for_small_2x2_with_share_diff_and_odds_ratio():
    table = [[8, 1], [2, 5]]  # 8 of 10 vs 1 of 6 mention the code
    res = compare_groups(table)
    assert res.test == "fisher"
    assert res.p == pytest.approx(stats.fisher_exact(table).pvalue)
    assert res.share_diff == pytest.approx(0.8 - 1 / 6)
    assert res.odds_ratio == pytest.approx((8 * 5) / (1 * 2))
    assert res.small_groups == []


def _fh_by_brute_force(table):
    table = np.asarray(table)
    cols, m, n = table.sum(0), table[0].sum(), table.sum()

    def prob(x):
        return math.prod(math.comb(int(c), int(v)) for c, v in zip(cols, x)) / math.comb(int(n), int(m))

    p_obs = prob(table[0])
    total = 0.0
    for x in product(*[range(int(c) + 1) for c in cols]):
        if sum(x) == m and prob(x) <= p_obs * (1 + 1e-7):
            total += prob(x)
    return total


@pytest.mark.parametrize("table", [
    [[3, 1, 0], [2, 5, 6]],
    [[4, 0, 1, 2], [1, 3, 3, 2]],
    [[0, 2], [3, 1]],
])
def test_freeman_halton_matches_brute_force_enumeration(table):
    p, method = freeman_halton_2xk(table)
    assert method == "fisher_freeman_halton"
    assert p == pytest.approx(_fh_by_brute_force(table))


def test_freeman_halton_agrees_with_scipy_fisher_on_2x2():
    table = [[6, 2], [1, 4]]
    assert freeman_halton_2xk(table)[0] == pytest.approx(stats.fisher_exact(table).pvalue)


def test_2xk_small_cells_use_freeman_halton_and_flag_small_groups():
    res = compare_groups([[3, 1, 0], [2, 5, 3]])
    assert res.test == "fisher_freeman_halton"
    assert res.p == pytest.approx(_fh_by_brute_force([[3, 1, 0], [2, 5, 3]]))
    assert res.small_groups == [2]  # 3 interviews: flagged


def test_monte_carlo_fallback_is_reproducible():
    table = [[2, 40, 41, 39, 44], [1, 60, 59, 61, 56]]
    p1, m1 = freeman_halton_2xk(table, max_tables=1000)
    p2, _ = freeman_halton_2xk(table, max_tables=1000)
    assert m1 == "fisher_freeman_halton_mc" and p1 == p2 and 0 < p1 <= 1


def test_untestable_tables():
    assert compare_groups([[0, 0], [5, 7]]).test == "not_testable"  # nobody mentions it
    assert compare_groups([[5, 7], [0, 0]]).test == "not_testable"  # everybody does
    res = compare_groups([[3], [4]])  # one group
    assert res.test == "not_testable" and math.isnan(res.p)


def test_fdr_matches_scipy_and_skips_nan():
    p = [0.01, 0.04, np.nan, 0.03, 0.5]
    q = fdr(p)
    expected = stats.false_discovery_control([0.01, 0.04, 0.03, 0.5])
    assert np.isnan(q[2])
    assert q[[0, 1, 3, 4]] == pytest.approx(expected)
    # by hand: m = 4, sorted p .01 .03 .04 .5 -> .04, .0533, .0533, .5
    assert q[0] == pytest.approx(0.04) and q[3] == pytest.approx(0.04 * 4 / 3)


def test_bad_tables_are_rejected():
    with pytest.raises(ValueError):
        compare_groups([[1, 2, 3]])
    with pytest.raises(ValueError):
        compare_groups([[1, -2], [3, 4]])


def test_monte_carlo_estimate_is_close_to_the_exact_p():
    table = [[4, 0, 1, 2], [1, 3, 3, 2]]
    exact, _ = freeman_halton_2xk(table)
    estimate, method = freeman_halton_2xk(table, max_tables=1)
    assert method == "fisher_freeman_halton_mc"
    assert estimate == pytest.approx(exact, abs=0.02)  # 4,999 draws: standard error < 0.008


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_share_and_stays_in_unit_interval(kn):
    k, n = kn
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=4))
def test_exact_p_is_a_probability_and_matches_brute_force(cols):
    table = np.array(cols).T
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return
    p, _ = freeman_halton_2xk(table)
    assert 0 < p <= 1 and p == pytest.approx(_fh_by_brute_force(table))
