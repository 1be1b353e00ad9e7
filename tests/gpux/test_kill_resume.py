"""An encoder sweep killed mid-run (SIGKILL, no clean-up) loses only the fine-tune in flight: the rerun keeps every
committed row unchanged and computes the rest."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpu.experiments import KIND
from numerics.store import SweepStore

ROOT = Path(__file__).resolve().parents[2]


def committed(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT count(*) FROM rows").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


@pytest.mark.slow  # two fresh processes, each with its own JAX start-up and compilations
def test_killed_encoder_sweep_resumes_without_loss(tmp_path):
    store = tmp_path / "s.sqlite"
    cmd = [sys.executable, "-m", "critmass", "experiment", "--tiny", "--corpus", "synthetic", "--limit", "60",
           "--strategies", "1", "--seeds", "1", "--alphas", "0", "0.1", "0.2", "0.3", "0.4", "--store", str(store)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while committed(store) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with SweepStore(store) as s:
        before = {r.config["alpha"]: r.metrics for r in s.rows(KIND)}
    assert 1 <= len(before) < 5  # killed after a commit and before the end
    out = subprocess.run(cmd + ["--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    with SweepStore(store) as s:
        after = {r.config["alpha"]: r.metrics for r in s.rows(KIND)}
    assert sorted(after) == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert all(after[a] == m for a, m in before.items())  # committed rows were kept, not recomputed
