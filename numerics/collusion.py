"""Signal planting on categorical tables: a signal that fixes columns, three strategies, their bounds and ours.

This is critmass's one engine for planting a signal in a table (``critmass simulate tabular``, the report's
Gauthier-Bach-Jordan section, and the GBJ line of ``critmass bench``, which times it against GBJ's own pandas
method and a numpy + bincount baseline). The signal function g sets any set of columns to given values
(``fix``; a fresh trigger is one column set to a value never seen, numerics.tabular.fresh_trigger); X* is every
combination of the free columns. A run takes a categorical table, a split (a seeded permutation, given row
indices, or GBJ's scikit-learn split), N training rows, N_test test rows and collective sizes n (the collective
is the first n training rows in the split's order, so collectives are nested across n). The platform trains the
plug-in classifier (argmax of counts per full feature combination) on the collective's submitted points and
the N - n others, and the success is measured on g(x) of the test points. Strategies (theory/collusion.py,
theory/finite.py):

- ``feature-label``: submit (g(x), y*); success = P(f(g(x)) = y*), ties against the collective;
- ``feature-only``: points with label y* submit (g(x), y*), the others (x0(x), y), with x0 fixing columns to
  values off the signal set; success as feature-label;
- ``unplanting``: the first n_est collective points estimate y^(x~) = argmax_{y != y*} of their raw counts
  (lowest label index among ties) and are not submitted; the rest submit (g(x), y^(g(x))); success =
  P(y* is strictly beaten at g(x)), so a tie counts against the collective.

Each run reports GBJ's bound for the strategy (numerics.bounds) and critmass's binomial one.

How (``plug_in``): only rows whose full combination lies in X* ever meet a test query g(x), so a row is its
place in X* (a code of its free columns) and whether its fixed columns already hold g's values; every count
is an np.bincount over those codes. The training counts are taken once; collective sizes are visited in
increasing order and each adds only the rows between the previous size and its own, so a sweep over all n
costs O(rows + largest n), with no per-row Python loop, no mask per combination and no sort.

``car_table`` draws GBJ's synthetic car-evaluation table (their notebook create_synthetic_dataset.ipynb,
its distributions copied as facts: 18 features, SUVs 45%, the score-based label) with a numpy seed;
``write_csv`` writes a table as a CSV (GBJ's 3M-row, 331 MB file for the benchmark).

>>> t = car_table(20_000, seed=0)
>>> t.names[0], t.values[0][:2], t.label_values
('Model Type', ('Sedan', 'SUV'), ('Excellent', 'Good', 'Average', 'Poor'))
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from numerics.bounds import (binomial_bound, binomial_unplanting_bound, gbj_bound, gbj_unplanting_bound)
from numerics.tabular import code_dtype, combination_codes, dense_ids, radices, read_csv
from theory import notions
from theory.errors import InputError
from theory.strategy import TABULAR, Strategy, parse_strategy

STRATEGIES = TABULAR


class NamedTable(NamedTuple):
    """A categorical table with the names of its values: codes [R, F], labels [R], per-column value names."""

    features: np.ndarray               # [R, F] codes (tabular.code_dtype), column j in 0..len(values[j]) - 1
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
    return NamedTable(feats.astype(code_dtype([len(v) for v in values])), label, names, values, CAR_LABELS)


def load_named_csv(path: str | Path, label: str) -> NamedTable:
    """A CSV of categorical columns with a header; ``label`` names the label column. Values keep their names
    (sorted), so a signal can fix a column to a value by name. Read by numerics.tabular.read_csv (pyarrow,
    columnar)."""
    features, labels, names, values, label_values = read_csv(path, label)
    return NamedTable(features, labels, names, values, label_values)


#: The label column of GBJ's car table.
CAR_LABEL = "Car Evaluation"


def write_csv(table: NamedTable, path: str | Path, label: str = CAR_LABEL, chunk: int = 500_000) -> Path:
    """Write ``table`` as a CSV with a header (feature columns, then ``label``), value names as cells, in slices
    of ``chunk`` rows (bounded memory); written to a temporary name and renamed, so never half a file.
    Cells are quoted only when some value needs it (a comma, quote or line break), as pandas' ``to_csv`` writes
    (GBJ's 3M-row table is 331 MB so; quoting every cell makes it 445 MB).
    ``load_named_csv(path, label)`` reads the same table back (its values sorted by name)."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.csv as pv

    path = Path(path)
    columns = [*table.names, label]
    tmp = path.with_name(path.name + ".partial")
    all_values = (*table.values, table.label_values)
    dictionaries = [pa.array(v, pa.string()) for v in all_values]
    schema = pa.schema([(c, pa.string()) for c in columns])
    needs_quotes = any(ch in v for values in all_values for v in values for ch in ',"\r\n')
    options = pv.WriteOptions(include_header=False, quoting_style="needed" if needs_quotes else "none")
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(columns)                 # quoted only where needed
    with tmp.open("wb") as f:
        f.write(header.getvalue().encode())
        with pv.CSVWriter(f, schema, write_options=options) as out:
            for start in range(0, len(table.labels), chunk):
                codes = [table.features[start:start + chunk, j] for j in range(len(table.names))]
                codes.append(table.labels[start:start + chunk])
                cells = [pa.DictionaryArray.from_arrays(pa.array(c, pa.int32()), d).cast(pa.string())
                         for c, d in zip(codes, dictionaries)]
                out.write_table(pa.Table.from_arrays(cells, schema=schema))
    tmp.replace(path)
    return path


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


def split_rows(rows: int, samples: int, test: int, seed: int | None = None, indices: str | Path | None = None,
               sklearn: int | None = None):
    """(train [N], test [N_test]) row indices; the collective of size n is train[:n].

    - a seed: a seeded permutation, its first ``samples`` rows to train and the next ``test`` to test;
    - ``indices``: a JSON file {"train": [...], "test": [...]}, its first ``samples`` train and ``test`` test rows;
    - ``sklearn`` (a random_state): GBJ's split (``sklearn_split``), the training rows in the collective's order.
    """
    if not 1 <= test < rows:
        raise InputError(f"test = {test}: expected 1 <= N_test < {rows} rows")
    if not 2 <= samples <= rows - test:
        raise InputError(f"N = {samples}: expected 2 <= N <= rows - N_test = {rows - test}")
    if sklearn is not None:
        train, test_rows, order = sklearn_split(rows, samples, test, sklearn)
        return train[order[::-1]], test_rows
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


def sklearn_split(rows: int, n_train: int, n_test: int, random_state: int = 42):
    """The rows GBJ draw: (training rows [N], test rows [N_test], the collective's order [N]).

    Their three calls to scikit-learn's train_test_split(..., random_state=42) (their notebooks), each one
    permutation of RandomState(random_state) (scikit-learn's ShuffleSplit), computed here without scikit-learn:
    the N training rows, then N_test test rows among the rest, then the collective, which is
    training[order[N - n:]] for a collective of n. That permutation depends on N only, not on n, so their
    collectives are nested too and one permutation serves every n.
    """
    if not 0 < n_train < rows or not 0 < n_test <= rows - n_train:
        raise InputError(f"N = {n_train}, N_test = {n_test}: expected 0 < N < {rows} rows and 0 < N_test <= rows - N")
    if not 0 <= random_state < 2**32:
        raise InputError(f"random_state = {random_state}: expected an integer in 0..2^32 - 1")
    first = np.random.RandomState(random_state).permutation(rows)
    train, pool = first[rows - n_train:], first[:rows - n_train]
    test = pool[permutation_tail(len(pool), n_test, random_state)]
    return train, test, np.random.RandomState(random_state).permutation(n_train)


def permutation_tail(n: int, k: int, random_state: int) -> np.ndarray:
    """``np.random.RandomState(random_state).permutation(n)[n - k:]`` [k], from the first k of its n - 1 draws.

    RandomState's shuffle (a frozen legacy stream) swaps position i with a draw j_i in 0..i for i = n - 1 down
    to 1, so its last k positions are settled by its first k steps. The draws are the same stream as
    ``randint(0, i + 1)`` over those i. The value that lands at i_t is the one at j_t then: j_t itself unless an
    earlier step drew j_t too (then what that step moved there); what a step moves is the value at its own i,
    which is i unless an earlier step drew i (a chain, followed by pointer jumping). O(k log k) for a sort of
    the draws, instead of n swaps: GBJ's test rows are the last 100,000 of a permutation of 2,000,000 rows
    (scikit-learn's train_test_split), 15 ms instead of 50. For k > n / 4 the whole permutation is faster.
    """
    if not 0 <= k <= n:
        raise ValueError(f"k = {k}: expected 0 <= k <= n = {n}")
    if 4 * k > n:
        return np.random.RandomState(random_state).permutation(n)[n - k:]
    at = np.arange(n - 1, n - 1 - k, -1, dtype=np.int64)                      # [k] step t swaps at[t] and draw[t]
    draw = np.random.RandomState(random_state).randint(0, at + 1, dtype=np.int64)  # [k]
    step = np.arange(k, dtype=np.int64)
    key = draw * k + step                                                      # [k] by draw, then by step
    order = np.argsort(key)
    key, by_draw, by_step = key[order], draw[order], step[order]
    same = by_draw[1:] == by_draw[:-1]
    earlier_same_draw = np.full(k, -1, np.int64)                               # [k] latest earlier step, same draw
    earlier_same_draw[by_step[1:][same]] = by_step[:-1][same]
    before = np.maximum(np.searchsorted(key, at * k + step) - 1, 0)            # latest earlier step that drew at[t]
    parent = np.where(by_draw[before] == at, by_step[before], step)            # (key < at*k + t: an earlier step)
    while not np.array_equal(up := parent[parent], parent):                    # the chain's first step
        parent = up
    moved = at[parent]                                                         # [k] the value at at[t] before step t
    landed = np.where(draw == at, moved, np.where(earlier_same_draw >= 0, moved[earlier_same_draw], draw))
    return landed[::-1]


# ---- one run ---------------------------------------------------------------------------------------------------

def x_star_size(table, fix: dict[int, int]) -> int:
    """|X*|: the number of signals g(x), the product of the free columns' cardinalities."""
    return int(np.prod([c for j, c in enumerate(table.cards) if j not in fix], dtype=np.float64))


class Places(NamedTuple):
    """Where rows sit relative to X*: ``ids`` [M] the place of g(x) among the signals (0..S-1, in increasing
    order of the free columns' mixed-radix code), ``own`` [M] whether x = g(x) (x itself lies in X*)."""

    ids: np.ndarray
    own: np.ndarray
    k: int


def places(table, fix: dict[int, int], rows: np.ndarray) -> Places:
    """The X* places of ``rows`` (indices into the table) under the signal ``fix``.

    When |X*| is at most the number of rows the place is the free columns' mixed-radix code itself (S = |X*|);
    otherwise the codes that occur are numbered in increasing order (numerics.tabular.dense_ids: a presence
    table or a hash, no sort of the rows), S their number.
    """
    cards = np.asarray(table.cards, np.int64)
    free = [j for j in range(len(cards)) if j not in fix]
    if free and fix and radices(cards[free]) is not None:
        code, own = _codes_and_own(table.features, rows, free, cards, fix)
    else:
        sub = table.features[rows]                                             # [M, F]
        if fix:
            own = np.all(sub[:, np.fromiter(fix, np.int64)] == np.fromiter(fix.values(), sub.dtype), axis=1)
        else:
            own = np.ones(len(rows), bool)
        if not free:
            return Places(np.zeros(len(rows), np.int64), own, 1)
        code = combination_codes(sub[:, free], cards[free])                    # [M] int64
    size = x_star_size(table, fix)
    if _code_is_place(cards[free], size, len(rows)):
        return Places(code, own, size)
    ids, values = dense_ids(code)
    if len(values) > 1 and np.any(np.diff(values) < 0):                        # hashed: first-seen order
        rank = np.empty(len(values), np.int64)
        rank[np.argsort(values)] = np.arange(len(values))
        ids = rank[ids]
    return Places(ids, own, len(values))


def _code_is_place(free_cards, size: int, rows: int) -> bool:
    """Whether the free columns' mixed-radix code serves as the place of g(x) itself (S = |X*| = ``size``): it
    fits an int64 and |X*| is at most the number of rows (or 65,536), so counts per place stay small."""
    return radices(free_cards) is not None and size <= max(rows, 1 << 16)


def _whole_table_pays(rows: int, table_rows: int) -> bool:
    """Whether ``rows`` of a ``table_rows``-row table are many enough (a quarter or more) that one pass over
    the whole table beats gathering them one by one."""
    return 4 * rows >= table_rows


def _codes_and_own(features, rows, free, cards, fix, block: int = 1 << 14):
    """The mixed-radix code of the free columns [M] (int32 or int64) and whether x = g(x) [M] for ``rows`` [M].

    When the rows are a good part of the table (GBJ's split uses 1.1M of 3M rows) every table row is coded in
    one fused pass (``_table_codes``, XLA on the CPU, reading the table in place) and the codes gathered: a
    random read of one code instead of a row of F codes. Otherwise the rows are gathered and coded a
    ``block`` at a time, so that the Horner passes run in cache.
    """
    fixed, values = np.fromiter(fix, np.int64), np.fromiter(fix.values(), features.dtype)
    if _whole_table_pays(len(rows), len(features)):
        code, own = _table_codes(features, tuple(fix), tuple(int(v) for v in fix.values()), tuple(free),
                                 tuple(int(cards[j]) for j in free))
        return code[rows], own[rows]
    code, own = np.empty(len(rows), np.int64), np.empty(len(rows), bool)
    for start in range(0, len(rows), block):
        sub = features[rows[start:start + block]]                              # [B, F]
        out = code[start:start + block]
        out[:] = sub[:, free[0]]
        for j in free[1:]:                                                     # Horner, as combination_codes
            out *= cards[j]
            out += sub[:, j]
        own[start:start + block] = np.all(sub[:, fixed] == values, axis=1)
    return code, own


def _table_codes(features, fixed: tuple, values: tuple, free: tuple, cards: tuple, labels=None,
                 num_labels: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every table row's free-column code [R] and whether its ``fixed`` columns hold ``values`` [R] bool; with
    ``labels`` [R] (the table's label codes, ``num_labels`` of them) the second output is instead each row's
    cell [R]: code * num_labels + label where the fixed columns hold the values, else -1.

    One pass over the table [R, F] (XLA fuses the comparisons and the Horner steps), on the CPU: the table is
    in host memory and the pass is bound by reading it, so moving it to an accelerator would cost more than
    the pass. A 64-byte-aligned table (numerics.tabular.read_csv allocates one) is read in place, with no
    copy; the outputs come back without a copy too. Codes (and cells) are int32 when every one fits, else int64.
    """
    wide = np.prod(np.asarray(cards, np.float64)) * max(num_labels, 1) >= 2**31
    with jax.enable_x64(wide):
        cpu = jax.devices("cpu")[0]
        table = jax.device_put(features, cpu)
        labels = None if labels is None else jax.device_put(labels, cpu)
        code, second = _table_codes_kernel(table, labels, fixed, values, free, cards, num_labels,
                                           jnp.int64 if wide else jnp.int32)
        return np.asarray(code), np.asarray(second)


@functools.partial(jax.jit, static_argnames=("fixed", "values", "free", "cards", "num_labels", "dtype"))
def _table_codes_kernel(table, labels, fixed, values, free, cards, num_labels, dtype):
    own = jnp.ones(table.shape[0], bool)                                       # [R]
    for j, v in zip(fixed, values):
        own &= table[:, j] == v
    code = table[:, free[0]].astype(dtype)                                     # [R]
    for j, card in zip(free[1:], cards[1:]):                                   # Horner, as combination_codes
        code = code * card + table[:, j].astype(dtype)
    if labels is None:
        return code, own
    return code, jnp.where(own, code * num_labels + labels.astype(dtype), -1)


def _whole_table_cells(table, fix: dict[int, int], train: np.ndarray, test: np.ndarray):
    """(S, code [R], cell [R], in_train [R] bool) for every table row, or None where ``plug_in`` must go row by
    row instead: when the training and test rows are too few for a pass over the table (``_whole_table_pays``),
    or the place of g(x) is not its code itself (``_code_is_place``), or the training rows repeat one. Then the
    counts over all training rows are a masked pass over the table in its own order, and only the collective's
    and the test rows are gathered: GBJ's 1M training rows of 3M, each gathered, took most of the plug-in's time.
    """
    cards = np.asarray(table.cards, np.int64)
    free = [j for j in range(len(cards)) if j not in fix]
    rows, size = len(train) + len(test), x_star_size(table, fix)
    if not (free and fix and _code_is_place(cards[free], size, rows) and _whole_table_pays(rows, len(table.labels))):
        return None
    in_train = np.zeros(len(table.labels), bool)
    in_train[train] = True
    if np.count_nonzero(in_train) != len(train):
        return None
    code, cell = _table_codes(table.features, tuple(fix), tuple(int(v) for v in fix.values()), tuple(free),
                              tuple(int(cards[j]) for j in free), np.asarray(table.labels),
                              len(table.label_values))
    return size, code, cell, in_train


def plug_in(table, fix: dict[int, int], target: int, ns, train: np.ndarray, test: np.ndarray,
            strategy: Strategy = Strategy.FEATURE_LABEL, n_est: int | None = None):
    """The plug-in classifier after the collective of each size n (ascending, 1 <= n <= len(train)) acts.

    ``train`` [N] rows in the collective's order (the collective of n is train[:n]), ``test`` [T] rows.
    Yields one dict per n: ``hits`` [S] (f(x~) = y* uniquely; for unplanting, y* strictly beaten), ``tied`` [S]
    (the most votes at x~ are shared), ``test_at`` [S] test points per place, and the collective's statistics
    for the bounds: ``mass`` [S] its points whose g(x) is x~ (for unplanting: its planting points), ``c`` [S]
    those moved to (x~, y*) (feature-only: its y* points; unplanting: = mass), ``m`` [S, Y] its untransformed
    counts on X* (unplanting: of its planting points), ``est`` [S, Y] the estimation points' counts and ``yhat``
    [S] the label each signal gets (unplanting only).
    """
    num_labels, labels = len(table.label_values), np.asarray(table.labels)
    ns = list(ns)
    whole = _whole_table_cells(table, fix, train, test)
    if whole is None:
        at = places(table, fix, np.concatenate([train, test]))
        k, n_train = at.k, len(train)
        ids, test_ids = at.ids[:n_train], at.ids[n_train:]
        y = labels[train]                                                      # [N]
        wide = k * num_labels >= 2**31                                         # a cell fits an int32 otherwise
        cell = np.where(at.own[:n_train], ids.astype(np.int64 if wide else np.int32) * num_labels + y, -1)  # [N]
    else:                                                                      # the collective's rows only: [n_max]
        k, code, cells, in_train = whole
        head = train[:max(ns, default=0)]
        ids, cell, y, test_ids = code[head], cells[head], labels[head], code[test]

    def counts(cells):                                                         # cells (x~, y) [M] -> [S, Y]
        return np.bincount(cells[cells >= 0], minlength=k * num_labels).reshape(k, num_labels)

    everyone = counts(cell) if whole is None else counts(cells[in_train])      # [S, Y] all training rows on X*
    test_at = np.bincount(test_ids, minlength=k)                               # [S]
    others = np.array([v for v in range(num_labels) if v != target])
    first = n_est if strategy == Strategy.UNPLANTING else 0
    est = counts(cell[:first]) if first else None                              # [S, Y]
    yhat = others[np.argmax(est[:, others], axis=1)] if first else None        # [S] lowest label among ties
    m = est.copy() if first else np.zeros((k, num_labels), np.int64)           # [S, Y] the collective's own rows
    mass = np.zeros(k, np.int64)
    own_t = np.zeros(k, np.int64)
    prev = first
    for n in ns:
        seg = slice(prev, n)
        mass += np.bincount(ids[seg], minlength=k)
        m += counts(cell[seg])
        if strategy == Strategy.FEATURE_ONLY:
            own_t += np.bincount(ids[seg][y[seg] == target], minlength=k)
        prev = n
        seen = everyone - m                                                    # [S, Y] the others' rows
        if strategy == Strategy.FEATURE_LABEL:
            seen[:, target] += mass
            c = mass
        elif strategy == Strategy.FEATURE_ONLY:                                # the rest go to x0(x), off X*
            seen[:, target] += own_t
            c = own_t
        else:
            seen[np.arange(k), yhat] += mass
            c = mass
        best = seen.max(axis=1)
        tied = np.sum(seen == best[:, None], axis=1) > 1                       # [S]
        rival = seen[:, others].max(axis=1)
        hits = rival > seen[:, target] if strategy == Strategy.UNPLANTING else seen[:, target] > rival
        yield {"n": n, "hits": hits, "tied": tied, "test_at": test_at, "mass": mass.copy(), "c": c.copy(),
               "m": m - est if first else m.copy(), "est": est, "yhat": yhat}


def run(table, fix: dict[int, int], target: int, ns, samples: int, test: int, *,
        strategy: Strategy = Strategy.FEATURE_LABEL, seed: int | None = 0, split: str | Path | None = None,
        sklearn_split: int | None = None, x0: dict[int, int] | None = None, n_est: int | None = None,
        delta: float = 0.05, epsilon: float = 0.0, notion: str = "tv", bounds=("gbj", "binomial"),
        timings: dict | None = None) -> list[dict]:
    """One row per collective size n (in the order of ``ns``): {"n", "alpha", "success", "ties", "signals",
    "x_star", and each of ``bounds``} (+ "n_est" for unplanting).

    ``table``: a NamedTable (or numerics.tabular.Table: features, labels, cards, label_values). ``fix``
    {column: value code}: the signal g. The split: ``sklearn_split`` (a random_state: GBJ's), else ``split`` (a
    JSON file of row indices), else the permutation of ``seed``. ``ties``: test points whose g(x) has a tie for
    the most votes (counted against the collective; GBJ's code breaks ties by label order instead, so the two
    agree when it is 0). ``signals``: how many x~ the collective reaches. ``epsilon``: GBJ's suboptimality
    (0: the plug-in), read under ``notion`` (theory.notions: ``tv``, the paper's Definition 2, margin 2 eps;
    ``mixture``, eps/(1-eps) as GBJ print it). Bounds at ``delta`` (numerics.bounds). ``timings``: a dict that
    receives the seconds spent on the split ("split") and on everything after it ("plug-in"), for
    ``critmass bench``.
    """
    strategy = parse_strategy(strategy, STRATEGIES)
    if not 0 < delta < 1:
        raise InputError(f"delta = {delta}: expected a confidence parameter in (0, 1)")
    if not 0 <= epsilon < 1:
        raise InputError(f"epsilon = {epsilon}: expected a suboptimality in [0, 1)")
    notions.check(notion)
    unknown = set(bounds) - {"gbj", "binomial"}
    if unknown:
        raise InputError(f"bounds {sorted(unknown)}: expected gbj and/or binomial")
    num_labels = len(table.label_values)
    if not 0 <= target < num_labels:
        raise InputError(f"target = {target}: expected a label index in 0..{num_labels - 1}")
    for j, v in fix.items():
        if not 0 <= j < len(table.cards) or not 0 <= v < table.cards[j]:
            raise InputError(f"signal {j}: {v}: expected a feature column and one of its value codes")
    if strategy == Strategy.FEATURE_ONLY:
        if not x0:
            raise InputError("the feature-only strategy needs --x0 COLUMN=VALUE ... (where the other labels go)")
        if not any(j in fix and fix[j] != v for j, v in x0.items()):
            raise InputError("--x0 must fix some column that --fix fixes, to another value, so that x0's image is "
                             "off the signal set")
    if strategy == Strategy.UNPLANTING and (n_est is None or n_est < 1):
        raise InputError("the unplanting strategy needs --n-est N >= 1 estimation points")
    ns = [int(v) for v in ns]
    low = (n_est or 0) + 1 if strategy == Strategy.UNPLANTING else 1
    for v in ns:
        if not low <= v <= samples:
            raise InputError(f"collective size n = {v}: expected {low} <= n <= N = {samples}")
    start = time.perf_counter()
    train, test_rows = split_rows(len(table.labels), samples, test, seed, split, sklearn_split)
    split_done = time.perf_counter()
    xs = x_star_size(table, fix)
    by_n = {}
    for got in plug_in(table, fix, target, sorted(set(ns)), train, test_rows, strategy, n_est):
        n = got["n"]
        row = {"n": n, "alpha": n / samples,
               "success": float(np.sum(got["test_at"][got["hits"]])) / test,
               "ties": int(np.sum(got["test_at"][got["tied"]])), "x_star": xs}
        row.update(_bounds(got, strategy, target, n, samples, test, xs, delta, epsilon, notion, n_est, bounds))
        by_n[n] = row
    if timings is not None:
        timings.update({"split": split_done - start, "plug-in": time.perf_counter() - split_done})
    return [dict(by_n[n]) for n in ns]


def _bounds(got, strategy, target, n, samples, test, xs, delta, epsilon, notion, n_est, which) -> dict:
    """The bounds from the signals the collective reaches (its statistics at places with mass > 0)."""
    keep = np.flatnonzero(got["mass"])                                         # [X] increasing code
    out = {"signals": int(len(keep))}
    c, m = got["c"][keep].astype(float), got["m"][keep].astype(float)          # [X], [X, Y]
    if strategy == Strategy.UNPLANTING:
        yh = got["yhat"][keep]
        rows = np.arange(len(keep))
        if "gbj" in which:
            out["gbj"] = gbj_unplanting_bound(c, m[:, target], got["est"][keep][rows, yh], n, n_est, samples, test,
                                              xs, delta, epsilon, notion=notion)
        if "binomial" in which:
            out["binomial"] = binomial_unplanting_bound(c, m[:, target], m[rows, yh], n, n_est, samples, test, xs,
                                                        delta)
        out["n_est"] = n_est
        return out
    extra = {} if strategy == Strategy.FEATURE_LABEL else {"mass": got["mass"][keep].astype(float)[None]}
    if "gbj" in which:
        out["gbj"] = float(gbj_bound(c[None], m[None], n, samples, test, target, xs, delta, epsilon, notion=notion,
                                     **extra)[0])
    if "binomial" in which:
        out["binomial"] = float(binomial_bound(c[None], m[None], n, samples, test, target, xs, delta, **extra)[0])
    return out
