"""The corrected eps-extensions of Theorems 1, 3, 5 under both notions, and the exact-mixture Claim B.2, checked
exactly."""

from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import IDS, result
from theory.instance import make_instance, marginal, mixture, params, predictions, unique_argmax
from theory.parameters import SYMBOLS

S = SYMBOLS
E = lambda eps: eps / (1 - eps)  # noqa: E731  Lemma 11's margin (the coupled form)
#: The firm's margin budget, written out by hand: 2 eps against TV (Definition 2), eps/(1-eps) against a mixture.
BUDGET = {"tv": lambda eps: 2 * eps, "mixture": E}

# The corrected bounds written out by hand from the proofs (not from theory/paper.py), in Fractions.
HAND = {
    "thm1-corrected": lambda a, e, v, n="tv": 1 - (1 - a) / a * v["Delta"] * v["xi"] - BUDGET[n](e) / a,
    "thm3-corrected": lambda a, e, v, n="tv": 1 - (1 - v["p"]) / (v["p"] * a) * v["xi"] - BUDGET[n](e) / (a * v["p"]),
    "thm5-corrected": lambda a, e, v, n="tv": 1 - 2 * (1 - a) / a * v["tau"] - v["rho"] * BUDGET[n](e) / a,
}
PRINTED = {"thm1-corrected": "thm1", "thm3-corrected": "thm3", "thm5-corrected": "thm5"}
COR = {"thm1-corrected": "cor2-corrected", "thm3-corrected": "cor4-corrected", "thm5-corrected": "cor6-corrected"}


def _at(expr, values):
    out = expr.subs({S[k]: sp.Rational(v.numerator, v.denominator) for k, v in values.items()})
    return out


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_new_ids_are_listed_and_originals_point_to_them(notion):
    for thm, cor in COR.items():
        assert thm in IDS and cor in IDS
        assert result(cor, notion).derived_from == thm and result(cor, notion).printed is None
        assert result(thm, notion).notion == result(cor, notion).notion == notion
        assert any(thm in note for note in result(PRINTED[thm], notion).notes)
        # each states its notion in its statement, its title and its source
        assert f"notion \\texttt{{{notion}}}" in result(thm, notion).statement
        assert notion in result(thm, notion).title and notion in result(cor, notion).source


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_corrected_equals_printed_at_eps_zero(notion):
    eps = S["epsilon"]
    for thm, orig in PRINTED.items():
        corrected = result(thm, notion).bound.subs(eps, 0).subs(S["rho"], 1)
        assert sp.simplify(corrected - result(orig).bound.subs(eps, 0)) == 0, thm
        # and strictly below the printed bound for eps > 0 (alpha < 1 or rho > 1 or p < 1)
        at = {S["alpha"]: sp.Rational(1, 2), eps: sp.Rational(1, 10), S["rho"]: 2, S["p"]: sp.Rational(1, 2)}
        assert (result(thm, notion).bound - result(orig).bound).subs(at) < 0


def test_the_bounds_are_the_hand_written_ones():
    v = {"xi": F(1, 10), "Delta": F(1, 2), "p": F(1, 3), "tau": F(1, 7), "rho": F(3)}
    at = {S[k]: sp.Rational(x.numerator, x.denominator) for k, x in v.items()}
    for notion in ("tv", "mixture"):
        for thm, hand in HAND.items():
            a, e = F(2, 5), F(1, 20)
            got = result(thm, notion).bound.subs({**at, S["alpha"]: sp.Rational(2, 5), S["epsilon"]: sp.Rational(1, 20)})
            assert got == sp.Rational(*(lambda h: (h.numerator, h.denominator))(hand(a, e, v, notion))), (thm, notion)


fractions = st.integers(1, 99).map(lambda n: F(n, 100))


@settings(max_examples=25, deadline=None)
@given(xi=fractions, Delta=fractions, p=fractions, tau=fractions, rho=st.integers(1, 5).map(F),
       eps=st.integers(0, 30).map(lambda n: F(n, 100)), S_star=fractions, notion=st.sampled_from(["tv", "mixture"]))
def test_derived_critical_mass_solves_the_hand_written_bound(xi, Delta, p, tau, rho, eps, S_star, notion):
    """alpha* makes the hand-written bound equal S*, alpha* <= 1 iff reachable, and smaller alpha falls short."""
    v = {"xi": xi, "Delta": Delta, "p": p, "tau": tau, "rho": rho, "epsilon": eps, "S_star": S_star}
    for thm, cor in COR.items():
        cm = result(cor, notion).critical_mass
        names = {q.name for q in result(cor, notion).parameters}
        sub = {k: val for k, val in v.items() if k in names}
        a_star = _at(cm.alpha_star, sub)
        reachable = _at(cm.reachable, sub)
        a_star = F(int(sp.numer(a_star)), int(sp.denom(a_star)))
        def hand(a):
            return HAND[thm](a, eps, v, notion)

        assert hand(a_star) == S_star, thm  # the bound meets the target exactly at alpha*
        assert bool(reachable) == (a_star <= 1), thm
        if 0 < a_star:
            below = a_star * F(99, 100)
            assert hand(below) < S_star  # increasing in alpha: alpha* is the least solution
        if bool(reachable):
            assert hand(F(1)) >= S_star


def _eps_optimal_predictions(inst, eps, Q):
    """f on P' = (1-eps) P + eps Q (unique argmax), P the mixture the firm would learn from."""
    P = mixture(inst)
    return [unique_argmax([(1 - eps) * a + eps * b for a, b in zip(pr, qr)]) for pr, qr in zip(P, Q)]


def test_corrected_bound_holds_where_the_printed_one_fails():
    # docs/verify.md's counterexample: x* = 0 carries P0 = 1/2, all on label 1 != y* = 0; every x maps to x*.
    inst = make_instance([[0, F(1, 2)], [F(1, 4), F(1, 4)]], [0, 0], 0, "feature-label", F(1, 2))
    eps, Q = F(1, 4), [[0, F(7, 8)], [F(1, 8), 0]]
    v = params(inst)
    assert (v["xi"], v["Delta"]) == (F(1, 2), 1)
    f = _eps_optimal_predictions(inst, eps, Q)
    succ = sum((m for x, m in enumerate(marginal(inst.p0)) if f[inst.signal[x]] == inst.target), F(0))
    printed = 1 - (1 - inst.alpha) / inst.alpha * v["Delta"] * v["xi"] - E(eps)
    assert succ == 0 < printed == F(1, 6)
    assert HAND["thm1-corrected"](inst.alpha, eps, v, "mixture") == F(-1, 6) <= succ
    assert HAND["thm1-corrected"](inst.alpha, eps, v, "tv") == F(-1, 2) <= succ
    values = {**v, "alpha": inst.alpha, "epsilon": eps}
    assert _at(result("thm1-corrected", "mixture").bound, values) == sp.Rational(-1, 6)
    assert _at(result("thm1-corrected").bound, values) == sp.Rational(-1, 2)


def test_erasure_needs_rho_at_a_light_summary_point():
    # z = 0 is the summary of both points (g idempotent), P0(.|z) = P0(.|x) so tau = 0; eps Q flips f(z) only.
    inst = make_instance([[F(1, 20), F(1, 20)], [F(9, 20), F(9, 20)]], [0, 0], 0, "erasure", F(1, 2))
    eps, Q = F(1, 4), [[0, 1], [0, 0]]
    v = {**params(inst), "rho": F(1) / F(1, 10)}  # P0(g^-1(z)) / P0(z) = 1 / (1/10)
    assert v["tau"] == 0
    f = _eps_optimal_predictions(inst, eps, Q)
    succ = sum((m for x, m in enumerate(marginal(inst.p0)) if f[x] is not None and f[x] == f[inst.signal[x]]), F(0))
    assert f == [1, 0] and succ == F(1, 10)
    assert succ < 1 - E(eps)                      # printed Theorem 5: 2/3
    assert succ < 1 - E(eps) / inst.alpha         # Theorem 1-style correction without rho: 1/3
    assert HAND["thm5-corrected"](inst.alpha, eps, v, "mixture") <= succ
    assert HAND["thm5-corrected"](inst.alpha, eps, v, "tv") <= succ


@st.composite
def feature_only(draw):
    nx, num_labels = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    weights = draw(st.lists(st.integers(0, 5), min_size=nx * num_labels, max_size=nx * num_labels).filter(any))
    p0 = [[F(weights[i * num_labels + j], sum(weights)) for j in range(num_labels)] for i in range(nx)]
    signal = [draw(st.integers(0, nx - 1)) for _ in range(nx)]
    return make_instance(p0, signal, draw(st.integers(0, num_labels - 1)), "feature-only", F(draw(st.integers(1, 40)), 40))


@settings(max_examples=300, deadline=None)
@given(feature_only())
def test_claim_b2_condition_implies_the_target_label(inst):
    """Exact: competing mass stays in place, and Claim B.2's condition makes y* the unique argmax at x*."""
    P, t, mass = mixture(inst), inst.target, marginal(inst.p0)
    for x in range(inst.nx):
        for y in range(inst.num_labels):
            if y != t:
                assert P[x][y] == inst.p0[x][y]
    p = params(inst)["p"]
    f = predictions(inst)
    for xs in sorted(set(inst.signal)):
        pre = sum((mass[x] for x in range(inst.nx) if inst.signal[x] == xs), F(0))
        if p > 0 and pre > 0 and inst.alpha > (1 - p) / p * mass[xs] / pre:
            assert f[xs] == t
            # and the claim's own conclusion, instantiated at this point, holds for every rival label
            for y in range(inst.num_labels):
                if y != t and mass[xs] > 0:
                    vals = {"alpha": inst.alpha, "p": p, "P0_x": mass[xs], "P0_preimage": pre,
                            "P0_ystar_x": inst.p0[xs][t] / mass[xs], "P0_y_x": inst.p0[xs][y] / mass[xs]}
                    r = result("claim-b2")
                    assert all(_at(h, vals) == sp.true for h in r.hypotheses)
                    assert _at(r.conclusion, vals) == sp.true
                    assert P[xs][t] > P[xs][y]


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_participation_investment_closed_form(notion):
    """Participation rests on the valid Theorem 1: alpha_crit is cor2-corrected at S* = c/(1-gamma), and the
    investment integrates to (Delta xi + B) log(alpha_crit / alpha_0), B the notion's margin budget."""
    from theory.notions import budget
    r = result("participation", notion)
    assert r.derived_from == "thm1-corrected" and r.notion == notion
    join = S["c"] / (1 - S["gamma"])
    cor2 = result("cor2-corrected", notion).critical_mass.alpha_star.subs(S["S_star"], join)
    assert sp.simplify(r.critical_mass.alpha_star - cor2) == 0
    K = S["Delta"] * S["xi"] + budget(notion)
    closed = K * sp.log(r.critical_mass.alpha_star / (K / (1 + S["Delta"] * S["xi"])))
    at = {S["Delta"]: sp.Rational(1, 2), S["xi"]: sp.Rational(1, 10), S["epsilon"]: sp.Rational(1, 50),
          S["c"]: sp.Rational(3, 10), S["gamma"]: sp.Rational(1, 2)}
    assert abs(sp.N((r.extras["investment"] - closed).subs(at), 30)) < 1e-25
