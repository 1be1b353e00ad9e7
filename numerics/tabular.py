"""Categorical tables: the plug-in classifier over feature combinations, a planted trigger, and the bounds.

A row's features are one integer per column; a feature combination is one integer (mixed radix, or the
inverse of np.unique where the radix product would overflow), and every count is a segment sum over rows:
there is no per-row Python loop and no mask per combination. The collective is the first n training rows
of a seeded shuffle; it plants a trigger (feature ``column`` set to ``value``) and the target label.

>>> table = synthetic_table(2000, features=5, labels=3, seed=0)
>>> out = plant_success(table, trigger=(0, table.cards[0] - 1), alphas=[0.05], targets=[0, 2], test=500, seed=0)
>>> out["success"].shape, bool(out["success"][0, 0] == out["success"][0, 1])  # a fresh trigger: any target
((1, 2), True)
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from numerics.bounds import binomial_bound, gbj_bound
from numerics.exact import check_alphas
from theory.errors import InputError


class Table(NamedTuple):
    """A categorical table: integer codes per column and a label column."""

    features: np.ndarray          # [R, F] int32 codes, column j in 0..cards[j]-1
    labels: np.ndarray            # [R] int32 codes in 0..len(label_values)-1
    cards: tuple[int, ...]        # [F] number of values per column (a fresh value may be added: see trigger)
    names: tuple[str, ...]        # [F] column names
    label_values: tuple[str, ...]


def load_csv(path: str | Path, label: str) -> Table:
    """Read a CSV of categorical columns with a header; ``label`` names the label column.

    Columnar and multithreaded (pyarrow's CSV reader): every column is read straight into dictionary codes,
    with no Python object per cell (a 3M-row, 19-column table of 331 MB in a few seconds and well under 2 GB).
    Each column's values are sorted, so codes and label indices do not depend on the order of the rows.
    """
    import pyarrow as pa
    import pyarrow.csv as pv

    path = Path(path)
    try:
        with path.open("rb") as f:
            header = next(csv.reader([f.readline().decode("utf-8")]), [])
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"CSV {path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    if label not in header:
        raise InputError(f"CSV {path}: no label column {label!r}; columns are {', '.join(header)}")
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
    codes, values = zip(*(_sorted_codes(data.column(j)) for j in range(len(header))))
    k = header.index(label)
    keep = [j for j in range(len(header)) if j != k]
    if len(values[k]) < 2:
        raise InputError(f"CSV {path}: label column {label!r} has one value; expected at least two labels")
    return Table(np.stack([codes[j] for j in keep], axis=1), codes[k], tuple(len(values[j]) for j in keep),
                 tuple(header[j] for j in keep), values[k])


def _sorted_codes(column) -> tuple[np.ndarray, tuple[str, ...]]:
    """A dictionary-encoded column (any number of chunks) as int32 codes into its sorted values."""
    import pyarrow as pa

    column = column.unify_dictionaries() if isinstance(column, pa.ChunkedArray) else column
    dictionary = column.chunk(0).dictionary.to_pylist() if column.num_chunks else []
    order = np.argsort(np.array(dictionary, dtype=object), kind="stable")
    rank = np.empty(len(dictionary), np.int32)
    rank[order] = np.arange(len(dictionary), dtype=np.int32)                   # old code -> sorted position
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in column.chunks]).astype(np.int32)
    return rank[codes], tuple(dictionary[i] for i in order)


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
    proto = rng.integers(0, cards, size=(clusters, features))                  # [K, F]
    label_law = rng.dirichlet(np.full(labels, 0.5), size=clusters)             # [K, L]
    z = rng.integers(0, clusters, size=rows)                                   # [R]
    flip = rng.random((rows, features)) < noise                                # [R, F]
    feats = np.where(flip, rng.integers(0, cards, size=(rows, features)), proto[z]).astype(np.int32)
    cum = label_law.cumsum(axis=1)[z]                                          # [R, L]
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
    """Number the distinct values of ``codes`` [R] (int64, >= 0) 0..K-1, without sorting: (ids [R], values [K]).

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


@functools.partial(jax.jit, static_argnames=("k", "ny"))
def _plugin(x_ids, g_ids, y, ns, test_g, targets, k, ny):
    """Per collective size: success for each target, and the collective's statistics c [K], m [K, Y]."""
    cells = x_ids * ny + y                                                     # [N]
    order = jnp.arange(x_ids.shape[0])                                         # [N] the collective is a prefix
    everyone = jax.ops.segment_sum(jnp.ones_like(cells), cells, k * ny).reshape(k, ny)  # [K, Y]

    def one_size(n):
        ours = (order < n).astype(jnp.int32)                                   # [N]
        c = jax.ops.segment_sum(ours, g_ids, k)                                # [K] planted points per x~
        m = jax.ops.segment_sum(ours, cells, k * ny).reshape(k, ny)            # [K, Y] own data
        base = everyone - m                                                    # [K, Y] the others
        at = base[test_g]                                                      # [T, Y]

        def one_target(t):
            own = at[:, t] + c[test_g]                                         # [T]
            rival = jnp.max(jnp.where(jnp.arange(ny) == t, -1, at), axis=1)    # [T]
            return own > rival                                                 # [T] ties count against

        hits = jax.vmap(one_target)(targets)                                   # [L, T]
        return hits.mean(axis=1, dtype=jnp.float32), hits, c, m

    return jax.lax.map(one_size, ns)                                  # [A, L], [A, L, T], [A, K], [A, K, Y]


def plant_success(table: Table, trigger: tuple[int, int], alphas, targets, test: int, seed: int = 0,
                  delta: float | None = None, return_predictions: bool = False) -> dict:
    """Plug-in success of planting ``trigger`` with each target label, for collectives n = alpha N.

    The rows are shuffled with ``seed``; the last ``test`` rows are held out; N is the rest. With ``delta``,
    also the GBJ and binomial finite-sample bounds (per alpha and target). Returns arrays [A, L]; with
    ``return_predictions``, also ``predicted_target``: {combination code of g(x): f(g(x)) = target} for the
    first alpha and target.
    """
    col, value = trigger
    if not 0 <= col < len(table.cards) or not 0 <= value < table.cards[col]:
        raise InputError(f"trigger = {trigger}: expected (column in 0..{len(table.cards) - 1}, a value of it)")
    if not 0 < test < len(table.labels):
        raise InputError(f"test = {test}: expected 0 < test < {len(table.labels)} rows")
    ny = len(table.label_values)
    if any(not 0 <= t < ny for t in targets):
        raise InputError(f"targets = {list(targets)}: expected label indices in 0..{ny - 1}")
    a = check_alphas(alphas)
    perm = np.random.default_rng(seed).permutation(len(table.labels))
    feats, y = table.features[perm], table.labels[perm]                        # [R, F], [R]
    n_train = len(y) - test
    ns = np.maximum(1, np.rint(a * n_train)).astype(np.int64)                  # [A]
    radix = radices(table.cards)
    if radix is None:
        codes = combination_codes(np.concatenate([feats, plant(feats, trigger)]), table.cards)  # [2R]
    else:  # g only rewrites one digit of the code
        x_codes = combination_codes(feats, table.cards)                        # [R]
        codes = np.concatenate([x_codes, x_codes + (value - feats[:, col].astype(np.int64)) * radix[col]])
    ids, uniq = dense_ids(codes)                                               # [2R] in 0..K-1, no sort
    x_ids, g_ids = ids[:n_train], ids[len(y):len(y) + n_train]                 # [N], [N]
    test_g = ids[len(y) + n_train:]                                            # [T]
    success, hits, c, m = _plugin(jnp.asarray(x_ids, jnp.int32), jnp.asarray(g_ids, jnp.int32),
                                  jnp.asarray(y[:n_train]), jnp.asarray(ns, jnp.int32), jnp.asarray(test_g, jnp.int32),
                                  jnp.asarray(targets, jnp.int32), k=len(uniq), ny=ny)
    out = {"n": ns, "n_train": n_train, "success": np.asarray(success, np.float64)}
    if return_predictions:
        out["predicted_target"] = dict(zip(uniq[test_g].tolist(), np.asarray(hits[0, 0]).tolist()))
    if delta is not None:
        x_star = int(np.prod([v for j, v in enumerate(table.cards) if j != col], dtype=np.float64))
        c, m = np.asarray(c), np.asarray(m)
        for name, fn in (("gbj", gbj_bound), ("binomial", binomial_bound)):
            out[name] = np.array([[fn(c[i][None, c[i] > 0], m[i][None, c[i] > 0], int(ns[i]), n_train, test, t,
                                      x_star, delta)[0] for t in targets] for i in range(len(ns))])
    return out


def fresh_trigger(table: Table, column: str) -> tuple[Table, tuple[int, int]]:
    """The table with one new, never-seen value added to ``column``, and the trigger (column, that value)."""
    if column not in table.names:
        raise InputError(f"trigger column {column!r} is not a feature; columns are {', '.join(table.names)}")
    j = table.names.index(column)
    cards = tuple(v + 1 if i == j else v for i, v in enumerate(table.cards))
    return table._replace(cards=cards), (j, table.cards[j])


def gbj_split(rows: int, n_train: int, n_test: int,
              random_state: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows GBJ draw: (training rows [N], test rows [N_test], the collective's order [N]).

    Their three calls to scikit-learn's train_test_split(..., random_state=42), each one permutation of
    RandomState(42) (scikit-learn's ShuffleSplit): the N training rows, then N_test test rows among the rest,
    then the collective, which is training[order[N - n:]] for a collective of n (the permutation does not
    depend on n, so one serves every n).
    """
    if not 0 < n_train < rows or not 0 < n_test <= rows - n_train:
        raise InputError(f"N = {n_train}, N_test = {n_test}: expected 0 < N < {rows} rows and 0 < N_test <= rows - N")
    first = np.random.RandomState(random_state).permutation(rows)
    train, pool = first[rows - n_train:], first[:rows - n_train]
    test = pool[np.random.RandomState(random_state).permutation(len(pool))[len(pool) - n_test:]]
    return train, test, np.random.RandomState(random_state).permutation(n_train)


def signal_planting(table: Table, signal: dict[int, int], target: int, n_train: int, ns, n_test: int,
                    delta: float, epsilon: float = 0.0, random_state: int = 42) -> dict:
    """GBJ's signal-planting experiment for every collective size n at once, on GBJ's split (``gbj_split``).

    The collective, n of the N training rows, sets each feature column of ``signal`` ({column: value code}) and
    the label ``target``; the firm's plug-in classifier over full feature combinations is scored on the N_test
    test rows (their g(x)), and GBJ's lower bound (numerics.bounds.gbj_bound, |X*| the product of the other
    columns' cardinalities) is computed from the collective's own rows. Returns ``success``, ``gbj``, ``n`` [A]
    and ``ties`` [A], the test points whose g(x) has a tie for the most votes (they count against the
    collective here; GBJ's code breaks ties by label order, so the two agree when ``ties`` is 0).

    Only the free columns (those g leaves) vary on X*, so a row's place in X* is a dense code of its free
    columns, and whether its fixed columns already equal g's: every count is a bincount. The training counts
    are counted once; each n only subtracts its collective's n rows: O(R + sum of n) for the whole sweep.
    """
    ny, cards = len(table.label_values), np.asarray(table.cards, np.int64)
    for col, value in signal.items():
        if not 0 <= col < len(cards) or not 0 <= value < cards[col]:
            raise InputError(f"signal {col}: {value}: expected a feature column and one of its value codes")
    if not 0 <= target < ny:
        raise InputError(f"target = {target}: expected a label index in 0..{ny - 1}")
    ns = np.asarray(ns, np.int64)
    if np.any((ns < 1) | (ns > n_train)):
        raise InputError(f"collective sizes {ns.tolist()}: expected 1 <= n <= N = {n_train}")
    free = [j for j in range(len(cards)) if j not in signal]
    x_star = int(np.prod(cards[free], dtype=np.float64))
    if x_star > DENSE_LIMIT:
        raise InputError(f"|X*| = {x_star}: signal planting counts X* densely; expected at most {DENSE_LIMIT}")
    code = np.zeros(len(table.labels), np.int64)                               # [R] place in X* of g(x)
    for j in free:
        code = code * cards[j] + table.features[:, j]
    fixed = np.fromiter(signal, np.int64)
    is_own = np.all(table.features[:, fixed] == np.fromiter(signal.values(), np.int64), axis=1)  # [R] x = g(x)
    train, test, order = gbj_split(len(table.labels), n_train, n_test, random_state)
    cell = np.where(is_own, code * ny + table.labels, -1)[train]               # [N] (x~, y) where x = x~, else -1
    counts = lambda cells: np.bincount(cells[cells >= 0], minlength=x_star * ny).reshape(x_star, ny)
    everyone = counts(cell)                                                    # [X*, Y] all training rows
    test_at = np.bincount(code[test], minlength=x_star)                       # [X*] test points per g(x)
    out = {"n": ns, "success": [], "gbj": [], "ties": []}
    for n in ns:
        mine = order[n_train - n:]                                             # the collective's training rows
        c = np.bincount(code[train[mine]], minlength=x_star)                   # [X*] its points at each g(x)
        m = counts(cell[mine])                                                 # [X*, Y] its own rows there
        seen = everyone - m
        seen[:, target] += c                                                   # [X*, Y] what the firm trains on
        best = seen.max(axis=1)
        tied = np.sum(seen == best[:, None], axis=1) > 1                       # [X*]
        hit = ~tied & (seen[:, target] == best)
        out["success"].append(float(np.sum(test_at * hit)) / n_test)
        out["ties"].append(int(np.sum(test_at * tied)))
        out["gbj"].append(float(gbj_bound(c[None], m[None], int(n), n_train, n_test, target, x_star, delta,
                                          epsilon)[0]))
    return {k: np.asarray(v) for k, v in out.items()}
