"""The cold-start bench line (critmass/bench_startup.py) runs both sides on identical arguments and checks
their printed values equal; its timings are for `critmass bench`, never asserted here."""

from critmass.bench_startup import ARGS, BASELINE, benchmarks, cold_start


def test_both_sides_print_the_same_bound():
    row = cold_start(repeats=1)
    # 1 - (1 - 1/10)/(1/10) * 1 * 0.01, by both versions; ours names the notion of eps-optimality it read thm1 under
    assert row["output"] == "thm1 (tv): S(alpha) >= 0.91" and row["baseline_output"] == "thm1: S(alpha) >= 0.91"
    assert row["baseline"].startswith(f"critmass at {BASELINE}") and ARGS[:2] == ("bound", "thm1")
    assert row["ours_s"] > 0 and row["baseline_s"] > 0 and row["ratio"] == row["baseline_s"] / row["ours_s"]


def test_only_filters_the_line_out():
    assert benchmarks(quick=True, only="no such benchmark") == []
