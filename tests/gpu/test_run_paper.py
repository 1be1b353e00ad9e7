"""The prepared GPU script (gpu/run_paper.py): the paper's plan in priority order, a budget, resuming, and the
whole path at the tiny size on CPU."""

import json

import pytest

from gpu.run_paper import PAPER_ALPHAS, main, plan


def test_plan_is_the_papers_plan_in_priority_order():
    tagged = plan(tiny=False, data=None)
    parts = [p for p, _ in tagged]
    main_ = [c for p, c in tagged if p == "strategies"]
    assert len(PAPER_ALPHAS) == 20 and len(main_) == 2 * 21 * 5  # S1 and S2, 20 alphas and 0, 5 seeds
    assert {(c["model"], c["corpus"], c["epochs"], c["limit"]) for c in main_} == {("minilm", "resume", 5, None)}
    assert parts == sorted(parts, key=["strategies", "random_labels", "epochs", "spacing"].index)
    # Figure 2 first, whole curves seed by seed
    first = [(c["strategy"], c["seed"], c["alpha"]) for c in main_[:22]]
    assert first[:21] == [(1, 0, a) for a in (0.0, *PAPER_ALPHAS)] and first[21] == (1, 1, 0.0)
    assert {c["random_labels"] for p, c in tagged if p == "random_labels"} == {0.05, 0.2}
    assert {c["every"] for p, c in tagged if p == "spacing"} == {5, 50}
    assert {c["epochs"] for p, c in tagged if p == "epochs"} == {2}  # epochs 5 is Figure 2's own curve, run once
    keys = [json.dumps(c, sort_keys=True) for _, c in tagged]
    assert len(keys) == len(set(keys))


def test_refuses_without_a_gpu(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 2
    assert "no GPU: jax's backend is cpu; run with --tiny" in capsys.readouterr().err


def test_budget_stops_the_sweep_and_a_rerun_resumes(tmp_path):
    out = tmp_path / "out"
    assert main(["--tiny", "--skip-bench", "--out", str(out), "--budget-s", "0"]) == 0
    s = json.loads((out / "summary.json").read_text())["sweep"]
    assert s["done"] == 0 and s["incomplete"] == ["strategies", "random_labels", "epochs", "spacing"]
    # A 1 s budget: at least the first fine-tune (started before the budget ran out), and not the whole plan
    # (how many fit in 1 s depends on whether this process already compiled the tiny model's step).
    assert main(["--tiny", "--skip-bench", "--out", str(out), "--budget-s", "1"]) == 0
    s = json.loads((out / "summary.json").read_text())["sweep"]
    assert 1 <= s["done"] < s["configurations"] and s["subsweeps"]["strategies"]["done"] == min(s["done"], 6)
    assert "spacing" in s["incomplete"]  # the last sub-sweep in priority order


@pytest.mark.slow
def test_tiny_run_benchmarks_sweeps_and_draws(tmp_path):
    out = tmp_path / "out"
    assert main(["--tiny", "--out", str(out), "--budget-s", "3600"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["sweep"]["done"] == s["sweep"]["configurations"] and not s["sweep"]["incomplete"]
    bench = json.loads((out / "bench.json").read_text())
    assert bench["first_loss_ours"] == pytest.approx(bench["first_loss_baseline"], abs=1e-4)
    assert len(bench["ours_times_s"]) == len(bench["baseline_times_s"]) == 3
    assert {f.split("_")[0] for f in s["files"]} >= {"figures/fig2", "figures/fig3", "figures/fig4", "figures/fig5",
                                                      "figures/fig6"}
