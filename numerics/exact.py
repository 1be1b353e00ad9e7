"""Exact success S(alpha) of discrete instances as float64 arrays, jitted and batched with vmap.

The array twin of theory.instance (the Fraction reference, which it must match to 1e-12): one instance at one
alpha is written once (``success_one``) and batched over alpha grids and instances with ``jax.vmap``.

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
from theory.instance import STRATEGIES, Instance

#: Two mixture values closer than this are a tie (rational instances with small denominators differ by far more).
TIE_TOL = 1e-12
STRATEGY_CODE = {s: i for i, s in enumerate(STRATEGIES)}  # feature-label 0, feature-only 1, erasure 2


class InstanceArrays(NamedTuple):
    """A batch of instances padded to one shape (zero-mass rows pointing to themselves, zero columns)."""

    p0: np.ndarray        # [B, X, Y] float64 joint tables
    signal: np.ndarray    # [B, X] int32, g(x)
    target: np.ndarray    # [B] int32, y*
    strategy: np.ndarray  # [B] int32, STRATEGY_CODE


def stack_instances(instances: list[Instance], shape: tuple[int, int] | None = None) -> InstanceArrays:
    """The arrays form of theory.instance.Instance objects (alpha is left out: it is the grid's).

    ``shape`` pads every table to (|X|, |Y|) so that batches of varying instances share one compilation.
    """
    if not instances:
        raise InputError("instances: expected at least one instance")
    nx = max(i.nx for i in instances) if shape is None else shape[0]
    ny = max(i.ny for i in instances) if shape is None else shape[1]
    if any(i.nx > nx or i.ny > ny for i in instances):
        raise InputError(f"shape = {shape}: smaller than an instance of the batch")
    b = len(instances)
    p0 = np.zeros((b, nx, ny), np.float64)
    signal = np.tile(np.arange(nx, dtype=np.int32), (b, 1))
    for k, inst in enumerate(instances):
        p0[k, :inst.nx, :inst.ny] = [[float(v) for v in row] for row in inst.p0]
        signal[k, :inst.nx] = inst.signal
    return InstanceArrays(p0, signal, np.array([i.target for i in instances], np.int32),
                          np.array([STRATEGY_CODE[i.strategy] for i in instances], np.int32))


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
    nx, ny = p0.shape
    mass = p0.sum(axis=1)                                        # [X]
    zeros = jnp.zeros_like(p0)                                   # [X, Y]
    feature_label = zeros.at[signal, target].add(mass)           # [X, Y]
    is_t = jnp.arange(ny) == target                              # [Y]
    feature_only = (zeros.at[signal, target].add(p0[:, target])  # the target mass moves to g(x)
                    + jnp.where(is_t[None, :], 0.0, p0))          # [X, Y] the rest stays
    relabel = erasure_labels(p0)[signal]                         # [X] label of g(x)
    has_signal = mass[signal] > 0                                # [X]
    erased = jnp.where(has_signal[:, None], zeros.at[jnp.arange(nx), relabel].add(mass), p0)  # [X, Y]
    return jnp.select([strategy == 0, strategy == 1], [feature_label, feature_only], erased)


def success_one(p0, signal, target, strategy, alpha) -> jax.Array:
    """S(alpha) of one instance: p0 [X, Y], signal [X], target [], strategy [], alpha [] -> []."""
    star = collective_table(p0, signal, target, strategy)        # [X, Y]
    mix = alpha * star + (1.0 - alpha) * p0                      # [X, Y]
    pred, unique = jax.vmap(unique_argmax)(mix)                  # [X], [X]
    mass = p0.sum(axis=1)                                        # [X]
    planted = unique[signal] & (pred[signal] == target)          # [X]
    erased = unique & unique[signal] & (pred == pred[signal])    # [X]
    return jnp.sum(jnp.where(strategy == 2, erased, planted) * mass)


@functools.partial(jax.jit)
def _success_grid(p0, signal, target, strategy, alphas):
    over_alpha = jax.vmap(success_one, in_axes=(None, None, None, None, 0))       # alphas [A] -> [A]
    return jax.vmap(over_alpha, in_axes=(0, 0, 0, 0, None))(p0, signal, target, strategy, alphas)  # [B, A]


def success_grid(arrays: InstanceArrays, alphas) -> np.ndarray:
    """S(alpha) for every instance and every alpha: [B, A] float64."""
    a = check_alphas(alphas)
    with jax.enable_x64(True):
        out = _success_grid(jnp.asarray(arrays.p0, jnp.float64), jnp.asarray(arrays.signal),
                            jnp.asarray(arrays.target), jnp.asarray(arrays.strategy), jnp.asarray(a, jnp.float64))
        return np.asarray(out)


def success(instance: Instance) -> float:
    """S(alpha) of one theory.instance.Instance at its own alpha, as a float."""
    return float(success_grid(stack_instances([instance]), [float(instance.alpha)])[0, 0])


def random_instances(rng: np.random.Generator, count: int, nx: int, ny: int,
                     strategy: str = "feature-label") -> InstanceArrays:
    """Random dense instances (seeded by ``rng``): Dirichlet tables, random signal maps, random targets.

    For erasure the signal map is idempotent (g(g(x)) = g(x)), as Theorem 5 needs.
    """
    p0 = rng.dirichlet(np.ones(nx * ny), size=count).reshape(count, nx, ny)   # [B, X, Y]
    signal = rng.integers(0, nx, size=(count, nx)).astype(np.int32)           # [B, X]
    if strategy == "erasure":  # representatives map to themselves, every other point to a representative
        for k in range(count):
            reps = np.flatnonzero(rng.random(nx) < 0.5)
            reps = reps if reps.size else np.array([rng.integers(nx)])
            signal[k] = np.where(np.isin(np.arange(nx), reps), np.arange(nx), rng.choice(reps, size=nx))
    target = rng.integers(0, ny, size=count).astype(np.int32)
    code = np.full(count, STRATEGY_CODE[strategy], np.int32)
    return InstanceArrays(p0, signal.astype(np.int32), target, code)
