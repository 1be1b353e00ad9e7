"""The Z3 door: proofs by refutation, exact model values, budgets that turn into 'unknown'."""

import contextlib
import subprocess
import sys
import time
from fractions import Fraction

import pytest
import z3

from verify import steps, z3util


def test_prove_and_refute_with_exact_counterexample():
    x, y = z3.Reals("x y")
    assert z3util.prove(x * x + y * y >= 2 * x * y).status == "proven"
    out = z3util.prove(x * y <= x, [x > 0, y >= 0])
    assert out.status == "refuted"
    cx = out.counterexample
    assert isinstance(cx["x"], Fraction) and cx["x"] > 0 and cx["x"] * cx["y"] > cx["x"]


def test_exhausted_resource_limit_is_unknown_not_proven():
    a, b, c = z3.Reals("a b c")
    out = z3util.prove(a * a * b * b * c + a * b * c * c * c - 7 * a * b > -100, rlimit=200)
    assert out.status == "unknown" and out.reason


def test_rational_values_are_exact_and_algebraic_ones_are_flagged():
    assert z3util.to_fraction(z3.RealVal("-22/7")) == (Fraction(-22, 7), True)
    assert z3util.to_fraction(z3.IntVal(5)) == (Fraction(5), True)
    x = z3.Real("x")
    status, _, model, _ = z3util.check(z3.And(x * x == 2, x > 0))
    assert status == "sat"
    with pytest.raises(z3util.NonRationalValue, match="irrational"):
        z3util.to_fraction(model[x])
    approx, exact = z3util.to_fraction(model[x], approximate=True)
    assert not exact and abs(approx * approx - 2) < Fraction(1, 10**15)
    values, inexact = z3util.model_values(model)
    assert inexact == ("x",) and values["x"] == approx


def test_pinned_seeds_give_the_same_model_twice():
    xs = z3.Reals("a b c d")
    f = z3.And(*(v > 0 for v in xs), z3.Sum(*xs) == 1, xs[0] * xs[1] > xs[2] * xs[3])
    first = z3util.model_values(z3util.check(f)[2])
    assert first == z3util.model_values(z3util.check(f)[2])


# ---- the budget is Z3's own work count, not the clock: statuses do not depend on load ------------------

BURN = "while True: pass"


@contextlib.contextmanager
def cpu_load(processes: int):
    """``processes`` busy loops on this machine for the duration of the block."""
    procs = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(processes)]
    try:
        time.sleep(0.2)
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _statuses(ids=()):
    return {r["id"]: r["status"] for r in steps.run(ids)}


def test_statuses_under_artificial_load_equal_the_quiet_ones():
    ids = ["thm1.eps.corrected[k=3]", "thm3.aggregate[k=4]", "thm1.eps.model", "lemma11.tv-only"]
    quiet = _statuses(ids)
    with cpu_load(4):
        loaded = _statuses(ids)
    assert loaded == quiet
    assert quiet == {i: steps.get(i).expect for i in ids}
    # Exhausting the budget is 'unknown' (a failure), at the same point every time.
    starved = steps.get("thm3.aggregate[k=4]")
    assert [starved.run(rlimit=100_000).status for _ in range(2)] == ["unknown", "unknown"]


@pytest.mark.slow
def test_every_step_under_artificial_load_gets_its_quiet_status():
    quiet = _statuses()
    with cpu_load(6):
        loaded = _statuses()
    assert loaded == quiet
    assert all(status == steps.get(i).expect for i, status in quiet.items())
