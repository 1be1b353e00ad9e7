"""The founding paper's results: every id present, corollaries derived equal to the printed formulas."""

import sympy as sp

from theory import IDS, result, results
from theory.parameters import SYMBOLS

S = SYMBOLS


def test_every_result_of_the_issue_is_encoded_in_order():
    assert tuple(results()) == IDS
    assert len(IDS) == 21


def test_corollaries_and_proposition9_derive_to_the_printed_formulas():
    for id in ("cor2", "cor4", "cor6", "cor8", "prop9"):
        r = result(id)
        assert r.critical_mass is not None and r.printed is not None
        assert sp.simplify(r.critical_mass.alpha_star - r.printed) == 0, id
        assert r.derived_equals_printed() is True


def test_a_wrong_printed_formula_would_be_caught():
    r = result("cor2")
    a, d, x, s, e = (S[n] for n in ("alpha", "Delta", "xi", "S_star", "epsilon"))
    wrong = d * x / (1 - s - e + d * x)  # epsilon instead of epsilon/(1-epsilon)
    assert sp.simplify(r.critical_mass.alpha_star - wrong) != 0


def test_critical_mass_is_where_the_bound_meets_the_target():
    for cor in ("cor2", "cor4", "cor6"):
        r = result(cor)
        thm = result(r.derived_from)
        at = thm.bound.subs(S["alpha"], r.critical_mass.alpha_star)
        assert sp.simplify(at - S["S_star"]) == 0, cor


def test_theorem7_critical_mass_zeroes_the_inner_term():
    r = result("cor8")
    a, g0, gp = S["alpha"], S["g_P0"], S["g_Pprime"]
    inner = a * gp - (1 - a) * g0
    assert sp.simplify(inner.subs(a, r.critical_mass.alpha_star)) == 0


def test_reachability_case_split_of_corollary2():
    cm = result("cor2").critical_mass
    e, s, d, x = S["epsilon"], S["S_star"], S["Delta"], S["xi"]
    # eps = 0.2 gives 1 - eps/(1-eps) = 0.75 < 0.9: unreachable however large the collective.
    assert cm.reachable.subs({e: sp.Rational(1, 5), s: sp.Rational(9, 10)}) == sp.false
    assert cm.reachable.subs({e: 0, s: sp.Rational(9, 10)}) == sp.true
    assert cm.degenerate.subs({d: 0, x: sp.Rational(1, 2)}) == sp.true
    assert cm.degenerate.subs({d: 1, x: sp.Rational(1, 2)}) == sp.false


def test_corollary4_formula_exceeding_one_is_reported_unreachable():
    cm = result("cor4").critical_mass
    vals = {S["p"]: sp.Rational(1, 10), S["xi"]: sp.Rational(1, 10), S["epsilon"]: 0, S["S_star"]: sp.Rational(1, 2)}
    assert cm.alpha_star.subs(vals) > 1  # the printed formula alone would claim alpha* <= 1.8
    assert cm.reachable.subs(vals) == sp.false


def test_participation_model_join_level_and_investment():
    r = result("participation")
    c, g = S["c"], S["gamma"]
    assert sp.simplify(r.extras["join_level"] - c / (1 - g)) == 0
    # B = Delta xi log(alpha_crit / alpha_0), alpha_0 the zero of Theorem 1's bound.
    d, x, e = S["Delta"], S["xi"], S["epsilon"]
    zero = d * x / (d * x + 1 - e / (1 - e))
    vals = {d: 1, x: sp.Rational(1, 100), e: 0, c: sp.Rational(3, 10), g: sp.Rational(1, 2)}
    expected = (d * x * sp.log(r.critical_mass.alpha_star / zero)).subs(vals)
    assert abs(sp.N(r.extras["investment"].subs(vals) - expected)) < 1e-12


def test_claims_and_lemma_are_relations_over_their_parameters():
    for id in ("lemma11", "claim-b1", "claim-b2", "claim-b3"):
        r = result(id)
        assert isinstance(r.conclusion, sp.Rel)
        assert r.conclusion.free_symbols <= {p.symbol for p in r.parameters}
        assert r.hypotheses


def test_lemma11_conclusion_follows_on_a_concrete_coupling():
    r = result("lemma11", "mixture")
    vals = {S["epsilon"]: sp.Rational(1, 10), S["P_E1"]: sp.Rational(1, 2), S["P_E2"]: sp.Rational(3, 10),
            S["Q_E1"]: 0, S["Q_E2"]: 1}
    assert all(h.subs(vals) == sp.true for h in r.hypotheses)
    assert r.conclusion.subs(vals) == sp.true


def test_lemma11_under_tv_needs_margin_two_eps():
    r = result("lemma11")  # notion tv, the paper's hypothesis TV(P, P') <= eps
    assert r.notion == "tv" and "2\\epsilon" in r.statement
    # moving eps = 1/10 from E1 to E2: P = (1/2, 3/10) has margin 2/10 = 2 eps, not more: P' ties
    tie = {S["epsilon"]: sp.Rational(1, 10), S["P_E1"]: sp.Rational(1, 2), S["P_E2"]: sp.Rational(3, 10),
           S["Pp_E1"]: sp.Rational(2, 5), S["Pp_E2"]: sp.Rational(2, 5)}
    assert [h.subs(tie) for h in r.hypotheses] == [sp.true, sp.true, sp.false]
    assert r.conclusion.subs(tie) == sp.false  # so the hypothesis margin 2 eps cannot be lowered
    # while the paper's margin eps/(1-eps) = 1/9 < 2/10 would admit this tie: that is lemma11.tv-only
