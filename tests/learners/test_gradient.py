"""numerics/gradient: Theorem 7 / Corollary 8 / Proposition 9 on a logistic GLM, Theorem 10 on an MLP."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from numerics.gradient import (glm_data, gradient_control, mean_gradient, neutralize, neutralizing_points, newton_fit,
                               theorem7_check, theorem10_check, utility_gain)
from theory.errors import InputError

ALPHAS = np.array([0.05, 0.2, 0.4, 0.6, 0.75, 0.9, 1.0])


@pytest.fixture(scope="module")
def setup():
    data = glm_data(3, n=60, d=3)
    with jax.enable_x64(True):
        theta0 = np.asarray(newton_fit(jnp.asarray(data.x), jnp.asarray(data.y), jnp.full(60, 1 / 60), jnp.zeros(3)))
    return data, theta0 + np.array([0.4, -0.3, 0.2])


@pytest.mark.parametrize("feature_only", [False, True])
def test_theorem7_bound_and_corollary8_critical_mass(setup, feature_only):
    data, theta_star = setup
    run = neutralize(ALPHAS, data, theta_star, feature_only=feature_only)
    check = theorem7_check(ALPHAS, run)
    assert check["slack_min"] >= -1e-9
    alpha_star = check["cor8_alpha_star"]
    reached = run.distance <= 1e-8
    assert np.all(reached[ALPHAS >= alpha_star]) and not np.any(reached[ALPHAS < alpha_star - 1e-6])
    assert np.all(run.mu > 0)


@pytest.mark.parametrize("feature_only", [False, True])
def test_neutralizing_distribution_points_against_the_base_gradient(setup, feature_only):
    data, theta_star = setup
    with jax.enable_x64(True):
        x, y, w = neutralizing_points(jnp.asarray(theta_star), data, feature_only=feature_only)
        gp = np.asarray(mean_gradient(jnp.asarray(theta_star), x, y, w))
        g0 = np.asarray(mean_gradient(jnp.asarray(theta_star), jnp.asarray(data.x), jnp.asarray(data.y), jnp.full(60, 1 / 60)))
    cosine = gp @ -g0 / (np.linalg.norm(gp) * np.linalg.norm(g0))
    assert cosine == pytest.approx(1.0, abs=1e-12)


def test_proposition9_bounds_the_utility_critical_mass():
    data = glm_data(3, n=60, d=3)
    alphas = np.linspace(0.02, 1, 50)
    out = utility_gain(alphas, data, np.array([1.0, 0.5, 0.0]), U=0.3)
    least = out["least_alpha_reaching_gain"]
    assert least is not None
    assert out["cor8_alpha_star"] <= least + 1e-12 and least <= out["prop9_alpha_star"]


def test_theorem10_byzantine_and_data_points():
    alphas = np.array([0.1, 0.5])
    for mode, points in (("byzantine", 32), ("data", 32)):
        run, dist0, params = gradient_control(alphas, mode=mode, n_points=points, pretrain=200, steps=15)
        assert params == 3 * 5 + 5 + 5 + 1 and points >= params
        check = theorem10_check(alphas, run, eta=0.1)
        assert check["max_residual"] < 1e-8
        assert check["slack_min"] >= -1e-9
        assert np.all(run.distance[:, -1] < run.distance[:, 0])


def test_theorem10_data_points_fail_with_fewer_members_than_parameters():
    run, _, params = gradient_control(np.array([0.1]), mode="data", n_points=10, pretrain=200, steps=15)
    assert 10 < params and theorem10_check([0.1], run, eta=0.1)["max_residual"] > 1e-3


def test_bad_alpha_and_mode():
    with pytest.raises(InputError, match="alpha=1.5"):
        neutralize([0.5, 1.5], glm_data(0, n=20, d=2), np.zeros(2))
    with pytest.raises(InputError, match="mode"):
        gradient_control([0.5], mode="telepathy")
