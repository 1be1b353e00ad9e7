"""Numeric evaluation: lambdified bounds agree with sympy, respect domains, and behave as the paper says."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
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


def _exact_bound(id, values, notion):
    """The bound at these values in exact arithmetic (each float by its exact binary value): the oracle."""
    expr = result(id, notion).bound.subs({S[k]: sp.Rational(Fraction(v)) for k, v in values.items()})
    assert expr.is_Rational, expr
    return Fraction(int(expr.p), int(expr.q))


@settings(max_examples=80, deadline=None)
@given(Delta=st.floats(1e-3, 1), xi=st.floats(1e-4, 1), epsilon=small_eps, p=st.floats(1e-2, 1),
       tau=st.floats(1e-4, 1), S_star=st.floats(0.01, 0.99))
@example(Delta=1.0, xi=0.2104, epsilon=0.0, p=0.2104, tau=0.5, S_star=0.2104)  # S* = thm3's bound at alpha = 1
@example(Delta=1.0, xi=0.1, epsilon=0.0, p=0.1, tau=0.5, S_star=0.1)  # the same tie, where floats round below
@example(Delta=1.0, xi=0.57, epsilon=0.0, p=0.57, tau=0.5, S_star=0.57)  # and where alpha* rounds below 1
@example(Delta=1.0, xi=0.5, epsilon=0.3, p=0.5, tau=0.1, S_star=1 - 2 * 0.3)  # S* = 1 - 2 eps, exactly a float
def test_bound_equals_target_at_derived_alpha_star(Delta, xi, epsilon, p, tau, S_star):
    """Reachability is decided exactly: the critical mass is inf exactly where the bound at alpha = 1 (in exact
    arithmetic) is below S*, and where they are equal (a tie) and the bound is below S* just left of 1, it is 1."""
    cor_of = {"thm1": "cor2", "thm3": "cor4", "thm5": "cor6"}
    for thm, notion, strategy in FORMS:
        cor = cor_of[thm[:4]] + thm[4:]
        rest = _rest(strategy, Delta, xi, epsilon, p, tau)
        if thm == "thm5":
            rest.pop("rho")

        def bound(alpha):
            return evaluate(thm, "bound", dict(alpha=alpha, **rest), notion, printed=True)

        a = evaluate(cor, "critical_mass", dict(S_star=S_star, **rest), notion, printed=True)
        top = _exact_bound(thm, dict(alpha=1, **rest), notion)
        if top < Fraction(S_star):
            assert a == math.inf, (thm, notion)
            continue
        if (cor.startswith("cor4") and p == 1 and epsilon == 0) or a == 0:
            continue  # the bound does not depend on alpha: every alpha succeeds
        assert 0 < a <= 1, (thm, notion)
        if top == Fraction(S_star) and _exact_bound(thm, dict(alpha=1 - 2**-30, **rest), notion) < Fraction(S_star):
            assert a == 1.0, (thm, notion)  # a tie: alpha* = 1, not unreachable, not a rounding below 1
        if a < 1e-300:
            continue  # a subnormal alpha*, rounded up to the next subnormal: bound(a) is far above S*
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


def _critical_masses_at_S_star():
    """Every built-in result (and notion) whose critical mass solves bound(alpha) >= S* for alpha."""
    from theory.catalog import BUILTIN, families
    from theory.notions import NOTIONS
    return [(id, notion) for family, ids in families().items() if family in BUILTIN for id in ids
            for notion in NOTIONS if (cm := result(id, notion).critical_mass) is not None
            and cm.bound is not None and cm.target == S["S_star"]]


def _tie(id, notion, rng):
    """Exact values where S* is the bound at alpha = 1 and the bound is below S* just left of 1 (so alpha* is
    exactly 1), derived from the bound at random points of the domains (eps drawn in [0, 0.3])."""
    from theory.evaluate import required
    cm = result(id, notion).critical_mass
    params = [p for p in required(id, "critical_mass", notion) if p.name != "S_star"]
    for _ in range(500):
        values = {}
        for p in params:
            lo, hi = float(p.domain.start), min(float(p.domain.end), float(p.domain.start) + 5)
            hi = min(hi, 0.3) if p.name == "epsilon" else hi
            x = float(np.clip(rng.uniform(lo, hi), np.nextafter(lo, hi), np.nextafter(hi, lo)))
            values[p.name] = Fraction(round(x)) if p.integer else Fraction(x)
        env = {p.symbol: sp.Rational(values[p.name]) for p in params}
        top, left = (cm.bound.subs({**env, S["alpha"]: a}) for a in (1, 1 - sp.Rational(1, 2**30)))
        if not (0 < top < 1 and left < top):
            continue
        values["S_star"] = Fraction(int(top.p), int(top.q))
        try:
            evaluate(id, "critical_mass", values, notion, printed=True)
        except InputError as e:  # a hypothesis of the result fails at these values: draw again
            assert "hypothesis" in str(e), e
            continue
        return values
    raise AssertionError(f"no tie point found for {id} ({notion})")


@pytest.mark.parametrize("id, notion", _critical_masses_at_S_star())
def test_a_tie_at_alpha_one_is_reachable_on_both_paths(id, notion):
    """Where S* equals the bound at alpha = 1 (exact values, as the CLI passes what is typed) the critical
    mass is 1, by the sympy path (printed or not) and by theory.fast's cache alike."""
    from theory import fast
    from theory.refuted import refuted_at
    rng = np.random.default_rng(20240611)  # seed of the tie points
    for _ in range(3):
        values = _tie(id, notion, rng)
        assert evaluate(id, "critical_mass", values, notion, printed=True) == 1.0, values
        if refuted_at(id, notion, values) is not None:
            assert fast.evaluate(id, "critical_mass", values, notion) is None
            continue
        assert evaluate(id, "critical_mass", values, notion) == 1.0
        answered = fast.evaluate(id, "critical_mass", values, notion)  # the entry is written by now
        assert answered is not None and answered[1] == 1.0, (values, answered)
        # one step of S* above the tie is unreachable on both paths
        above = {**values, "S_star": values["S_star"] + Fraction(1, 2**80)}
        assert evaluate(id, "critical_mass", above, notion) == math.inf
        assert fast.evaluate(id, "critical_mass", above, notion)[1] == math.inf


@pytest.mark.parametrize("notion", ["tv", "mixture"])
@pytest.mark.parametrize("x", [0.2104, 0.1, 0.57])
def test_the_float_tie_of_corollary4_on_both_paths(x, notion):
    """xi = p = S* (floats), eps = 0: thm3's bound at alpha = 1 is p exactly, so alpha* = 1 for every form of
    Corollary 4 (in floating point the reachability test rounded either way, and alpha* to 1 - 2**-53)."""
    from theory import fast
    values = dict(xi=x, p=x, S_star=x, epsilon=0.0)
    top = _exact_bound("thm3", dict(alpha=1, xi=x, p=x, epsilon=0.0), notion)
    assert top == Fraction(x)  # the tie, derived from the bound
    for id in ("cor4", "cor4-corrected"):
        assert evaluate(id, "critical_mass", values, notion) == 1.0
        assert fast.evaluate(id, "critical_mass", values, notion)[1] == 1.0
        arrays = {k: np.full(3, v) for k, v in values.items()}
        np.testing.assert_array_equal(fast.evaluate(id, "critical_mass", arrays, notion)[1], 1.0)


def test_refuted_ranges_are_decided_on_the_exact_values():
    """eps = 1/2 - 10**-20 lies in 0 < eps < 1/2 (refuted) though its nearest float is 1/2; 10**-400 too."""
    from theory.refuted import refuted_at
    assert refuted_at("cor2", "tv", {"epsilon": Fraction(1, 2) - Fraction(1, 10**20)}) is not None
    assert refuted_at("cor2", "tv", {"epsilon": Fraction(1, 10**400)}) is not None
    assert refuted_at("cor2", "tv", {"epsilon": Fraction(1, 2)}) is None
    assert refuted_at("cor2", "tv", {"epsilon": np.array([0.0, 0.5])}) is None
    with pytest.raises(RefutedError):
        evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.1, S_star=0.1, epsilon=Fraction(1, 2) - Fraction(1, 10**20)))
