"""numerics/reweight: weighted-Bayes success against alpha_eff, the reweighted bound, and theory's alpha_eff."""

import numpy as np
import pytest

from numerics import exact
from numerics.learners import signal_instance, tables
from numerics.reweight import alignment, first_stage_errors, reweighted_curve, weight_function
from theory.errors import InputError
from theory.evaluate import evaluate

ALPHAS = np.geomspace(1e-3, 1, 40)


@pytest.fixture(scope="module")
def inst():
    return signal_instance(0, n_x=8, num_labels=3, signal_mass=0.03)


def test_no_weights_line_up_exactly(inst):
    out = alignment(inst, ALPHAS, "none", fine=400)
    assert out["gap_max"] < 1e-12 and out["alpha_eff"] == pytest.approx(list(ALPHAS))
    # Unweighted, the curve is numerics.exact's Bayes firm on the same theory.instance.Instance.
    assert out["success"] == pytest.approx(exact.success_grid(exact.stack_instances([inst]), ALPHAS)[0], abs=1e-12)


@pytest.mark.parametrize("scheme,kw", [("inverse-class", {}), ("importance", {}), ("jtt", {"lam": 4.0}),
                                       ("cvar", {"level": 0.2})])
def test_reweighted_bound_holds_and_brackets_the_critical_mass(inst, scheme, kw):
    out = alignment(inst, ALPHAS, scheme, fine=400, s_star=0.6, **kw)
    assert out["bound_violations"] == 0
    if out["critical_predicted"] is not None:
        assert out["critical_measured"] is not None and out["critical_measured"] <= out["critical_predicted"]


def test_alpha_eff_matches_theory_jtt_and_inverse_class(inst):
    for alpha in (0.01, 0.2, 0.7):
        tab = tables(inst)
        p = alpha * tab.p_star + (1 - alpha) * tab.p0
        errs = first_stage_errors(p)
        e_c, e = float(tab.p_star[errs].sum()), float(p[errs].sum())
        got = reweighted_curve(inst, [alpha], "jtt", lam=4.0)["alpha_eff"][0]
        assert got == pytest.approx(evaluate("reweight-jtt", "alpha_eff", {"alpha": alpha, "lambda": 4.0, "e_c": e_c, "e": e}), rel=1e-12)
        got = reweighted_curve(inst, [alpha], "inverse-class")["alpha_eff"][0]
        q = float(tab.p0[:, inst.target].sum())
        assert got == pytest.approx(evaluate("reweight-inverse-class", "alpha_eff", dict(alpha=alpha, K=3, q_ystar=q)), rel=1e-12)


def test_covariate_weights_leave_decisions_unchanged_though_alpha_eff_moves(inst):
    out = alignment(inst, ALPHAS, "importance", fine=400)
    assert out["gap_max_unadjusted"] == 0.0
    assert max(abs(a - b) for a, b in zip(out["alpha_eff"], out["alpha"])) > 0.01


def test_cvar_weights_are_a_distribution_on_the_tail(inst):
    tab = tables(inst)
    p = 0.1 * tab.p_star + 0.9 * tab.p0
    w = weight_function("cvar", level=0.2)(p)
    assert float(np.sum(w * p)) == pytest.approx(1.0) and np.all(w <= 1 / 0.2 + 1e-12)


def test_unknown_scheme():
    with pytest.raises(InputError, match="scheme 'dro'"):
        weight_function("dro")
