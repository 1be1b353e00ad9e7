"""theory/exactint.py (integer arithmetic on a common denominator) against the Fraction reference and sympy."""

import random
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings, strategies as st

from tests.strategies import instances
from theory import exactint, instance as ref, notions, paper
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


@st.composite
def _awkward_instances(draw):
    """Instances whose cells carry unrelated denominators (up to 40 digits), any alpha = k/m, any signal map
    (erasure: every point with mass maps to one with mass, idempotent or not), so the common denominator, the
    cross-products and the bound's integer polynomials run on large, unreduced integers."""
    nx, num_labels = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    dens = st.sampled_from([1, 2, 3, 7, 10**6 + 3, 10**9 + 7, 2**61 - 1, 10**40 + 121])
    cells = [Fraction(draw(st.integers(0, 10**12)), draw(dens)) for _ in range(nx * num_labels)]
    assume(any(cells))
    total = sum(cells)
    p0 = [[cells[x * num_labels + y] / total for y in range(num_labels)] for x in range(nx)]
    strategy = draw(st.sampled_from(STRATEGIES))
    signal = [draw(st.integers(0, nx - 1)) for _ in range(nx)]
    if strategy == "erasure":
        heavy = [x for x in range(nx) if any(p0[x])]
        signal = [draw(st.sampled_from(heavy)) if any(p0[x]) and not any(p0[z]) else z for x, z in enumerate(signal)]
    m = draw(st.sampled_from([1, 2, 20, 10**6 + 1, 10**30 + 57]))
    alpha = Fraction(draw(st.integers(1, m)), m)
    return make_instance(p0, signal, draw(st.integers(0, num_labels - 1)), strategy, alpha)


_EPSILONS = st.one_of(st.just(Fraction(0)), st.fractions(0, 1, max_denominator=10**12).filter(lambda e: e < 1))


@settings(max_examples=300, deadline=None)
@given(_awkward_instances(), _EPSILONS, st.sampled_from(notions.NOTIONS), st.booleans())
def test_core_and_every_bound_form_equal_the_reference_at_any_epsilon(inst, epsilon, notion, printed):
    """core (success, parameters, bound on integer pairs) against theory.instance's Fractions, at any epsilon,
    under either notion, for the printed theorem and its corrected form."""
    id = (ref.BOUND_OF if printed else ref.VALID_BOUND_OF)[inst.strategy]
    s, prm, b = exactint.core(inst, epsilon, notion, id)
    assert s == ref.success(inst)
    assert prm == ref.params(inst)
    assert b == ref.bound(inst, epsilon, notion, id)
    assert exactint.bound(inst, prm, epsilon, notion, id) == b
    assert exactint.predictions(inst) == ref.predictions(inst)


def _bounded_forms():
    """(id, notion) of every result of the founding paper whose bound is a ratio of polynomials."""
    out = []
    for id in paper.IDS:
        for notion in notions.NOTIONS:
            r = paper.result(id, notion)
            if r.bound is not None and exactint._integer_bound(id, notion).ratio is not None:
                out.append((id, notion))
    return out


@pytest.fixture(scope="module")
def bounded_forms():
    forms = _bounded_forms()
    assert {(id, n) for id in ("thm1", "thm3", "thm5", "thm1-corrected", "thm3-corrected", "thm5-corrected")
            for n in notions.NOTIONS} <= set(forms)
    return forms


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_integer_bound_equals_the_fraction_bound_on_any_representation(bounded_forms, data):
    """The compiled ratio of integer polynomials, on parameters given as unreduced pairs (n k, d k) with any sign
    of k, equals the result's bound evaluated over Fractions (theory.instance._bound_function)."""
    id, notion = data.draw(st.sampled_from(bounded_forms))
    compiled = exactint._integer_bound(id, notion)
    values = [data.draw(st.fractions(-3, 3, max_denominator=10**9)) for _ in compiled.names]
    try:
        expected = ref._bound_function(id, notion)[1](*values)
    except ZeroDivisionError:
        assume(False)
    pairs = []
    for v in values:
        k = data.draw(st.integers(1, 10**6)) * data.draw(st.sampled_from([1, -1]))
        pairs.append((v.numerator * k, v.denominator * k))
    num, den = compiled.ratio(*pairs)
    assert den != 0 and Fraction(num, den) == expected


def test_scaled_accepts_integer_cells():
    """Cells given partly as ints (an Instance built directly) take the public-property path: same table."""
    inst = make_instance([["1/6", 0], ["1/3", "1/2"]], [1, 0], 0, "feature-only", "2/3")
    raw = ref.Instance(((Fraction(1, 6), 0), (Fraction(1, 3), Fraction(1, 2))), inst.signal, inst.target,
                       inst.strategy, inst.alpha)
    assert exactint.scaled(raw) == exactint.scaled(inst) == (((1, 0), (2, 3)), (1, 5), 6, (1, 0, 2, 3))
    assert exactint.core(raw) == exactint.core(inst)
