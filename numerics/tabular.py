"""Categorical tables: the columnar CSV reader, a seeded synthetic table, combination codes, a fresh trigger.

A row's features are one integer per column; a feature combination is one integer (mixed radix, or the
inverse of np.unique where the radix product would overflow), numbered without a sort (``dense_ids``). The
plug-in classifier, the planted signal (a fresh trigger is the signal that sets one column to a value never
seen) and the finite-sample bounds are numerics.collusion's engine.

>>> table = synthetic_table(2000, features=5, labels=3, seed=0)
>>> fresh, trigger = fresh_trigger(table, "f0")
>>> trigger, fresh.cards[0] == table.cards[0] + 1
((0, 6), True)
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np

from theory.errors import InputError


class Table(NamedTuple):
    """A categorical table: integer codes per column and a label column."""

    features: np.ndarray          # [R, F] codes, column j in 0..cards[j]-1 (read_csv: code_dtype(cards))
    labels: np.ndarray            # [R] int32 codes in 0..len(label_values)-1
    cards: tuple[int, ...]        # [F] number of values per column (a fresh value may be added: see trigger)
    names: tuple[str, ...]        # [F] column names
    label_values: tuple[str, ...]


def load_csv(path: str | Path, label: str) -> Table:
    """Read a CSV of categorical columns with a header; ``label`` names the label column (``read_csv``)."""
    features, labels, names, values, label_values = read_csv(path, label)
    return Table(features, labels, tuple(len(v) for v in values), names, label_values)


def read_csv(path: str | Path, label: str):
    """A CSV of categorical columns with a header as (features [R, F] of ``code_dtype``, labels [R] int32,
    feature names [F], each feature's values [F][card], the label's values); ``label`` names the label column.

    Columnar and multithreaded (pyarrow's CSV reader): every column is read straight into dictionary codes,
    with no Python object per cell (GBJ's 3M-row, 331 MB table: a memory-bounded line of ``critmass bench``).
    Each column's values are sorted, so codes and label indices do not depend on the order of the rows.
    Errors (one line, InputError): unreadable file, a header with an empty or repeated column name
    (``check_header``), no such label column, no feature column beside the label, a row whose field count
    differs from the header's (its line), no rows, a label with one value.
    """
    import pyarrow as pa
    import pyarrow.csv as pv

    path = Path(path)
    try:
        with path.open("rb") as f:
            first = f.readline().decode("utf-8").splitlines()  # a bare \r ends a line too, as for pyarrow
        header = next(csv.reader(first[:1]), [])
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"CSV {path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    if not any(h.strip() for h in header):
        raise InputError(f"CSV {path}: no header line (the file is empty or its first line is blank); expected a "
                         f"header naming the columns, one of them the label column {label!r}")
    check_header(header, f"CSV {path}")
    if label not in header:
        raise InputError(f"CSV {path}: no label column {label!r}; columns are {', '.join(header)}")
    if len(header) < 2:
        raise InputError(f"CSV {path}: no feature columns (only the label column {label!r}); expected at least "
                         f"one categorical feature column beside the label")
    bad = []

    def refuse(row):  # a ragged row: stop at the first (its line is found below, on this error path only)
        bad.append(row)
        return "skip"

    categorical = pa.dictionary(pa.int32(), pa.string())
    try:
        data = pv.read_csv(path, parse_options=pv.ParseOptions(invalid_row_handler=refuse),
                           convert_options=pv.ConvertOptions(column_types={c: categorical for c in header}))
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"CSV {path}: malformed ({str(e).splitlines()[0]})") from None
    if bad:
        raise InputError(f"CSV {path} line {_first_ragged_line(path, len(header))}: {bad[0].actual_columns} "
                         f"fields; expected {len(header)} as in the header")
    if data.num_rows < 1:
        raise InputError(f"CSV {path}: expected a header and at least one row")
    k = header.index(label)
    keep = [j for j in range(len(header)) if j != k]
    data = data.unify_dictionaries()                                            # one dictionary per column
    values, ranks = zip(*(_sorted_values(data.column(j)) for j in range(len(header))))
    if len(values[k]) < 2:
        raise InputError(f"CSV {path}: label column {label!r} has one value; expected at least two labels")
    dtype = code_dtype([len(values[j]) for j in keep])
    ranks = [r if j == k else r.astype(dtype) for j, r in enumerate(ranks)]
    features, labels = empty_aligned((data.num_rows, len(keep)), dtype), np.empty(data.num_rows, np.int32)
    start = 0
    for batch in data.to_batches():  # a block of rows at a time: [rows, F] written in cache-sized pieces
        codes = [ranks[j][batch.column(j).indices.to_numpy()] for j in range(len(header))]
        stop = start + batch.num_rows
        if keep:
            np.stack([codes[j] for j in keep], axis=1, out=features[start:stop])
        labels[start:stop] = codes[k]
        start = stop
    return features, labels, tuple(header[j] for j in keep), tuple(values[j] for j in keep), values[k]


def code_dtype(cards) -> np.dtype:
    """The smallest integer type for a table's feature codes: uint8 when every column has at most 255 values,
    uint16 up to 65,535, else int32. One code is left free in each, so a fresh trigger value (``fresh_trigger``,
    code = the column's old cardinality) still fits. GBJ's car table (at most 8 values a column): uint8, 54 MB
    of codes for 3M rows x 18 columns instead of 216 MB as int32, and a pass over them reads a quarter of the
    bytes.

    >>> code_dtype([8, 5, 2]), code_dtype([255]), code_dtype([256]), code_dtype([70_000])
    (dtype('uint8'), dtype('uint8'), dtype('uint16'), dtype('int32'))
    """
    top = max(cards, default=0)
    for dtype in (np.uint8, np.uint16):
        if top <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int32)


#: XLA's CPU client reads a host array in place (jax.device_put makes no copy) when its data is aligned to this
#: many bytes; numpy's allocator aligns to 16.
ALIGN = 64


def empty_aligned(shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)`` whose data starts on an ALIGN-byte boundary, so that a JAX kernel on the CPU
    reads it in place (numerics.collusion's pass over a whole table: no copy of GBJ's 54 MB of codes)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buffer = np.empty(size + ALIGN, np.uint8)
    start = -buffer.ctypes.data % ALIGN
    return buffer[start:start + size].view(dtype).reshape(shape)


def _sorted_values(column) -> tuple[tuple[str, ...], np.ndarray]:
    """A dictionary-encoded column's values in sorted order, and each dictionary code's sorted position [V]."""
    dictionary = column.chunk(0).dictionary.to_pylist() if column.num_chunks else []
    order = np.argsort(np.array(dictionary, dtype=object), kind="stable")
    rank = np.empty(len(dictionary), np.int32)
    rank[order] = np.arange(len(dictionary), dtype=np.int32)                   # old code -> sorted position
    return tuple(dictionary[i] for i in order), rank


def check_header(header: list[str], where: str) -> None:
    """Refuse a header that cannot name its columns one to one: none at all, an empty (or blank) name, or a
    name used twice (a reader would silently pick one of the two). Errors: InputError naming the column(s).

    >>> check_header(["color", "color", "label"], "CSV t.csv")
    Traceback (most recent call last):
    theory.errors.InputError: CSV t.csv: duplicate column name 'color' (columns 1, 2); expected each column named once
    """
    if not header:
        raise InputError(f"{where}: no header line; expected column names on the first line")
    blank = [i + 1 for i, name in enumerate(header) if not name.strip()]
    if blank:
        raise InputError(f"{where}: empty column name in column {', '.join(map(str, blank))} of the header; "
                         f"expected every column named")
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        seen.setdefault(name, []).append(i + 1)
    dups = [(name, at) for name, at in seen.items() if len(at) > 1]
    if dups:
        listed = "; ".join(f"{name!r} (columns {', '.join(map(str, at))})" for name, at in dups)
        raise InputError(f"{where}: duplicate column name {listed}; expected each column named once")


def _first_ragged_line(path: Path, width: int) -> int:
    """The line number of the first row whose field count differs from the header's (error path only)."""
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        for row in reader:
            if row and len(row) != width:
                return reader.line_num
    return 0


def synthetic_table(rows: int, features: int = 18, labels: int = 4, clusters: int = 64, noise: float = 0.05,
                    seed: int = 0) -> Table:
    """A seeded table like survey data: rows come from latent clusters, each with a prototype and a label law.

    Each feature copies its cluster's prototype value except with probability ``noise``; the label follows a
    cluster-specific distribution. Cardinalities are 2 to 5. One extra value per column is never drawn,
    so ``cards[j] - 1`` is a fresh trigger value.
    """
    rng = np.random.default_rng(seed)
    cards = rng.integers(2, 6, size=features)                                  # [F] drawn values
    proto = rng.integers(0, cards, size=(clusters, features))                  # [C, F]
    label_law = rng.dirichlet(np.full(labels, 0.5), size=clusters)             # [C, Y]
    z = rng.integers(0, clusters, size=rows)                                   # [R]
    flip = rng.random((rows, features)) < noise                                # [R, F]
    feats = np.where(flip, rng.integers(0, cards, size=(rows, features)), proto[z]).astype(code_dtype(cards + 1))
    cum = label_law.cumsum(axis=1)[z]                                          # [R, Y]
    y = (rng.random((rows, 1)) > cum).sum(axis=1).clip(max=labels - 1).astype(np.int32)
    return Table(feats, y, tuple(int(c) + 1 for c in cards), tuple(f"f{j}" for j in range(features)),
                 tuple(str(v) for v in range(labels)))


def radices(cards) -> np.ndarray | None:
    """Place values of the mixed-radix code [F], or None when the code would not fit in an int64."""
    cards = np.asarray(cards, np.int64)
    if np.sum(np.log2(cards)) >= 62:
        return None
    return np.concatenate([np.cumprod(cards[::-1])[::-1][1:], [1]]).astype(np.int64)


def combination_codes(features: np.ndarray, cards) -> np.ndarray:
    """One int64 per row for its feature combination [R, F] -> [R] (mixed radix; np.unique where it overflows)."""
    if radices(cards) is None:
        return np.unique(features, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    code = np.zeros(features.shape[0], np.int64)                               # [R]
    for j, card in enumerate(cards):                                           # Horner: one pass per column
        code *= card
        code += features[:, j]
    return code


#: Codes below this bound are numbered through a dense table (two passes over the rows); above it by hashing.
DENSE_LIMIT = 1 << 26


def dense_ids(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct values of ``codes`` [R] (int64, >= 0) 0..D-1, without sorting: (ids [R], values [D]).

    When the largest code is below DENSE_LIMIT a presence table does it in linear time; otherwise pyarrow's hash
    table (values in order of first appearance). Either way no O(R log R) sort.

    >>> ids, values = dense_ids(np.array([7, 3, 7, 9]))
    >>> values[ids].tolist()
    [7, 3, 7, 9]
    """
    if codes.size and int(codes.max()) < DENSE_LIMIT:
        present = np.zeros(int(codes.max()) + 1, bool)
        present[codes] = True
        number = np.cumsum(present, dtype=np.int64) - 1                        # [max + 1] code -> id
        return number[codes], np.flatnonzero(present)
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(pa.array(codes, pa.int64()))
    return encoded.indices.to_numpy().astype(np.int64), encoded.dictionary.to_numpy()


def plant(features: np.ndarray, trigger: tuple[int, int]) -> np.ndarray:
    """g(x): every row [R, F] with column ``trigger[0]`` set to value ``trigger[1]``."""
    out = features.copy()
    out[:, trigger[0]] = trigger[1]
    return out


def fresh_trigger(table: Table, column: str) -> tuple[Table, tuple[int, int]]:
    """The table with one new, never-seen value added to ``column``, and the trigger (column, that value)."""
    if column not in table.names:
        raise InputError(f"trigger column {column!r} is not a feature; columns are {', '.join(table.names)}")
    j = table.names.index(column)
    cards = tuple(v + 1 if i == j else v for i, v in enumerate(table.cards))
    return table._replace(cards=cards), (j, table.cards[j])
