"""The sweep store: rows on disk as they finish, SIGKILL loses nothing, reruns skip what is done."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from numerics.store import SCHEMA_VERSION, SweepStore, row_key
from theory.errors import InputError

SWEEP = textwrap.dedent("""
    import sys, time
    from numerics.store import SweepStore
    def compute(batch):
        time.sleep(0.05)
        return [{"square": c["x"] ** 2} for c in batch]
    store = SweepStore(sys.argv[1])
    store.run("slow", [{"x": x, "seed": x % 3} for x in range(int(sys.argv[2]))], compute, progress=False)
    print("finished")
""")


def _count(path):
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not created yet
            return 0


def test_sigkill_loses_no_finished_row_and_rerun_resumes(tmp_path):
    path, script = tmp_path / "sweep.sqlite", tmp_path / "sweep.py"
    script.write_text(SWEEP)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, str(script), str(path), "200"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and (not path.exists() or _count(path) < 5):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with SweepStore(path) as store:
        before = {row_key(r.kind, r.config): r for r in store.rows()}
    assert 5 <= len(before) < 200
    assert all(r.metrics["square"] == r.config["x"] ** 2 for r in before.values())

    out = subprocess.run([sys.executable, str(script), str(path), "200"], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and "finished" in out.stdout
    with SweepStore(path) as store:
        after = {row_key(r.kind, r.config): r for r in store.rows()}
    assert len(after) == 200 == _count(path)
    for key, row in before.items():  # finished rows were kept, not recomputed
        assert after[key].finished_at == row.finished_at and after[key].metrics == row.metrics


def test_rerun_skips_done_configurations_and_records_provenance(tmp_path):
    calls = []

    def compute(batch):
        calls.append(len(batch))
        return [{"y": c["x"] + 1} for c in batch]

    with SweepStore(tmp_path / "s.sqlite") as store:
        grid = [{"x": x, "seed": 7} for x in range(10)]
        store.run("inc", grid[:4], compute, batch_size=3)
        rows = store.run("inc", grid, compute, batch_size=3)
    assert calls == [3, 1, 3, 3]
    assert [r.metrics["y"] for r in rows] == list(range(1, 11))
    assert rows[0].seed == 7 and rows[0].versions["numpy"] and rows[0].seconds >= 0
    assert "python" in rows[0].versions


def test_same_config_under_another_kind_is_a_different_row(tmp_path):
    with SweepStore(tmp_path / "s.sqlite") as store:
        store.run("a", [{"x": 1}], lambda b: [{"v": 1}])
        store.run("b", [{"x": 1}], lambda b: [{"v": 2}])
        assert [r.metrics["v"] for r in store.rows()] == [1, 2]


def test_incompatible_or_foreign_files_are_refused(tmp_path):
    old = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(old)) as db, db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(InputError, match=f"schema version {SCHEMA_VERSION + 1}"):
        SweepStore(old)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a critmass sweep store"):
        SweepStore(junk)
    with pytest.raises(InputError, match="does not exist"):
        SweepStore(tmp_path / "missing" / "s.sqlite")
