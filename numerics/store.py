"""The sweep store: every finished configuration of every simulation, one SQLite row each, at once.

The one sweep API of numerics/ and gpu/: ``SweepStore.run`` maps a function over a grid of
configurations, skips those already on disk, and commits each finished batch before starting the next,
so killing the process at any moment loses no finished row and a rerun resumes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from theory.errors import InputError

SCHEMA_VERSION = 1
_VERSIONED = ("critmass", "numpy", "sympy", "jax", "jaxlib", "optax", "z3-solver")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    key TEXT PRIMARY KEY,          -- sha256 of the canonical JSON of (kind, config)
    kind TEXT NOT NULL,
    config TEXT NOT NULL,          -- canonical JSON
    seed INTEGER,                  -- config["seed"] where the configuration has one
    metrics TEXT NOT NULL,         -- JSON
    versions TEXT NOT NULL,        -- JSON: package versions that produced the row
    git_commit TEXT,
    seconds REAL NOT NULL,         -- wall time of the batch the row was computed in, divided by its size
    finished_at TEXT NOT NULL      -- UTC, ISO 8601
);
CREATE INDEX IF NOT EXISTS rows_kind ON rows (kind);
"""


@dataclass(frozen=True)
class Row:
    """One finished configuration."""

    kind: str
    config: dict
    seed: int | None
    metrics: dict
    versions: dict
    git_commit: str | None
    seconds: float
    finished_at: str


def canonical(obj) -> str:
    """JSON with sorted keys and no spaces: equal configurations give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def row_key(kind: str, config: dict) -> str:
    return hashlib.sha256(canonical({"kind": kind, "config": config}).encode()).hexdigest()


@functools.cache
def versions() -> dict:
    """Versions of Python and the packages whose behaviour a row depends on."""
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


@functools.cache
def git_commit() -> str | None:
    """The commit of the source tree critmass runs from, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class SweepStore:
    """A SQLite file (WAL mode) of finished configurations.

    >>> import tempfile, os
    >>> store = SweepStore(os.path.join(tempfile.mkdtemp(), "s.sqlite"))
    >>> rows = store.run("square", [{"x": 2}, {"x": 3}], lambda batch: [{"y": c["x"] ** 2} for c in batch])
    >>> [r.metrics["y"] for r in rows]
    [4, 9]
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(f"store {self.path} is a directory; expected an SQLite file")
        if not self.path.parent.exists():
            raise InputError(f"store {self.path}: folder {self.path.parent} does not exist")
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_schema()
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise InputError(f"store {self.path} is not a critmass sweep store ({e})") from None
        except InputError:
            self._db.close()
            raise

    def _check_schema(self) -> None:
        found = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if found is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif found[0] != str(SCHEMA_VERSION):
            raise InputError(f"store {self.path} was written with schema version {found[0]}; "
                             f"this critmass reads version {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def done_keys(self, kind: str) -> set[str]:
        return {k for (k,) in self._db.execute("SELECT key FROM rows WHERE kind = ?", (kind,))}

    def put_many(self, kind: str, configs: Sequence[dict], metrics: Sequence[dict], seconds: float) -> None:
        """Write finished configurations in one transaction: all of them are on disk, or none."""
        if len(configs) != len(metrics):
            raise ValueError(f"{len(configs)} configurations but {len(metrics)} results")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        per = seconds / max(len(configs), 1)
        vers, commit = canonical(versions()), git_commit()
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(row_key(kind, c), kind, canonical(c), c.get("seed"), canonical(m), vers, commit, per, now)
                 for c, m in zip(configs, metrics)])

    def rows(self, kind: str | None = None) -> list[Row]:
        """Every finished row (of one kind), in the order they were written."""
        query = "SELECT kind, config, seed, metrics, versions, git_commit, seconds, finished_at FROM rows"
        args: tuple = ()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        return [Row(k, json.loads(c), s, json.loads(m), json.loads(v), g, sec, t)
                for k, c, s, m, v, g, sec, t in self._db.execute(query + " ORDER BY rowid", args)]

    def run(self, kind: str, configs: Iterable[dict], compute: Callable[[list[dict]], list[dict]],
            *, batch_size: int = 1, progress: bool | None = None, desc: str | None = None) -> list[Row]:
        """Compute every configuration not yet in the store, ``batch_size`` at a time, and return all rows.

        ``compute`` maps a list of configurations to a list of metric dicts (JSON-able), one each; a
        batch lets a vmapped computation do many configurations in one call. Each finished batch is
        committed before the next starts. ``progress=None`` shows a bar only on a terminal.
        """
        from tqdm import tqdm

        configs = list(configs)
        done = self.done_keys(kind)
        pending = [c for c in configs if row_key(kind, c) not in done]
        with tqdm(total=len(configs), initial=len(configs) - len(pending), desc=desc or kind, unit="cfg",
                  disable=(not progress) if progress is not None else None, leave=False) as bar:
            for start in range(0, len(pending), batch_size):
                batch = pending[start:start + batch_size]
                t0 = time.perf_counter()
                metrics = compute(batch)
                self.put_many(kind, batch, list(metrics), time.perf_counter() - t0)
                bar.update(len(batch))
        by_key = {row_key(r.kind, r.config): r for r in self.rows(kind)}
        return [by_key[row_key(kind, canonical_config(c))] for c in configs]


def canonical_config(config: dict) -> dict:
    """The configuration as it reads back from the store (JSON round trip)."""
    return json.loads(canonical(config))
