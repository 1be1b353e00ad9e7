"""The reweighting and gradient report stages: their numbers against direct library calls, and their figures."""

from pathlib import Path

import numpy as np
import pytest

from critmass.report import style
from critmass.report.base import Context
from critmass.report.stages import stage
from numerics.gradient import glm_data, glm_target, neutralize
from numerics.learners import signal_instance, tables
from numerics.reweight import alignment
from theory.evaluate import evaluate


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    return Context(Path(tmp_path_factory.mktemp("report")), quick=True)


def _figures_pass(st, data):
    for plot in st.figures(data):
        fig = plot.draw(data)
        assert style.problems(fig) == [], plot.name
        style.pyplot().close(fig)


def test_reweighting_stage(ctx):
    st = stage("reweighting")
    n = st.compute(ctx)
    alphas = np.asarray(n["alphas"])
    inst = signal_instance(n["instance_seeds"][0], signal_mass=n["signal_mass"])
    tab = tables(inst)
    # alpha_eff of inverse-class at one alpha, from theory.reweighting's derived expression directly
    i = 20
    want = evaluate("reweight-inverse-class", "alpha_eff", dict(alpha=alphas[i], K=3, q_ystar=float(tab.p0[:, 0].sum())))
    ic = n["schemes"]["inverse-class"][0]
    assert ic["alpha_eff_derived"][i] == pytest.approx(float(want), rel=1e-12)
    assert ic["alpha_eff_computed"][i] == pytest.approx(float(want), rel=1e-9)
    # ... and the inverse-class closed form misses at alpha = 1, where only y* has mass
    assert ic["alpha_eff_at_1"] == pytest.approx({"derived": 1 / 3, "computed": 1.0})
    # the measured curve and critical masses are numerics.reweight's
    jtt = n["schemes"]["jtt"][0]
    direct = alignment(inst, alphas, "jtt", s_star=n["s_star"], fine=n["fine"], lam=5.0)
    assert jtt["success"] == direct["success"] and jtt["critical_predicted"] == direct["critical_predicted"]
    assert n["bound_violations"] == 0 and n["bracketed"] == n["with_prediction"]
    from critmass.report.tex import num
    assert num(n["alpha_eff_worst_rel_diff"], 2) in st.write(n)
    _figures_pass(st, n)


def test_gradient_stage(ctx):
    st = stage("gradient")
    out = st.compute(ctx)
    g, c = out["glm"], out["control"]
    alphas = np.asarray(g["alphas"])
    data = glm_data(ctx.seed, n=g["n"], d=g["d"])
    run = neutralize(alphas, data, glm_target(data, ctx.seed))
    assert g["feature-label"]["distance"] == pytest.approx(run.distance.tolist(), abs=1e-10)
    k = 3  # Theorem 7's bound at one alpha, from theory.evaluate directly
    want = evaluate("thm7", "bound", dict(alpha=alphas[k], g_P0=float(run.g_P0[0]), g_Pprime=float(run.g_Pprime[0]),
                                          mu=float(run.mu[k])))
    assert g["feature-label"]["distance_bound"][k] == pytest.approx(-float(want), rel=1e-9)
    for v in ("feature-label", "feature-only"):
        assert np.all(np.asarray(g[v]["distance"]) <= np.asarray(g[v]["distance_bound"]) + 1e-9)
    # The path bound at T is Theorem 10's bound from theory.evaluate
    byz = c["byzantine"]
    want = evaluate("thm10", "bound", dict(eta=c["eta"], C=byz["C"][1], T=c["steps"], dist0=byz["dist0"]))
    assert byz["path_bound"][1][-1] == pytest.approx(-float(want), rel=1e-9)
    assert byz["path_slack_min"] >= -1e-9 and c["data"]["max_residual"] < 1e-8
    _figures_pass(st, out)
