"""``critmass simulate``: summaries from the store, resumed reruns, and one-line errors with exit code 2."""

import contextlib
import json
import sqlite3
from fractions import Fraction as F

import pytest

from numerics.store import SweepStore
from theory.instance import bound, parse_instance, success

INSTANCE = {"p0": [["1/4", "1/4"], ["3/8", "1/8"]], "signal": [1, 1], "target": 1,
            "strategy": "feature-label", "alpha": "1/2"}


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(INSTANCE))
    return path


def test_exact_rows_match_the_fraction_reference_and_resume(cli_json, instance_file, tmp_path):
    store = tmp_path / "s.sqlite"
    doc = cli_json("simulate", "exact", "--instance", instance_file, "--alphas", "0.1,1/3,0.9", "--store", store)
    inst = parse_instance(INSTANCE)
    for row, a in zip(doc["rows"], [F(1, 10), F(1, 3), F(9, 10)]):
        assert row["success"] == pytest.approx(float(success(inst.with_alpha(a))), abs=1e-12)
        assert row["bound"] == pytest.approx(float(bound(inst.with_alpha(a))), abs=1e-12)
    with SweepStore(store) as s:
        first = s.rows("exact")
    assert len(first) == 3
    cli_json("simulate", "exact", "--instance", instance_file, "--alphas", "0.1,0.5", "--store", store)
    with SweepStore(store) as s:
        after = s.rows("exact")
    assert len(after) == 4 and after[0].finished_at == first[0].finished_at


def test_finite_records_the_seed_and_counts(cli_json, instance_file, tmp_path):
    store = tmp_path / "s.sqlite"
    doc = cli_json("simulate", "finite", "--instance", instance_file, "--alphas", "0.01,0.5", "--samples", "300",
                   "--test", "200", "--seeds", "64", "--seed", "11", "--store", store)
    assert [r["n"] for r in doc["rows"]] == [3, 150]
    assert all(0 <= r["mean_success"] <= 1 for r in doc["rows"])
    with SweepStore(store) as s:
        assert {r.seed for r in s.rows("finite")} == {11}


@pytest.mark.parametrize("args, message", [
    (["exact", "--instance", "{inst}", "--alphas", "0.5,1.5"], "argument --alphas: alpha '1.5': expected a number in (0, 1]"),
    (["exact", "--instance", "{tmp}/missing.json"], "missing.json"),
    (["exact", "--random", "3", "--shape", "6by4"], "--shape '6by4'"),
    (["finite", "--instance", "{inst}", "--alphas", "0"], "alpha '0': expected a number in (0, 1]"),
    (["finite", "--instance", "{inst}", "--delta", "2"], "argument --delta: '2': expected a number in (0, 1)"),
])
def test_bad_input_is_one_line_and_exit_2(cli, instance_file, tmp_path, args, message):
    args = [a.format(inst=instance_file, tmp=tmp_path) for a in args]
    code, out, err = cli("simulate", *args, "--store", tmp_path / "s.sqlite")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_store_of_another_schema_is_refused(cli, instance_file, tmp_path):
    old = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(old)) as db, db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', 'critmass-sweep-store')")
        db.execute("INSERT INTO meta VALUES ('schema_version', '999')")
    code, _, err = cli("simulate", "exact", "--instance", instance_file, "--store", old)
    assert code == 2 and "schema version 999" in err
