"""The proof steps of Appendix B: each has its expected status, and each refutation is a real counterexample."""

import json
from fractions import Fraction

import pytest
import sympy as sp

from verify import steps
from verify.steps import STEPS, Step, get, run
from verify.sympy_z3 import exact_value


@pytest.fixture(scope="module")
def rows():
    return {r["id"]: r for r in run()}


def test_every_step_has_its_expected_status(rows):
    assert len(rows) == len(STEPS) >= 45
    bad = {i: (r["status"], r["expect"], r.get("reason")) for i, r in rows.items() if not r["ok"]}
    assert not bad


def test_the_issue_asks_for_these_steps(rows):
    for needed in ("lemma11.coupled", "lemma11.tv-only", "claim-b1", "thm1.indicator", "thm1.sum[k=4]",
                   "claim-b2", "thm3.aggregate[k=4]", "claim-b3", "claim-b3.two-tau", "thm5.aggregate[k=4]",
                   "thm7.min-case", "cor8", "prop9.smoothness", "thm10.contraction"):
        assert needed in rows
    assert rows["lemma11.tv-only"]["status"] == "refuted"
    assert rows["thm1.eps.model"]["status"] == "refuted"
    for corrected in ("thm1.eps.corrected[k=4]", "thm3.eps.corrected[k=4]", "thm5.eps.corrected[k=4]",
                      "thm5.eps.corrected-model", "binomial.events", "binomial.deterministic-implies-planted[k=4]",
                      "tv.flip-cost[k=4]", "tv.tie[k=4]", "lemma11.tv", "thm1.tv.point", "thm1.tv.sum[k=4]",
                      "thm3.tv.point", "thm3.tv.sum[k=4]", "thm5.tv.point", "thm5.tv.sum[k=4]", "thm1.tv.model"):
        assert rows[corrected]["status"] == "proven", corrected
    for thm in ("thm1", "thm3", "thm5"):  # the printed forms fail against TV firms; so do the mixture forms
        assert rows[f"{thm}.eps.tv-model"]["status"] == rows[f"{thm}.mixture-under-tv"]["status"] == "refuted"
        assert rows[f"{thm}.mixture-under-tv"]["notion"] == "tv" and rows[f"{thm}.eps.model"]["notion"] == "mixture"


def test_corrected_steps_prove_the_corrected_results_bounds():
    """The sum steps conclude exactly theory.paper's corrected bound, so the Result is what Z3 proved."""
    from theory import result
    for thm in ("thm1", "thm3", "thm5"):
        _, concl = get(f"{thm}.eps.corrected[k=2]").parts
        assert concl.rhs == result(f"{thm}-corrected", "mixture").bound
        _, concl = get(f"{thm}.tv.sum[k=2]").parts
        assert concl.rhs == result(f"{thm}-corrected", "tv").bound
        _, concl = get(f"{thm}.mixture-under-tv").parts
        assert concl.rhs == result(f"{thm}-corrected", "mixture").bound
    hyps, concl = get("lemma11.tv").parts
    assert concl == result("lemma11", "tv").conclusion and result("lemma11", "tv").hypotheses[-1] in hyps


def _truth(rel, values):
    left, right = exact_value(rel.lhs, values), exact_value(rel.rhs, values)
    return bool(type(rel)(sp.Rational(left.numerator, left.denominator), sp.Rational(right.numerator, right.denominator)))


@pytest.mark.parametrize("id", ["lemma11.tv-only", "thm1.eps.model", "thm3.eps.model", "thm5.eps.model",
                                "thm5.eps.without-rho", "claim-b3.one-tau", "thm10.contraction-as-stated",
                                "thm1.eps.tv-model", "thm3.eps.tv-model", "thm5.eps.tv-model",
                                "thm1.mixture-under-tv", "thm3.mixture-under-tv", "thm5.mixture-under-tv"])
def test_refutations_check_out_in_exact_arithmetic(rows, id):
    """Substitute Z3's counterexample into the sympy step: every hypothesis true, the conclusion false."""
    hyps, concl = get(id).parts
    values = {k: Fraction(v) for k, v in rows[id]["counterexample"].items()}
    for h in hyps:
        assert _truth(h, values), h
    assert not _truth(concl, values)


def test_lemma11_tv_counterexample_is_two_distributions_within_eps(rows):
    cx = {k: Fraction(v) for k, v in rows["lemma11.tv-only"]["counterexample"].items()}
    P = [cx[f"P_{i}"] for i in range(1, 5)]
    Q = [cx[f"Pprime_{i}"] for i in range(1, 5)]
    assert sum(P) == sum(Q) == 1
    assert sum(abs(x - y) for x, y in zip(P, Q)) / 2 <= cx["epsilon"]
    assert P[0] + P[2] > P[1] + P[2] + cx["epsilon"] / (1 - cx["epsilon"]) and not Q[0] + Q[2] > Q[1] + Q[2]


def test_statements_are_latex_with_hypotheses(rows):
    s = rows["claim-b1"]["statement"]
    assert r"\implies" in s and r"\alpha" in s
    json.dumps(list(rows.values()))  # every row is JSON-ready


def test_registry_takes_new_steps_and_flags_a_wrong_expectation(monkeypatch):
    monkeypatch.setattr(steps, "STEPS", [])
    x = sp.Symbol("x", real=True)

    @steps.step("demo.square", "thm1", ks=(1, 2))
    def _(k):
        return [x >= 0], sp.Ge(x ** (2 * k) + 1, x)

    steps.add(Step("demo.false", "thm1", lambda: ([x > 0], sp.Gt(x, 1))))
    with pytest.raises(ValueError, match="twice"):
        steps.add(Step("demo.false", "thm1", lambda: ([], sp.true)))
    out = {r["id"]: r for r in run()}
    assert set(out) == {"demo.square[k=1]", "demo.square[k=2]", "demo.false"}
    assert out["demo.square[k=2]"]["ok"] and not out["demo.false"]["ok"]
    assert out["demo.false"]["status"] == "refuted"


def test_claim_b2_result_is_the_mixture_step_at_its_lower_bound():
    """theory.paper's claim-b2 is claim-b2.mixture with P*(x*, y*) at its bound p P0(g^-1(x*)), both proven."""
    from theory import result
    from theory.parameters import SYMBOLS
    hyps, concl = get("claim-b2.mixture").parts
    tm = sp.Symbol("Pstar_xstar_ystar", real=True)
    at_bound = concl.subs(tm, SYMBOLS["p"] * SYMBOLS["P0_preimage"])
    assert sp.simplify(at_bound.lhs - result("claim-b2").conclusion.lhs) == 0
    assert sp.simplify(at_bound.rhs - result("claim-b2").conclusion.rhs) == 0
    assert get("claim-b2").run().status == get("claim-b2.mixture").run().status == "proven"
