"""The sweep store: recognized before it is written, rows on disk as they finish, claims, failures, merge."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from numerics import store as store_mod
from numerics import sweep
from numerics.store import FORMAT, SCHEMA_VERSION, StoreError, SweepStore, dataframe, merge, row_key
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


def _snapshot(folder):
    """Every file of a folder with its bytes: what 'left byte-identical' compares."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


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


def test_rerun_computes_only_what_is_missing_in_the_grids_fixed_batches(tmp_path):
    calls = []

    def compute(batch):
        calls.append([c["x"] for c in batch])
        return [{"y": c["x"] + 1} for c in batch]

    with SweepStore(tmp_path / "s.sqlite") as store:
        grid = [{"x": x, "seed": 7} for x in range(10)]
        store.run("inc", grid[:4], compute, batch_size=3, progress=False)
        rows = store.run("inc", grid, compute, batch_size=3, progress=False)
    # Batches are cut from the grid, never from what is pending: [0 1 2] [3 4 5] [6 7 8] [9].
    assert calls == [[0, 1, 2], [3], [4, 5], [6, 7, 8], [9]]
    assert [r.metrics["y"] for r in rows] == list(range(1, 11))
    assert rows[0].seed == 7 and rows[0].versions["numpy"] and rows[0].seconds >= 0
    assert "python" in rows[0].versions


def test_same_config_under_another_kind_is_a_different_row(tmp_path):
    with SweepStore(tmp_path / "s.sqlite") as store:
        store.run("a", [{"x": 1}], lambda b: [{"v": 1}], progress=False)
        store.run("b", [{"x": 1}], lambda b: [{"v": 2}], progress=False)
        assert [r.metrics["v"] for r in store.rows()] == [1, 2]


# ---- recognizing a store before anything is written --------------------------------------------------------

def _foreign_sqlite(path, wal=False):
    with contextlib.closing(sqlite3.connect(path)) as db:
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        db.execute("INSERT INTO contacts VALUES ('Ada', '123')")
        db.commit()


def _future_store(path):
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))


@pytest.mark.parametrize("make, message", [
    (lambda p: _foreign_sqlite(p), r"not a critmass sweep store \(tables: contacts\)"),
    (lambda p: _foreign_sqlite(p, wal=True), r"not a critmass sweep store \(tables: contacts\)"),
    (lambda p: p.write_text("alpha,success\n0.1,0.5\n"), "not an SQLite database"),
    (lambda p: p.write_bytes(bytes(range(256)) * 40), "not an SQLite database"),
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000), "not a readable critmass sweep store"),
    (_future_store, f"schema version {SCHEMA_VERSION + 1}"),
])
@pytest.mark.parametrize("readonly", [False, True])
def test_other_files_are_refused_in_one_line_and_left_byte_identical(tmp_path, make, message, readonly):
    path = tmp_path / "other.sqlite"
    make(path)
    before = _snapshot(tmp_path)
    with pytest.raises(InputError, match=message) as info:
        SweepStore(path, readonly=readonly)
    assert "\n" not in str(info.value)
    assert _snapshot(tmp_path) == before  # the same files, byte for byte: no table, no journal mode, no -wal


def test_the_cli_refuses_a_foreign_database_and_leaves_it_alone(cli, tmp_path):
    path = tmp_path / "contacts.sqlite"
    _foreign_sqlite(path)
    before = _snapshot(tmp_path)
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps({"p0": [["1/2", 0], [0, "1/2"]], "signal": [1, 1], "target": 0,
                                "strategy": "feature-label", "alpha": "1/2"}))
    after_inst = {**before, "inst.json": inst.read_bytes()}
    code, out, err = cli("simulate", "exact", "--instance", inst, "--store", path)
    assert code == 2 and out == "" and err.count("\n") == 1 and "not a critmass sweep store" in err
    assert _snapshot(tmp_path) == after_inst


def test_paths_that_cannot_be_a_store(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        SweepStore(tmp_path / "missing" / "s.sqlite")
    with pytest.raises(InputError, match="is a directory"):
        SweepStore(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        SweepStore(tmp_path / "absent.sqlite", readonly=True)
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(InputError, match="empty file"):
        SweepStore(tmp_path / "empty.sqlite", readonly=True)


def test_a_version_1_store_is_read_as_is_and_upgraded_when_written(tmp_path):
    path = tmp_path / "v1.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        db.execute("CREATE TABLE rows (key TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, seed INTEGER, "
                   "metrics TEXT NOT NULL, versions TEXT NOT NULL, git_commit TEXT, seconds REAL NOT NULL, "
                   "finished_at TEXT NOT NULL)")
        db.execute("INSERT INTO rows VALUES (?, 'k', '{\"x\":1}', NULL, '{\"y\":2}', '{}', NULL, 0.5, 't')",
                   (row_key("k", {"x": 1}),))
    before = path.read_bytes()
    with SweepStore(path, readonly=True) as s:
        assert s.version == 1 and [r.metrics for r in s.rows("k")] == [{"y": 2}] and s.failures() == []
    assert path.read_bytes() == before
    with SweepStore(path) as s:
        rows = s.run("k", [{"x": 1}, {"x": 2}], lambda b: [{"y": 2 * c["x"]} for c in b], progress=False)
        assert s.version == SCHEMA_VERSION and [r.metrics["y"] for r in rows] == [2, 4]


def test_a_readonly_store_is_read_without_a_change_and_never_written(tmp_path):
    path = tmp_path / "s.sqlite"
    with SweepStore(path) as s:
        s.run("k", [{"x": 1}], lambda b: [{"y": 1}], progress=False)
    before = path.read_bytes()
    with SweepStore(path, readonly=True) as s:
        assert [r.metrics for r in s.rows()] == [{"y": 1}]
        assert [r.metrics for r in s.run("k", [{"x": 1}], None, progress=False)] == [{"y": 1}]  # all finished
        with pytest.raises(InputError, match="opened read-only; 1 configurations"):
            s.run("k", [{"x": 1}, {"x": 2}], lambda b: [{"y": 2}], progress=False)
    assert path.read_bytes() == before


# ---- disk full, damaged rows ----------------------------------------------------------------------------------

def test_a_full_disk_stops_the_sweep_in_one_line_and_keeps_every_finished_row(tmp_path, monkeypatch):
    # SQLite's own limit on the file's size (max_page_count) gives the real 'database or disk is full'.
    path = tmp_path / "s.sqlite"
    opened = SweepStore.__init__

    def small_disk(self, *a, **kw):
        opened(self, *a, **kw)
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count = {pages + 3}")

    monkeypatch.setattr(SweepStore, "__init__", small_disk)
    big = "x" * 3000  # about one page per row
    with pytest.raises(StoreError, match="database or disk is full") as info:
        sweep.run(path, "big", [{"i": i} for i in range(50)], lambda b: [{"pad": big} for _ in b], progress=False)
    assert "\n" not in str(info.value) and "rows finished before are kept" in str(info.value)
    monkeypatch.undo()
    with SweepStore(path) as s:
        kept = s.rows("big")
        assert 1 <= len(kept) < 50 and all(r.metrics["pad"] == big for r in kept)
        assert s.in_flight() == []  # the claim of the batch that failed was released
        calls = []
        s.run("big", [{"i": i} for i in range(50)], lambda b: calls.extend(b) or [{"pad": big} for _ in b],
              progress=False)
    assert len(calls) == 50 - len(kept)


def test_a_damaged_row_is_one_line(tmp_path):
    path = tmp_path / "s.sqlite"
    with SweepStore(path) as s:
        s.run("k", [{"x": 1}], lambda b: [{"y": 1}], progress=False)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE rows SET metrics = 'not json'")
    with SweepStore(path, readonly=True) as s, pytest.raises(StoreError, match="damaged"):
        s.rows()


# ---- claims ------------------------------------------------------------------------------------------------

def test_a_live_claim_is_respected_and_a_dead_or_expired_one_taken_over(tmp_path):
    path = tmp_path / "s.sqlite"
    configs = [{"x": 1}, {"x": 2}]
    with SweepStore(path) as a, SweepStore(path) as b:
        other_host = "elsewhere:1:abc"
        assert a.claim("k", configs, other_host, lease=60) == configs
        assert b.claim("k", configs, "mine:2:def", lease=60) is None  # live (another host, lease running)
        a.renew(other_host, lease=-1)  # the lease ran out
        dead = f"{store_mod.socket.gethostname()}:{_dead_pid()}:x"
        assert b.claim("k", configs, dead, lease=60) == configs
        assert a.claim("k", configs, "elsewhere:3:ghi", lease=60) == configs  # its owner's process is gone
        a.put_many("k", configs[:1], [{"y": 1}], 0.1)
        assert b.claim("k", configs, "elsewhere:4:jkl", lease=60) is None  # x=2 is still claimed
        a.release("elsewhere:3:ghi")
        assert b.claim("k", configs, "elsewhere:4:jkl", lease=60) == configs[1:]  # x=1 is finished


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ---- results that cannot be stored -------------------------------------------------------------------------

def test_a_nan_result_is_recorded_as_a_failure_and_the_rest_is_saved(tmp_path):
    path = tmp_path / "s.sqlite"

    def compute(batch):
        return [{"y": float("nan") if c["x"] == 3 else c["x"]} for c in batch]

    with pytest.raises(sweep.Failed, match=r"1 of 6 configurations .* x=3: metric 'y' = nan") as info:
        sweep.run(path, "k", [{"x": x} for x in range(6)], compute, batch_size=2, progress=False)
    assert info.value.saved == 5
    with SweepStore(path) as s:
        assert sorted(r.config["x"] for r in s.rows()) == [0, 1, 2, 4, 5]
        assert [(k, c) for k, c, _ in s.failures()] == [("k", {"x": 3})]
        rows = s.run("k", [{"x": x} for x in range(6)], lambda b: [{"y": 3.0} for _ in b], progress=False)
        assert [r.metrics["y"] for r in rows] == [0, 1, 2, 3.0, 4, 5] and s.failures() == []


def test_a_non_finite_configuration_is_refused_before_any_compute(tmp_path):
    calls = []
    with pytest.raises(InputError, match="configuration field 'lr' = nan: expected a finite number"):
        sweep.run(tmp_path / "s.sqlite", "k", [{"lr": 0.1}, {"lr": float("nan")}],
                  lambda b: calls.append(b) or [{}] * len(b), progress=False)
    assert calls == []


def test_a_stop_request_stops_after_the_batch_in_flight(tmp_path):
    seen = []

    def compute(batch):
        seen.extend(batch)
        if len(seen) == 4:
            sweep.request_stop(signal.SIGTERM)
        return [{"y": c["x"]} for c in batch]

    try:
        with pytest.raises(sweep.Interrupted) as info:
            sweep.run(tmp_path / "s.sqlite", "k", [{"x": x} for x in range(10)], compute, batch_size=2,
                      progress=False)
    finally:
        sweep.clear_stop()
    assert (info.value.saved, info.value.total, info.value.signum) == (4, 10, signal.SIGTERM)
    with SweepStore(tmp_path / "s.sqlite") as s:
        assert s.count("k") == 4 and s.in_flight() == []


# ---- shards, merge, DataFrame --------------------------------------------------------------------------------

def test_shards_split_the_batches_and_merge_into_the_whole(tmp_path):
    grid = [{"x": x, "seed": x} for x in range(11)]
    compute = lambda b: [{"y": c["x"] ** 2, "curve": [c["x"], 1]} for c in b]  # noqa: E731
    parts = []
    for i in (1, 2, 3):
        rows = sweep.run(tmp_path / f"part{i}.sqlite", "sq", grid, compute, batch_size=2,
                         shard=sweep.Shard(i, 3), progress=False)
        parts.append({r.config["x"] for r in rows})
    assert parts == [{0, 1, 6, 7}, {2, 3, 8, 9}, {4, 5, 10}]
    out = merge(tmp_path / "all.sqlite", [tmp_path / f"part{i}.sqlite" for i in (1, 2, 3)])
    assert out == {"added": 11, "identical": 0, "stores": 3}
    again = merge(tmp_path / "all.sqlite", [tmp_path / "part1.sqlite"])
    assert again == {"added": 0, "identical": 4, "stores": 1}
    with SweepStore(tmp_path / "all.sqlite") as s:
        assert sorted(r.metrics["y"] for r in s.rows("sq")) == sorted(x * x for x in range(11))


def test_merge_names_configurations_whose_results_differ_and_writes_nothing(tmp_path):
    sweep.run(tmp_path / "a.sqlite", "k", [{"x": 1}, {"x": 2}], lambda b: [{"y": 1} for _ in b], progress=False)
    sweep.run(tmp_path / "b.sqlite", "k", [{"x": 2}, {"x": 3}], lambda b: [{"y": 2} for _ in b], progress=False)
    with pytest.raises(InputError, match=r'1 configuration\(s\) .* kind .k. \{"x":2\}'):
        merge(tmp_path / "out.sqlite", [tmp_path / "a.sqlite", tmp_path / "b.sqlite"])
    with SweepStore(tmp_path / "out.sqlite", readonly=True) as s:
        assert s.count() == 0
    _foreign_sqlite(tmp_path / "f.sqlite")
    with pytest.raises(InputError, match="not a critmass sweep store"):
        merge(tmp_path / "out.sqlite", [tmp_path / "a.sqlite", tmp_path / "f.sqlite"])


def test_dataframe_has_one_row_per_configuration_with_fields_metrics_and_provenance(tmp_path):
    path = tmp_path / "s.sqlite"
    sweep.run(path, "a", [{"alpha": a, "seed": 3, "opt": {"lam": 5}} for a in (0.1, 0.2)],
              lambda b: [{"success": c["alpha"] * 2, "alpha": 9} for c in b], progress=False)
    sweep.run(path, "b", [{"scheme": "jtt"}], lambda b: [{"gap": 0.5}], progress=False)
    frame = dataframe(path)
    assert len(frame) == 3 and list(frame["kind"]) == ["a", "a", "b"]
    a = frame[frame["kind"] == "a"]
    assert list(a["alpha"]) == [0.1, 0.2] and list(a["success"]) == [0.2, 0.4] and list(a["opt.lam"]) == [5, 5]
    assert list(a["metric.alpha"]) == [9, 9]  # a metric named like a field keeps both
    assert list(frame["seed"].astype(object).where(frame["seed"].notna(), None)) == [3, 3, None]
    assert frame["version.numpy"].notna().all() and "git_commit" in frame and "finished_at" in frame
    assert list(dataframe(path, "b")["gap"]) == [0.5]


def test_the_cli_says_disk_full_in_one_line_and_resumes_after(cli, monkeypatch, tmp_path):
    path = tmp_path / "s.sqlite"
    opened = SweepStore.__init__

    def small_disk(self, *a, **kw):
        opened(self, *a, **kw)
        if not self.readonly:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages + 2}")

    args = ("simulate", "tabular", "--synthetic", "300", "--alphas", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1",
            "--targets", "0,1,2,3", "--store", path, "--quiet")
    monkeypatch.setattr(SweepStore, "__init__", small_disk)
    code, out, err = cli(*args)
    assert code == 1 and out == "" and err.count("\n") == 1 and "database or disk is full" in err, err
    monkeypatch.undo()
    with SweepStore(path, readonly=True) as s:
        kept = {row_key(r.kind, r.config): r.finished_at for r in s.rows()}
    assert 0 < len(kept) < 40
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    with SweepStore(path, readonly=True) as s:
        after = {row_key(r.kind, r.config): r.finished_at for r in s.rows()}
    assert len(after) == 40 and all(after[k] == t for k, t in kept.items())


def test_a_store_that_cannot_be_written_is_refused_before_any_compute_and_still_read(cli, monkeypatch, tmp_path):
    path = tmp_path / "s.sqlite"
    sweep.run(path, "k", [{"x": 1}], lambda b: [{"y": 1}], progress=False)
    # As root every file is writable; a read-only file or folder is what os.access reports for other users.
    real = os.access
    monkeypatch.setattr(store_mod.os, "access", lambda p, mode: False if mode & os.W_OK else real(p, mode))
    with pytest.raises(InputError, match="cannot be written .* it can still be read: critmass store show"):
        SweepStore(path)
    with pytest.raises(InputError, match="cannot be written"):
        SweepStore(tmp_path / "new.sqlite")
    code, out, err = cli("store", "show", path, "--json")
    assert code == 0 and [(k["kind"], k["rows"]) for k in json.loads(out)["kinds"]] == [("k", 1)], err
    assert not (tmp_path / "new.sqlite").exists()


def test_a_nan_option_is_refused_before_the_store_is_created(cli, tmp_path):
    code, out, err = cli("experiment", "--corpus", "synthetic", "--lr", "nan", "--store", tmp_path / "e.sqlite")
    assert code == 2 and err.count("\n") == 1 and "argument --lr: 'nan': expected a number in (0, 1000]" in err
    assert not (tmp_path / "e.sqlite").exists()
