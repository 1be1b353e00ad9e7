"""Benchmarks of numerics/ for ``critmass bench`` (harness: numerics/benchkit.py; protocol: docs/benchmarks.md).

Lines: exact success against vectorized numpy; GBJ's signal-planting experiment on their 3M-row car table
against numpy + bincount and against GBJ's own pandas method, at three collective sizes; reading that table's
331 MB CSV against pandas. Runs in child processes (``python -m numerics.bench_runs``): 10^7 instances x 64
alphas, 10^9 finite-sample draws and the CSV, each with its peak memory; the persistent compilation cache.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from numerics import benchkit, collusion, exact
from theory.strategy import Strategy

#: The 64-point alpha grid of the exact line (and of the 10^7 run).
ALPHAS = np.linspace(1 / 64, 1, 64)


def numpy_success_grid(p0, signal, target, alphas) -> np.ndarray:
    """The baseline: feature-label success [B, A] in vectorized numpy, as a competent researcher writes it:
    P* built once for the whole batch (np.add.at), then for each alpha every instance at once (same conventions:
    a unique argmax beyond TIE_TOL, ties and empty rows count against the collective)."""
    b, nx, _ = p0.shape
    mass = p0.sum(axis=2)                                                      # [B, X]
    star = np.zeros_like(p0)                                                   # [B, X, Y]
    np.add.at(star, (np.repeat(np.arange(b), nx), signal.ravel(), np.repeat(target, nx)), mass.ravel())
    rows, out = np.arange(b)[:, None], np.empty((b, len(alphas)))
    for i, a in enumerate(alphas):
        mix = a * star + (1 - a) * p0                                          # [B, X, Y]
        best = mix.max(axis=2)                                                 # [B, X]
        unique = (np.sum(mix >= best[..., None] - exact.TIE_TOL, axis=2) == 1) & (best > exact.TIE_TOL)
        ok = unique & (mix.argmax(axis=2) == target[:, None])                  # [B, X] f(x~) = y*
        out[:, i] = np.sum(ok[rows, signal] * mass, axis=1)                    # sum_x P0(x) [f(g(x)) = y*]
    return out


def bench_exact(quick: bool) -> dict:
    count = 1_000 if quick else 10_000
    arrays = exact.random_instances(0, count, 6, 4, Strategy.FEATURE_LABEL)

    numpy_label = "numpy, vectorized (P* once with np.add.at, all instances per alpha)"

    def check(out):
        diff = float(np.max(np.abs(out["ours"] - out[numpy_label])))
        assert diff <= 1e-12, f"exact success differs from the numpy baseline by {diff:g}"
        return f"S(alpha) of every instance and alpha equal to 1e-12 (max difference {diff:.1e})"

    row = benchkit.compare(
        "exact success", f"{count} instances 6x4 (random stream, seed 0) x 64 alphas, feature-label",
        {"ours": lambda: exact.success_grid(arrays, ALPHAS),
         numpy_label: lambda: numpy_success_grid(arrays.p0, arrays.signal, arrays.target, ALPHAS)},
        "ours", check)
    b, a, x, y = count, len(ALPHAS), 6, 4
    row["limit_counts"] = {"bytes": b * (x * y * 8 + x * 4 + 8) + b * a * 8, "flops": b * a * x * 2}
    row["limit_note"] = ("bytes: the instances read once and S written once; flops: two comparisons per row "
                         "interval per alpha (what the interval form needs per alpha)")
    return row


# ------------------------------------------------------------------------------- GBJ's car table (peer scale)

def car_csv(rows: int) -> Path:
    """GBJ's car table of ``rows`` rows (numerics.collusion.car_table, seed 0) as a CSV, written once into the
    cache directory; the name carries a hash of the generator's and writer's source, so a changed generator
    never reuses an old file."""
    import hashlib
    import inspect

    from numerics.compile_cache import cache_dir

    source = inspect.getsource(collusion.car_table) + inspect.getsource(collusion.write_csv)
    tag = hashlib.sha256(source.encode()).hexdigest()[:10]
    base = Path(cache_dir() or "/tmp").parent / "bench"
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"gbj-cars-{rows}-seed0-{tag}.csv"
    if not path.exists():
        collusion.write_csv(collusion.car_table(rows, seed=0), path)            # renamed into place when whole
    return path


def car_sizes(quick: bool) -> dict:
    if quick:
        return {"rows": 60_000, "n_train": 20_000, "n_test": 2_000, "ns": [100, 700, 2_100]}
    return {"rows": 3_000_000, "n_train": 1_000_000, "n_test": 100_000, "ns": [1_000, 21_000, 101_000]}


class _NumpyCodes(NamedTuple):
    """What the numpy baseline needs to code rows: radices [F], the fixed columns and values of g, X*'s codes."""

    radix: np.ndarray
    fixed: np.ndarray
    values: np.ndarray
    x_star: np.ndarray

    @classmethod
    def of(cls, table, signal):
        cards = np.asarray(table.cards, np.int64)
        radix = np.concatenate([np.cumprod(cards[::-1])[::-1][1:], [1]])
        fixed, values = np.fromiter(signal, np.int64), np.fromiter(signal.values(), np.int64)
        free = [j for j in range(len(cards)) if j not in signal]
        grid = np.stack(np.meshgrid(*[np.arange(cards[j]) for j in free], indexing="ij"), -1).reshape(-1, len(free))
        return cls(radix, fixed, values, np.sort(int(values @ radix[fixed]) + grid @ radix[free]))  # X* [S]

    def code(self, features):                                                  # [M, F] -> [M] full combination
        return features.astype(np.int64) @ self.radix

    def signal_place(self, features):                                          # [M, F] -> [M] place of g(x) in X*
        f = features.copy()
        f[:, self.fixed] = self.values
        return np.searchsorted(self.x_star, self.code(f))


def numpy_signal_planting(table: collusion.NamedTable, signal: dict, target: int, n_train: int, n: int, n_test: int,
                          delta: float) -> tuple[float, float]:
    """The baseline for one n, as GBJ's notebook runs one n at a time, in plain numpy as a competent researcher
    vectorizes it: the same scikit-learn splits on row indices, one mixed-radix code per row for its
    combination and one for g(x), X* as the codes of the combinations of g's free columns, every count an
    np.bincount. (success, bound)."""
    from sklearn.model_selection import train_test_split

    train, test = numpy_outer_split(len(table.labels), n_train, n_test)
    mine, others = train_test_split(train, train_size=n, random_state=42)
    codes, num_labels = _NumpyCodes.of(table, signal), len(table.label_values)
    s = len(codes.x_star)

    def on_x_star(rows):                                                       # [S, Y] counts of rows in X*
        full = codes.code(table.features[rows])
        inside = np.isin(full, codes.x_star)
        cells = np.searchsorted(codes.x_star, full[inside]) * num_labels + table.labels[rows][inside]
        return np.bincount(cells, minlength=s * num_labels).reshape(s, num_labels)

    c = np.bincount(codes.signal_place(table.features[mine]), minlength=s)    # [S]
    m = on_x_star(mine)                                                        # [S, Y]
    seen = on_x_star(others)
    seen[:, target] += c
    success = float(np.mean(_hits(seen, target)[codes.signal_place(table.features[test])]))
    return success, _numpy_bound(c, m, n, n_train, n_test, target, s, delta)


def _hits(seen, target):                                                      # [S] y* is the unique argmax
    best = seen.max(axis=1)
    return (np.sum(seen == best[:, None], axis=1) == 1) & (seen[:, target] == best)


def _numpy_bound(c, m, n, n_train, n_test, target, s, delta) -> float:
    from numerics.bounds import gbj_bound

    return float(gbj_bound(c[None], m[None], n, n_train, n_test, target, s, delta)[0])


def numpy_outer_split(rows: int, n_train: int, n_test: int):
    """GBJ's train and test row indices (scikit-learn, random_state 42): the same for every n."""
    from sklearn.model_selection import train_test_split

    train, rest = train_test_split(np.arange(rows), train_size=n_train, random_state=42)
    test, _ = train_test_split(rest, train_size=n_test, random_state=42)
    return train, test


def numpy_signal_planting_all(table, signal, target, n_train, ns, n_test, delta) -> benchkit.Parts:
    """The baseline for all n in one call, sharing everything that does not depend on n, as ours does: GBJ's
    splits once (train_test_split(train, train_size=n, random_state=42) keeps train[order[N - n:]] of one
    permutation ``order`` of the N training rows, scikit-learn's ShuffleSplit, so one permutation serves every
    n), every training and test row coded once, then per n only the counts of the collective's rows (the
    others' are all rows' counts minus the collective's). Parts: the split, and the rest."""
    from sklearn.utils import check_random_state

    start = time.perf_counter()
    train, test = numpy_outer_split(len(table.labels), n_train, n_test)
    order = check_random_state(42).permutation(n_train)                      # as ShuffleSplit draws it
    ordered = train[order[::-1]]                                               # [N] the collective of n: [:n]
    split = time.perf_counter()
    codes, num_labels = _NumpyCodes.of(table, signal), len(table.label_values)
    s = len(codes.x_star)
    features = table.features[ordered]                                         # [N, F]
    place = codes.signal_place(features)                                       # [N] g(x)'s place; x's when x in X*
    inside = np.isin(codes.code(features), codes.x_star)                       # [N] x itself in X*
    cell = np.where(inside, place * num_labels + table.labels[ordered], -1)    # [N]
    counts = lambda cells: np.bincount(cells[cells >= 0], minlength=s * num_labels).reshape(s, num_labels)
    everyone = counts(cell)                                                    # [S, Y]
    test_place = codes.signal_place(table.features[test])                      # [T]
    out = []
    for n in ns:
        c, m = np.bincount(place[:n], minlength=s), counts(cell[:n])
        seen = everyone - m
        seen[:, target] += c
        out.append((float(np.mean(_hits(seen, target)[test_place])),
                    _numpy_bound(c, m, n, n_train, n_test, target, s, delta)))
    return benchkit.Parts(out, {SPLIT_PART: split - start, PLUG_IN_PART: time.perf_counter() - split})


#: The parts of the all-n calls (ours and numpy's), timed inside the same calls.
SPLIT_PART = "GBJ's split (three train_test_split permutations)"
PLUG_IN_PART = "plug-in and GBJ's bound, all n"


def _timed_loop(fn, ns) -> benchkit.Parts:
    """Call fn(n) for each n in turn (as GBJ's notebook does), timing each: Parts([(success, bound)], {n: s})."""
    outs, seconds = [], {}
    for n in ns:
        start = time.perf_counter()
        outs.append(fn(n))
        seconds[f"n = {n}"] = time.perf_counter() - start
    return benchkit.Parts(outs, seconds)


def bench_signal_planting(quick: bool) -> dict:
    import pandas as pd

    from numerics.bench_gbj import PandasSignalPlanting

    size = car_sizes(quick)
    path = car_csv(size["rows"])
    table = collusion.load_named_csv(path, collusion.CAR_LABEL)
    frame = pd.read_csv(path).astype("str")                                     # as GBJ load it
    signal = collusion.parse_fix(table, [f"{k}={v}" for k, v in collusion.GBJ_SIGNAL.items()])
    target_name = "Good"
    target = table.label_values.index(target_name)
    args = (size["n_train"], size["n_test"])
    ns, delta = size["ns"], 0.05

    def ours(sizes):  # GBJ's split (random_state 42), success and GBJ's bound only, as theirs computes
        return collusion.run(table, signal, target, sizes, args[0], args[1], sklearn_split=42, delta=delta,
                             bounds=("gbj",))

    def ours_all():
        timings = {}
        rows = collusion.run(table, signal, target, ns, args[0], args[1], sklearn_split=42, delta=delta,
                             bounds=("gbj",), timings=timings)
        return benchkit.Parts([(r["success"], r["gbj"]) for r in rows],
                              {SPLIT_PART: timings["split"], PLUG_IN_PART: timings["plug-in"]})

    def ours_one(n):
        (r,) = ours([n])
        assert r["ties"] == 0, "a tie for the most votes: GBJ's code breaks it by label order, ours does not"
        return r["success"], r["gbj"]

    def peer(n):
        return PandasSignalPlanting(frame, collusion.CAR_LABEL, args[0], n, args[1], collusion.GBJ_SIGNAL,
                                    target_name, delta).run()

    def check(out):
        want = out["ours"]
        for label, got in out.items():
            np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=0, atol=1e-9,
                                       err_msg=label)
        return (f"success and GBJ's bound at every n equal on all five sides to 1e-9 "
                f"({', '.join(f'n = {n}: {s:.4f}, {b:.4f}' for n, (s, b) in zip(ns, want))})")

    row = benchkit.compare(
        "GBJ signal planting (success + GBJ bound)",
        f"their {size['rows']:,}-row car table, N = {args[0]:,}, N_test = {args[1]:,}, target {target_name}, "
        f"n = {', '.join(f'{n:,}' for n in ns)}",
        {"ours": ours_all,
         "ours, one call per n": lambda: _timed_loop(ours_one, ns),
         "numpy + bincount, all n in one call (shares what does not depend on n)": lambda: numpy_signal_planting_all(
             table, signal, target, args[0], ns, args[1], delta),
         "numpy + bincount, one call per n": lambda: _timed_loop(
             lambda n: numpy_signal_planting(table, signal, target, args[0], n, args[1], delta), ns),
         "GBJ's method (pandas, as in their notebook), one run per n": lambda: _timed_loop(peer, ns)},
        "ours", check, against={"numpy + bincount, one call per n": "ours, one call per n"})
    rows, columns = len(table.labels), table.features.shape[1] + 1
    row["limit_counts"] = {"bytes": table.features.nbytes + table.labels.nbytes, "flops": rows * columns}
    row["limit_note"] = (f"bytes: every row's codes ({table.features.dtype} features, {table.labels.dtype} label) read "
                         f"once; flops: one comparison per cell. Not counted: "
                         "GBJ's split (its time is a part of both all-n calls), sequential Fisher-Yates shuffles "
                         "(MT19937) of 3M, 2M and 1M rows that no vector unit speeds up (ours takes only the "
                         "100,000 draws of the 2M one that settle the test rows)")
    return row


def bench_csv(quick: bool) -> dict:
    import pandas as pd

    from numerics import tabular

    rows = 100_000 if quick else 3_000_000
    path = car_csv(rows)
    names = [name for name, _ in collusion.CAR_FEATURES] + [collusion.CAR_LABEL]

    # na_filter=False: every cell is a category (by default pandas reads the value "None" as missing)
    def factorized():
        frame = pd.read_csv(path, na_filter=False)
        return np.stack([pd.factorize(frame[c].astype(str), sort=True)[0] for c in names], axis=1)

    def categorical(**kw):
        frame = pd.read_csv(path, dtype="category", **kw)
        return np.stack([frame[c].cat.codes.to_numpy() for c in names], axis=1)

    def ours():
        t = tabular.load_csv(path, collusion.CAR_LABEL)
        return np.concatenate([t.features, t.labels[:, None]], axis=1)

    def check(out):
        for label, codes in out.items():
            assert np.array_equal(codes, out["ours"]), f"{label}: codes differ from ours"
        return "every column's integer codes (values in sorted order) equal on all sides"

    row = benchkit.compare(
        "read a categorical CSV into codes", f"GBJ's car table, {rows:,} rows x 19 columns "
                                             f"({path.stat().st_size / 1e6:.0f} MB)",
        {"ours": ours, "pandas read_csv + factorize(sort=True)": factorized,
         "pandas read_csv(dtype='category')": lambda: categorical(na_filter=False),
         "pandas read_csv(engine='pyarrow', dtype='category')":
             lambda: categorical(engine="pyarrow", keep_default_na=False)},
        "ours", check)
    code = tabular.code_dtype([len(values) for _, values in collusion.CAR_FEATURES])  # as read_csv stores them
    written = rows * (len(collusion.CAR_FEATURES) * code.itemsize + np.dtype(np.int32).itemsize)
    row["limit_counts"] = {"bytes": path.stat().st_size + written, "flops": 0}
    row["limit_note"] = (f"bytes: the file read once and its codes ({code} features, int32 label) written once "
                         f"(parsing is not bandwidth-bound)")
    return row


# ------------------------------------------------------------------------------------- child-process runs

def scale_rows(quick: bool) -> list[dict]:
    """The memory-bounded runs, each in a fresh process (numerics.bench_runs) with its peak memory."""
    runs = [("exact success, streamed", ["exact", str(10**5 if quick else 10**7)], 4 * benchkit.GIB, None),
            ("finite-sample draws (plug-in, bounds' statistics)",
             ["finite", str(10**7 if quick else 10**9)], 4 * benchkit.GIB, None),
            ("read GBJ's car CSV", ["csv", str(car_csv(100_000 if quick else 3_000_000))], 2 * benchkit.GIB,
             None if quick else 15.0)]
    rows = []
    for name, args, limit_bytes, limit_s in runs:
        got = benchkit.child_run("numerics.bench_runs", args)
        rows.append({"kind": "scale", "name": name, "size": got["size"], "seconds": got["seconds"],
                     "peak_rss_bytes": got["peak_rss_bytes"], "limit_bytes": limit_bytes, "limit_s": limit_s,
                     "result": got.get("result")})
    return rows


def compile_rows(quick: bool) -> list[dict]:
    """First call in a fresh process with an empty cache, then in a second process that finds the cache."""
    import tempfile

    rows = []
    for what, name in (("compile-exact", "exact success (success_grid, 10^4 x 64)"),
                       ("compile-finite", "finite samples (simulate, 500 seeds x 6 alphas)")):
        with tempfile.TemporaryDirectory() as cache:
            env = {"CRITMASS_JAX_CACHE": cache}
            first, second = (benchkit.child_run("numerics.bench_runs", [what], env=env) for _ in range(2))
        rows.append({"kind": "compile", "name": name, "first_process_s": first["first_call_s"],
                     "second_process_s": second["first_call_s"], "again_s": min(first["again_s"], second["again_s"]),
                     "first_process_misses": first["misses"], "second_process_misses": second["misses"],
                     "second_process_hits": second["hits"]})
    return rows


LINES = {"exact success": bench_exact, "GBJ signal planting": bench_signal_planting,
         "read a categorical CSV": bench_csv}
GROUPS = {"memory-bounded runs": scale_rows, "compilation cache": compile_rows}


def benchmarks(quick: bool, only: str | None = None) -> list[dict]:
    """Rows for ``critmass bench``; ``only`` keeps the lines (and groups) whose name contains it."""
    rows = [fn(quick) for name, fn in LINES.items() if only is None or only in name]
    for name, fn in GROUPS.items():
        if only is None or only in name:
            rows += fn(quick)
    return rows
