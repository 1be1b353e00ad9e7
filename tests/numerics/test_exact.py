"""The JAX exact engine against the Fraction reference theory.instance, to 1e-12, over random instances."""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.exact import random_instances, stack_instances, success_grid
from theory.errors import InputError
from theory.instance import make_instance, success
from tests.strategies import instances

ALPHAS = [F(k, 20) for k in range(1, 21)] + [F(1, 3), F(2, 7)]


@settings(max_examples=150, deadline=None)
@given(st.lists(instances(alpha_den=None), min_size=1, max_size=6))
def test_agrees_with_fraction_reference_over_alpha_grid(batch):
    # One padded batch of mixed shapes and strategies, the whole alpha grid at once.
    padded = (batch * 6)[:6]  # a fixed batch and shape: one compilation for every example
    got = success_grid(stack_instances(padded, shape=(5, 4)), [float(a) for a in ALPHAS])[:len(batch)]
    want = np.array([[float(success(inst.with_alpha(a))) for a in ALPHAS] for inst in batch])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_ties_count_against_the_collective():
    # x=1 at alpha = 1 under feature-only: label 0 has 3/8, label 1 has 1/8 + 1/4 = 3/8: a tie, success 0.
    inst = make_instance([["1/4", "1/4"], ["3/8", "1/8"]], [1, 1], 1, "feature-only", 1)
    assert success_grid(stack_instances([inst]), [1.0])[0, 0] == 0.0 == float(success(inst))


def test_random_erasure_instances_have_idempotent_signal():
    arrays = random_instances(3, 200, 6, 4, "erasure")
    g = arrays.signal
    assert np.array_equal(np.take_along_axis(g, g, axis=1), g)


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, float("nan")])
def test_alpha_outside_unit_interval_is_refused(alpha):
    inst = make_instance([[1, 0]], [0], 0, "feature-label", 1)
    with pytest.raises(InputError, match="alpha"):
        success_grid(stack_instances([inst]), [0.5, alpha])


@settings(max_examples=60, deadline=None)
@given(st.lists(instances(alpha_den=None), min_size=1, max_size=4))
def test_success_one_is_the_definition_the_engine_computes(batch):
    """``success_one`` (mixture rebuilt at one alpha, per instance) equals the interval engine and the reference."""
    import jax
    import jax.numpy as jnp

    from numerics.exact import success_one

    padded = (batch * 4)[:4]
    arrays = stack_instances(padded, shape=(5, 4))
    alphas = [F(1, 7), F(1, 2), F(1)]
    with jax.enable_x64(True):
        one = jax.vmap(jax.vmap(success_one, in_axes=(None, None, None, None, 0)), in_axes=(0, 0, 0, 0, None))
        got = np.asarray(one(*(jnp.asarray(v) for v in arrays), jnp.asarray([float(a) for a in alphas])))
    want = np.array([[float(success(inst.with_alpha(a))) for a in alphas] for inst in padded])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got, success_grid(arrays, [float(a) for a in alphas]), rtol=0, atol=1e-12)
