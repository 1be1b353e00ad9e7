"""The one sweep path: every long computation maps a function over a grid of configurations through ``run``.

``run(store, kind, configs, compute)`` splits the grid into fixed batches (``batch_size`` consecutive
configurations), and for each batch not yet finished: claims it in the store (a lease, renewed while it
computes), computes it, checks each result (finite JSON) and commits the batch's rows in one transaction.
So a kill loses at most the batch in flight, a rerun recomputes nothing finished, and several processes on
one store split the work instead of each doing all of it (a claim held by a dead process of this host, or
whose lease ran out, is taken over). The batches depend only on the grid, never on what is already done, so
a resumed, a shared or a sharded sweep computes every configuration in the same batch as an uninterrupted one
and gets the same numbers.

Stopping: ``request_stop(signum)`` (the command-line app calls it on SIGINT/SIGTERM) makes ``run`` stop at the
next safe point, after the batch in flight is committed, by raising ``Interrupted`` (saved and total counts).
A configuration whose result is not a finite JSON document is recorded as a failure and the sweep goes on;
``Failed`` is raised at the end, after everything else is saved.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "s.sqlite")
>>> rows = run(path, "square", [{"x": x} for x in range(5)], lambda b: [{"y": c["x"] ** 2} for c in b],
...            batch_size=2, progress=False)
>>> [r.metrics["y"] for r in rows]
[0, 1, 4, 9, 16]
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from numerics.store import (_LIVE_OWNERS, Row, StoreError, SweepStore, check_config, clean, new_owner,
                            row_key)
from theory.errors import InputError

#: Seconds a claim lasts without renewal; the owner renews it every LEASE / 3 while it computes.
LEASE = 60.0
#: Seconds between looks at the store while the rest of the grid is in flight in other processes.
POLL = 0.25


class Shard(NamedTuple):
    """Shard ``index`` of ``count`` (1-based): the batches whose position in the grid is index-1 mod count."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str | None) -> Shard | None:
        """``"2/4"`` as Shard(2, 4); None for None; InputError for anything else.

        >>> Shard.parse("2/4")
        Shard(index=2, count=4)
        """
        if text is None:
            return None
        i, sep, n = str(text).partition("/")
        if not (sep and i.strip().isdigit() and n.strip().isdigit()) or not 1 <= int(i) <= int(n) <= 10_000:
            raise InputError(f"--shard {text!r}: expected I/N with 1 <= I <= N <= 10000, e.g. 1/4")
        return cls(int(i), int(n))


class Interrupted(Exception):
    """The sweep stopped at a safe point after a stop request; every finished row is in the store."""

    def __init__(self, signum: int, saved: int, total: int, path: Path, unit: str = "configurations"):
        self.signum, self.saved, self.total, self.path, self.unit = signum, saved, total, path, unit
        super().__init__(f"stopped by {signal.Signals(signum).name}: {saved} of {total} {unit} saved in {path}")


class Failed(Exception):
    """Some configurations gave results that could not be stored; every other one was saved."""

    def __init__(self, failures: list[tuple[dict, str]], saved: int, total: int, path: Path):
        self.failures, self.saved, self.total, self.path = failures, saved, total, path
        config, error = failures[0]
        super().__init__(f"{len(failures)} of {total} configurations gave no storable result (first: "
                         f"{_short(config)}: {error}); {saved} are saved in {path}")


def _short(config: dict, width: int = 160) -> str:
    text = ", ".join(f"{k}={v}" for k, v in config.items() if not isinstance(v, (dict, list)))
    return text if len(text) <= width else text[:width - 3] + "..."


# ---- stop requests and the sweeps in progress (read by the app's signal handling) ----------------------

_STOP = threading.Event()
_stop_signal: list[int] = []


def request_stop(signum: int) -> None:
    """Ask every running sweep of this process to stop after the batch in flight."""
    _stop_signal.append(signum)
    _STOP.set()


def clear_stop() -> None:
    _stop_signal.clear()
    _STOP.clear()


def stop_requested() -> int | None:
    return _stop_signal[0] if _stop_signal else None


@dataclass
class Progress:
    """A running sweep: its store, rows of its grid saved so far, the grid's size, and what a row is (plural)."""

    path: Path
    kind: str
    saved: int
    total: int
    unit: str = "configurations"


_RUNNING: list[Progress] = []


def running() -> list[Progress]:
    """The sweeps in progress in this process (innermost last)."""
    return list(_RUNNING)


# ---- the loop --------------------------------------------------------------------------------------------

class _Heartbeat:
    """Renews the owner's claims every lease / 3 seconds from a thread with its own connection."""

    def __init__(self, path: Path, owner: str, lease: float):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(path, owner, lease), daemon=True,
                                        name="critmass-sweep-lease")
        self._thread.start()

    def _beat(self, path, owner, lease):
        try:
            db = sqlite3.connect(path, timeout=lease / 3, isolation_level=None)
        except sqlite3.Error:
            return
        with db:
            while not self._stop.wait(lease / 3):
                try:
                    db.execute("UPDATE claims SET expires = ? WHERE owner = ?", (time.time() + lease, owner))
                except sqlite3.Error:
                    pass  # the next beat tries again; the lease has two more beats to run
        db.close()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


def batches_of(configs: list[dict], batch_size: int, shard: Shard | None = None) -> list[list[dict]]:
    """The grid's fixed batches (``batch_size`` consecutive configurations), those of ``shard`` only."""
    if batch_size < 1:
        raise InputError(f"batch size {batch_size}: expected a positive integer")
    out = [configs[i:i + batch_size] for i in range(0, len(configs), batch_size)]
    return out[shard.index - 1::shard.count] if shard else out


def run(store: SweepStore | str | Path, kind: str, configs: Iterable[dict],
        compute: Callable[[list[dict]], list[dict]], *, batch_size: int = 1, shard: Shard | None = None,
        progress: bool | None = None, desc: str | None = None, lease: float = LEASE,
        unit: str = "configurations") -> list[Row]:
    """Compute every configuration of ``configs`` (of ``shard``) not yet in the store; return all their rows.

    ``compute`` maps a batch (list of configurations) to one metrics dict each. Configurations must be finite
    JSON (InputError naming the field otherwise, before anything is computed); duplicates are computed once.
    ``progress=None`` shows a bar on stderr only when it is a terminal, and a closing line (configurations
    already stored, computed now, computed by other processes) on stderr; ``False`` neither. ``unit`` names a
    configuration in those lines and in ``Interrupted`` (plural: "report stages"). Raises ``Interrupted`` after a stop
    request, ``Failed`` at the end when some results were not finite JSON, StoreError when the store cannot be
    written; in every case the rows finished before are in the store.
    """
    unique = {}
    for c in configs:  # checked before the store is opened (or created)
        c = check_config(c)
        unique.setdefault(row_key(kind, c), c)
    batches = batches_of(list(unique.values()), batch_size, shard)
    opened = SweepStore(store) if not isinstance(store, SweepStore) else nullcontext(store)
    with opened as st:
        return _run(st, kind, batches, compute, progress, desc, lease, unit)


def _run(store, kind, batches, compute, progress, desc, lease, unit="configurations") -> list[Row]:
    from tqdm import tqdm

    keys = [row_key(kind, c) for b in batches for c in b]
    done = store.done_keys(kind)
    pending = [[c for c in b if row_key(kind, c) not in done] for b in batches]
    pending = [b for b in pending if b]
    state = Progress(store.path, kind, len(keys) - sum(map(len, pending)), len(keys), unit)
    resumed, computed = state.saved, 0
    failures: list[tuple[dict, str]] = []
    if pending and store.readonly:
        raise InputError(f"store {store.path} was opened read-only; {sum(map(len, pending))} configurations "
                         f"are not computed yet")
    owner, beat = new_owner(), None
    _LIVE_OWNERS.add(owner)
    _RUNNING.append(state)
    bar = tqdm(total=len(keys), initial=state.saved, desc=desc or kind, file=sys.stderr, leave=False,
               unit="cfg" if unit == "configurations" else unit.split()[-1].removesuffix("s"),
               disable=True if progress is False or not pending else (None if progress is None else False))
    try:
        while pending:
            _check_stop(state)
            for i, batch in enumerate(pending):
                got = store.claim(kind, batch, owner, lease)
                if got is None:
                    continue  # in flight in another process
                del pending[i]
                if got:
                    beat = beat or _Heartbeat(store.path, owner, lease)
                    failures += _compute_and_commit(store, kind, got, compute)
                    computed += len(got)
                state.saved = len(keys) - sum(map(len, pending)) - len(failures)
                bar.update(state.saved - bar.n)
                break
            else:  # everything left is in flight elsewhere: wait for it to finish (or for its owner to die)
                _STOP.wait(POLL)
                done = store.done_keys(kind)
                pending = [b for b in ([c for c in b if row_key(kind, c) not in done] for b in pending) if b]
                state.saved = len(keys) - sum(map(len, pending)) - len(failures)
                bar.update(state.saved - bar.n)
    except BaseException:
        try:
            store.release(owner)
        except (StoreError, InputError):
            pass  # the claims lapse with this process: a claim of a dead owner is taken over
        raise
    finally:
        if beat:
            beat.stop()
        _LIVE_OWNERS.discard(owner)
        _RUNNING.remove(state)
        bar.close()
    if progress is not False:
        others = state.saved + len(failures) - resumed - computed
        print(f"{desc or kind}: {state.total} {unit}, {resumed} already in {store.path}, {computed} computed "
              f"now" + (f", {others} by other processes" if others else ""), file=sys.stderr)
    if failures:
        raise Failed(failures, state.saved, state.total, store.path)
    rows = store.rows_by_key(kind, keys)
    return [rows[k] for k in keys if k in rows]


def _check_stop(state: Progress) -> None:
    signum = stop_requested()
    if signum is not None:
        raise Interrupted(signum, state.saved, state.total, state.path, state.unit)


def _compute_and_commit(store: SweepStore, kind: str, batch: list[dict], compute) -> list[tuple[dict, str]]:
    """Compute one claimed batch and commit its rows; return the configurations whose results failed checks."""
    t0 = time.perf_counter()
    metrics = list(compute(batch))
    seconds = time.perf_counter() - t0
    if len(metrics) != len(batch):
        raise ValueError(f"compute returned {len(metrics)} results for a batch of {len(batch)} configurations")
    good, bad = [], []
    for c, m in zip(batch, metrics):
        try:
            if not isinstance(m, dict):
                raise ValueError(f"result is a {type(m).__name__}: expected a mapping of metric names to values")
            good.append((c, clean(m, "metric")))
        except ValueError as e:
            bad.append((c, str(e)))
    if good:
        store.put_many(kind, [c for c, _ in good], [m for _, m in good], seconds * len(good) / len(batch))
    for c, error in bad:
        store.put_failure(kind, c, error)
    return bad
