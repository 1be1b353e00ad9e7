"""The sweep store: every finished configuration of every sweep, one SQLite row each, written as it finishes.

A store is an SQLite file (WAL mode) that carries its own marker (``meta.format = critmass-sweep-store``) and
schema version. A file is recognized before anything is written to it: another program's database, a text
file or a store of a version this critmass does not read is refused in one line and left byte-identical.
A store can be opened read-only (``readonly=True``: figures, the report, ``critmass store show|export``), also
where its folder cannot be written.

Next to the finished rows the store holds the *claims* of configurations in flight (owner and lease), so that
several processes on one store split a sweep (numerics.sweep), and the *failures*: configurations whose result
was not a finite JSON document, kept out of ``rows`` and retried by a rerun.

``dataframe`` reads a store into a pandas DataFrame (one row per configuration); ``merge`` joins the stores
of a sharded sweep.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import platform
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from theory.errors import InputError

FORMAT = "critmass-sweep-store"
SCHEMA_VERSION = 2
#: Versions this critmass reads. A version-1 store (no marker, no claims) is upgraded when opened for writing.
READABLE = (1, 2)
_VERSIONED = ("critmass", "numpy", "sympy", "jax", "jaxlib", "optax", "z3-solver")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ROW_COLUMNS = ["key", "kind", "config", "seed", "metrics", "versions", "git_commit", "seconds", "finished_at"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    key TEXT PRIMARY KEY,          -- sha256 of the canonical JSON of (kind, config)
    kind TEXT NOT NULL,
    config TEXT NOT NULL,          -- canonical JSON
    seed INTEGER,                  -- config["seed"] where the configuration has one
    metrics TEXT NOT NULL,         -- JSON, finite numbers only
    versions TEXT NOT NULL,        -- JSON: package versions that produced the row
    git_commit TEXT,
    seconds REAL NOT NULL,         -- wall time of the batch the row was computed in, divided by its size
    finished_at TEXT NOT NULL      -- UTC, ISO 8601
);
CREATE INDEX IF NOT EXISTS rows_kind ON rows (kind);
CREATE TABLE IF NOT EXISTS claims (  -- configurations in flight: whose, and until when (unix time) the lease runs
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (  -- configurations whose result could not be stored, with why
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL
);
"""


class StoreError(Exception):
    """The store could not be written (disk full, read-only, locked): one line, finished rows are kept."""


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


def canonical_config(config: dict) -> dict:
    """The configuration as it reads back from the store (JSON round trip)."""
    return json.loads(canonical(config))


def clean(value, what: str = "value", path: str = ""):
    """``value`` as plain JSON (numpy scalars and arrays become numbers and lists), every number finite.

    Raises ValueError naming the first offending entry, e.g. ``metric 'loss' = nan: expected a finite number``.

    >>> clean({"a": 1.5, "b": [1, None]}, "metric")
    {'a': 1.5, 'b': [1, None]}
    >>> clean({"a": {"b": float("inf")}}, "metric")
    Traceback (most recent call last):
    ...
    ValueError: metric 'a.b' = inf: expected a finite number
    """
    where = path or "(top level)"
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy scalar or array
        value = value.tolist()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} {where!r} = {value}: expected a finite number")
        return float(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{what} key {k!r} under {where!r}: expected a string")
            out[k] = clean(v, what, f"{path}.{k}" if path else k)
        return out
    if isinstance(value, (list, tuple)):
        return [clean(v, what, f"{path}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{what} {where!r} is a {type(value).__name__}: expected a number, string, list or mapping")


def check_config(config) -> dict:
    """A configuration as plain JSON with finite numbers, or InputError naming the bad field."""
    if not isinstance(config, dict):
        raise InputError(f"configuration {config!r}: expected a mapping of field names to values")
    try:
        return clean(config, "configuration field")
    except ValueError as e:
        raise InputError(str(e)) from None


def package_versions(names) -> dict:
    """{package: installed version} for those of ``names`` that are installed."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


@functools.cache
def versions() -> dict:
    """Versions of Python and the packages whose behaviour a row depends on."""
    return {"python": platform.python_version(), **package_versions(_VERSIONED)}


@functools.cache
def git_commit() -> str | None:
    """The commit of the source tree critmass runs from, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def new_owner() -> str:
    """A claim owner: host, process id and a random token (``host:pid:token``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


#: Owners of live sweeps in this process (a claim of another token of this process is stale).
_LIVE_OWNERS: set[str] = set()


def owner_alive(owner: str) -> bool:
    """False when the owner is known dead: a process of this host that no longer runs, or a finished sweep of
    this process. An owner on another host is alive until its lease runs out."""
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _sqlite_message(e: BaseException) -> str:
    return str(e).split("\n")[0] or type(e).__name__


class SweepStore:
    """A critmass sweep store; ``readonly`` opens an existing one without writing anything.

    >>> import tempfile, os
    >>> store = SweepStore(os.path.join(tempfile.mkdtemp(), "s.sqlite"))
    >>> rows = store.run("square", [{"x": 2}, {"x": 3}], lambda batch: [{"y": c["x"] ** 2} for c in batch])
    >>> [r.metrics["y"] for r in rows]
    [4, 9]

    Raises InputError (one line) for a path that is a folder, in a missing folder, not a critmass store, of an
    unreadable version, or (for writing) read-only.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, timeout: float = 60.0):
        self.path = Path(path)
        self.readonly = readonly
        self._timeout = timeout
        exists = self._check_path()
        self.version = self._inspect() if exists else None
        if readonly:
            self._db = self._connect_readonly()
        else:
            self._db = self._connect_writable(exists)

    # ---- recognizing the file, before anything is written ----------------------------------------------

    def _check_path(self) -> bool:
        p = self.path
        if p.is_dir():
            raise InputError(f"store {p} is a directory; expected an SQLite file")
        if not p.parent.is_dir():
            raise InputError(f"store {p}: folder {p.parent} does not exist")
        if p.exists():
            if not os.access(p, os.R_OK):
                raise InputError(f"store {p} cannot be read (permission denied)")
            if p.stat().st_size > 0:
                return True
            if self.readonly:
                raise InputError(f"store {p} is an empty file; expected a critmass sweep store")
            return False
        if self.readonly:
            raise InputError(f"store {p}: no such file")
        return False

    def _inspect(self) -> int:
        """The schema version of an existing file, or InputError if it is not a critmass store."""
        with open(self.path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
        if head != _SQLITE_MAGIC:
            raise InputError(f"store {self.path} is not a critmass sweep store (not an SQLite database); "
                             f"give a new file name or an existing store")
        try:
            db = self._open_ro()
        except sqlite3.DatabaseError as e:
            raise InputError(f"store {self.path} is not a readable critmass sweep store ({_sqlite_message(e)})") from None
        try:
            return self._classify(db)
        except sqlite3.DatabaseError as e:
            raise InputError(f"store {self.path} is not a readable critmass sweep store ({_sqlite_message(e)})") from None
        finally:
            db.close()

    def _classify(self, db, empty_ok: bool = False) -> int | None:
        """The schema version of the store ``db`` reads; InputError for another program's database.
        With ``empty_ok``, a database with no tables at all gives None (a new store)."""
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and empty_ok:
            return None
        meta = dict(db.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        columns = [c[1] for c in db.execute("PRAGMA table_info(rows)")] if "rows" in tables else []
        marked = meta.get("format") == FORMAT
        legacy = not marked and meta.get("schema_version") == "1" and columns == _ROW_COLUMNS
        if not (marked or legacy):
            listed = ", ".join(sorted(tables)) or "none"
            raise InputError(f"store {self.path} is an SQLite database but not a critmass sweep store (tables: "
                             f"{listed}); critmass writes only to its own stores: give a new file name")
        found = meta.get("schema_version", "?")
        if not found.isdigit() or int(found) not in READABLE:
            raise InputError(f"store {self.path} was written with schema version {found}; this critmass reads "
                             f"version{'s' if len(READABLE) > 1 else ''} {', '.join(map(str, READABLE))}")
        return int(found)

    def _open_ro(self) -> sqlite3.Connection:
        """A read-only connection that creates no file.

        Where no -wal file exists, no process has the database open in WAL mode and everything is in the
        main file: it is opened ``immutable`` (a plain read-only open of a WAL database would create the -wal
        and -shm files, and fails in a read-only folder). Otherwise (a sweep is writing it) ``mode=ro``.
        """
        uri = self.path.resolve().as_uri()
        live = Path(f"{self.path}-wal").exists()
        db = sqlite3.connect(uri + ("?mode=ro" if live else "?immutable=1"), uri=True, timeout=self._timeout)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _connect_readonly(self) -> sqlite3.Connection:
        try:
            return self._open_ro()
        except sqlite3.DatabaseError as e:
            raise InputError(f"store {self.path} cannot be read ({_sqlite_message(e)})") from None

    def _connect_writable(self, exists: bool) -> sqlite3.Connection:
        target = self.path if exists else self.path.parent
        if not os.access(target, os.W_OK) or (exists and not os.access(self.path.parent, os.W_OK | os.X_OK)):
            raise InputError(f"store {self.path} cannot be written (read-only {'file or ' if exists else ''}"
                             f"folder); it can still be read: critmass store show {self.path}")
        try:
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise InputError(f"store {self.path} cannot be opened ({_sqlite_message(e)})") from None
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._classify(db, empty_ok=True)  # still ours (or still empty) now that we hold the lock
            except InputError:
                db.execute("ROLLBACK")
                raise
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; set only once the file is ours
            db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as e:
            db.close()
            raise StoreError(f"store {self.path} cannot be written ({_sqlite_message(e)})") from None
        except InputError:
            db.close()
            raise
        self.version = SCHEMA_VERSION
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- writing ---------------------------------------------------------------------------------------

    def _write(self, fn, what: str):
        """Run ``fn(db)`` in one IMMEDIATE transaction; an SQLite failure is a StoreError (one line)."""
        if self.readonly:
            raise InputError(f"store {self.path} was opened read-only")
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(db)
            except BaseException:
                if db.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return out
        except sqlite3.Error as e:
            if db.in_transaction:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise StoreError(f"store {self.path}: could not {what} ({_sqlite_message(e)}); the rows finished "
                             f"before are kept") from None

    def put_many(self, kind: str, configs: Sequence[dict], metrics: Sequence[dict], seconds: float) -> None:
        """Write finished configurations in one transaction (all of them are on disk, or none) and release
        their claims. Each metrics document must be finite JSON (``clean``); ValueError names the first that
        is not, before anything is written."""
        if len(configs) != len(metrics):
            raise ValueError(f"{len(configs)} configurations but {len(metrics)} results")
        now, per = _now_text(), seconds / max(len(configs), 1)
        vers, commit = canonical(versions()), git_commit()
        rows = [(row_key(kind, c), kind, canonical(c), c.get("seed"), canonical(clean(m, "metric")), vers, commit,
                 per, now) for c, m in zip(configs, metrics)]

        def write(db):
            db.executemany("INSERT OR IGNORE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("DELETE FROM claims WHERE key = ?", [(r[0],) for r in rows])
            db.executemany("DELETE FROM failures WHERE key = ?", [(r[0],) for r in rows])

        self._write(write, f"save {len(rows)} finished row{'s' * (len(rows) != 1)}")

    def put_failure(self, kind: str, config: dict, error: str) -> None:
        """Record a configuration whose result could not be stored (and release its claim)."""
        key = row_key(kind, config)

        def write(db):
            db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)",
                       (key, kind, canonical(config), error, _now_text()))
            db.execute("DELETE FROM claims WHERE key = ?", (key,))

        self._write(write, "record a failed configuration")

    def claim(self, kind: str, configs: Sequence[dict], owner: str, lease: float) -> list[dict] | None:
        """Claim every configuration of ``configs`` not yet finished, for ``lease`` seconds, all or none.

        Returns the configurations claimed (possibly empty: all finished), or None when another live owner
        holds one of them. A claim whose owner is dead (numerics.store.owner_alive) or whose lease ran out
        is taken over.
        """
        keys = [row_key(kind, c) for c in configs]

        def write(db):
            marks = ",".join("?" * len(keys))
            done = {k for (k,) in db.execute(f"SELECT key FROM rows WHERE key IN ({marks})", keys)}
            now = time.time()
            for k, who, expires in db.execute(f"SELECT key, owner, expires FROM claims WHERE key IN ({marks})", keys):
                if k not in done and who != owner and expires > now and owner_alive(who):
                    return None
            todo = [(k, c) for k, c in zip(keys, configs) if k not in done]
            db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)",
                           [(k, kind, owner, now + lease) for k, _ in todo])
            return [c for _, c in todo]

        return self._write(write, "claim configurations")

    def renew(self, owner: str, lease: float) -> None:
        self._write(lambda db: db.execute("UPDATE claims SET expires = ? WHERE owner = ?", (time.time() + lease, owner)),
                    "renew its claims")

    def release(self, owner: str) -> None:
        self._write(lambda db: db.execute("DELETE FROM claims WHERE owner = ?", (owner,)), "release its claims")

    # ---- reading ---------------------------------------------------------------------------------------

    def _read(self, query: str, args=()) -> list:
        try:
            return self._db.execute(query, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"store {self.path} cannot be read ({_sqlite_message(e)})") from None

    def done_keys(self, kind: str) -> set[str]:
        return {k for (k,) in self._read("SELECT key FROM rows WHERE kind = ?", (kind,))}

    def in_flight(self, kind: str | None = None) -> list[tuple[str, str, float]]:
        """Claims of live owners whose lease has not run out: (key, owner, expires)."""
        query, args = "SELECT key, owner, expires FROM claims", ()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        if self.version == 1:
            return []
        now = time.time()
        return [(k, o, e) for k, o, e in self._read(query, args) if e > now and owner_alive(o)]

    def failures(self, kind: str | None = None) -> list[tuple[str, dict, str]]:
        """Configurations whose result could not be stored: (kind, config, error)."""
        if self.version == 1:
            return []
        query, args = "SELECT kind, config, error FROM failures", ()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        return [(k, json.loads(c), e) for k, c, e in self._read(query + " ORDER BY rowid", args)]

    def _row(self, k, c, s, m, v, g, sec, t) -> Row:
        try:
            return Row(k, json.loads(c), s, json.loads(m), json.loads(v), g, sec, t)
        except (json.JSONDecodeError, TypeError) as e:
            raise StoreError(f"store {self.path}: a row of kind {k!r} is damaged ({e}); "
                             f"expected JSON configuration and metrics") from None

    def rows(self, kind: str | None = None) -> list[Row]:
        """Every finished row (of one kind), in the order they were written."""
        query = "SELECT kind, config, seed, metrics, versions, git_commit, seconds, finished_at FROM rows"
        args: tuple = ()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        return [self._row(*r) for r in self._read(query + " ORDER BY rowid", args)]

    def rows_by_key(self, kind: str, keys: Iterable[str]) -> dict[str, Row]:
        keys = list(keys)
        out = {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            query = ("SELECT key, kind, config, seed, metrics, versions, git_commit, seconds, finished_at FROM rows "
                     f"WHERE kind = ? AND key IN ({','.join('?' * len(part))})")
            out.update({k: self._row(*r) for k, *r in self._read(query, (kind, *part))})
        return out

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return self._read("SELECT COUNT(*) FROM rows")[0][0]
        return self._read("SELECT COUNT(*) FROM rows WHERE kind = ?", (kind,))[0][0]

    def summary(self) -> list[dict]:
        """Per kind: rows, configurations in flight, failures, seeds, commits, first and last finish."""
        out = []
        for kind, n, first, last in self._read("SELECT kind, COUNT(*), MIN(finished_at), MAX(finished_at) FROM rows "
                                               "GROUP BY kind ORDER BY MIN(rowid)"):
            seeds = sorted(s for (s,) in self._read("SELECT DISTINCT seed FROM rows WHERE kind = ? AND seed IS NOT "
                                                    "NULL", (kind,)))
            commits = sorted(str(g)[:10] for (g,) in self._read("SELECT DISTINCT git_commit FROM rows WHERE kind = ?",
                                                                (kind,)))
            out.append({"kind": kind, "rows": n, "in_flight": len(self.in_flight(kind)),
                        "failed": len(self.failures(kind)), "seeds": seeds, "commits": commits,
                        "first": first, "last": last})
        known = {o["kind"] for o in out}
        for kind in sorted({k for k, _, _ in self.failures()} - known):
            out.append({"kind": kind, "rows": 0, "in_flight": len(self.in_flight(kind)),
                        "failed": len(self.failures(kind)), "seeds": [], "commits": [], "first": None, "last": None})
        return out

    def run(self, kind: str, configs: Iterable[dict], compute, **options) -> list[Row]:
        """``numerics.sweep.run`` on this store: compute what is not finished, return every row."""
        from numerics import sweep

        return sweep.run(self, kind, configs, compute, **options)


def dataframe(store: str | Path | SweepStore, kind: str | None = None):
    """The finished rows of a store as a pandas DataFrame, one row per configuration.

    Columns: ``kind``; the configuration's fields (nested ones flattened with dots, e.g. ``options.lam``);
    the metrics (a metric whose name is also a configuration field of any row is prefixed ``metric.``);
    ``seed``;
    ``git_commit``, ``seconds``, ``finished_at``; and one ``version.PACKAGE`` column per recorded package.
    List-valued entries (curves, instance tables) stay Python lists; ``json_cells`` turns them into JSON
    text for CSV and Parquet. Needs pandas (``pip install 'critmass[frames]'``); reading the store does not.
    """
    try:
        import pandas as pd
    except ImportError:
        raise InputError("reading a store into a DataFrame needs pandas: pip install 'critmass[frames]' "
                         "(pandas==3.1.1)") from None
    if isinstance(store, SweepStore):
        rows = store.rows(kind)
    else:
        with SweepStore(store, readonly=True) as s:
            rows = s.rows(kind)
    flat = [(r, pd.json_normalize(r.config, sep=".").to_dict("records")[0] if r.config else {},
             pd.json_normalize(r.metrics, sep=".").to_dict("records")[0] if r.metrics else {}) for r in rows]
    fields = {k for _, config, _ in flat for k in config} | {"kind", "seed", "git_commit", "seconds", "finished_at"}
    records = []
    for r, config, metrics in flat:
        rec = {"kind": r.kind, **{k: v for k, v in config.items() if k != "seed"}}
        rec.update({(f"metric.{k}" if k in fields else k): v for k, v in metrics.items()})
        rec.update({"seed": r.seed, "git_commit": r.git_commit, "seconds": r.seconds, "finished_at": r.finished_at})
        rec.update({f"version.{k}": v for k, v in r.versions.items()})
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    if "seed" in frame:
        frame["seed"] = frame["seed"].astype("Int64")  # configurations without a seed: <NA>, not a float NaN
    return frame


def json_cells(frame):
    """A copy of ``frame`` whose list- or dict-valued columns hold canonical JSON text (for CSV and Parquet)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                                    else canonical(v))
    return out


def merge(out: str | Path, inputs: Sequence[str | Path]) -> dict:
    """Copy every row of the ``inputs`` stores into ``out`` (created if missing), in one transaction.

    Rows keep their provenance (versions, commit, time). A configuration present in several stores (or in
    ``out`` already) must have identical metrics; otherwise InputError lists the first that differ and nothing
    is written. Returns {"added", "identical", "stores"}.
    """
    if not inputs:
        raise InputError("store merge: expected at least one input store")
    target = Path(out).resolve()
    for p in inputs:
        if Path(p).resolve() == target:
            raise InputError(f"store merge: input {p} is the output store; expected other stores")
    sources = []
    for p in inputs:
        with SweepStore(p, readonly=True) as s:
            sources.append((str(p), s.rows()))
    with SweepStore(out) as dest:
        have = {row_key(r.kind, r.config): ("(output)", r) for r in dest.rows()}
        new: dict[str, tuple[str, Row]] = {}
        differ, identical = [], 0
        for name, rows in sources:
            for r in rows:
                k = row_key(r.kind, r.config)
                seen = have.get(k) or new.get(k)
                if seen is None:
                    new[k] = (name, r)
                elif canonical(seen[1].metrics) == canonical(r.metrics):
                    identical += 1
                else:
                    differ.append((seen[0], name, r))
        if differ:
            first, second, r = differ[0]
            raise InputError(f"store merge: {len(differ)} configuration(s) have different results in different "
                             f"stores, e.g. kind {r.kind!r} {canonical(r.config)[:200]} in {first} and {second}; "
                             f"nothing was written")

        def write(db):
            db.executemany("INSERT OR IGNORE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(k, r.kind, canonical(r.config), r.seed, canonical(r.metrics), canonical(r.versions),
                             r.git_commit, r.seconds, r.finished_at) for k, (_, r) in new.items()])

        dest._write(write, f"merge {len(new)} rows")
    return {"added": len(new), "identical": identical, "stores": len(inputs)}
