"""numerics/bench_learners: the vmapped Newton fits reach scikit-learn's optimum (no timings here)."""

import numpy as np

from numerics.bench_learners import _problems, fit_loop_sklearn, fit_many


def test_same_optimum_as_scikit_learn():
    x, y = _problems(3, 80, 3, seed=5)
    ours, theirs = fit_many(x, y), fit_loop_sklearn(x, y)
    assert ours.shape == (3, 4) and np.max(np.abs(ours - theirs)) < 1e-6


def test_numpy_newton_baseline_reaches_the_same_optimum():
    from numerics.bench_learners import fit_numpy_newton

    x, y = _problems(4, 60, 3, seed=2)
    assert np.max(np.abs(fit_numpy_newton(x, y) - fit_loop_sklearn(x, y))) < 1e-6
    assert np.max(np.abs(fit_numpy_newton(x, y, steps=1) - fit_loop_sklearn(x, y))) > 1e-3  # Newton steps matter


def test_closed_form_newton_terms_are_the_objectives_derivatives():
    import jax
    import jax.numpy as jnp

    from numerics.bench_learners import _gradient_hessian, _objective

    for n, d, seed in ((30, 3, 4), (13, 7, 1), (9, 1, 2)):  # d = 7: 44 sums in four passes; d = 1: one pass
        x, y = _problems(1, n, d, seed=seed)
        with jax.enable_x64(True):
            p = jnp.asarray(np.random.default_rng(seed).normal(size=d + 1))
            g, h = _gradient_hessian(list(p), list(jnp.asarray(x[0].T)), jnp.asarray(y[0]), 0.7)
            np.testing.assert_allclose(jnp.stack(g), jax.grad(_objective)(p, x[0], y[0], 0.7), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(jnp.asarray(h), jax.hessian(_objective)(p, x[0], y[0], 0.7),
                                       rtol=1e-12, atol=1e-12)


def test_unrolled_cholesky_solves_like_numpy():
    import jax
    import jax.numpy as jnp

    from numerics.bench_learners import _cholesky_solve

    rng = np.random.default_rng(7)
    for k in (1, 2, 6, 9):
        m = rng.normal(size=(k, k))
        a = m @ m.T + 1e-3 * np.eye(k)                                         # SPD, condition up to ~1e5
        b = rng.normal(size=k)
        with jax.enable_x64(True):
            got = jnp.stack(_cholesky_solve([[jnp.asarray(v) for v in row] for row in a], list(jnp.asarray(b))))
        np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-8, atol=1e-10)


def test_fit_many_equals_the_numpy_newton_on_edge_shapes():
    from numerics.bench_learners import fit_numpy_newton

    cases = [(1, 5, 1, 0), (3, 7, 2, 1), (5, 200, 5, 2), (4, 33, 8, 3)]  # one problem; n not a multiple of 8
    for count, n, d, seed in cases:
        x, y = _problems(count, n, d, seed=seed)
        for steps in (1, 12):
            np.testing.assert_allclose(fit_many(x, y, steps=steps), fit_numpy_newton(x, y, steps=steps),
                                       rtol=1e-9, atol=1e-9, err_msg=f"{count}x{n}x{d}, {steps} steps")
    x, y = _problems(2, 40, 3, seed=9)
    y[0] = 0.0                                                                  # one class: the intercept runs off
    y[1] = 1.0
    ours, theirs = fit_many(x, y, c=0.5), fit_numpy_newton(x, y, c=0.5)
    assert np.all(np.isfinite(ours)) and ours[0, -1] < -5 and ours[1, -1] > 5
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
