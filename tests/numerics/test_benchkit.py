"""The benchmark harness and lines: protocol, baselines that compute what we compute, the docs from one run.

No timing is asserted anywhere: speed is measured by ``critmass bench``, not by tests.
"""

import json
import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from numerics import bench, benchkit, collusion, exact

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_compare_calls_first_apart_checks_then_interleaves():
    calls = []
    sides = {"ours": lambda: calls.append("o") or 1, "base": lambda: calls.append("b") or 1}
    row = benchkit.compare("t", "s", sides, "ours", lambda out: "equal", repeats=3)
    assert calls == ["o", "b"] + ["o", "b"] * 3                # first calls, then 3 interleaved rounds
    assert [s["role"] for s in row["sides"]] == ["ours", "baseline"] and len(row["sides"][1]["times_s"]) == 3
    assert row["ratios"][0]["baseline"] == "base" and row["ratios"][0]["part"] is None


def test_a_failed_check_stops_before_any_timed_round():
    calls = []

    def check(out):
        raise AssertionError("differ")

    with pytest.raises(AssertionError, match="differ"):
        benchkit.compare("t", "s", {"ours": lambda: calls.append(1), "b": lambda: calls.append(2)}, "ours", check)
    assert calls == [1, 2]


def test_parts_are_timed_and_matched_part_by_part():
    sides = {"ours": lambda: 0, "ours, per part": lambda: benchkit.Parts(0, {"a": 1.0, "b": 2.0}),
             "base": lambda: benchkit.Parts(0, {"a": 4.0, "b": 2.0})}
    row = benchkit.compare("t", "s", sides, "ours", lambda out: "equal")
    parts = {x["part"]: x["ratio_min"] for x in row["ratios"] if x["part"]}
    assert parts == {"a": 4.0, "b": 1.0}


def test_numpy_baseline_computes_exact_success():
    arrays = exact.random_instances(5, 300, 6, 4, "feature-label")
    alphas = np.linspace(0.01, 1, 17)
    ours, base = exact.success_grid(arrays, alphas), bench.numpy_success_grid(arrays.p0, arrays.signal,
                                                                              arrays.target, alphas)
    np.testing.assert_allclose(base, ours, rtol=0, atol=1e-12)
    assert 0 < ours.mean() < 1


@pytest.fixture(scope="module")
def cars(tmp_path_factory):
    path = collusion.write_csv(collusion.car_table(30_000, seed=3), tmp_path_factory.mktemp("cars") / "cars.csv")
    return path, collusion.load_named_csv(path, collusion.CAR_LABEL)


def test_the_car_csv_reads_back_as_the_generated_table(cars):
    path, table = cars
    made = collusion.car_table(30_000, seed=3)
    assert table.names == made.names and table.label_values == tuple(sorted(made.label_values))
    for j, values in enumerate(made.values):  # the same cell values (codes renumbered by sorted value names)
        assert np.array_equal(np.asarray(table.values[j])[table.features[:, j]], np.asarray(values)[made.features[:, j]])
    assert np.array_equal(np.asarray(table.label_values)[table.labels], np.asarray(made.label_values)[made.labels])


def test_three_signal_planting_implementations_agree(cars):
    import pandas as pd

    from numerics.bench_gbj import PandasSignalPlanting

    path, table = cars
    signal = collusion.parse_fix(table, [f"{k}={v}" for k, v in collusion.GBJ_SIGNAL.items()])
    target = table.label_values.index("Good")
    ours = collusion.run(table, signal, target, [50, 400, 3_000], 10_000, 1_000, sklearn_split=42, bounds=("gbj",))
    frame = pd.read_csv(path).astype("str")
    for r in ours:
        base = bench.numpy_signal_planting(table, signal, target, 10_000, r["n"], 1_000, 0.05)
        peer = PandasSignalPlanting(frame, collusion.CAR_LABEL, 10_000, r["n"], 1_000, collusion.GBJ_SIGNAL, "Good",
                                    0.05).run()
        assert r["ties"] == 0 and "binomial" not in r
        np.testing.assert_allclose([r["success"], r["gbj"]], base, rtol=0, atol=1e-12)
        np.testing.assert_allclose([r["success"], r["gbj"]], peer, rtol=0, atol=1e-12)
    assert len({round(r["success"], 6) for r in ours}) > 1    # the sizes differ in outcome: a mix-up would show
    every = bench.numpy_signal_planting_all(table, signal, target, 10_000, [50, 400, 3_000], 1_000, 0.05)
    np.testing.assert_allclose(every.output, [(r["success"], r["gbj"]) for r in ours], rtol=0, atol=1e-12)
    assert set(every.seconds) == {bench.SPLIT_PART, bench.PLUG_IN_PART}
    timings = {}
    collusion.run(table, signal, target, [50], 10_000, 1_000, sklearn_split=42, bounds=("gbj",), timings=timings)
    assert set(timings) == {"split", "plug-in"} and min(timings.values()) > 0


def test_gbj_split_is_scikit_learns():
    from sklearn.model_selection import train_test_split

    train, test, order = collusion.sklearn_split(1000, 300, 50)
    rows = np.arange(1000)
    t, rest = train_test_split(rows, train_size=300, random_state=42)
    te, _ = train_test_split(rest, train_size=50, random_state=42)
    mine, others = train_test_split(t, train_size=40, random_state=42)
    assert np.array_equal(train, t) and np.array_equal(test, te)
    assert np.array_equal(train[order[300 - 40:]], mine) and np.array_equal(train[order[:300 - 40]], others)
    ordered, test2 = collusion.split_rows(1000, 300, 50, sklearn=42)  # the collective of n is ordered[:n]
    assert np.array_equal(test2, te) and set(ordered[:40].tolist()) == set(mine.tolist())


@pytest.fixture(scope="module")
def quick_doc():
    """A run's document with one quick line (exact success at 1000 instances: a second or so)."""
    return {"schema": benchkit.SCHEMA_VERSION, "quick": True, "command": "test", "machine": {
        "processor": "test", "platform": "test", "python": "3", "jax": "0", "device": "cpu",
        "cores": 2, "load_average": [0.0, 0.0, 0.0], "memory_bandwidth_Bps": 1e10, "flops_f64": 1e10},
        "rows": [{k: v for k, v in bench.bench_exact(quick=True).items() if k != "limit_counts"}]}


def test_quick_lines_follow_the_schema(quick_doc):
    doc = json.loads(json.dumps(quick_doc))
    benchkit.validate(doc)
    doc["rows"][0]["sides"] = doc["rows"][0]["sides"][:1]      # a row without a baseline is refused
    with pytest.raises(Exception, match="baseline|minItems|too short|contain"):
        benchkit.validate(doc)


def test_docs_are_rendered_from_their_json_run():
    page, run = (DOCS / "benchmarks.md").read_text(), DOCS / "benchmarks.json"
    if not run.exists():  # no full run written yet: the page says so and holds no figure
        assert page == benchkit.render_pending()
        assert "to be re-measured" in page and "critmass bench --write-docs" in page
        assert not re.search(r"\d\s?(ms|µs|s|x)\b", page.replace("10^7", "").replace("10^9", ""))
        return
    doc = json.loads(run.read_text())
    benchkit.validate(doc)
    assert page == benchkit.render(doc)
    assert doc["rows"] and not doc["quick"]                     # the docs come from a full run
    for r in doc["rows"]:
        if r["kind"] == "ratio":  # every comparison has a measured baseline, with its own timings
            baselines = [s for s in r["sides"] if s["role"] == "baseline"]
            assert baselines and all(s["min_s"] > 0 and len(s["times_s"]) >= 3 for s in baselines)
        if r["kind"] == "legacy":
            assert r["baseline_s"] > 0
        if r.get("limit"):  # a run faster than its physical limit means the limit counts the wrong bytes or flops
            assert 0 < r["limit"]["fraction"] <= 1, (r["name"], r["limit"])
    names = {r["name"] for r in doc["rows"]}
    assert {"exact success", "GBJ signal planting (success + GBJ bound)", "read a categorical CSV into codes",
            "logistic regressions at once (vmap Newton)"} <= names
    scale = {r["name"]: r for r in doc["rows"] if r["kind"] == "scale"}   # the full-size memory runs, with peaks
    assert {"exact success, streamed", "finite-sample draws (plug-in, bounds' statistics)",
            "read GBJ's car CSV"} <= set(scale)
    assert all(r["peak_rss_bytes"] > 0 for r in scale.values())


def test_render_says_when_figures_are_not_final(quick_doc):
    doc = json.loads(json.dumps(quick_doc))
    doc["machine"]["load_average"] = [9.0, 9.0, 9.0]
    text = benchkit.render(doc)
    assert "to be re-measured in a quiet run" in text and "quick run" in text
    doc["machine"]["load_average"], doc["quick"] = [0.1, 0.1, 0.1], False
    text = benchkit.render(doc)
    assert "to be re-measured" not in text and "quick run" not in text


def test_cli_render_and_refusals(cli, tmp_path, quick_doc):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1}')
    code, out, err = cli("bench", "--render", bad)
    assert code == 2 and "not a bench run" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("bench", "--write-docs", str(tmp_path), "--quick")
    assert code == 2 and "full run" in err
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps(quick_doc))
    code, out, err = cli("bench", "--render", saved)
    assert code == 0 and out == benchkit.render(quick_doc)


def test_a_side_is_waited_on_for_its_jax_arrays_only(monkeypatch):
    import jax
    import jax.numpy as jnp

    waited = []
    monkeypatch.setattr(jax, "block_until_ready", lambda x: waited.append(x) or x)
    array = jnp.arange(3)
    nested = {"a": [1.5, (array, "text")], "b": Fraction(1, 3)}
    assert benchkit._ready(nested) is nested and len(waited) == 1 and waited[0][0] is array
    plain = [(Fraction(i, 7), [Fraction(1, 3)] * 3) for i in range(50)]
    assert benchkit._ready(plain) is plain and len(waited) == 1              # nothing to wait for: not walked by JAX


def test_a_shared_machine_is_told_by_other_processes_cpu_time(quick_doc):
    doc = json.loads(json.dumps(quick_doc))
    doc["machine"]["load_average"] = [9.0, 9.0, 9.0]         # the run's own threads raise the load average
    doc["others"] = {"wall_s": 600.0, "others_cores": 0.02, "steal_cores": 0.0}
    benchkit.validate(doc)
    text = benchkit.render(doc)
    assert "to be re-measured" not in text and "other processes used 0.02 cores" in text
    doc["others"]["others_cores"] = 1.0                       # another process busy on one core throughout
    text = benchkit.render(doc)
    assert "**Taken on a shared machine: other processes used 1.00 cores" in text and "to be re-measured" in text


def test_cpu_readings_separate_our_work_from_the_machines():
    start = benchkit.cpu_seconds()
    if start is None:
        pytest.skip("no /proc/stat here")
    give_up = start["wall_s"] + 60                             # a loaded CI machine may give us a fraction of a core
    while (now := benchkit.cpu_seconds())["own_s"] - start["own_s"] < 0.3 and now["wall_s"] < give_up:
        sum(range(1000))                                       # until os.times counts 0.3 s of our CPU time
    end = benchkit.cpu_seconds()
    use, own = benchkit.others_use(start, end), end["own_s"] - start["own_s"]
    assert own >= 0.3 and use["wall_s"] >= 0.9 * own           # our loop is counted as ours (one thread)
    assert end["busy_s"] - start["busy_s"] >= 0.9 * own - 0.02  # and as the machine's busy time (ticks of 10 ms)
    cores = os.cpu_count() or 1                                # what is left over went to other processes
    assert use["others_cores"] <= cores - own / use["wall_s"] + 0.1
