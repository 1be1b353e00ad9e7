"""Ben-Dov et al.'s claims on exact instances: two-stage upweighting strengthens small collectives and weakens
large ones (the window is exact), while reading the success off ERM at alpha_eff is not."""

from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.bendov import jtt_alpha_eff, jtt_success, window_success
from theory.instance import make_instance, success
from theory.parameters import SYMBOLS

# One signal point x = 1 (everyone maps there) with base rival mass 1/4 on label 1 and none on y* = 0:
# P*(1) = 1, so r = 1/4; ERM plants iff t = alpha/(1-alpha) > 1/4, i.e. alpha > 1/5.
P0 = [["1/2", "1/4"], [0, "1/4"]]
LAM = 4  # JTT plants iff 1/16 < t < 1/4 or t > 1: alpha in (1/17, 1/5) or alpha > 1/2.


def at(alpha):
    return make_instance(P0, [1, 1], 0, "feature-label", alpha)


@pytest.mark.parametrize("alpha, erm, jtt", [
    ("1/20", 0, 0),    # too small for either
    ("1/15", 0, 1),    # small: strengthened (JTT plants, ERM does not)
    ("1/5", 0, 0),     # ERM's threshold: ERM ties, so every cell is an error and JTT ties too
    ("3/10", 1, 0),    # large: weakened (ERM planted, JTT's second stage un-learns it)
    ("9/20", 1, 0),
    ("11/20", 1, 1),   # beyond lambda r both plant
])
def test_small_collectives_strengthened_large_ones_weakened_exactly(alpha, erm, jtt):
    inst = at(alpha)
    assert success(inst) == erm and jtt_success(inst, LAM) == jtt
    assert window_success(inst, LAM) == jtt


def test_reading_success_off_alpha_eff_is_wrong_where_the_window_is_right():
    # The alpha_eff reading says S_JTT(alpha) = S_ERM(alpha_eff). It misses both ends of the window:
    small, large = at("1/15"), at("9/20")
    eff_small, eff_large = jtt_alpha_eff(small, LAM), jtt_alpha_eff(large, LAM)
    assert eff_small == F(4, 15) / F(19, 10) and eff_large == F(9, 20) / F(73, 40)
    assert success(small.with_alpha(eff_small)) == 0 != jtt_success(small, LAM)
    assert success(large.with_alpha(eff_large)) == 1 != jtt_success(large, LAM)


@st.composite
def signal_instances(draw):
    """Feature-label instances whose signal points carry no base mass on the target label."""
    nx, num_labels = draw(st.integers(2, 5)), draw(st.integers(2, 4))
    target = draw(st.integers(0, num_labels - 1))
    signal = [draw(st.integers(0, nx - 1)) for _ in range(nx)]
    weights = [[draw(st.integers(0, 6)) for _ in range(num_labels)] for _ in range(nx)]
    for x in set(signal):
        weights[x][target] = 0
    total = sum(map(sum, weights))
    if total == 0:
        weights[0][(target + 1) % num_labels], total = 1, 1
    p0 = [[F(w, total) for w in row] for row in weights]
    return make_instance(p0, signal, target, "feature-label", F(draw(st.integers(1, 39)), 40))


@settings(max_examples=300, deadline=None)
@given(signal_instances(), st.sampled_from([2, 3, F(5, 2), 5]))
def test_the_window_is_the_exact_jtt_success(inst, lam):
    assert window_success(inst, lam) == jtt_success(inst, lam)


def test_alpha_eff_is_the_reweighting_familys():
    from theory.paper import result
    a = result("bendov-alpha-eff").extras["alpha_eff"]
    assert sp.simplify(a - result("reweight-mixture").extras["alpha_eff"]) == 0
    assert a.free_symbols == {SYMBOLS[n] for n in ("alpha", "W_star", "W_0")}
