"""theory/reweighting.py: each derived alpha_eff against direct Fraction computations on random finite distributions."""

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.errors import InputError
from theory.evaluate import evaluate
from theory.paper import all_ids, result
from theory.parameters import SYMBOLS
from theory.reweighting import IDS, inverse_alpha_eff, mixture_alpha_eff, scheme_alpha_eff

S = SYMBOLS
weights = st.lists(st.integers(1, 20), min_size=2, max_size=6)
alphas = st.fractions(Fraction(1, 50), Fraction(49, 50), max_denominator=60)


def exact(expr, **values) -> Fraction:
    got = expr.subs({S[k]: sp.Rational(v.numerator, v.denominator) for k, v in values.items()})
    assert got.is_Rational, got
    return Fraction(int(got.p), int(got.q))


def normalized(ws):
    total = sum(ws)
    return [Fraction(w, total) for w in ws]


@settings(max_examples=15, deadline=None)
@given(data=st.data(), alpha=alphas)
def test_mixture_alpha_eff_makes_the_reweighted_mixture_a_mixture(data, alpha):
    n = data.draw(st.integers(2, 6))
    p0 = normalized(data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n).filter(any)))
    ps = normalized(data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n).filter(any)))
    w = [Fraction(k, 3) for k in data.draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))]
    mix = [alpha * a + (1 - alpha) * b for a, b in zip(ps, p0)]
    mean = lambda dist: sum(d * wi for d, wi in zip(dist, w))
    pw = [wi * m / mean(mix) for wi, m in zip(w, mix)]
    a = exact(mixture_alpha_eff(), alpha=alpha, W_star=mean(ps), W_0=mean(p0))
    assert a == alpha * mean(ps) / mean(mix)  # the issue's form alpha E_{P*}[w] / E_P[w]
    as_mixture = [a * wi * s / mean(ps) + (1 - a) * wi * b / mean(p0) for wi, s, b in zip(w, ps, p0)]
    assert pw == as_mixture
    assert exact(inverse_alpha_eff(), alpha_eff=a, W_star=mean(ps), W_0=mean(p0)) == alpha


def _instance(data, n_x, k):
    """A random joint P0 over n_x features and k labels, with every label present."""
    cells = data.draw(st.lists(st.integers(1, 9), min_size=n_x * k, max_size=n_x * k))
    p0 = normalized(cells)
    return {(x, y): p0[x * k + y] for x in range(n_x) for y in range(k)}


@settings(max_examples=15, deadline=None)
@given(data=st.data(), alpha=alphas)
def test_inverse_class_frequency(data, alpha):
    n_x, k = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4))
    p0 = _instance(data, n_x, k)
    x_sig, y_star = n_x - 1, 0
    mix = {z: (1 - alpha) * p + (alpha if z == (x_sig, y_star) else 0) for z, p in p0.items()}
    label = {y: sum(p for (_, yy), p in mix.items() if yy == y) for y in range(k)}
    w = {z: 1 / label[z[1]] for z in mix}
    direct = alpha * w[(x_sig, y_star)] / sum(w[z] * p for z, p in mix.items())
    q = sum(p for (_, y), p in p0.items() if y == y_star)
    assert exact(scheme_alpha_eff("inverse-class"), alpha=alpha, K=Fraction(k), q_ystar=q) == direct


@settings(max_examples=15, deadline=None)
@given(data=st.data(), alpha=alphas)
def test_covariate_shift_importance_weighting(data, alpha):
    n_x = data.draw(st.integers(2, 6))
    p0 = normalized(data.draw(st.lists(st.integers(1, 9), min_size=n_x, max_size=n_x)))
    target = normalized(data.draw(st.lists(st.integers(1, 9), min_size=n_x, max_size=n_x)))
    x_sig = 0
    mix = [(1 - alpha) * p + (alpha if x == x_sig else 0) for x, p in enumerate(p0)]
    w = [t / m for t, m in zip(target, mix)]
    direct = alpha * w[x_sig] / sum(wi * m for wi, m in zip(w, mix))
    assert exact(scheme_alpha_eff("importance"), alpha=alpha, Q_sig=target[x_sig], P0_sig=p0[x_sig]) == direct


@settings(max_examples=15, deadline=None)
@given(data=st.data(), alpha=alphas, lam=st.integers(1, 9))
def test_jtt_in_collective_and_overall_error(data, alpha, lam):
    n = data.draw(st.integers(2, 6))
    p0 = normalized(data.draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)))
    ps = normalized(data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n).filter(any)))
    errs = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    w = [Fraction(lam) if err else Fraction(1) for err in errs]
    mix = [alpha * a + (1 - alpha) * b for a, b in zip(ps, p0)]
    direct = alpha * sum(wi * s for wi, s in zip(w, ps)) / sum(wi * m for wi, m in zip(w, mix))
    e_c = sum(s for s, err in zip(ps, errs) if err)
    e_all = sum(m for m, err in zip(mix, errs) if err)
    e_0 = sum(b for b, err in zip(p0, errs) if err)
    r = result("reweight-jtt")
    assert exact(r.extras["alpha_eff"], alpha=alpha, **{"lambda": Fraction(lam)}, e_c=e_c, e=e_all) == direct
    assert exact(r.extras["alpha_eff_in_base_error"], alpha=alpha, **{"lambda": Fraction(lam)}, e_c=e_c, e_0=e_0) == direct
    # The derived amplification condition, against the direct comparison.
    if lam > 1:
        assert (direct > alpha) == (e_c > e_all) == (e_c > e_0)


@settings(max_examples=15, deadline=None)
@given(data=st.data(), alpha=alphas)
def test_cvar_tail_weights(data, alpha):
    n = data.draw(st.integers(2, 6))
    p0 = normalized(data.draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)))
    ps = normalized(data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n).filter(any)))
    tail = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    mix = [alpha * a + (1 - alpha) * b for a, b in zip(ps, p0)]
    level = sum(m for m, t in zip(mix, tail) if t)
    w = [1 / level if t else Fraction(0) for t in tail]
    direct = alpha * sum(wi * s for wi, s in zip(w, ps)) / sum(wi * m for wi, m in zip(w, mix))
    t_c = sum(s for s, t in zip(ps, tail) if t)
    assert exact(scheme_alpha_eff("cvar"), alpha=alpha, t_c=t_c, cvar_level=level) == direct


# The reweighting corollaries rest on the paper's corollaries in the form valid for eps > 0 (thmN-corrected), read
# under the same notion of eps-optimality; at eps = 0 those are the printed corollaries.

@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_reweighted_critical_mass_is_the_inverse_map_at_the_paper_corollary(notion):
    for cor in ("cor2", "cor4", "cor6"):
        plain = result(f"{cor}-corrected", notion).critical_mass.alpha_star
        mapped = inverse_alpha_eff().subs(S["alpha_eff"], plain)
        reweighted = result(f"reweight-mixture-{cor}", notion)
        assert reweighted.notion == notion
        assert sp.simplify(reweighted.critical_mass.alpha_star - mapped) == 0


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_unit_weights_give_back_the_paper(notion):
    for cor in ("cor2", "cor4", "cor6"):
        derived = result(f"reweight-mixture-{cor}", notion).critical_mass.alpha_star.subs({S["W_star"]: 1, S["W_0"]: 1})
        assert sp.simplify(derived - result(f"{cor}-corrected", notion).critical_mass.alpha_star) == 0
        at_zero = derived.subs(S["epsilon"], 0)  # and the printed corollary at eps = 0
        assert sp.simplify(at_zero - result(cor).critical_mass.alpha_star.subs(S["epsilon"], 0)) == 0
    # JTT with lambda = 1 is no reweighting at all.
    assert sp.simplify(result("reweight-jtt").extras["alpha_eff"].subs(S["lambda"], 1) - S["alpha"]) == 0


def test_jtt_amplification_condition_is_derived():
    extras = result("reweight-jtt").extras
    assert extras["amplifies_when"] == sp.Lt(S["e"], S["e_c"])
    assert extras["amplifies_when_in_base_error"] == sp.Lt(S["e_0"], S["e_c"])


def test_inverse_class_caps_the_effective_size_at_one_over_k():
    expr = scheme_alpha_eff("inverse-class")
    assert sp.limit(expr, S["alpha"], 1, "-") == 1 / S["K"]


def test_reachable_through_the_registry_and_evaluate():
    assert set(IDS) <= set(all_ids())
    # By hand: CVaR with the whole collective in a tail of mass 0.1: alpha_eff = 10 alpha; cor2 at
    # Delta = 1, xi = 0.001, S* = 0.9 is 0.001/0.101, so alpha* = 0.0001/0.101.
    got = evaluate("reweight-cvar-cor2", "critical_mass", dict(t_c=1, cvar_level=0.1, Delta=1, xi=0.001, S_star=0.9, epsilon=0))
    assert abs(got - 0.0001 / 0.101) < 1e-15
    try:
        evaluate("reweight-cvar-cor2", "bound", dict(alpha=0.5, t_c=1, cvar_level=0.1, Delta=1, xi=0.001, epsilon=0))
    except InputError as e:
        assert "cvar" in str(e).lower() or "CVaR" in str(e)
    else:
        raise AssertionError("alpha t_c > level was accepted")


def test_cli_lists_and_evaluates_the_family(cli, cli_json):
    rows = cli_json("results", "--family", "reweighting")
    assert [r["id"] for r in rows] == list(IDS)
    doc = cli_json("critical-mass", "reweight-jtt-cor2", "--set", "Delta=1", "xi=0.001", "S_star=0.9", "epsilon=0",
                   "lambda=1", "e_c=0.5", "e_0=0.3")
    assert abs(doc["value"] - 0.001 / 0.101) < 1e-12  # lambda = 1: Corollary 2 itself
    code, _, err = cli("critical-mass", "reweight-jtt-cor2", "--set", "lambda=0.5")
    assert code == 2 and err.count("\n") == 1
