"""Finite data: N samples from P0, a collective of n = alpha N following its strategy, the plug-in classifier.

One seed is written once (``run_one``) and batched over seeds (PRNG keys) and collective sizes with
``jax.vmap``; the seed axis is sharded across devices when there is more than one (numerics.devices).
The firm's learner is the plug-in (empirical Bayes) classifier over the discrete features: f(x) is the
unique argmax of the training counts at x (ties and unseen x count against the collective, as in
theory.instance). Success is measured on N_test held-out points from P0 and also exactly under P0.

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

from numerics.devices import shard_leading
from numerics.exact import STRATEGY_CODE, check_alphas, erasure_labels, unique_argmax
from theory.errors import InputError
from theory.instance import Instance


def collective_points(x, y, signal, target, strategy, relabel):
    """What the collective reports instead of (x, y) [K] each; relabel [X] is the erasure label of each x."""
    fl = (signal[x], jnp.full_like(y, target))                               # feature-label: (g(x), y*)
    fo = (jnp.where(y == target, signal[x], x), y)                           # feature-only: g(x) where y = y*
    er = (x, relabel[signal[x]])                                             # erasure: (x, argmax P0(.|g(x)))
    pick = lambda a, b, c: jnp.select([strategy == 0, strategy == 1], [a, b], c)
    return pick(fl[0], fo[0], er[0]), pick(fl[1], fo[1], er[1])


def sample_cells(key, cdf, count: int):
    """``count`` iid cells from a distribution given by its cumulative sums cdf [K] (last entry exactly 1)."""
    u = jax.random.uniform(key, (count,), jnp.float64)                              # [count] in [0, 1)
    return jnp.searchsorted(cdf, u, side="right")                                   # [count] zero-mass cells never


def run_one(key, n, p0, signal, target, strategy, n_samples: int, n_test: int):
    """One seed at one collective size n (traced): plug-in success on test points and under P0.

    Returns a dict of scalars and the collective's own statistics that the finite-sample bounds use:
    ``c`` [X] how many collective points g(x) hit each x~, ``m`` [X, Y] the collective's untransformed counts.
    """
    nx, ny = p0.shape
    k_train, k_test = jax.random.split(key)
    cdf = jnp.cumsum(p0.reshape(-1))                                                # [X * Y]
    cdf = (cdf / cdf[-1]).at[-1].set(1.0)                                           # [X * Y]
    cells = sample_cells(k_train, cdf, n_samples)                                   # [N] cell = x * Y + y
    x, y = cells // ny, cells % ny                                                  # [N], [N]
    in_collective = jnp.arange(n_samples) < n                                       # [N] iid: the first n
    relabel = erasure_labels(p0)                                         # [X]
    cx, cy = collective_points(x, y, signal, target, strategy, relabel)             # [N], [N]
    seen = jnp.where(in_collective, cx * ny + cy, cells)                            # [N]
    counts = jnp.zeros(nx * ny, jnp.float64).at[seen].add(1.0).reshape(nx, ny)      # [X, Y]
    pred, unique = jax.vmap(unique_argmax)(counts)                                  # [X], [X]
    planted = unique[signal] & (pred[signal] == target)                             # [X] success at x
    erased = unique & unique[signal] & (pred == pred[signal])                       # [X]
    good = jnp.where(strategy == 2, erased, planted)                                # [X]
    x_test = sample_cells(k_test, cdf, n_test) // ny                                # [T]
    weight = in_collective.astype(jnp.float64)                                      # [N]
    return {
        "success_test": jnp.mean(good[x_test].astype(jnp.float64)),
        "success_pop": jnp.sum(p0.sum(axis=1) * good),
        "c": jnp.zeros(nx, jnp.float64).at[signal[x]].add(weight),                  # [X]
        "m": jnp.zeros(nx * ny, jnp.float64).at[cells].add(weight).reshape(nx, ny),  # [X, Y]
    }


@functools.partial(jax.jit, static_argnames=("n_samples", "n_test"))
def _run_grid(keys, ns, p0, signal, target, strategy, n_samples, n_test):
    one = functools.partial(run_one, n_samples=n_samples, n_test=n_test)
    over_seeds = jax.vmap(one, in_axes=(0, None, None, None, None, None))          # keys [S] -> [S, ...]
    return jax.vmap(over_seeds, in_axes=(None, 0, None, None, None, None))(        # ns [A] -> [A, S, ...]
        keys, ns, p0, signal, target, strategy)


def collective_sizes(alphas, n_samples: int) -> np.ndarray:
    """n = round(alpha N) for each alpha, at least 1 (alpha is checked to lie in (0, 1])."""
    a = check_alphas(alphas)
    return np.maximum(1, np.rint(a * n_samples)).astype(np.int64)


def simulate(inst: Instance, alphas, n_samples: int, n_test: int, seeds: int, seed: int = 0) -> dict:
    """Plug-in success for every alpha and ``seeds`` PRNG keys drawn from ``seed``: arrays [A, S] (+ c, m).

    The collective of each alpha is n = round(alpha N) points of the N training samples.
    """
    if n_samples < 1 or n_test < 1 or seeds < 1:
        raise InputError(f"n_samples = {n_samples}, n_test = {n_test}, seeds = {seeds}: expected positive integers")
    ns = collective_sizes(alphas, n_samples)
    p0 = np.array([[float(v) for v in row] for row in inst.p0])
    with jax.enable_x64(True):
        keys = shard_leading(jax.random.split(jax.random.key(seed), seeds))          # [S]
        out = _run_grid(keys, jnp.asarray(ns), jnp.asarray(p0, jnp.float64), jnp.asarray(inst.signal, jnp.int32),
                        jnp.int32(inst.target), jnp.int32(STRATEGY_CODE[inst.strategy]), n_samples, n_test)
        out = {k: np.asarray(v) for k, v in out.items()}
    out["n"] = ns
    return out
