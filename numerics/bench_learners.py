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


#: Sums per pass over a problem's rows, so that one pass's accumulators stay in vector registers: for d = 5,
#: two passes of 14 and 13 sums ran 10-30% faster than one pass of 27 (which spills) or three of 9.
_SUMS_PER_PASS = 14


def _row_sums(terms):
    """Each [n] term summed over its rows, ``_SUMS_PER_PASS`` terms per variadic reduce: XLA compiles one
    reduce into one loop that reads the rows once for all its sums (separate jnp.sum calls read them once each)."""
    passes = -(-len(terms) // _SUMS_PER_PASS)
    cuts = [len(terms) * i // passes for i in range(passes + 1)]                # balanced passes
    out = ()
    for start, stop in zip(cuts, cuts[1:]):
        group = tuple(terms[start:stop])
        out += tuple(jax.lax.reduce(group, tuple(jnp.zeros((), t.dtype) for t in group),
                                    lambda a, b: tuple(u + v for u, v in zip(a, b)), (0,)))
    return out


def _gradient_hessian(params, columns, y, c):
    """The gradient and Hessian of ``_objective`` in closed form (checked against jax.grad and jax.hessian in
    tests), intercept last: with z = [x, 1] and p = sigmoid(z @ params), grad = c z^T (p - y) + (w, 0) and
    H = c z^T diag(p (1 - p)) z + diag(1, ..., 1, 0). ``params``: k = d + 1 scalars; ``columns``: the d
    feature columns of x, [n] each; y [n] -> (grad: k scalars, hess: k x k nested lists of scalars).

    Written as k + k (k + 1) / 2 row sums of elementwise products (the Hessian's lower triangle) and kept as
    scalars, not arrays: batched with vmap, every problem's rows are read in a couple of fused passes and the
    solve is elementwise over the batch. A [k, n] @ [n, k] matmul per problem is a tiny matmul per problem on
    XLA's CPU backend (4x slower here), and stacking the scalars into [k, k] arrays adds transposes. Columns
    rather than an [n, d] matrix: vmapped, x[:, j] is a strided read that LLVM does not vectorize."""
    d = len(columns)
    k = d + 1
    columns = list(columns) + [None]                                            # None: the intercept's ones
    margin = sum(columns[j] * params[j] for j in range(d)) + params[d]          # [n]; no per-problem dot
    # sigmoid(m) = (1 + tanh(m / 2)) / 2: XLA compiles float64 tanh to a rational function (one division),
    # its logistic to an exp (a rational function: one division) and then a second division. Measured on one
    # core (taskset) of a 2-core AVX2 EPYC, 1000 problems, n = 200, d = 5, min of 9 fits interleaved: 16.7 ->
    # 14.9 ms; optima within 4.5e-16 of the logistic form's, p within 4.4e-16 of the sigmoid in extended
    # precision over [-700, 700]
    p = 0.5 + 0.5 * jnp.tanh(0.5 * margin)
    # p written once and read by both passes of sums: fused into each pass, the sigmoid ran twice per row. Measured
    # on 2 cores, 1000 problems, n = 200, d = 5, 9 fits each after a 1 s pause: min 13.6 -> 6.7 ms, median
    # 14.8 -> 11.7 ms; the outputs are identical
    p = jax.lax.optimization_barrier(p)
    residual, weight = p - y, p * (1 - p)                                       # [n], [n]
    times = lambda v, j: v if columns[j] is None else v * columns[j]
    pairs = [(i, j) for i in range(k) for j in range(i + 1)]
    sums = _row_sums([times(times(weight, i), j) for i, j in pairs] + [times(residual, i) for i in range(k)])
    entry = {pair: c * total + (1.0 if pair[0] == pair[1] < d else 0.0) for pair, total in zip(pairs, sums)}
    grad = [c * sums[len(pairs) + i] + (params[i] if i < d else 0.0) for i in range(k)]  # intercept unpenalized
    return grad, [[entry[max(i, j), min(i, j)] for j in range(k)] for i in range(k)]


def _cholesky_solve(a, b):
    """Solve a @ x = b for a symmetric positive definite a (k x k nested lists of scalars; b: k scalars) by
    Cholesky, unrolled over k: batched with vmap it is a few dozen elementwise operations over the batch, where
    XLA's batched LU or Cholesky call per problem costs more than the whole Newton step for k = 6. Divisions are
    products with the reciprocal square roots, so that fewer kernels split the step (39 -> 30 fusions)."""
    k = len(b)
    low, inv = [[None] * k for _ in range(k)], [None] * k                       # inv[j] = 1 / low[j][j]
    for j in range(k):
        inv[j] = jax.lax.rsqrt(a[j][j] - sum(low[j][m] ** 2 for m in range(j)))
        for i in range(j + 1, k):
            low[i][j] = (a[i][j] - sum(low[i][m] * low[j][m] for m in range(j))) * inv[j]
    forward = []
    for i in range(k):                                                          # low @ forward = b
        forward.append((b[i] - sum(low[i][m] * forward[m] for m in range(i))) * inv[i])
    out = [None] * k
    for i in reversed(range(k)):                                                # low.T @ out = forward
        out[i] = (forward[i] - sum(low[m][i] * out[m] for m in range(i + 1, k))) * inv[i]
    return out


def _newton(columns, y, c, steps):
    """``steps`` Newton steps from zero for one problem: d feature columns [n] each, y [n] -> params [d + 1]."""
    def step(params, _):
        grad, hess = _gradient_hessian(params, columns, y, c)
        return tuple(p - s for p, s in zip(params, _cholesky_solve(hess, grad))), None

    start = tuple(jnp.zeros((), y.dtype) for _ in range(len(columns) + 1))
    params, _ = jax.lax.scan(step, start, None, length=steps)
    return jnp.stack(params)


def fit_many(x, y, c: float = 1.0, steps: int = 12):
    """Fit ``count`` logistic regressions at once: ``x [count, n, d], y [count, n] -> [count, d + 1]``."""
    with jax.enable_x64(True):
        return np.asarray(_fit_batched(x, y, c, steps))


def _fit_columns(x, y, c, steps):
    """x [count, n, d] split into its d feature columns [count, n] inside the compiled call: XLA writes the
    transpose once, before the Newton loop, into its own warm buffers. Done in numpy before the call, the copy
    landed in freshly mapped pages whenever another computation had just freed its memory (the interleaved
    rounds of ``critmass bench``): measured right after the numpy baseline, min 10.3-10.7 ms per fit with the
    copy in numpy, 6.7-7.8 ms with it here (outputs identical)."""
    columns = tuple(jnp.moveaxis(x, 2, 0))
    return jax.vmap(_newton, (0, 0, None, None))(columns, y, c, steps)


# Reassociation lets LLVM vectorize the row sums (4 or 8 rows per instruction; 512-bit where the CPU has
# AVX-512, 5-10% faster on this Zen 4); NaN, inf, division and library functions keep IEEE semantics. The
# options apply to this function's compilation only.
_FAST_SUMS = {"xla_cpu_enable_fast_math": True, "xla_cpu_prefer_vector_width": 512,
              "xla_cpu_fast_math_honor_nans": True, "xla_cpu_fast_math_honor_infs": True, "xla_cpu_fast_math_honor_division": True,
              "xla_cpu_fast_math_honor_functions": True}
_fit_batched = jax.jit(_fit_columns, static_argnums=3, compiler_options=_FAST_SUMS)


def fit_numpy_newton(x, y, c: float = 1.0, steps: int = 12):
    """The baseline: the same Newton iteration, every problem at once in numpy, in the fastest numpy form we
    found: features first ([d + 1, count, n]), margins and gradients by einsum, Hessians by
    ``einsum(..., optimize=True)`` (batched matmul), one batched np.linalg.solve per step. Measured on 2 cores
    at 1000 problems, n = 200, d = 5, it was 15-20% faster than batched matmuls on [count, n, d + 1] or
    [count, d + 1, n], and than 21 row-wise dot products; a three-operand einsum is 30x slower.
    x [count, n, d], y [count, n] -> [count, d + 1]."""
    count, n, d = x.shape
    z = np.concatenate([x.transpose(2, 0, 1), np.ones((1, count, n))])          # [d + 1, count, n] intercept last
    penalty = np.diag(np.r_[np.ones(d), 0.0])                                    # the intercept is not penalized
    w = np.zeros((count, d + 1))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.einsum("kcn,ck->cn", z, w, optimize=True)))       # [count, n]
        grad = c * np.einsum("kcn,cn->ck", z, p - y, optimize=True) + w @ penalty  # [count, d + 1]
        hess = c * np.einsum("icn,jcn->cij", z * (p * (1 - p)), z, optimize=True) + penalty  # [count, k, k]
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
    # Bytes: x and y read from memory once. The 12 steps then reread a working set of about twice the data (x,
    # its feature columns, y and p: 19 MB here), which stays in a last-level cache of that size (lscpu: 32 MiB
    # L3 on the EPYC of docs/benchmarks.md) and is not bounded by the memory bandwidth measured over arrays far
    # larger than it (counting 12 reads from memory gave a limit the run beat, fraction 1.2).
    row["limit_counts"] = {"bytes": x.nbytes + y.nbytes, "flops": 12 * count * (2 * n * k * k + 4 * n * k + k**3)}
    row["limit_note"] = ("per Newton step and problem: the Hessian 2nk^2, gradient and margins 4nk, the solve ~k^3 "
                         "flops (k = d + 1); bytes: x and y read once (the steps reread a working set of about twice "
                         "the data, held in the last-level cache where it fits)")
    return [row]
