"""Benchmark: many L2-regularized logistic regressions trained at once (vmapped Newton, float64) against the
same Newton iteration batched in numpy, and against scikit-learn fitting one problem at a time (lbfgs, and its
newton-cholesky solver); the optima are checked equal to 1e-6 before any timing counts.

Plugs into ``critmass bench`` through ``benchmarks(quick, only)``; scikit-learn is a benchmark-only dependency.
"""

from __future__ import annotations

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


def _gradient_hessian(params, x, y, c):
    """The gradient [d + 1] and Hessian [d + 1, d + 1] of ``_objective`` in closed form (checked against
    jax.grad and jax.hessian in tests): one matmul each, where autodiff's Hessian costs five times more."""
    n, d = x.shape
    z = jnp.concatenate([x, jnp.ones((n, 1), x.dtype)], axis=1)                  # [n, d + 1] intercept last
    penalty = jnp.diag(jnp.r_[jnp.ones(d, x.dtype), 0.0])                        # the intercept is not penalized
    p = jax.nn.sigmoid(z @ params)                                               # [n]
    return c * z.T @ (p - y) + penalty @ params, c * (z.T * (p * (1 - p))) @ z + penalty


def _newton(x, y, c, steps):
    def step(p, _):
        grad, hess = _gradient_hessian(p, x, y, c)
        return p - jnp.linalg.solve(hess, grad), None

    params, _ = jax.lax.scan(step, jnp.zeros(x.shape[1] + 1, dtype=x.dtype), None, length=steps)
    return params


def fit_many(x, y, c: float = 1.0, steps: int = 12):
    """Fit ``count`` logistic regressions at once: ``x [count, n, d], y [count, n] -> [count, d + 1]``."""
    with jax.enable_x64(True):
        return np.asarray(_fit_batched(jnp.asarray(x), jnp.asarray(y), c, steps))


_fit_batched = jax.jit(jax.vmap(_newton, (0, 0, None, None)), static_argnums=3)


def fit_numpy_newton(x, y, c: float = 1.0, steps: int = 12):
    """The baseline: the same Newton iteration, every problem at once in numpy (batched matmuls for the
    gradients and Hessians, the fastest of the numpy forms we tried: a three-operand einsum is 30x slower;
    one batched np.linalg.solve per step). x [count, n, d], y [count, n] -> [count, d + 1]."""
    count, n, d = x.shape
    z = np.concatenate([x, np.ones((count, n, 1))], axis=2)                      # [count, n, d + 1] intercept last
    penalty = np.diag(np.r_[np.ones(d), 0.0])                                    # the intercept is not penalized
    zt = z.transpose(0, 2, 1)                                                    # [count, d + 1, n]
    w = np.zeros((count, d + 1))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w[..., None])[..., 0]))                        # [count, n]
        grad = c * (zt @ (p - y)[..., None])[..., 0] + w @ penalty               # [count, d + 1]
        hess = c * (zt * (p * (1 - p))[:, None, :]) @ z + penalty                # [count, d + 1, d + 1]
        w = w - np.linalg.solve(hess, grad[..., None])[..., 0]
    return w


def fit_loop_sklearn(x, y, c: float = 1.0, tol: float = 1e-10, solver: str = "lbfgs"):
    from sklearn.linear_model import LogisticRegression

    out = []
    for xi, yi in zip(x, y):
        m = LogisticRegression(C=c, tol=tol, max_iter=1000, solver=solver).fit(xi, yi)
        out.append(np.concatenate([m.coef_[0], m.intercept_]))
    return np.asarray(out)


def benchmarks(quick: bool = False, only: str | None = None) -> list[dict]:
    from numerics import benchkit

    name = "logistic regressions at once (vmap Newton)"
    if only and only not in name:
        return []
    count, n, d = (100 if quick else 1000), 200, 5
    x, y = _problems(count, n, d)

    def check(out):
        worst = max(float(np.max(np.abs(v - out["ours"]))) for v in out.values())
        assert worst <= 1e-6, f"optima differ by {worst:g} > 1e-6"
        return f"every problem's optimum equal on all sides to 1e-6 (max difference {worst:.1e})"

    row = benchkit.compare(name, f"{count} problems, n = {n}, d = {d}, float64, 12 Newton steps", {
        "ours": lambda: fit_many(x, y),
        "numpy, the same Newton steps batched": lambda: fit_numpy_newton(x, y),
        "scikit-learn lbfgs (tol 1e-10), one problem at a time": lambda: fit_loop_sklearn(x, y),
        "scikit-learn newton-cholesky (tol 1e-10), one problem at a time":
            lambda: fit_loop_sklearn(x, y, solver="newton-cholesky"),
    }, "ours", check)
    k = d + 1
    row["limit_counts"] = {"bytes": 12 * x.nbytes, "flops": 12 * count * (2 * n * k * k + 4 * n * k + k**3)}
    row["limit_note"] = ("per Newton step and problem: the Hessian 2nk^2, gradient and margins 4nk, the solve ~k^3 "
                         "flops (k = d + 1); bytes: the data read once per step")
    return [row]
