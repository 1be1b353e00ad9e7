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
    """Read a CSV of categorical columns with a header; ``label`` names the label column."""
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
    cells = np.array(rows[1:], dtype=object)                                   # [R, C]
    codes, cards, values = [], [], []
    for j in range(len(header)):
        uniq, inv = np.unique(cells[:, j].astype(str), return_inverse=True)
        codes.append(inv.astype(np.int32))
        cards.append(len(uniq))
        values.append(tuple(uniq.tolist()))
    k = header.index(label)
    keep = [j for j in range(len(header)) if j != k]
    if len(values[k]) < 2:
        raise InputError(f"CSV {path}: label column {label!r} has one value; expected at least two labels")
    return Table(np.stack([codes[j] for j in keep], axis=1), codes[k], tuple(cards[j] for j in keep),
                 tuple(header[j] for j in keep), values[k])


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
    uniq = np.unique(codes)                                                    # [K] sorted, without an argsort
    ids = np.searchsorted(uniq, codes)                                         # [2R] in 0..K-1
    x_ids, g_ids = ids[:n_train], ids[len(y):len(y) + n_train]                 # [N], [N]
    test_g = ids[len(y) + n_train:]                                            # [T]
    success, hits, c, m = _plugin(jnp.asarray(x_ids, jnp.int32), jnp.asarray(g_ids, jnp.int32), jnp.asarray(y[:n_train]),
                            jnp.asarray(ns, jnp.int32), jnp.asarray(test_g, jnp.int32),
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
