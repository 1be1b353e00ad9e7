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

    x, y = _problems(1, 30, 3, seed=4)
    with jax.enable_x64(True):
        p = jnp.asarray([0.3, -0.2, 0.5, 0.1])
        g, h = _gradient_hessian(p, jnp.asarray(x[0]), jnp.asarray(y[0]), 0.7)
        np.testing.assert_allclose(g, jax.grad(_objective)(p, x[0], y[0], 0.7), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h, jax.hessian(_objective)(p, x[0], y[0], 0.7), rtol=1e-12, atol=1e-12)
