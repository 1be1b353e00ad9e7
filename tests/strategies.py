"""Hypothesis strategies shared by the test suites: random exact instances of theory.instance."""

from fractions import Fraction as F

from hypothesis import strategies as st

from theory.instance import STRATEGIES, make_instance


@st.composite
def instances(draw, max_x: int = 5, min_y: int = 2, max_y: int = 4, max_weight: int = 6, alpha_den: int | None = 20,
              strategies=STRATEGIES):
    """Small joint tables of integer weights (zeros included), every strategy (or those given), a random target.

    For erasure, g is an idempotent summary map onto representatives that carry mass (Theorem 5's hypothesis).
    alpha is k/alpha_den for k in 1..alpha_den, or 1 when alpha_den is None.
    """
    nx, num_labels = draw(st.integers(1, max_x)), draw(st.integers(min_y, max_y))
    weights = draw(st.lists(st.integers(0, max_weight), min_size=nx * num_labels, max_size=nx * num_labels).filter(any))
    total = sum(weights)
    p0 = [[F(weights[i * num_labels + j], total) for j in range(num_labels)] for i in range(nx)]
    strategy = draw(st.sampled_from(strategies))
    if strategy == "erasure":
        heavy = [x for x in range(nx) if sum(p0[x]) > 0]
        reps = sorted(draw(st.sets(st.sampled_from(heavy), min_size=1)))
        signal = [x if x in reps else draw(st.sampled_from(reps)) for x in range(nx)]
    else:
        signal = [draw(st.integers(0, nx - 1)) for _ in range(nx)]
    target = draw(st.integers(0, num_labels - 1))
    alpha = 1 if alpha_den is None else F(draw(st.integers(1, alpha_den)), alpha_den)
    return make_instance(p0, signal, target, strategy, alpha)


@st.composite
def multi_instances(draw, max_x: int = 4, max_y: int = 3, max_k: int = 3, max_weight: int = 5, alpha_den: int = 12,
                    strategies=STRATEGIES):
    """Several collectives (K = 1..max_k) on one small P0, each with its own size, signal map, target, strategy.

    Sizes are k/alpha_den with a total of at most 1; erasure collectives use idempotent maps onto points with mass.
    """
    from theory.multi import make_multi

    nx, num_labels = draw(st.integers(1, max_x)), draw(st.integers(2, max_y))
    weights = draw(st.lists(st.integers(0, max_weight), min_size=nx * num_labels, max_size=nx * num_labels).filter(any))
    total = sum(weights)
    p0 = [[F(weights[i * num_labels + j], total) for j in range(num_labels)] for i in range(nx)]
    heavy = [x for x in range(nx) if sum(p0[x]) > 0]
    k = draw(st.integers(1, max_k))
    budget, groups = alpha_den, []
    for _ in range(k):
        if budget < 1:
            break
        a = draw(st.integers(1, budget))
        budget -= a
        strategy = draw(st.sampled_from(strategies))
        if strategy == "erasure":
            reps = sorted(draw(st.sets(st.sampled_from(heavy), min_size=1)))
            signal = [x if x in reps else draw(st.sampled_from(reps)) for x in range(nx)]
        else:
            signal = [draw(st.integers(0, nx - 1)) for _ in range(nx)]
        groups.append((F(a, alpha_den), signal, draw(st.integers(0, num_labels - 1)), strategy))
    return make_multi(p0, groups)
