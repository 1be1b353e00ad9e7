"""Participation economics on a curve: the numeric version reproduces theory's closed form on Theorem 1."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.participation import investment, join_level, self_sustaining
from theory.errors import InputError
from theory.evaluate import evaluate


@settings(max_examples=40, deadline=None)
@given(xi=st.floats(0.001, 0.2), Delta=st.floats(0.05, 1.0), c=st.floats(0.05, 0.45), gamma=st.floats(0.0, 0.5))
def test_numeric_economics_of_theorem1_curve_match_the_symbolic_ones(xi, Delta, c, gamma):
    values = dict(xi=xi, Delta=Delta, epsilon=0.0, c=c, gamma=gamma)
    alpha_crit = float(evaluate("participation", "critical_mass", values))
    B = float(evaluate("participation", "investment", values))
    alphas = np.geomspace(1e-5, 1.0, 4000)
    curve = evaluate("thm1", "bound", dict(alpha=alphas, xi=xi, Delta=Delta, epsilon=0.0))
    level = join_level(c, gamma)
    measured = self_sustaining(alphas, curve, level)
    assert measured == pytest.approx(alpha_crit, rel=2e-3)
    assert investment(alphas, curve, level, measured) == pytest.approx(B, rel=5e-3, abs=1e-6)


def test_a_curve_that_dips_is_self_sustaining_only_after_its_last_crossing():
    alphas = [0.1, 0.2, 0.3, 0.4, 0.5]
    assert self_sustaining(alphas, [0.0, 0.9, 0.1, 0.7, 0.95], 0.5) == pytest.approx(0.3 + 0.1 * 0.4 / 0.6)
    assert self_sustaining(alphas, [0.0, 0.9, 0.1, 0.7, 0.5], 0.5) == float("inf")


def test_bad_input_is_named():
    with pytest.raises(InputError, match="gamma = 1"):
        join_level(0.1, 1)
    with pytest.raises(InputError, match=r"within \(0, 1\]"):
        self_sustaining([0.2, 0.1], [0, 1], 0.5)
