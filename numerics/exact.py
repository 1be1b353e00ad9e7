"""Exact success S(alpha) of discrete instances as float64 arrays, jitted and batched with vmap.

The array twin of theory.instance (the Fraction reference, which it must match to 1e-12). ``success_one`` is the
definition for one instance at one alpha. The engine (``success_grid``) uses that every mixture value is linear
in alpha: for each row it computes once the alpha interval on which each label is the unique argmax
(``success_intervals``), so S(alpha) = sum_k w_k [lo_k < alpha < hi_k] and a grid of alphas costs a few compares
per row instead of rebuilding and comparing the mixture table at every alpha. Instances go in bounded blocks;
nothing of size instances x alphas x X x Y is ever formed.

Conventions are theory.instance's: a prediction counts for the collective only as the unique argmax of the
mixture row (ties and all-zero rows count against it); the erasure relabel takes the lowest label index among
ties. Floating-point ties are values within ``TIE_TOL`` of each other, so a rational tie stays a tie.

>>> from theory.instance import make_instance
>>> inst = make_instance([["1/4", "1/4"], ["3/8", "1/8"]], [1, 1], 1, "feature-label", "1/2")
>>> arrays = stack_instances([inst])
>>> [round(float(s), 12) for s in success_grid(arrays, [0.1, 0.5, 1.0])[0]]
[0.0, 1.0, 1.0]
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from theory.errors import InputError
from theory.instance import Instance
from theory.strategy import DISCRETE, Strategy, code, parse_strategy

#: Two mixture values closer than this are a tie (rational instances with small denominators differ by far more).
TIE_TOL = 1e-12
# The kernels take a strategy as its integer code (theory.strategy.code), compared at trace time.
FEATURE_LABEL_CODE, FEATURE_ONLY_CODE, ERASURE_CODE = (code(s) for s in DISCRETE)


class InstanceArrays(NamedTuple):
    """A batch of instances padded to one shape (zero-mass rows pointing to themselves, zero columns)."""

    p0: np.ndarray        # [B, X, Y] float64 joint tables
    signal: np.ndarray    # [B, X] int32, g(x)
    target: np.ndarray    # [B] int32, y*
    strategy: np.ndarray  # [B] int32, theory.strategy.code


def stack_instances(instances: list[Instance], shape: tuple[int, int] | None = None) -> InstanceArrays:
    """The arrays form of theory.instance.Instance objects (alpha is left out: it is the grid's).

    ``shape`` pads every table to (|X|, |Y|) so that batches of varying instances share one compilation.
    """
    if not instances:
        raise InputError("instances: expected at least one instance")
    nx = max(i.nx for i in instances) if shape is None else shape[0]
    num_labels = max(i.num_labels for i in instances) if shape is None else shape[1]
    if any(i.nx > nx or i.num_labels > num_labels for i in instances):
        raise InputError(f"shape = {shape}: smaller than an instance of the batch")
    b = len(instances)
    p0 = np.zeros((b, nx, num_labels), np.float64)
    signal = np.tile(np.arange(nx, dtype=np.int32), (b, 1))
    for k, inst in enumerate(instances):
        p0[k, :inst.nx, :inst.num_labels] = [[float(v) for v in row] for row in inst.p0]
        signal[k, :inst.nx] = inst.signal
    return InstanceArrays(p0, signal, np.array([i.target for i in instances], np.int32),
                          np.array([code(i.strategy) for i in instances], np.int32))


def check_alphas(alphas) -> np.ndarray:
    """Alphas as a float64 vector; any outside (0, 1] raises InputError naming it."""
    a = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    bad = a[~((a > 0) & (a <= 1))]
    if bad.size:
        raise InputError(f"alpha = {bad[0]:g}: expected a collective size in (0, 1]")
    return a


def unique_argmax(row: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(argmax, whether it is a strict maximum > 0 up to TIE_TOL) of one row [Y]."""
    best = jnp.max(row)                                          # []
    arg = jnp.argmax(row)                                        # []
    near = jnp.sum(row >= best - TIE_TOL)                        # [] how many values tie with the best
    return arg, (near == 1) & (best > TIE_TOL)


def erasure_labels(p0: jax.Array) -> jax.Array:
    """argmax_y P0(x, y) per row [X, Y] -> [X], the lowest index among ties (within TIE_TOL)."""
    best = jnp.max(p0, axis=1, keepdims=True)                    # [X, 1]
    return jnp.argmax(p0 >= best - TIE_TOL, axis=1)              # [X] first True


def collective_table(p0: jax.Array, signal: jax.Array, target: jax.Array, strategy: jax.Array) -> jax.Array:
    """P* [X, Y] of one instance under its strategy (all three computed, one selected: it stays vmappable)."""
    nx, num_labels = p0.shape
    mass = p0.sum(axis=1)                                        # [X]
    zeros = jnp.zeros_like(p0)                                   # [X, Y]
    feature_label = zeros.at[signal, target].add(mass)           # [X, Y]
    is_t = jnp.arange(num_labels) == target                              # [Y]
    feature_only = (zeros.at[signal, target].add(p0[:, target])  # the target mass moves to g(x)
                    + jnp.where(is_t[None, :], 0.0, p0))          # [X, Y] the rest stays
    relabel = erasure_labels(p0)[signal]                         # [X] label of g(x)
    has_signal = mass[signal] > 0                                # [X]
    erased = jnp.where(has_signal[:, None], zeros.at[jnp.arange(nx), relabel].add(mass), p0)  # [X, Y]
    return jnp.select([strategy == FEATURE_LABEL_CODE, strategy == FEATURE_ONLY_CODE], [feature_label, feature_only],
                      erased)


def success_one(p0, signal, target, strategy, alpha) -> jax.Array:
    """S(alpha) of one instance: p0 [X, Y], signal [X], target [], strategy [], alpha [] -> []."""
    star = collective_table(p0, signal, target, strategy)        # [X, Y]
    mix = alpha * star + (1.0 - alpha) * p0                      # [X, Y]
    pred, unique = jax.vmap(unique_argmax)(mix)                  # [X], [X]
    mass = p0.sum(axis=1)                                        # [X]
    planted = unique[signal] & (pred[signal] == target)          # [X]
    erased = unique & unique[signal] & (pred == pred[signal])    # [X]
    return jnp.sum(jnp.where(strategy == ERASURE_CODE, erased, planted) * mass)


def _interval(conditions) -> tuple[jax.Array, jax.Array]:
    """The open alpha interval (lo, hi) on which every ``c0 + alpha * c1 > 0`` of ``conditions`` holds.

    Each condition is a half-line (or all or nothing when c1 = 0), so their intersection is one interval;
    lo >= hi means empty. Works elementwise on arrays of conditions.
    """
    lo, hi = -jnp.inf, jnp.inf
    for c0, c1 in conditions:
        root = -c0 / jnp.where(c1 == 0, 1.0, c1)                                 # where the condition flips
        never = (c1 == 0) & (c0 <= 0)
        lo = jnp.maximum(lo, jnp.where(c1 > 0, root, jnp.where(never, jnp.inf, -jnp.inf)))
        hi = jnp.minimum(hi, jnp.where(c1 < 0, root, jnp.where(never, -jnp.inf, jnp.inf)))
    return lo, hi


def _label_conditions(p, d, y, labels):
    """The conditions under which label ``y`` is the unique argmax of the row p + alpha d (p, d: lists over labels).

    ``labels`` lists the label indices y is compared with (a traced ``y`` is compared with all, itself neutral).
    Each value is linear in alpha, as is every difference: (p_y - p_z - TIE_TOL) + alpha (d_y - d_z) > 0 for
    z != y, and p_y - TIE_TOL + alpha d_y > 0 (the argmax is above zero).
    """
    py, dy = (p[y], d[y]) if isinstance(y, int) else (_select(y, p), _select(y, d))
    yield py - TIE_TOL, dy
    for z in labels:
        same = y == z
        yield jnp.where(same, 1.0, py - p[z] - TIE_TOL), jnp.where(same, 0.0, dy - d[z])


def _select(index, values):
    """values[index] for an index into a short Python list of arrays: a chain of selects (on CPU, XLA's gather
    over a short axis is several times slower than selects)."""
    out = values[0]
    for j in range(1, len(values)):
        out = jnp.where(index == j, values[j], out)
    return out


def _gather(v: jax.Array, index: jax.Array) -> jax.Array:
    """v[index] for a row vector v [X] and indices [X] (selects for short rows, XLA's gather for long ones)."""
    if v.shape[0] > 32:
        return v[index]
    return _select(index, [v[j] for j in range(v.shape[0])])


def _moved(v: jax.Array, signal: jax.Array) -> jax.Array:
    """What v [X] puts on the images of g: out[x~] = sum over x with g(x) = x~ of v[x] -> [X]."""
    if v.shape[0] > 32:
        return jnp.zeros_like(v).at[signal].add(v)
    rows = jnp.arange(v.shape[0])
    return sum((jnp.where(signal[x] == rows, v[x], 0.0) for x in range(1, v.shape[0])),
               jnp.where(signal[0] == rows, v[0], 0.0))


def success_intervals(p0, signal, target, strategy, planted: bool = True, erased: bool = True):
    """S(alpha) of one instance as a sum of weights over alpha intervals: S(alpha) = sum_k w_k [lo_k < alpha < hi_k].

    p0 [X, Y], signal [X], target [], strategy [] -> (lo, hi, w), each [I]. The mixture is p0 + alpha (P* - p0),
    so each row's unique argmax is label y exactly on an interval (``_label_conditions``). Under a planting
    strategy (feature-label, feature-only) S(alpha) = sum over x~ of P0(g^-1(x~)) [f(x~) = y*], so I = X (the
    target's interval at each x~); under erasure S(alpha) = sum_x P0(x) [f(x) = f(g(x)), both unique], so
    I = X * Y (for each label, its interval at x intersected with its interval at g(x); for one x these are
    disjoint). ``planted`` and ``erased`` say which forms the batch needs (a batch of one kind computes one
    form); with both, ``strategy`` zeroes the other form's weights. Written per label column (the labels are
    unrolled), so that under vmap every step is a plain vector operation across instances and rows.
    """
    nx, num_labels = p0.shape
    labels = range(num_labels)
    p = [p0[:, y] for y in labels]                                               # [Y] columns of [X]
    mass = sum(p[1:], p[0])                                                      # [X]
    premass = _moved(mass, signal)                                               # [X] P0(g^-1(x~))
    parts = []
    if planted:  # feature-label: P*(x~, y*) = P0(g^-1(x~)); feature-only: only the target column moves to g(x)
        fl = strategy == FEATURE_LABEL_CODE
        star_t = jnp.where(fl, premass, _moved(_select(target, p), signal))     # [X] P*(x~, y*)
        d = [jnp.where(target == y, star_t - p[y], jnp.where(fl, -p[y], 0.0)) for y in labels]  # P* - p0
        lo, hi = _interval(_label_conditions(p, d, target, labels))              # [X] each
        parts.append((lo, hi, jnp.where(strategy != ERASURE_CODE, premass, 0.0)))
    if erased:  # x's label becomes argmax P0(. | g(x)) (lowest index among ties) where g(x) has mass
        best = functools.reduce(jnp.maximum, p)                                  # [X]
        relabel = functools.reduce(lambda r, y: jnp.where(p[y] >= best - TIE_TOL, y, r), reversed(labels),
                                   jnp.full(nx, num_labels - 1))                         # [X]
        r, live = _gather(relabel, signal), _gather(mass, signal) > 0           # [X] each
        d = [jnp.where(live, jnp.where(r == y, mass, 0.0) - p[y], 0.0) for y in labels]
        for y in labels:
            lo, hi = _interval(_label_conditions(p, d, y, [z for z in labels if z != y]))  # [X] each
            parts.append((jnp.maximum(lo, _gather(lo, signal)), jnp.minimum(hi, _gather(hi, signal)),
                          jnp.where(strategy == ERASURE_CODE, mass, 0.0)))
    return tuple(jnp.concatenate(v) for v in zip(*parts))


def success_at(lo, hi, w, alphas) -> jax.Array:
    """sum_k w_k [lo_k < alpha < hi_k] for every alpha: lo, hi, w [I], alphas [A] -> [A]."""
    if lo.shape[0] > UNROLL_LIMIT:
        inside = (lo[None, :] < alphas[:, None]) & (alphas[:, None] < hi[None, :])    # [A, I]
        return jnp.sum(jnp.where(inside, w[None, :], 0.0), axis=1)
    total = jnp.zeros_like(alphas)                                               # [A], unrolled over k (see above)
    for k in range(lo.shape[0]):
        total = total + jnp.where((lo[k] < alphas) & (alphas < hi[k]), w[k], 0.0)
    return total


#: Up to this many intervals per instance, success_at is unrolled into vector operations across instances.
UNROLL_LIMIT = 64


@functools.partial(jax.jit, static_argnames=("planted", "erased"))
def _success_block(p0, signal, target, strategy, alphas, planted, erased):
    """[B, X, Y], [B, X], [B], [B], [A] -> [B, A]: the interval form per instance, then every alpha."""
    one = functools.partial(success_intervals, planted=planted, erased=erased)
    lo, hi, w = jax.vmap(one)(p0, signal, target, strategy)                     # [B, I] each
    return jax.vmap(success_at, in_axes=(0, 0, 0, None))(lo, hi, w, alphas)      # [B, A]


#: The name of the random-instance stream of ``random_block`` (recorded with results drawn from it).
GENERATOR = "pcg64-blocks-65536"

#: Largest instance block of one compiled call: bounds memory (about 0.5 KB per 6x4 instance) at any count.
BLOCK = 1 << 16


def bucket(size: int, least: int = 8) -> int:
    """The padded size of a batch axis: the next power of two, at least ``least``, so that nearby sizes
    share one compilation (a shape family) instead of compiling once per size.

    >>> [bucket(n) for n in (1, 8, 9, 64, 65)]
    [8, 8, 16, 64, 128]
    """
    return max(least, 1 << max(0, int(size) - 1).bit_length())


def _alpha_grid(alphas) -> np.ndarray:
    """Checked alphas padded with 1.0 to a bucketed length (the padding's results are dropped)."""
    a = check_alphas(alphas)
    grid = np.ones(bucket(len(a)), np.float64)
    grid[:len(a)] = a
    return grid


def success_grid(arrays: InstanceArrays, alphas) -> np.ndarray:
    """S(alpha) for every instance and every alpha: [B, A] float64.

    Instances go in blocks of at most BLOCK, each padded to a power of two (as are the alphas), so memory stays
    bounded and a handful of shapes is compiled once (and cached across processes: numerics.compile_cache).
    """
    count, a = len(arrays.target), check_alphas(alphas)
    kinds = set(np.unique(arrays.strategy).tolist())
    planted, erased = bool(kinds & {FEATURE_LABEL_CODE, FEATURE_ONLY_CODE}), ERASURE_CODE in kinds
    out = np.empty((count, len(a)), np.float64)
    with jax.enable_x64(True):
        grid = jnp.asarray(_alpha_grid(a))
        for start in range(0, count, BLOCK):
            stop = min(count, start + BLOCK)
            p0, signal, target, strategy = (_pad(v[start:stop], bucket(stop - start, least=64)) for v in arrays)
            got = _success_block(jnp.asarray(p0, jnp.float64), jnp.asarray(signal, jnp.int32),
                                 jnp.asarray(target, jnp.int32), jnp.asarray(strategy, jnp.int32), grid,
                                 planted=planted, erased=erased)
            out[start:stop] = np.asarray(got)[:stop - start, :len(a)]
    return out


def _pad(v: np.ndarray, size: int) -> np.ndarray:
    """Repeat the first row up to ``size`` rows (a valid instance, whose results are dropped)."""
    if len(v) == size:
        return v
    return np.concatenate([v, np.repeat(v[:1], size - len(v), axis=0)])


def success(instance: Instance) -> float:
    """S(alpha) of one theory.instance.Instance at its own alpha, as a float."""
    return float(success_grid(stack_instances([instance]), [float(instance.alpha)])[0, 0])


def random_block(seed: int, block: int, nx: int, num_labels: int, strategy: Strategy = Strategy.FEATURE_LABEL) -> InstanceArrays:
    """Block ``block`` (BLOCK instances) of the random-instance stream ``seed``: numpy arrays.

    Dirichlet(1, ..., 1) tables (normalized exponentials), uniform signal maps and targets; for erasure the
    signal map is idempotent (g(g(x)) = g(x)), as Theorem 5 needs: each x is a representative with
    probability 1/2 (at least one is), every other x maps to a uniformly chosen representative. Each block has
    its own generator (numpy's PCG64 seeded by [seed, block]), so instance i is the same for any count and any
    chunking, and blocks can be drawn in any order or on any process.
    """
    strategy = parse_strategy(strategy, DISCRETE)
    rng = np.random.default_rng([seed, block])
    e = rng.standard_exponential((BLOCK, nx, num_labels))                                # [B, X, Y]
    p0 = e / e.sum(axis=(1, 2), keepdims=True)
    if strategy == Strategy.ERASURE:
        reps = rng.random((BLOCK, nx)) < 0.5                                     # [B, X]
        lonely = np.flatnonzero(~reps.any(axis=1))
        reps[lonely, rng.integers(0, nx, lonely.size)] = True
        score = np.where(reps[:, None, :], rng.random((BLOCK, nx, nx)), -1.0)   # [B, X, X'] uniform over reps
        signal = np.where(reps, np.arange(nx), score.argmax(axis=2))
    else:
        signal = rng.integers(0, nx, (BLOCK, nx))
    target = rng.integers(0, num_labels, BLOCK)
    return InstanceArrays(p0, signal.astype(np.int32), target.astype(np.int32),
                          np.full(BLOCK, code(strategy), np.int32))


def random_instances(seed: int, count: int, nx: int, num_labels: int, strategy: Strategy = Strategy.FEATURE_LABEL) -> InstanceArrays:
    """The first ``count`` instances of the random stream ``seed`` (see ``random_block``)."""
    blocks = [random_block(seed, b, nx, num_labels, strategy) for b in range(-(-count // BLOCK))]
    return InstanceArrays(*(np.concatenate(v)[:count] for v in zip(*blocks)))


@jax.jit
def _block_summary(s, valid):
    """Sum, min and max over the first ``valid`` rows of s [B, A]: [A] each. A separate compiled call: fused
    into the success computation, XLA would recompute that for each of the three reductions."""
    keep = (jnp.arange(s.shape[0]) < valid)[:, None]                             # [B, 1]
    return (jnp.sum(jnp.where(keep, s, 0.0), axis=0), jnp.min(jnp.where(keep, s, jnp.inf), axis=0),
            jnp.max(jnp.where(keep, s, -jnp.inf), axis=0))


def random_summary(seed: int, count: int, nx: int, num_labels: int, strategy: Strategy, alphas) -> dict:
    """Mean, min and max of S(alpha) over the first ``count`` instances of the stream ``seed``: {name: [A]}.

    Streams blocks of BLOCK instances (drawn on the host while the previous block computes), reduced on the
    device, so memory does not grow with ``count`` (10^7 instances x 64 alphas: a memory-bounded line of
    ``critmass bench``, with its peak).
    """
    if count < 1:
        raise InputError(f"count = {count}: expected a positive number of instances")
    a = check_alphas(alphas)
    erasure = parse_strategy(strategy, DISCRETE) == Strategy.ERASURE
    total, low, high = np.zeros(len(a)), np.full(len(a), np.inf), np.full(len(a), -np.inf)
    blocks = -(-count // BLOCK)
    with jax.enable_x64(True):
        grid = jnp.asarray(_alpha_grid(a))

        def submit(b):  # generate block b on the host, start its computation (dispatch returns at once)
            block = (jnp.asarray(v) for v in random_block(seed, b, nx, num_labels, strategy))
            s = _success_block(*block, grid, planted=not erasure, erased=erasure)
            return _block_summary(s, min(BLOCK, count - b * BLOCK))

        pending = submit(0)
        for b in range(blocks):
            done, pending = pending, (submit(b + 1) if b + 1 < blocks else None)   # dispatch is asynchronous
            s, lo, hi = (np.asarray(v)[:len(a)] for v in done)
            total, low, high = total + s, np.minimum(low, lo), np.maximum(high, hi)
    return {"mean": total / count, "min": low, "max": high}
