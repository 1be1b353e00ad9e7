"""critmass simulate's learner kinds, through the CLI: numbers against the library, resuming, bad input."""

import numpy as np
import pytest

from numerics import reweight
from numerics.gradient import glm_data, glm_target, neutralize
from numerics.learners import signal_instance
from numerics.store import SweepStore
from theory.evaluate import evaluate


def test_suboptimal_rows_resume_and_the_bayes_firm(cli_json, tmp_path):
    store = tmp_path / "s.sqlite"
    args = ("simulate", "suboptimal", "--store", store, "--alphas", "0.05,0.5", "--steps", "20", "--seeds", "2",
            "--samples", "300", "--instance-seed", "1")
    doc = cli_json(*args)
    assert [r["alpha"] for r in doc["rows"]] == [0.05, 0.5] and doc["config"]["seed"] == 1
    for r in doc["rows"]:
        assert 0 <= r["epsilon"] <= r["epsilon_predictive"] + 1e-6
        assert r["violations"] == 0  # against the bound valid at each run's TV epsilon (thm1-corrected, tv)
    # bayes_success is the exact reference's S(alpha) on the same instance
    from theory.instance import parse_instance, success
    inst = parse_instance(doc["instance"])
    assert doc["rows"][1]["bayes_success"] == pytest.approx(float(success(inst.with_alpha("1/2"))), abs=1e-12)
    with SweepStore(store) as s:
        first = [r.finished_at for r in s.rows("suboptimal")]
    assert cli_json(*args)["rows"] == doc["rows"]  # rerun: read back, not recomputed
    with SweepStore(store) as s:
        assert [r.finished_at for r in s.rows("suboptimal")] == first
        assert all(r.seed == 1 for r in s.rows("suboptimal"))


def test_reweight_matches_the_library(cli_json, tmp_path):
    doc = cli_json("simulate", "reweight", "--store", tmp_path / "s.sqlite", "--schemes", "jtt,none",
                   "--instance-seeds", "0", "--points", "30", "--lam", "3")
    rows = {r["scheme"]: r for r in doc["rows"]}
    want = reweight.alignment(signal_instance(0), np.geomspace(1e-4, 1, 30), "jtt", lam=3.0)
    assert rows["jtt"]["gap_max"] == pytest.approx(want["gap_max"], abs=1e-12)
    assert rows["jtt"]["critical_predicted"] == pytest.approx(want["critical_predicted"])
    assert rows["none"]["gap_max"] < 1e-12


def test_gradient_glm_against_theorem7(cli_json, tmp_path):
    doc = cli_json("simulate", "gradient-glm", "--store", tmp_path / "s.sqlite", "--alphas", "0.1,0.9",
                   "--samples", "60", "--dim", "3", "--seed", "2")
    data = glm_data(2, n=60, d=3)
    run = neutralize([0.1, 0.9], data, glm_target(data, 2))
    assert [r["distance"] for r in doc["rows"]] == pytest.approx(run.distance.tolist(), abs=1e-10)
    for r in doc["rows"]:
        assert r["distance"] <= r["distance_bound"] + 1e-9
    bound = evaluate("thm7", "bound", dict(alpha=0.1, g_P0=float(run.g_P0[0]), g_Pprime=float(run.g_Pprime[0]),
                                           mu=float(run.mu[0])))
    assert doc["rows"][0]["distance_bound"] == pytest.approx(-float(bound), rel=1e-9)


def test_gradient_mlp_byzantine_meets_the_contraction(cli_json, tmp_path):
    doc = cli_json("simulate", "gradient-mlp", "--store", tmp_path / "s.sqlite", "--alphas", "0.2,1",
                   "--pretrain", "100", "--steps", "10", "--mode", "byzantine")
    for r in doc["rows"]:
        assert r["distance_T"] <= r["distance_bound"] + 1e-9 and r["distance_T"] < r["distance_0"]
        assert r["distance_bound"] == pytest.approx((1 - 0.1 * r["C"]) ** 10 * r["distance_0"], rel=1e-9)


@pytest.mark.parametrize("kind,bad,needle", [
    ("suboptimal", ("--learner", "svm"), "--learner 'svm'"),
    ("reweight", ("--schemes", "jtt,dro"), "--schemes item 'dro'"),
    ("gradient-glm", ("--alphas", "0.5,1.5"), "alpha '1.5': expected a number in (0, 1]"),
    ("gradient-mlp", ("--mode", "telepathy"), "--mode 'telepathy'"),
])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, kind, bad, needle):
    code, out, err = cli("simulate", kind, "--store", tmp_path / "s.sqlite", *bad)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err
