"""Privacy: randomized response leaves the Bayes firm unchanged (exactly), costs members with finite data, and
group privacy caps a collective against DP-SGD; the simulations agree with the exact law and the bounds."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.privacy import dpsgd_success, rr_exact, rr_success, zcdp_epsilon
from tests.strategies import instances
from theory.evaluate import evaluate
from theory.instance import collective_table, marginal, mixture, predictions, unique_argmax


def noisy(table, e, k):
    """K-ary randomized response with e = exp(eps) (a rational): keep with q = e/(e + K - 1)."""
    q = F(e) / (F(e) + k - 1)
    return tuple(tuple(q * v + (1 - q) / (k - 1) * (sum(row) - v) for v in row) for row in table)


@settings(max_examples=200, deadline=None)
@given(instances(), st.sampled_from([F(11, 10), F(3, 2), F(3), F(20)]))
def test_randomized_response_keeps_every_bayes_decision_and_tie(inst, e):
    clean = mixture(inst)
    assert tuple(unique_argmax(r) for r in noisy(clean, e, inst.num_labels)) == predictions(inst)


def test_randomized_response_slope_is_kappa():
    e, k = F(3), 4
    table = ((F(1, 2), F(1, 4), 0, 0), (0, 0, F(1, 8), F(1, 8)))
    out = noisy(table, e, k)
    kappa = (e - 1) / (e + k - 1)
    r = (1 - e / (e + k - 1)) / (k - 1)
    for row, nrow, px in zip(table, out, marginal(table)):
        assert all(nv == kappa * v + r * px for v, nv in zip(row, nrow))
    assert float(kappa) == pytest.approx(evaluate("privacy-rr-bayes", "kappa", dict(eps_dp=math.log(3), K=4)))


@pytest.mark.parametrize("eps, k", [(0.25, 2), (0.5, 3), (1.0, 3), (2.0, 5)])
def test_finite_bound_holds_and_the_simulation_matches_the_exact_law(eps, k):
    ns = np.array([3, 9, 21, 51, 121])  # odd: with K = 2 an even n can tie, which counts against
    exact = np.array([rr_exact(int(n), eps, k) for n in ns])
    bound = evaluate("privacy-rr-finite", "bound", dict(n_c=ns.astype(float), eps_dp=eps, K=k))
    assert np.all(exact >= bound - 1e-12)
    sim = rr_success(ns, eps, k, seeds=3000, seed=1)
    sd = np.sqrt(exact * (1 - exact) / 3000)
    assert np.all(np.abs(sim - exact) <= 5 * sd + 1e-9), (sim, exact)
    assert np.all(np.diff(exact) > 0)


def test_exact_law_against_brute_force_enumeration():
    import itertools
    eps, k, n = 0.7, 3, 6
    q = math.exp(eps) / (math.exp(eps) + k - 1)
    total = 0.0
    for labels in itertools.product(range(k), repeat=n):
        counts = [labels.count(v) for v in range(k)]
        p = math.prod(q if v == 0 else (1 - q) / (k - 1) for v in labels)
        total += p * (counts[0] > max(counts[1:]))
    assert rr_exact(n, eps, k) == pytest.approx(total, abs=1e-12)


def test_members_needed_grow_like_one_over_eps_squared():
    k, s = 3, 0.9
    needed = []
    for eps in (0.5, 1.0, 2.0):
        n_star = evaluate("privacy-rr-finite", "n_star", dict(eps_dp=eps, K=k, S_star=s))
        first = next(n for n in range(1, 5000) if rr_exact(n, eps, k) >= s)
        assert first <= math.ceil(n_star)  # the bound's n* suffices (it is an upper bound on the exact need)
        needed.append(first)
    assert needed[0] > needed[1] > needed[2]
    limit = evaluate("privacy-rr-finite", "n_star_times_eps2_at_0", dict(K=k, S_star=s))
    assert evaluate("privacy-rr-finite", "n_star", dict(eps_dp=1e-3, K=k, S_star=s)) * 1e-6 == pytest.approx(limit, rel=1e-2)


def test_group_privacy_caps_dpsgd_and_noise_raises_the_members_needed():
    ns = [10, 40, 160]
    loud = dpsgd_success(ns, 300.0, seeds=6, target=1, steps=60)
    quiet = dpsgd_success(ns, 0.0, seeds=6, target=1, steps=60)
    delta = 1e-5
    for n, s in zip(ns, loud["success"]):
        eps = zcdp_epsilon(300.0, 60, 2 * n, delta)
        cap = evaluate("privacy-group", "upper", dict(n_c=1, eps_dp=eps, delta_dp=delta, S_0=loud["success_0"]))
        assert s <= min(cap, 1.0) + 0.05
    assert quiet["success"][-1] > loud["success"][-1] + 0.1
    assert evaluate("privacy-group", "n_needed", dict(eps_dp=0.1, S_star=0.9, S_0=0.1)) == pytest.approx(math.log(9) / 0.1)
