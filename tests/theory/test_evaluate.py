"""Numeric evaluation: lambdified bounds agree with sympy, respect domains, and behave as the paper says."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import InputError, evaluate, result
from theory.evaluate import required
from theory.parameters import SYMBOLS
from theory.refuted import RefutedError

S = SYMBOLS
unit_open = st.floats(1e-6, 1 - 1e-6)
unit = st.floats(0, 1)
small_eps = st.floats(0, 0.3)


def test_spot_value_corollary2_by_hand():
    # Delta = 1, xi = 0.001, S* = 0.9, eps = 0: 0.001 / (1 - 0.9 + 0.001) = 0.001 / 0.101.
    got = evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.001, S_star=0.9, epsilon=0))
    assert got == pytest.approx(0.001 / 0.101, rel=1e-14)


def test_spot_values_by_hand():
    # Theorem 1 at alpha = 0.01: 1 - 99 * 0.001 = 0.901.
    assert evaluate("thm1", "bound", dict(alpha=0.01, Delta=1, xi=0.001, epsilon=0)) == pytest.approx(0.901, rel=1e-14)
    # Corollary 4 with p = 1/2, xi = 0.01, S* = 0.9, eps = 0: 1 * 0.01 / 0.1 = 0.1.
    assert evaluate("cor4", "critical_mass", dict(p=0.5, xi=0.01, S_star=0.9, epsilon=0)) == pytest.approx(0.1, rel=1e-13)
    # Corollary 6 with tau = 0.01, S* = 0.9, eps = 0: 0.01 / (0.05 + 0.01).
    assert evaluate("cor6", "critical_mass", dict(tau=0.01, S_star=0.9, epsilon=0)) == pytest.approx(1 / 6, rel=1e-13)
    # Proposition 9: beta U / (g_lb |grad u| + beta U) = 2 / (3 * 4 + 2).
    assert evaluate("prop9", "critical_mass", dict(beta=1, U=2, g_lb=3, grad_u=4)) == pytest.approx(1 / 7, rel=1e-14)
    # Theorem 10: -(1 - 0.2)^3 * 2.
    assert evaluate("thm10", "bound", dict(eta=0.1, C=2, T=3, dist0=2)) == pytest.approx(-2 * 0.8**3, rel=1e-14)


def test_unreachable_and_degenerate_cases():
    assert evaluate("cor2-corrected", "critical_mass", dict(Delta=1, xi=0.001, S_star=0.9, epsilon=0.2)) == math.inf
    assert evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.001, S_star=0.9, epsilon=0.2), printed=True) == math.inf
    assert evaluate("cor2", "critical_mass", dict(Delta=0, xi=0.5, S_star=0.9, epsilon=0)) == 0.0
    assert evaluate("cor4", "critical_mass", dict(p=0.1, xi=0.1, S_star=0.5, epsilon=0)) == math.inf


def test_vectorized_over_numpy_arrays():
    alphas = np.linspace(0.01, 1, 50)
    got = evaluate("thm1-corrected", "bound", dict(alpha=alphas, Delta=0.5, xi=0.01, epsilon=0.01))
    assert got.shape == (50,) and got.dtype == np.float64
    expected = [evaluate("thm1-corrected", "bound", dict(alpha=a, Delta=0.5, xi=0.01, epsilon=0.01)) for a in alphas]
    np.testing.assert_allclose(got, expected, rtol=0, atol=0)


def test_refuted_ranges_are_refused_unless_printed_is_asked_for():
    values = dict(alpha=0.5, Delta=1, xi=0.5, epsilon=0.25)  # the example: Z3 refutes thm1 right here
    for notion in ("tv", "mixture"):
        with pytest.raises(RefutedError, match="use thm1-corrected") as err:
            evaluate("thm1", "bound", values, notion)
        assert err.value.refutation.steps[0] == "thm1.eps.model"
        assert evaluate("thm1", "bound", values, notion, printed=True) == pytest.approx(1 / 6)
    # one refuted entry of an array is enough
    with pytest.raises(RefutedError, match="cor2 is refuted"):
        evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.01, S_star=0.9, epsilon=np.array([0.0, 0.01])))
    # at eps = 0 the printed theorem is Theorem 1 and holds; at eps >= 1/2 it is <= 0, vacuously true
    assert evaluate("thm1", "bound", {**values, "epsilon": 0}) == pytest.approx(0.5)
    assert evaluate("thm1", "bound", {**values, "epsilon": 0.5}) == pytest.approx(-0.5)
    # the corrected bounds are valid under their own notion; the two notions differ
    tv, mix = (evaluate("thm1-corrected", "bound", values, n) for n in ("tv", "mixture"))
    assert tv == pytest.approx(1 - 0.5 - 2 * 0.25 / 0.5) and mix == pytest.approx(1 - 0.5 - (1 / 3) / 0.5)
    with pytest.raises(InputError, match="notion 'TV'"):
        evaluate("thm1-corrected", "bound", values, "TV")


@pytest.mark.parametrize("values, fragment", [
    (dict(alpha=0, Delta=1, xi=0.1, epsilon=0), "alpha=0 is outside its domain (0, 1]"),
    (dict(alpha=0.5, Delta=1, xi=0.1, epsilon=1), "epsilon=1 is outside its domain [0, 1)"),
    (dict(alpha=0.5, Delta=1.5, xi=0.1, epsilon=0), "Delta=1.5 is outside"),
    (dict(alpha=np.array([0.5, 1.2]), Delta=1, xi=0.1, epsilon=0), "alpha=1.2 is outside"),
    (dict(alpha=0.5, Delta=1, xi=0.1), "missing parameter epsilon"),
    (dict(alpha=0.5, Delta=1, xi=0.1, epsilon=0, p=0.3), "unknown parameter 'p' for thm1"),
    (dict(alpha="half", Delta=1, xi=0.1, epsilon=0), "is not a number"),
])
def test_bad_values_raise_input_error_naming_the_parameter(values, fragment):
    with pytest.raises(InputError, match=None) as err:
        evaluate("thm1", "bound", values)
    assert fragment in str(err.value)


def test_hypothesis_of_theorem10_is_enforced():
    with pytest.raises(InputError, match="hypothesis"):
        evaluate("thm10", "bound", dict(eta=1, C=2, T=1, dist0=1))


def _agree_with_sympy(id, values, notion="tv"):
    r = result(id, notion)
    expr = r.bound.subs({S[k]: sp.Float(v, 30) for k, v in values.items()})
    assert evaluate(id, "bound", values, notion, printed=True) == pytest.approx(float(expr), rel=1e-12, abs=1e-12)


#: Each planting/erasure theorem, printed and corrected (the corrected ones in both notions), with its parameters.
FORMS = [(thm + suffix, notion, strategy) for thm, strategy in (("thm1", 1), ("thm3", 3), ("thm5", 5))
         for suffix, notion in (("", "tv"), ("-corrected", "tv"), ("-corrected", "mixture"))]


def _rest(strategy, Delta, xi, epsilon, p, tau, rho=2.0):
    return {1: dict(Delta=Delta, xi=xi, epsilon=epsilon), 3: dict(p=p, xi=xi, epsilon=epsilon),
            5: dict(tau=tau, epsilon=epsilon, rho=rho)}[strategy]


@settings(max_examples=60, deadline=None)
@given(alpha=unit_open, Delta=unit, xi=unit, epsilon=small_eps, p=st.floats(1e-3, 1), tau=unit)
def test_lambdified_bounds_agree_with_sympy(alpha, Delta, xi, epsilon, p, tau):
    for id, notion, strategy in FORMS:
        rest = _rest(strategy, Delta, xi, epsilon, p, tau)
        if id == "thm5":
            rest.pop("rho")
        _agree_with_sympy(id, dict(alpha=alpha, **rest), notion)


@settings(max_examples=60, deadline=None)
@given(a1=unit_open, a2=unit_open, Delta=unit, xi=unit, epsilon=small_eps, p=st.floats(1e-3, 1), tau=unit,
       mu=st.floats(1e-3, 10), g0=st.floats(0, 10), gp=st.floats(0, 10))
def test_bounds_are_monotone_in_alpha(a1, a2, Delta, xi, epsilon, p, tau, mu, g0, gp):
    lo, hi = min(a1, a2), max(a1, a2)
    forms = [(id, notion, _rest(s, Delta, xi, epsilon, p, tau)) for id, notion, s in FORMS]
    for id, notion, rest in forms + [("thm7", "tv", dict(mu=mu, g_P0=g0, g_Pprime=gp))]:
        if id == "thm5":
            rest.pop("rho")
        assert result(id, notion).increasing_in_alpha

        def at(a):
            return evaluate(id, "bound", dict(alpha=a, **rest), notion, printed=True)

        assert at(lo) <= at(hi) + 1e-12


@settings(max_examples=80, deadline=None)
@given(Delta=st.floats(1e-3, 1), xi=st.floats(1e-4, 1), epsilon=small_eps, p=st.floats(1e-2, 1),
       tau=st.floats(1e-4, 1), S_star=st.floats(0.01, 0.99))
def test_bound_equals_target_at_derived_alpha_star(Delta, xi, epsilon, p, tau, S_star):
    cor_of = {"thm1": "cor2", "thm3": "cor4", "thm5": "cor6"}
    for thm, notion, strategy in FORMS:
        cor = cor_of[thm[:4]] + thm[4:]
        rest = _rest(strategy, Delta, xi, epsilon, p, tau)
        if thm == "thm5":
            rest.pop("rho")

        def bound(alpha):
            return evaluate(thm, "bound", dict(alpha=alpha, **rest), notion, printed=True)

        a = evaluate(cor, "critical_mass", dict(S_star=S_star, **rest), notion, printed=True)
        if abs(bound(1.0) - S_star) <= 1e-12:
            continue  # S* is the bound's supremum to rounding: reachability is decided in floating point
        if not bound(1.0) >= S_star:
            assert a == math.inf
            continue
        if (cor.startswith("cor4") and p == 1 and epsilon == 0) or a == 0:
            continue  # the bound does not depend on alpha: every alpha succeeds
        assert 0 < a <= 1 + 1e-12
        a = min(a, 1.0)
        assert bound(a) == pytest.approx(S_star, abs=1e-9)  # (1-p)/(p a) cancels badly for p near 1
        if a > 1e-9:  # and just below alpha*, the bound is below the target
            assert bound(a * (1 - 1e-6)) < S_star


@settings(max_examples=40, deadline=None)
@given(g0=st.floats(1e-3, 10), gp=st.floats(1e-3, 10), mu=st.floats(1e-3, 10))
def test_theorem7_reaches_zero_exactly_at_corollary8(g0, gp, mu):
    a = evaluate("cor8", "critical_mass", dict(g_P0=g0, g_Pprime=gp))
    assert evaluate("thm7", "bound", dict(alpha=a, mu=mu, g_P0=g0, g_Pprime=gp)) == pytest.approx(0, abs=1e-9)
    assert evaluate("thm7", "bound", dict(alpha=a * 0.99, mu=mu, g_P0=g0, g_Pprime=gp)) < 0


def test_required_parameters_are_only_those_the_expression_uses():
    assert [p.name for p in required("thm10", "bound")] == ["C", "dist0", "eta", "T"]
    assert [p.name for p in required("cor8", "critical_mass")] == ["g_P0", "g_Pprime"]
