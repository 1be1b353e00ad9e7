"""The binomial finite-sample bound's non-first-order steps, checked exactly (Fractions) on a finite grid.

Quantile monotonicity in p is not first-order (a quantile is a least k over a sum of n + 1 terms), so it is
checked for every n <= 12 on a grid of p < q and levels d; so are the tail bounds that define the quantiles.
"""

from fractions import Fraction as F
from math import comb

import pytest
from scipy.stats import binom

from theory.finite import BINOMIAL_STEPS, STEP_CHECKS

PS = [F(i, 10) for i in range(11)]
DS = [F(1, 100), F(1, 20), F(1, 10), F(1, 4), F(1, 2), F(3, 4)]


def cdf(n: int, p: F) -> list[F]:
    """P(X <= k) for X ~ Bin(n, p), k = 0..n, exactly."""
    out, acc = [], F(0)
    for k in range(n + 1):
        acc += comb(n, k) * p**k * (1 - p) ** (n - k)
        out.append(acc)
    return out


def quantile(n: int, p: F, level: F) -> int:
    """binom.ppf: the least k with P(X <= k) >= level."""
    return next(k for k, c in enumerate(cdf(n, p)) if c >= level)


@pytest.mark.parametrize("n", range(1, 13))
def test_quantiles_are_non_decreasing_in_p(n):
    for d in DS:
        lo = [quantile(n, p, d) for p in PS]       # Q_lo(n; p, d)
        hi = [quantile(n, p, 1 - d) for p in PS]   # Q_hi(n; p, d)
        assert lo == sorted(lo) and hi == sorted(hi), d
    # the reason: Bin(n, q) dominates Bin(n, p) for p < q, so every CDF value falls with p
    cdfs = [cdf(n, p) for p in PS]
    assert all(a >= b for lower, upper in zip(cdfs, cdfs[1:]) for a, b in zip(lower, upper))


@pytest.mark.parametrize("n", range(1, 13))
def test_quantiles_bound_the_tails_and_match_scipy(n):
    for p in PS:
        c = cdf(n, p)
        for d in DS:
            lo, hi = quantile(n, p, d), quantile(n, p, 1 - d)
            assert lo == 0 or c[lo - 1] < d          # P(X < Q_lo) < d
            assert 1 - c[hi] <= d                    # P(X > Q_hi) <= d
            # numerics/bounds.py evaluates these with scipy in floats; away from exact ties they agree
            if all(abs(float(x - level)) > 1e-9 for x in c for level in (d, 1 - d)):
                assert binom.ppf(float(d), n, float(p)) == lo and binom.ppf(float(1 - d), n, float(p)) == hi


def test_every_step_says_how_it_is_checked():
    assert set(STEP_CHECKS) == {name for name, _, _ in BINOMIAL_STEPS}
    assert all(v.split(":")[0] in ("z3", "exact", "cited") for v in STEP_CHECKS.values())
