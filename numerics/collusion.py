"""Gauthier, Bach & Jordan's tabular experiment: a signal that fixes columns, three strategies, their bounds and ours.

The signal function g sets any set of columns to given values (``fix``); X* is every combination of the free
columns. A run takes a categorical table, a split (a seeded permutation, or given row indices), N training
rows, N_test test rows and collective sizes n (the collective is the first n training rows, so collectives
are nested across n). The platform trains the plug-in classifier (argmax of counts per full feature
combination) on the collective's submitted points and the N - n others, and the success is measured on
g(x) of the test points. Strategies (theory/collusion.py, theory/finite.py):

- ``feature-label``: submit (g(x), y*); success = P(f(g(x)) = y*), ties against the collective;
- ``feature-only``: points with label y* submit (g(x), y*), the others (x0(x), y), with x0 fixing columns to
  values off the signal set; success as feature-label;
- ``unplanting``: the first n_est collective points estimate y^(x~) = argmax_{y != y*} of their raw counts
  (lowest label index among ties) and are not submitted; the rest submit (g(x), y^(g(x))); success =
  P(y* is strictly beaten at g(x)), so a tie counts against the collective.

Each run reports GBJ's bound for the strategy (numerics.bounds; eps = 0) and critmass's binomial one.
Everything is counts over int64 combination codes (numpy bincount, no per-row Python loop).

``car_table`` draws GBJ's synthetic car-evaluation table (their notebook create_synthetic_dataset.ipynb,
its distributions copied as facts: 18 features, SUVs 45%, the score-based label) with a numpy seed.

>>> t = car_table(20_000, seed=0)
>>> t.names[0], t.values[0][:2], t.label_values
('Model Type', ('Sedan', 'SUV'), ('Excellent', 'Good', 'Average', 'Poor'))
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from numerics.bounds import (binomial_bound, binomial_unplanting_bound, gbj_bound, gbj_unplanting_bound)
from numerics.tabular import combination_codes, radices
from theory.errors import InputError

STRATEGIES = ("feature-label", "feature-only", "unplanting")


class NamedTable(NamedTuple):
    """A categorical table with the names of its values: codes [R, F], labels [R], per-column value names."""

    features: np.ndarray               # [R, F] int32, column j in 0..len(values[j]) - 1
    labels: np.ndarray                 # [R] int32 in 0..len(label_values) - 1
    names: tuple[str, ...]             # [F]
    values: tuple[tuple[str, ...], ...]  # [F][card_j]
    label_values: tuple[str, ...]

    @property
    def cards(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)


# ---- GBJ's synthetic car table (facts of their generator) ------------------------------------------------------

CAR_FEATURES = (
    ("Model Type", ("Sedan", "SUV", "Coupe", "Hatchback", "Convertible", "Wagon", "Minivan", "Truck")),
    ("Safety Rating", ("1 star", "2 stars", "3 stars", "4 stars", "5 stars")),
    ("Fuel Type", ("Gasoline", "Diesel", "Electric", "Hybrid")),
    ("Interior Material", ("Cloth", "Leather", "Synthetic")),
    ("Infotainment System", ("Basic", "Advanced", "Premium", "None")),
    ("Country of Manufacture", ("C1", "C2", "C3", "C4", "C5")),
    ("Warranty Length", ("3 years", "5 years", "7 years", "10 years")),
    ("Number of Doors", ("2", "4", "5")),
    ("Number of Seats", ("2", "4", "5", "7")),
    ("Air Conditioning", ("Yes", "No")),
    ("Navigation System", ("None", "Basic", "Advanced")),
    ("Tire Type", ("All-Season", "Summer", "Winter")),
    ("Sunroof", ("Yes", "No")),
    ("Sound System", ("Standard", "Premium", "High-end", "None")),
    ("Cruise Control", ("Yes", "No")),
    ("Bluetooth Connectivity", ("Yes", "No")),
    ("Transmission Type", ("Manual", "Automatic", "CVT")),
    ("Drive Type", ("FWD", "RWD", "AWD")),
)
MODEL_PROBS = (0.22, 0.45, 0.23, 0.02, 0.01, 0.01, 0.01, 0.05)
#: For an SUV, each feature takes its SUV value with this probability, else a uniform value (SUV value included).
SUV_VALUE = {"Safety Rating": ("4 stars", 0.7), "Fuel Type": ("Diesel", 0.8), "Interior Material": ("Synthetic", 0.9),
             "Infotainment System": ("Premium", 0.9), "Country of Manufacture": ("C5", 0.3),
             "Warranty Length": ("10 years", 0.9), "Number of Doors": ("5", 0.95), "Number of Seats": ("5", 0.95),
             "Air Conditioning": ("Yes", 0.95), "Navigation System": ("Advanced", 0.95), "Tire Type": ("All-Season", 0.95),
             "Sound System": ("Premium", 0.95), "Cruise Control": ("Yes", 0.95), "Bluetooth Connectivity": ("Yes", 0.95),
             "Transmission Type": ("Manual", 0.7), "Drive Type": ("RWD", 0.95)}
CAR_LABELS = ("Excellent", "Good", "Average", "Poor")  # the order of GBJ's label list: y^ ties break to the first
SAFETY_SCORE = (1, 2, 3, 4, 5)
FUEL_SCORE = (1, 1, 4, 3)        # Gasoline, Diesel, Electric, Hybrid
WARRANTY_SCORE = (2, 3, 4, 5)    # 3, 5, 7, 10 years

#: GBJ's signal (their notebooks): every column but Country of Manufacture fixed to an SUV's typical value,
#: and the feature-only strategy's x0.
GBJ_SIGNAL = {"Model Type": "SUV", "Fuel Type": "Diesel", "Transmission Type": "Manual", "Drive Type": "RWD",
              "Safety Rating": "4 stars", "Interior Material": "Synthetic", "Infotainment System": "Premium",
              "Warranty Length": "10 years", "Number of Doors": "5", "Number of Seats": "5", "Air Conditioning": "Yes",
              "Navigation System": "Advanced", "Tire Type": "All-Season", "Sunroof": "Yes", "Sound System": "Premium",
              "Cruise Control": "Yes", "Bluetooth Connectivity": "Yes"}
GBJ_X0 = {"Model Type": "Sedan", "Fuel Type": "Diesel", "Transmission Type": "Automatic", "Drive Type": "RWD",
          "Safety Rating": "1 star", "Interior Material": "Synthetic", "Infotainment System": "Premium",
          "Warranty Length": "7 years", "Number of Doors": "5", "Number of Seats": "5", "Air Conditioning": "Yes",
          "Navigation System": "Advanced", "Tire Type": "All-Season", "Sunroof": "No", "Sound System": "Premium",
          "Cruise Control": "No", "Bluetooth Connectivity": "No"}


def car_table(rows: int, seed: int = 0) -> NamedTable:
    """GBJ's synthetic car-evaluation table: ``rows`` rows drawn with numpy's default_rng(seed).

    Model type first (SUV 45%); an SUV's features take its typical value with the probability in SUV_VALUE,
    else a uniform value; other cars' features are uniform (Sunroof is uniform for all). The label: for an
    SUV made in C2, score 13 / 0 / 2 with probability 0.6 / 0.3 / 0.1; otherwise with probability 0.95 the
    score is safety + fuel + warranty points + one of {1, 3, 4}, else 0; Excellent >= 13 > Good >= 8 >
    Average >= 2 > Poor.
    """
    if not isinstance(rows, (int, np.integer)) or rows < 1:
        raise InputError(f"rows = {rows!r}: expected a positive number of rows")
    if rows > 50_000_000:
        raise InputError(f"rows = {rows}: expected at most 50,000,000 (about 1 GB of codes)")
    rng = np.random.default_rng(seed)
    names = tuple(n for n, _ in CAR_FEATURES)
    values = tuple(v for _, v in CAR_FEATURES)
    feats = np.empty((rows, len(names)), np.int8)
    feats[:, 0] = rng.choice(len(values[0]), size=rows, p=MODEL_PROBS)
    suv = feats[:, 0] == values[0].index("SUV")
    for j in range(1, len(names)):
        card = len(values[j])
        uniform = rng.integers(0, card, size=rows)
        if names[j] in SUV_VALUE:
            value, prob = SUV_VALUE[names[j]]
            typical = np.where(rng.random(rows) < prob, values[j].index(value), rng.integers(0, card, size=rows))
            feats[:, j] = np.where(suv, typical, uniform)
        else:
            feats[:, j] = uniform
    col = {n: feats[:, j].astype(np.int64) for j, n in enumerate(names)}
    score = (np.asarray(SAFETY_SCORE)[col["Safety Rating"]] + np.asarray(FUEL_SCORE)[col["Fuel Type"]]
             + np.asarray(WARRANTY_SCORE)[col["Warranty Length"]] + rng.choice([1, 3, 4], size=rows))
    score = np.where(rng.random(rows) > 0.05, score, 0)
    c2_suv = suv & (col["Country of Manufacture"] == values[5].index("C2"))
    r = rng.random(rows)
    score = np.where(c2_suv, np.where(r < 0.6, 13, np.where(r < 0.9, 0, 2)), score)
    label = np.where(score >= 13, 0, np.where(score >= 8, 1, np.where(score >= 2, 2, 3))).astype(np.int32)
    return NamedTable(feats.astype(np.int32), label, names, values, CAR_LABELS)


def load_named_csv(path: str | Path, label: str) -> NamedTable:
    """A CSV of categorical columns with a header; ``label`` names the label column. Values keep their names
    (sorted), so a signal can fix a column to a value by name."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"CSV {path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    except csv.Error as e:
        raise InputError(f"CSV {path}: malformed ({e})") from None
    if len(rows) < 2:
        raise InputError(f"CSV {path}: expected a header and at least one row")
    header = rows[0]
    if label not in header:
        raise InputError(f"CSV {path}: no label column {label!r}; columns are {', '.join(header)}")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise InputError(f"CSV {path} line {i}: {len(r)} fields; expected {len(header)} as in the header")
    cells = np.array(rows[1:], dtype=str)                                       # [R, C]
    codes, values = [], []
    for j in range(len(header)):
        uniq, inv = np.unique(cells[:, j], return_inverse=True)
        codes.append(inv.astype(np.int32).reshape(-1))
        values.append(tuple(uniq.tolist()))
    k = header.index(label)
    keep = [j for j in range(len(header)) if j != k]
    if len(values[k]) < 2:
        raise InputError(f"CSV {path}: label column {label!r} has one value; expected at least two labels")
    return NamedTable(np.stack([codes[j] for j in keep], axis=1), codes[k], tuple(header[j] for j in keep),
                      tuple(values[j] for j in keep), values[k])


# ---- the signal and the split -------------------------------------------------------------------------------

def parse_fix(table: NamedTable, items, flag: str = "--fix") -> dict[int, int]:
    """``["Model Type=SUV", ...]`` as {column index: value code}; an unknown column or value is named."""
    out: dict[int, int] = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"{flag} {item!r}: expected COLUMN=VALUE")
        name, value = (s.strip() for s in item.split("=", 1))
        if name not in table.names:
            raise InputError(f"{flag} {item!r}: no column {name!r}; columns are {', '.join(table.names)}")
        j = table.names.index(name)
        if value not in table.values[j]:
            raise InputError(f"{flag} {item!r}: {name!r} has no value {value!r}; its values are "
                             f"{', '.join(table.values[j])}")
        if j in out:
            raise InputError(f"{flag} {item!r}: column {name!r} is fixed twice")
        out[j] = table.values[j].index(value)
    if not out:
        raise InputError(f"{flag}: expected at least one COLUMN=VALUE")
    return out


def parse_label(table: NamedTable, text: str) -> int:
    """A target label by name, or by index into the table's labels."""
    if text in table.label_values:
        return table.label_values.index(text)
    try:
        i = int(text)
    except ValueError:
        raise InputError(f"target {text!r}: expected a label ({', '.join(table.label_values)}) or its index") from None
    if not 0 <= i < len(table.label_values):
        raise InputError(f"target {text!r}: expected an index in 0..{len(table.label_values) - 1}")
    return i


def split_rows(rows: int, samples: int, test: int, seed: int | None = None, indices: str | Path | None = None):
    """(train [N], test [N_test]) row indices: a seeded permutation, or a JSON file {"train": [...], "test": [...]}.

    With a seed the training rows are the first ``samples`` of the permutation and the test rows the next
    ``test``; with a file, its first ``samples`` train rows and first ``test`` test rows. The collective of size
    n is the first n training rows.
    """
    if not 1 <= test < rows:
        raise InputError(f"test = {test}: expected 1 <= N_test < {rows} rows")
    if not 2 <= samples <= rows - test:
        raise InputError(f"N = {samples}: expected 2 <= N <= rows - N_test = {rows - test}")
    if indices is None:
        perm = np.random.default_rng(seed).permutation(rows)
        return perm[:samples], perm[samples:samples + test]
    path = Path(indices)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InputError(f"--split {path}: cannot read a JSON split ({getattr(e, 'strerror', None) or e})") from None
    if not isinstance(doc, dict) or set(doc) != {"train", "test"}:
        raise InputError(f"--split {path}: expected a JSON object with exactly the keys train and test")
    out = []
    for key, size in (("train", samples), ("test", test)):
        vals = doc[key]
        if not isinstance(vals, list) or len(vals) < size or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v < rows for v in vals[:size]):
            raise InputError(f"--split {path}: {key} needs at least {size} row indices in 0..{rows - 1}")
        out.append(np.asarray(vals[:size], np.int64))
    if np.intersect1d(out[0], out[1]).size or np.unique(out[0]).size < samples or np.unique(out[1]).size < test:
        raise InputError(f"--split {path}: train and test rows must be distinct and not shared")
    return out[0], out[1]


# ---- one run ---------------------------------------------------------------------------------------------------

def _codes(table: NamedTable, feats: np.ndarray) -> np.ndarray:
    """Mixed-radix int64 codes, comparable across calls (so g(x), x0(x) and raw x share one code space)."""
    if radices(table.cards) is None:
        raise InputError(f"the table's {len(table.cards)} columns have more than 2^62 value combinations; "
                         "expected fewer (drop columns the signal does not need)")
    return combination_codes(feats, table.cards)


def _set(feats: np.ndarray, fix: dict[int, int]) -> np.ndarray:
    out = feats.copy()
    for j, v in fix.items():
        out[:, j] = v
    return out


def x_star_size(table: NamedTable, fix: dict[int, int]) -> int:
    """|X*|: the number of signals g(x), the product of the free columns' cardinalities."""
    return int(np.prod([c for j, c in enumerate(table.cards) if j not in fix], dtype=np.float64))


def plug_in_counts(table: NamedTable, cells: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Counts [Q, Y] of each training label at each query code (0 where the code never occurs in training)."""
    ny = len(table.label_values)
    uniq, inv = np.unique(np.concatenate([queries, cells]), return_inverse=True)
    inv = inv.reshape(-1)
    q, t = inv[:len(queries)], inv[len(queries):]
    counts = np.bincount(t * ny + labels, minlength=len(uniq) * ny).reshape(len(uniq), ny)
    return counts[q]


def run(table: NamedTable, fix: dict[int, int], target: int, ns, samples: int, test: int, *,
        strategy: str = "feature-label", seed: int | None = 0, split: str | Path | None = None,
        x0: dict[int, int] | None = None, n_est: int | None = None, delta: float = 0.05) -> list[dict]:
    """One row per collective size n: {"n", "alpha", "success", "gbj", "binomial", "certified_gbj", ...}."""
    if strategy not in STRATEGIES:
        raise InputError(f"strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    if not 0 < delta < 1:
        raise InputError(f"delta = {delta}: expected a confidence parameter in (0, 1)")
    ny = len(table.label_values)
    if not 0 <= target < ny:
        raise InputError(f"target = {target}: expected a label index in 0..{ny - 1}")
    if strategy == "feature-only":
        if not x0:
            raise InputError("the feature-only strategy needs --x0 COLUMN=VALUE ... (where the other labels go)")
        if not any(j in fix and fix[j] != v for j, v in x0.items()):
            raise InputError("--x0 must fix some column that --fix fixes, to another value, so that x0's image is "
                             "off the signal set")
    if strategy == "unplanting" and (n_est is None or n_est < 1):
        raise InputError("the unplanting strategy needs --n-est K >= 1 estimation points")
    train, test_rows = split_rows(len(table.labels), samples, test, seed, split)
    ns = [int(v) for v in ns]
    low = (n_est or 0) + 1
    for v in ns:
        if not low <= v < samples:
            raise InputError(f"collective size n = {v}: expected {low} <= n < N = {samples}")
    feats, y = table.features[train], table.labels[train]
    raw = _codes(table, feats)                                        # [N]
    g_feats = _set(feats, fix)
    g_all = _codes(table, g_feats)                                    # [N] g(x) of every training row
    test_g = _codes(table, _set(table.features[test_rows], fix))      # [T]
    on_signal = np.all(feats[:, list(fix)] == np.asarray(list(fix.values())), axis=1)  # raw x in X*
    xs = x_star_size(table, fix)
    out = []
    for n in ns:
        if strategy == "feature-label":
            cells = np.concatenate([g_all[:n], raw[n:]])
            labels = np.concatenate([np.full(n, target, y.dtype), y[n:]])
        elif strategy == "feature-only":
            moved = _codes(table, _set(feats[:n], x0))
            own = y[:n] == target
            cells = np.concatenate([np.where(own, g_all[:n], moved), raw[n:]])
            labels = y
        else:
            yhat_of = _estimate(table, raw[:n_est], y[:n_est], on_signal[:n_est], target)
            plant = slice(n_est, n)
            planted_labels = yhat_of(g_all[plant])
            cells = np.concatenate([g_all[plant], raw[n:]])
            labels = np.concatenate([planted_labels, y[n:]])
        counts = plug_in_counts(table, cells, labels, test_g)          # [T, Y]
        own_count = counts[:, target]
        rival = np.delete(counts, target, axis=1).max(axis=1)
        hits = rival > own_count if strategy == "unplanting" else own_count > rival
        row = {"n": n, "alpha": n / samples, "success": float(hits.mean())}
        row.update(_bounds(table, strategy, g_all, raw, y, on_signal, target, n, samples, test, xs, delta,
                           n_est, yhat_of if strategy == "unplanting" else None))
        out.append(row)
    return out


def _estimate(table: NamedTable, raw, y, on_signal, target):
    """y^(x~) = argmax_{y != y*} of the estimation points' raw counts at x~ (lowest index among ties, and for an
    x~ they never saw): a function from codes to labels."""
    ny = len(table.label_values)
    others = [v for v in range(ny) if v != target]
    keys, inv = np.unique(raw[on_signal], return_inverse=True)
    counts = np.zeros((len(keys), ny), np.int64)
    np.add.at(counts, (inv.reshape(-1), y[on_signal]), 1)
    best = np.asarray(others)[np.argmax(counts[:, others], axis=1)] if len(keys) else np.zeros(0, np.int64)

    def yhat(codes):
        codes = np.asarray(codes)
        pos = np.clip(np.searchsorted(keys, codes), 0, max(len(keys) - 1, 0))
        seen = (len(keys) > 0) & (keys[pos] == codes) if len(keys) else np.zeros(codes.shape, bool)
        return np.where(seen, best[pos] if len(keys) else others[0], others[0]).astype(np.int32)

    yhat.keys, yhat.best, yhat.counts = keys, best, counts
    return yhat


def _bounds(table, strategy, g_all, raw, y, on_signal, target, n, samples, test, xs, delta, n_est, yhat):
    ny = len(table.label_values)
    if strategy == "unplanting":
        plant = slice(n_est, n)
        sig, inv = np.unique(g_all[plant], return_inverse=True)      # the signals the planting points reach
        inv = inv.reshape(-1)
        c = np.bincount(inv, minlength=len(sig)).astype(float)        # [X]
        yh = yhat(sig)                                                # [X]
        raw_p, y_p, on_p = raw[plant], y[plant], on_signal[plant]
        pos = np.searchsorted(sig, raw_p[on_p])
        hit = (pos < len(sig)) & (sig[np.clip(pos, 0, len(sig) - 1)] == raw_p[on_p])
        m = np.zeros((len(sig), ny))
        np.add.at(m, (pos[hit], y_p[on_p][hit]), 1)
        m_star, m_hat = m[:, target], m[np.arange(len(sig)), yh]
        est = np.zeros(len(sig))
        kpos = np.searchsorted(yhat.keys, sig) if len(yhat.keys) else np.zeros(len(sig), int)
        seen = (kpos < len(yhat.keys)) & (yhat.keys[np.clip(kpos, 0, max(len(yhat.keys) - 1, 0))] == sig) \
            if len(yhat.keys) else np.zeros(len(sig), bool)
        est[seen] = yhat.counts[kpos[seen], yh[seen]]
        return {"gbj": gbj_unplanting_bound(c, m_star, est, n, n_est, samples, test, xs, delta),
                "binomial": binomial_unplanting_bound(c, m_star, m_hat, n, n_est, samples, test, xs, delta),
                "signals": int(len(sig)), "x_star": xs, "n_est": n_est}
    sig, inv = np.unique(g_all[:n], return_inverse=True)
    inv = inv.reshape(-1)
    mass = np.bincount(inv, minlength=len(sig)).astype(float)         # [X] collective points with g(x) = x~
    if strategy == "feature-only":
        own = y[:n] == target
        c = np.bincount(inv[own], minlength=len(sig)).astype(float)   # [X] of them with label y*
    else:
        c = mass
    raw_c, y_c, on_c = raw[:n], y[:n], on_signal[:n]
    pos = np.searchsorted(sig, raw_c[on_c])
    hit = (pos < len(sig)) & (sig[np.clip(pos, 0, len(sig) - 1)] == raw_c[on_c])
    m = np.zeros((len(sig), ny))
    np.add.at(m, (pos[hit], y_c[on_c][hit]), 1)                       # [X, Y] raw collective counts
    extra = {} if strategy == "feature-label" else {"mass": mass[None]}
    return {"gbj": float(gbj_bound(c[None], m[None], n, samples, test, target, xs, delta, **extra)[0]),
            "binomial": float(binomial_bound(c[None], m[None], n, samples, test, target, xs, delta, **extra)[0]),
            "signals": int(len(sig)), "x_star": xs}
