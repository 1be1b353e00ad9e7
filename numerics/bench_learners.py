"""Benchmark: many L2-regularized logistic regressions trained at once (vmapped Newton, float64) against a
loop of scikit-learn fits on the same data, the optima checked equal to 1e-6 before the timing counts.

Plugs into ``critmass bench`` through ``benchmarks(quick, only)``; scikit-learn is a benchmark-only dependency.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np


def _problems(count: int, n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, n, d))  # [count, n, d]
    theta = rng.normal(size=(count, d))
    y = (rng.random((count, n)) < 1 / (1 + np.exp(-np.einsum("cnd,cd->cn", x, theta)))).astype(np.float64)
    return x, y


def _objective(params, x, y, c):
    """scikit-learn's: ``C * sum_i logloss + ||w||^2 / 2``, intercept unpenalized. params = [w (d), b]."""
    z = x @ params[:-1] + params[-1]  # [n, d] @ [d] -> [n]
    return c * jnp.sum(jax.nn.softplus(z) - y * z) + 0.5 * jnp.sum(params[:-1] ** 2)


def _newton(x, y, c, steps):
    grad, hess = jax.grad(_objective), jax.hessian(_objective)

    def step(p, _):
        return p - jnp.linalg.solve(hess(p, x, y, c), grad(p, x, y, c)), None

    params, _ = jax.lax.scan(step, jnp.zeros(x.shape[1] + 1, dtype=x.dtype), None, length=steps)
    return params


def fit_many(x, y, c: float = 1.0, steps: int = 12):
    """Fit ``count`` logistic regressions at once: ``x [count, n, d], y [count, n] -> [count, d + 1]``."""
    with jax.enable_x64(True):
        return np.asarray(_fit_batched(jnp.asarray(x), jnp.asarray(y), c, steps))


_fit_batched = jax.jit(jax.vmap(_newton, (0, 0, None, None)), static_argnums=3)


def fit_loop_sklearn(x, y, c: float = 1.0, tol: float = 1e-10):
    from sklearn.linear_model import LogisticRegression

    out = []
    for xi, yi in zip(x, y):
        m = LogisticRegression(C=c, tol=tol, max_iter=1000, solver="lbfgs").fit(xi, yi)
        out.append(np.concatenate([m.coef_[0], m.intercept_]))
    return np.asarray(out)


def benchmarks(quick: bool = False, only: str | None = None) -> list[dict]:
    name = "logistic regressions (vmap Newton) x" + ("100" if quick else "1000")
    if only and only not in name:
        return []
    count, n, d = (100 if quick else 1000), 200, 5
    x, y = _problems(count, n, d)
    fit_many(x, y)  # compile once; steady-state time is what a sweep pays
    t0 = time.perf_counter()
    ours = fit_many(x, y)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = fit_loop_sklearn(x, y)
    base_s = time.perf_counter() - t0
    diff = float(np.max(np.abs(ours - theirs)))
    if diff > 1e-6:
        raise AssertionError(f"optima differ by {diff:g} > 1e-6")
    return [{"name": name, "baseline": "scikit-learn LogisticRegression(lbfgs, tol=1e-10) in a loop",
             "ours_s": ours_s, "baseline_s": base_s, "ratio": base_s / ours_s, "device": jax.devices()[0].platform,
             "max_abs_diff": diff, "size": f"{count} problems, n={n}, d={d}"}]
