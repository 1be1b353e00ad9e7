"""A ``critmass bench`` line: the cold start of ``critmass bound thm1 ...`` in a fresh process, against critmass
as it was before the work on issue 13 (commit ``BASELINE``), checked out into a temporary folder.

App layer (it runs the CLI in subprocesses). ``cold_start`` returns both measured sides; ``benchmarks`` is
the ``critmass bench`` hook. Each repeat runs ours and the baseline one after the other (interleaved), in
fresh processes with the same interpreter and the same arguments, and their outputs must be equal. Ours
runs with the derivation cache that its first, untimed, run filled (what every later command finds); that
first run's time is reported on its own (``ours_first_s``), as a compile time would be.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

BASELINE = "ca5d623"
ARGS = ("bound", "thm1", "--set", "alpha=1/10", "xi=0.01", "Delta=1", "epsilon=0")
NAME = "cold start: critmass bound thm1"
ROOT = Path(__file__).resolve().parents[1]


def _checkout(commit: str, into: Path) -> None:
    """The tree of ``commit`` (git archive) extracted into a folder, without touching the repository."""
    tar = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")


def _run(source: Path, cache: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(source), "CRITMASS_CACHE_DIR": str(cache)}
    env.pop("CRITMASS_RESULTS", None)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "critmass", *ARGS], cwd=source, env=env, capture_output=True,
                         text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"critmass {' '.join(ARGS)} failed in {source}: {out.stderr.strip()[-300:]}")
    return seconds, out.stdout.strip()


def cold_start(repeats: int = 5) -> dict:
    """Wall seconds of ``critmass bound thm1 ...`` in a fresh process: ours and the baseline's, interleaved.

    Returns the row ``critmass bench`` prints: min and median of each side, their ratio (baseline/ours, of
    the minima), our first run (empty cache) on its own, and the output each printed. Raises RuntimeError
    when the two values printed differ or a side fails.
    """
    with tempfile.TemporaryDirectory(prefix="critmass-bench-") as tmp:
        base, cache = Path(tmp) / "baseline", Path(tmp) / "cache"
        base.mkdir()
        _checkout(BASELINE, base)
        first, expected = _run(ROOT, cache)
        ours, theirs, printed = [], [], {}
        for _ in range(repeats):
            for side, times in ((ROOT, ours), (base, theirs)):
                seconds, output = _run(side, cache)
                if _value(output) != _value(expected):
                    raise RuntimeError(f"outputs differ: {output!r} ({side}) and {expected!r}")
                times.append(seconds)
                printed[side] = output
    return {"name": NAME, "baseline": f"critmass at {BASELINE} (before issue 13)", "ours_s": min(ours),
            "baseline_s": min(theirs), "ratio": min(theirs) / min(ours), "ours_median_s": statistics.median(ours),
            "baseline_median_s": statistics.median(theirs), "ours_first_s": first, "repeats": repeats,
            "output": expected, "baseline_output": printed[base], "device": "cpu"}


def _value(output: str) -> str:
    """The bound a side printed (``thm1 (tv): S(alpha) >= 0.91``: ``0.91``); the label in front changed since the
    baseline (the notion of eps-optimality is named now), the number must not."""
    return output.rpartition(">=")[2].strip()


def benchmarks(quick: bool = False, only: str | None = None) -> list[dict]:
    """The ``critmass bench`` hook: one row (none when ``only`` excludes it, or when git or the baseline
    commit is missing: then there is nothing to compare against)."""
    if only and only not in NAME:
        return []
    try:
        subprocess.run(["git", "cat-file", "-e", f"{BASELINE}^{{commit}}"], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print(f"bench: skipped '{NAME}': commit {BASELINE} is not in this repository", file=sys.stderr)
        return []
    return [cold_start(3 if quick else 5)]
