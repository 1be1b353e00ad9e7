"""theory.refuted against verify/: every recorded refutation is one Z3 really makes, inside the recorded range."""

from fractions import Fraction

import pytest
import sympy as sp

from theory import notions
from theory.evaluate import evaluate
from theory.paper import all_ids, result
from theory.refuted import REFUTED, RefutedError, refutations, refuted_at
from verify.steps import get, run
from verify.sympy_z3 import exact_value

STEP_IDS = sorted({s for r in REFUTED for s in r.steps})


@pytest.fixture(scope="module")
def rows():
    return {r["id"]: r for r in run(STEP_IDS)}


@pytest.mark.parametrize("ref", REFUTED, ids=lambda r: f"{r.result}-{r.form or 'any'}")
def test_each_refutation_is_z3s_and_its_counterexample_lies_in_the_range(rows, ref):
    assert ref.result in all_ids() and ref.use in all_ids()
    for id in ref.steps:
        row = rows[id]
        assert get(id).expect == "refuted" and row["status"] == "refuted" and row["ok"], id
        assert row.get("notion") in ref.firms, id  # the step's firm is one the entry names
        values = {k: Fraction(v) for k, v in row["counterexample"].items()}
        # the counterexample lies in the recorded range ...
        assert exact_value(sp.Piecewise((1, ref.where), (0, True)), values) == 1, (id, values)
        # ... and refuted_at, which every output consults, says so at those values
        for firm in ref.firms:
            assert refuted_at(ref.result, firm, {k: float(v) for k, v in values.items()}, ref.form or firm) is ref


def test_outputs_refuse_exactly_where_recorded():
    for ref in REFUTED:
        for firm in ref.firms:
            if ref.form not in (None, firm):
                continue  # a mixture form for tv firms: no notion reads it so; checked through the forms above
            what = "bound" if result(ref.result, firm).bound is not None else "critical_mass"
            if result(ref.result, firm).bound is None and result(ref.result, firm).critical_mass is None:
                continue  # lemma11: a statement, not a number
            values = _typical(ref.result, what, firm, epsilon=0.1)
            with pytest.raises(RefutedError, match=f"use {ref.use}"):
                evaluate(ref.result, what, values, firm)
            evaluate(ref.result, what, {**values, "epsilon": 0.0}, firm)  # eps = 0: the paper's theorem
            use = ref.use_notion or firm  # and the valid result evaluates there
            evaluate(ref.use, what, _typical(ref.use, what, use, epsilon=0.1), use)


def test_valid_results_are_not_refuted_under_their_own_notion():
    for id in ("thm1-corrected", "cor2-corrected", "thm3-corrected", "thm5-corrected", "lemma11", "participation"):
        for notion in notions.NOTIONS:
            assert refutations(id, notion) == []
    assert [r.form for r in refutations("thm1-corrected", "tv", form="mixture")] == ["mixture"]


def _typical(id, what, notion, epsilon):
    from theory.evaluate import required
    base = {"alpha": 0.5, "xi": 0.01, "Delta": 0.5, "p": 0.5, "tau": 0.01, "rho": 2.0, "S_star": 0.9}
    return {p.name: epsilon if p.name == "epsilon" else base[p.name] for p in required(id, what, notion)}
