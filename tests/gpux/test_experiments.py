"""Sweeps through the store, sigmoid fits and crossings, the theory overlay, and the two commands."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from gpu import experiments as ex
from gpu.theory_overlay import critical_mass, positivity, predicted, uniqueness
from numerics.store import Row, SweepStore
from theory.errors import InputError

SHARED = Path("/work/shared/data")


@pytest.fixture(scope="module")
def prepared(make_corpus):
    return ex.prepare_corpus(make_corpus(150, seed=3), 0.3, 0, ex.TRIGGER_ID)


def test_sigmoid_fit_recovers_a_known_curve_and_its_crossings():
    truth = (-2.0, 3.0, 0.1)
    alphas = np.geomspace(1e-4, 0.5, 15)
    fit = ex.fit_sigmoid(alphas, ex.sigmoid(alphas, *truth))
    np.testing.assert_allclose(fit, truth, atol=1e-4)
    for level in (0.5, 0.9):
        root = brentq(lambda la: ex.sigmoid(10 ** la, *truth) - level, -6, 0)
        assert math.isclose(ex.crossing(fit, level), 10 ** root, rel_tol=1e-3)
    assert ex.crossing((-2.0, 3.0, 0.6), 0.5) == 0.0  # the offset alone already reaches it
    assert ex.crossing((1.0, 3.0, 0.0), 0.9) == math.inf  # only beyond alpha = 1


def _rows(curves):
    return [Row("k", {**ex.DEFAULTS, "alpha": a, "seed": s}, s, {"success_among": v, "success_top1": v,
                                                                  "n_target_train": 1, "n_train": 1}, {}, None, 0, "")
            for s, pts in curves.items() for a, v in pts]


def test_summary_bootstraps_over_seeds():
    alphas = np.geomspace(1e-3, 0.5, 10)
    curves = {s: list(zip(alphas, ex.sigmoid(alphas, -2.0 + 0.1 * s, 3.0, 0.05))) for s in range(5)}
    (top, *_), = [[s for s in ex.summarize(_rows(curves), n_boot=50) if s["measure"] == "success_top1"]]
    lo, hi = top["alpha50_ci"]
    assert top["seeds"] == [0, 1, 2, 3, 4] and lo <= top["alpha50"] <= hi
    assert 10 ** -2.0 * 0.9 < lo < hi < 10 ** -1.7 * 1.1
    assert top["alpha50_grid"] >= top["alpha50"] * 0.5


def test_crossings_beyond_the_grid_and_intervals_on_few_seeds_are_not_reported():
    alphas = np.geomspace(1e-3, 0.2, 8)
    # the fitted curve crosses 90% only near alpha = 0.34, beyond the largest alpha measured (0.2)
    curves = {s: list(zip(alphas, ex.sigmoid(alphas, -1.2, 3.0, 0.02))) for s in range(2)}
    (top, *_), = [[s for s in ex.summarize(_rows(curves), n_boot=20) if s["measure"] == "success_top1"]]
    assert ex.crossing(ex.fit_sigmoid(*zip(*curves[0])), 0.9) > 0.2
    assert top["alpha90"] is None and top["alpha90_status"] == "above-grid"
    assert top["alpha50_status"] == "in-grid" and top["alpha50"] < 0.2
    assert top["n_seeds"] == 2 < ex.MIN_SEEDS_FOR_INTERVAL and top["alpha50_ci"] is None


def test_sweep_is_resumable_and_strategy1_beats_no_collective(tmp_path, prepared):
    grid = ex.configs(corpus="synthetic", strategy=1, target=0, alpha=[0.0, 0.3], seed=[0, 1], epochs=6, lr=0.1,
                      batch_size=8)
    calls = []

    def compute(batch):
        calls.append(len(batch))
        return ex.compute(batch, prepared=prepared)

    with SweepStore(tmp_path / "s.sqlite") as store:
        rows = store.run(ex.KIND, grid, compute, batch_size=4)
        again = store.run(ex.KIND, grid, compute, batch_size=4)
    assert calls == [4] and [r.metrics for r in again] == [r.metrics for r in rows]
    by = {(r.config["alpha"], r.config["seed"]): r.metrics for r in rows}
    for s in (0, 1):
        assert by[0.0, s]["n_planted"] == 0 and by[0.3, s]["n_planted"] == round(0.3 * 105)
        assert by[0.3, s]["success_top1"] >= 0.8 and by[0.3, s]["success_top1"] > by[0.0, s]["success_top1"] + 0.3
        assert by[0.0, s]["accuracy"] > 0.9  # the platform's clean accuracy with no collective


def test_configs_reject_bad_fields():
    with pytest.raises(InputError, match="unknown configuration field 'alfa'"):
        ex.configs(alfa=0.1)
    with pytest.raises(InputError, match="alpha=1.5"):
        ex.configs(alpha=1.5)
    with pytest.raises(InputError, match="learner 'svm'"):
        ex.configs(learner="svm")


def test_theory_overlay_by_hand():
    assert uniqueness(0, 998) == 0.001 and uniqueness(3, 9, "jeffreys") == 0.35
    with pytest.raises(InputError, match="smoothing 'none'"):
        uniqueness(0, 10, "none")
    a = np.array([0.001, 0.01, 0.1])
    np.testing.assert_allclose(predicted(1, a, xi=0.001), np.clip(1 - (1 - a) / a * 0.001, 0, 1))
    np.testing.assert_allclose(predicted(2, a, xi=0.001, p=0.2, truncation=0.05),
                               np.clip(1 - 0.8 / (0.2 * a) * 0.001 - 0.05, 0, 1))
    for strategy, p in ((1, None), (2, 0.3)):
        alpha = critical_mass(strategy, 0.5, xi=0.002, p=p)
        assert math.isclose(predicted(strategy, [alpha], xi=0.002, p=p)[0], 0.5, rel_tol=1e-9)
    assert critical_mass(2, 0.9, xi=0.1, p=0.01) == math.inf
    held = [Row("k", {}, 0, {"p_target_q05": v}, {}, None, 0, "") for v in (0.1, 0.3)]
    assert positivity(held) == (pytest.approx(0.2), 0.05)


def test_commands_report_bad_input_in_one_line(cli, tmp_path):
    code, out, err = cli("experiment", "--store", tmp_path / "s.sqlite", "--data", tmp_path / "none")
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    code, out, err = cli("experiment", "--store", tmp_path / "s.sqlite", "--token", "dash")
    assert code == 2 and "--token 'dash'" in err
    code, out, err = cli("figures", "--store", tmp_path / "missing.sqlite", "-o", tmp_path)
    assert code == 2 and "file not found" in err


def test_figures_from_a_store(cli, tmp_path, prepared):
    grid = (ex.configs(corpus="synthetic", strategy=[1, 2], alpha=[0.0, 0.05, 0.1, 0.2, 0.4], seed=[0, 1], epochs=3,
                       lr=0.1, batch_size=8)
            + ex.configs(corpus="synthetic", strategy=2, alpha=[0.05, 0.2, 0.4], seed=0, epochs=3, lr=0.1,
                         batch_size=8, random_labels=0.3))
    with SweepStore(tmp_path / "s.sqlite") as store:
        store.run(ex.KIND, grid, lambda b: ex.compute(b, prepared=prepared), batch_size=16)
    code, out, err = cli("figures", "--store", tmp_path / "s.sqlite", "-o", tmp_path / "figs", "--json")
    assert code == 0, err
    doc = json.loads(out)
    names = {Path(f).name for f in doc["files"]}
    assert {"fig2_strategy1_synthetic_bow_softmax.png", "fig3_strategy2_synthetic_bow_softmax.pdf",
            "fig4_random_labels_synthetic_bow_softmax.png"} <= names
    assert all((tmp_path / "figs" / n).stat().st_size > 1000 for n in names)
    thm1 = next(t for t in doc["theory"] if t["strategy"] == 1)
    assert thm1["xi"] == pytest.approx(1 / 152)  # no synthetic text has the trigger: add-one over 150 texts


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not on this machine")
def test_resume_corpus_lacks_the_trigger_and_a_collective_plants_it():
    from gpu.data import load_corpus
    full = load_corpus("resume", str(SHARED))
    assert not any("\u05be" in t for t in full.texts)  # the paper's trigger is unused, as xi assumes
    small = full.subset(range(0, len(full), 8)).map_texts(lambda t: " ".join(t.split()[20:220]))
    prep = ex.prepare_corpus(small, 0.25, 0, ex.TRIGGER_ID)
    assert prep.trigger_texts == 0
    rows = ex.compute(ex.configs(strategy=1, target=3, alpha=[0.0, 0.3], seed=0, epochs=5, lr=0.05), prepared=prep)
    assert rows[1]["success_top1"] > rows[0]["success_top1"] + 0.3


def test_encoder_sweep_plants_the_trigger_and_resumes(tmp_path, prepared):
    # The tiny random-init encoder, fine-tuned per configuration on the same collective's training set as bow.
    grid = ex.configs(learner="encoder", model="tiny", corpus="synthetic", strategy=1, target=0, alpha=[0.0, 0.3],
                      seed=0, epochs=12)
    calls = []

    def compute(batch):
        calls.append(len(batch))
        return ex.compute(batch, prepared=prepared)

    with SweepStore(tmp_path / "s.sqlite") as store:
        rows = store.run(ex.KIND, grid, compute, batch_size=1)
        again = store.run(ex.KIND, grid, compute, batch_size=1)
    assert calls == [1, 1] and [r.metrics for r in again] == [r.metrics for r in rows]
    held, big = (r.metrics for r in rows)
    assert rows[1].seed == 0 and big["training_seed"] == ex.training_seed(grid[1])  # the seed is recorded
    assert held["n_planted"] == 0 and big["n_planted"] == round(0.3 * 105)
    assert big["success_top1"] >= 0.8 and big["success_top1"] > held["success_top1"] + 0.5
    # The trigger, not a bias toward the target, moves the predictions: clean texts keep their class.
    assert big["clean_target_rate"] < 0.3 and held["accuracy"] > 0.8
    assert 0 < held["p_target_q05"] <= held["p_target_median"] < 1  # the held-out model's p for Theorem 3


def test_encoder_configs_take_the_finetune_defaults_and_reject_bad_fields(cli, tmp_path):
    (c,) = ex.configs(learner="encoder", model="tiny", lr=0.01)
    assert (c["epochs"], c["lr"], c["batch_size"], c["max_length"]) == (4, 0.01, 16, 64)
    with pytest.raises(InputError, match="'model' applies only to learner 'encoder'"):
        ex.configs(model="tiny")
    with pytest.raises(InputError, match="limit=1"):
        ex.configs(learner="encoder", limit=1)
    code, out, err = cli("experiment", "--store", tmp_path / "s.sqlite", "--model", "tiny")
    assert code == 2 and err.count("\n") == 1 and "apply only to --learner encoder" in err
