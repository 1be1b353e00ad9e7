"""theory/exactint.py (integer arithmetic on a common denominator) against the Fraction reference and sympy."""

import random
from fractions import Fraction

from hypothesis import given, settings

from tests.strategies import instances
from theory import exactint, instance as ref
from theory.instance import STRATEGIES, make_instance
from verify.bench import random_instances, sympy_check
from verify.check import check_instance, core


def _same_as_reference(inst):
    s, prm, b = core(inst)
    assert s == ref.success(inst)
    assert prm == ref.params(inst)
    assert b == ref.bound(inst)
    assert exactint.predictions(inst) == ref.predictions(inst)


@settings(max_examples=400, deadline=None)
@given(instances(max_x=5, min_y=1, max_y=4, alpha_den=None))
def test_integer_checks_equal_the_fraction_reference(inst):
    _same_as_reference(inst)


def _odd_instances(n: int, seed: int):
    """Random instances with awkward denominators (primes, alpha = 1, single labels, non-idempotent erasure)."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        nx, num_labels = rng.randint(1, 6), rng.randint(1, 5)
        w = [rng.choice([0, 0, 1, 7, 13, 97, 10**9 + 7]) for _ in range(nx * num_labels)]
        if not any(w):
            continue
        den = [rng.choice([1, 3, 11, 10**6 + 3]) for _ in w]
        cells = [Fraction(a, d) for a, d in zip(w, den)]
        total = sum(cells)
        p0 = [[cells[x * num_labels + y] / total for y in range(num_labels)] for x in range(nx)]
        strategy = rng.choice(STRATEGIES)
        signal = [rng.randrange(nx) for _ in range(nx)]
        if strategy == "erasure":
            mass = [sum(r) for r in p0]
            heavy = [x for x in range(nx) if mass[x] > 0]
            signal = [rng.choice(heavy) if mass[x] > 0 and mass[signal[x]] == 0 else signal[x] for x in range(nx)]
        alpha = rng.choice([Fraction(1), Fraction(rng.randint(1, 10**6), 10**6 + 1), Fraction(1, 3)])
        out.append(make_instance(p0, signal, rng.randrange(num_labels), strategy, alpha))
    return out


def test_integer_checks_equal_the_reference_on_a_large_random_set():
    insts = random_instances(3000, seed=7) + random_instances(500, nx=3, num_labels=2, seed=8) + _odd_instances(1500, seed=9)
    for inst in insts:
        _same_as_reference(inst)
    assert {i.strategy for i in insts} == set(STRATEGIES)


def test_integer_checks_equal_sympy_rationals():
    """The bench's baseline (sympy Rationals straight from the definitions) gives the same success and bound."""
    for inst in random_instances(300, seed=11) + _odd_instances(100, seed=12):
        s, b = sympy_check(inst)
        out = check_instance(inst)
        assert out["success"] == str(s)
        if all(out["hypotheses"].values()):  # check-instance claims nothing outside a theorem's hypotheses
            assert out["bound"] == (None if b is None else str(b))
        else:
            assert out["bound"] is None


def test_scaled_table_is_the_least_common_denominator():
    inst = make_instance([["1/6", "1/4"], ["1/3", "1/4"]], [0, 0], 0, "feature-label", "1/2")
    s = exactint.scaled(inst)
    assert s.den == 12 and s.table == ((2, 3), (4, 3)) and s.mass == (5, 7)
