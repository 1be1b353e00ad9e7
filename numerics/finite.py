"""Finite data: N samples from P0, a collective of n = alpha N following its strategy, the plug-in classifier.

One seed at one collective size is written once (``plug_in``) and batched over seeds (PRNG keys) and collective
sizes with ``jax.vmap``; the seed axis is spread over every device of the run, across processes too
(numerics.devices, jax.distributed). The firm's learner is the plug-in (empirical Bayes) classifier over the
discrete features: f(x) is the unique argmax of the training counts at x (ties and unseen x count against the
collective, as in theory.instance). Success is measured on N_test held-out points from P0 and exactly under P0.

The plug-in sees only counts, so the N iid draws are sampled as counts: the collective's n points are
Multinomial(n, P0) over the cells, the other N - n points Multinomial(N - n, P0), the test points
Multinomial(N_test, P0(x)), independent, which is exactly the law of the counts of n, N - n and N_test iid
draws. A seed then costs O(|X||Y|) binomial draws whatever N is (10^9 draws take no memory), and N, n and N_test
are traced values: new sizes do not recompile. Each (seed, n) has its own key, so the numbers at one alpha do
not depend on the other alphas of the grid.

>>> import numpy as np
>>> from theory.instance import make_instance
>>> inst = make_instance([["1/2", 0], [0, "1/2"]], [1, 1], 0, "feature-label", 1)
>>> out = simulate(inst, alphas=[0.6], n_samples=200, n_test=100, seeds=8, seed=0)
>>> bool(np.all(out["success_pop"] == 1.0))
True
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from numerics.devices import allgather, process_share, spread
from numerics.exact import (ERASURE_CODE, FEATURE_LABEL_CODE, FEATURE_ONLY_CODE, bucket, check_alphas, erasure_labels,
                            unique_argmax)
from theory.errors import InputError
from theory.instance import Instance
from theory.strategy import code


def collective_counts(m, signal, target, strategy, relabel):
    """What the collective reports, as counts: its own points m [X, Y] moved by the strategy -> [X, Y].

    feature-label: (x, y) -> (g(x), y*); feature-only: (x, y*) -> (g(x), y*), other labels stay;
    erasure: (x, y) -> (x, relabel[g(x)]) with relabel [X] the lowest argmax of P0(. | x).
    """
    nx, num_labels = m.shape
    zeros = jnp.zeros_like(m)
    feature_label = zeros.at[signal, target].add(m.sum(axis=1))                     # [X, Y]
    is_t = jnp.arange(num_labels) == target                                                 # [Y]
    feature_only = zeros.at[signal, target].add(m[:, target]) + jnp.where(is_t[None, :], 0.0, m)
    erasure = zeros.at[jnp.arange(nx), relabel[signal]].add(m.sum(axis=1))
    return jnp.select([strategy == FEATURE_LABEL_CODE, strategy == FEATURE_ONLY_CODE], [feature_label, feature_only],
                      erasure)


def plug_in(m, rest, test, p0, signal, target, strategy):
    """One seed at one collective size, given the counts: plug-in success on test points and under P0.

    m [X, Y] the collective's own draws (untransformed), rest [X, Y] everyone else's, test [X] the test points'
    features; p0 [X, Y], signal [X], target [], strategy []. Returns scalars ``success_test``, ``success_pop``
    and the collective's statistics that the finite-sample bounds use: ``c`` [X] how many collective points
    g(x) hit each x~, and ``m``.
    """
    nx, num_labels = p0.shape
    seen = rest + collective_counts(m, signal, target, strategy, erasure_labels(p0))  # [X, Y] the training counts
    pred, unique = jax.vmap(unique_argmax)(seen)                                    # [X], [X]
    planted = unique[signal] & (pred[signal] == target)                             # [X] success at x
    erased = unique & unique[signal] & (pred == pred[signal])                       # [X]
    good = jnp.where(strategy == ERASURE_CODE, erased, planted).astype(p0.dtype)          # [X]
    return {
        "success_test": jnp.sum(test * good) / jnp.sum(test),
        "success_pop": jnp.sum(p0.sum(axis=1) * good),
        "c": jnp.zeros(nx, p0.dtype).at[signal].add(m.sum(axis=1)),                 # [X]
        "m": m,                                                                     # [X, Y]
    }


#: Rows (one multinomial draw each) per compiled sampling call: one compilation per instance shape, reused for
#: every number of seeds and alphas (the sampler takes most of the compile time).
DRAW_ROWS = 4096


@jax.jit
def _draw_rows(key_data, sizes, laws):
    """key_data [R, 2] uint32, sizes [R], laws [R, K] -> counts [R, K], one multinomial per row."""
    return jax.vmap(jax.random.multinomial)(jax.random.wrap_key_data(key_data), sizes, laws)


@jax.jit
def _count_rows(key_data, ns, p0, n_samples, n_test):
    """The (key, size, law) of every draw: the collective's n and the other N - n draws of each (seed, n) over
    the cells, then each seed's test points over x. key_data [S, 2], ns [A] -> [2SA + S, 2], [2SA + S],
    [2SA + S, X * Y].

    (seed, n) has its own key, fold_in(seed, n), split in two; the test points use fold_in(seed, 0) (n >= 1, so
    no clash) and are shared by every n of the seed.
    """
    nx, num_labels = p0.shape
    keys = jax.random.wrap_key_data(key_data)
    s, a = keys.shape[0], ns.shape[0]
    flat_keys, flat_ns = jnp.repeat(keys, a), jnp.tile(ns, s)                        # [S * A] each
    fold = lambda k, n: jax.random.split(jax.random.fold_in(k, n.astype(jnp.uint32)))
    pair = jax.vmap(fold)(flat_keys, flat_ns)                                       # [S * A, 2]
    test_keys = jax.vmap(jax.random.fold_in, (0, None))(keys, jnp.uint32(0))       # [S]
    all_keys = jnp.concatenate([pair.reshape(-1), test_keys])                       # [2SA + S]
    sizes = jnp.concatenate([jnp.broadcast_to(jnp.stack([ns, n_samples - ns], axis=1), (s, a, 2)).reshape(-1),
                             jnp.full(s, n_test, ns.dtype)])
    test_law = jnp.zeros(nx * num_labels, p0.dtype).at[:nx].set(p0.sum(axis=1))            # [X * Y] x only, padded
    laws = jnp.where((jnp.arange(all_keys.shape[0]) < 2 * s * a)[:, None], p0.reshape(-1), test_law)
    return jax.random.key_data(all_keys), sizes, laws


def draw_counts(key_data, ns, p0, n_samples, n_test):
    """The counts of every (seed, n): key_data [S, 2], ns [A] -> m [S, A, X, Y], rest [S, A, X, Y], test [S, X].

    The multinomial draws go DRAW_ROWS at a time through one compiled sampler (padded rows draw nothing).
    """
    nx, num_labels = p0.shape
    s, a = key_data.shape[0], ns.shape[0]
    keys, sizes, laws = (np.asarray(v) for v in _count_rows(key_data, ns, p0, n_samples, n_test))  # host glue:
    rows = keys.shape[0]                                                            # no small compiled ops
    pad = -rows % DRAW_ROWS
    keys, laws = np.pad(keys, ((0, pad), (0, 0))), np.pad(laws, ((0, pad), (0, 0)), constant_values=1.0)
    sizes = np.pad(sizes, (0, pad))
    draws = np.concatenate([np.asarray(_draw_rows(*(spread(v[i:i + DRAW_ROWS]) for v in (keys, sizes, laws))))
                            for i in range(0, rows + pad, DRAW_ROWS)])[:rows]       # [2SA + S, X * Y]
    train = draws[:2 * s * a].reshape(s, a, 2, nx, num_labels)
    return train[:, :, 0], train[:, :, 1], draws[2 * s * a:, :nx]


@jax.jit
def _plug_in_grid(m, rest, test, p0, signal, target, strategy):
    """m, rest [S, A, X, Y], test [S, X] -> {name: [A, S, ...]}."""
    one = lambda m, rest, test: plug_in(m, rest, test, p0, signal, target, strategy)
    out = jax.vmap(jax.vmap(one, in_axes=(0, 0, None)))(m, rest, test)               # [S, A, ...]
    return {k: jnp.swapaxes(v, 0, 1) for k, v in out.items()}                       # [A, S, ...]


def collective_sizes(alphas, n_samples: int) -> np.ndarray:
    """n = round(alpha N) for each alpha, at least 1 (alpha is checked to lie in (0, 1])."""
    a = check_alphas(alphas)
    return np.maximum(1, np.rint(a * n_samples)).astype(np.int64)


def seed_keys(seed: int, first: int, count: int) -> np.ndarray:
    """Raw keys [count, 2] of seeds first .. first + count - 1 of the root ``seed``: seed i is fold_in(seed, i),
    the same whatever the number of seeds or how they are split over devices and processes."""
    root = jax.random.key(seed)
    index = np.arange(first, first + count, dtype=np.uint32)
    return np.asarray(jax.random.key_data(jax.vmap(jax.random.fold_in, (None, 0))(root, index)))


def simulate(inst: Instance, alphas, n_samples: int, n_test: int, seeds: int, seed: int = 0) -> dict:
    """Plug-in success for every alpha and seeds 0 .. seeds - 1 of the root ``seed``: arrays [A, S] (+ c, m).

    The collective of each alpha is n = round(alpha N) of the N training points. The seed axis is padded to a
    power of two (and to a multiple of the device count) and spread over this process's devices; with several
    processes (numerics.distributed), each computes a contiguous share of the seeds and every process returns
    the whole result, the same numbers as one process.
    """
    if n_samples < 1 or n_test < 1 or seeds < 1:
        raise InputError(f"n_samples = {n_samples}, n_test = {n_test}, seeds = {seeds}: expected positive integers")
    ns = collective_sizes(alphas, n_samples)
    grid = np.full(bucket(len(ns)), n_samples, np.int64)                            # padding: n = N, dropped
    grid[:len(ns)] = ns
    procs, devices = jax.process_count(), jax.local_device_count()
    padded = -(-bucket(seeds) // (procs * devices)) * procs * devices              # seeds computed, then dropped
    first, share = process_share(padded)
    p0 = np.array([[float(v) for v in row] for row in inst.p0])
    with jax.enable_x64(True):
        p0 = jnp.asarray(p0, jnp.float64)
        m, rest, test = draw_counts(spread(seed_keys(seed, first, share)), jnp.asarray(grid, jnp.float64), p0,
                                    jnp.float64(n_samples), jnp.float64(n_test))
        out = _plug_in_grid(spread(m), spread(rest), spread(test), p0, jnp.asarray(inst.signal, jnp.int32),
                            jnp.int32(inst.target), jnp.int32(code(inst.strategy)))
        # [A, S, ...]: this process's seeds, then every process's, in seed order
        out = {k: np.moveaxis(allgather(np.moveaxis(np.asarray(v), 1, 0)), 0, 1)[:len(ns), :seeds]
               for k, v in out.items()}
    out["n"] = ns
    return out
