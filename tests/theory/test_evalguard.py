"""Values of a stated expression at a point beyond 2**MAX_BITS (theory.expr.guard): refused in one line, in
microseconds, before sympy evaluates them.

A bound such as exp(exp(exp(64*alpha))) passes the parser (its numbers are small), but sympy's evalf of it at
alpha = 1 computes e to about 10**27 bits: every command that compared, substituted or evaluated it there ran
forever at full CPU. Each command runs in a subprocess with a time limit, so that a regression fails here
instead of hanging the suite.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from theory.expr import BEYOND, Beyond, guard
from theory.parameters import SYMBOLS

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 90  # a fresh process imports sympy and derives one result: seconds; the old code never returned

A, XI = SYMBOLS["alpha"], SYMBOLS["xi"]
TOWER = "exp(exp(exp(64*alpha)))"


def _results(tmp_path, **bounds) -> Path:
    """A results file: one result per keyword (id = bound, an id's _ read as -), target S_star."""
    text = "".join(f'[[results]]\nid = "{id.replace("_", "-")}"\ntitle = "t"\nsource = "s"\nbound = "{bound}"\n'
                   f'target = "S_star"\nstrategy = "feature-label"\n' for id, bound in bounds.items())
    path = tmp_path / "r.toml"
    path.write_text(text)
    return path


def _critmass(tmp_path, *args) -> tuple[int, str, str]:
    """``critmass ARGS`` in a fresh process with its own derivation cache; fails (not hangs) past LIMIT_S."""
    env = {**os.environ, "CRITMASS_CACHE_DIR": str(tmp_path / "cache")}
    try:
        out = subprocess.run([sys.executable, "-m", "critmass", *map(str, args)], capture_output=True, text=True,
                             timeout=LIMIT_S, cwd=tmp_path, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"critmass {' '.join(map(str, args))} ran past {LIMIT_S} s")
    return out.returncode, out.stdout, out.stderr


@contextlib.contextmanager
def _within(seconds: int):
    """Fail (TimeoutError) instead of hanging where the old code computed forever (pure-Python mpmath loops)."""
    def stop(*_):
        raise TimeoutError(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _refused(tmp_path, *args) -> str:
    code, out, err = _critmass(tmp_path, *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "Traceback" not in err
    return err


# ---- the guard itself ---------------------------------------------------------------------------------------

def test_guard_refuses_a_tower_in_microseconds_and_names_the_part():
    start = time.perf_counter()
    with pytest.raises(Beyond) as e:
        guard(sp.exp(sp.exp(sp.exp(64 * A))), {A: 1})
    assert time.perf_counter() - start < 1
    assert e.value.part == sp.exp(sp.exp(64 * A)) and float(e.value.log10) > 1e27
    with pytest.raises(Beyond):  # 16*alpha: sympy computes e to about 10**7 bits (minutes), and so on upward
        guard(sp.exp(sp.exp(sp.exp(16 * A))), {A: 1})
    with pytest.raises(Beyond):  # exp(exp(8)) is about 10**1294, beyond 2**4096 (about 10**1233)
        guard(sp.exp(sp.exp(8 * A)), {A: 1})


def test_guard_refuses_parts_that_sympy_would_compare_or_cancel():
    tower = sp.exp(sp.exp(sp.exp(64 * A)))
    for expr in (sp.Min(1, A * tower), tower - tower / 2, 1 - sp.exp(-sp.exp(sp.exp(64 * A))), 2 ** tower,
                 sp.Ge(tower, XI), sp.Piecewise((tower, XI > 0), (0, True))):
        with pytest.raises(Beyond):
            guard(expr, {A: 1, XI: sp.Rational(1, 2)})
    with pytest.raises(Beyond):  # a power whose magnitude is beyond: 10**(64*64*alpha) at alpha = 1
        guard(sp.Integer(10) ** (64 * 64 * A), {A: 1})


def test_guard_computes_values_within_the_bound_and_leaves_symbols_unknown():
    assert float(guard(sp.exp(sp.exp(7 * A)), {A: 1})) == pytest.approx(float(mpmath.exp(mpmath.exp(7))))
    assert float(guard(1 - (1 - A) / A * XI, {A: sp.Rational(1, 2), XI: 0.1})) == pytest.approx(0.9)
    assert guard(sp.exp(sp.exp(sp.exp(64 * A))) * XI, {}) is None  # nothing is known: sympy has nothing to evaluate
    assert guard(sp.exp(-sp.exp(7 * A)), {A: 1}) > 0  # tiny, not beyond: about 10**-476
    assert "2**4096" in BEYOND


def test_the_derivation_and_the_interval_arithmetic_refuse_a_tower():
    from theory.derive import critical_mass
    from theory.inverse import Uncertified, crossing_bracket, interval
    s = SYMBOLS["S_star"]
    with _within(20), pytest.raises(Beyond, match=r"the bound exp\(exp\(exp\(64\*alpha\)\)\) at alpha=1"):
        critical_mass(sp.exp(sp.exp(sp.exp(64 * A))), s)
    with _within(20), pytest.raises(Uncertified, match="beyond 2"):
        interval(sp.exp(sp.exp(sp.exp(64 * A))), {A: 1})
    with _within(20), pytest.raises(Uncertified, match="beyond 2"):
        crossing_bracket(sp.Min(1, A * sp.exp(sp.exp(sp.exp(64 * XI)))), sp.Rational(1, 2), {"xi": 1})


# ---- every command on a stated tower ------------------------------------------------------------------------

def test_bound_of_a_tower_is_refused_naming_result_expression_and_point(tmp_path):
    f = _results(tmp_path, huge=TOWER)
    err = _refused(tmp_path, "bound", "huge", "--set", "alpha=1", "--results", f)
    assert f"huge's bound {TOWER}" in err and "alpha=1" in err and "beyond 2**4096" in err, err
    err = _refused(tmp_path, "bound", "huge", "--set", "alpha=1/64,1", "--json", "--results", f)
    assert "alpha=1" in err and "beyond 2**4096" in err
    code, out, err = _critmass(tmp_path, "bound", "huge", "--set", "alpha=1/64", "--results", f)
    assert code == 0 and "S(alpha) >= " in out, (out, err)  # exp(exp(e)) is a finite bound, still printed


def test_critical_mass_of_a_tower_is_not_derived(tmp_path):
    f = _results(tmp_path, huge=TOWER, huge16="exp(exp(exp(16*alpha)))")
    for id in ("huge", "huge16"):
        err = _refused(tmp_path, "critical-mass", id, "--set", "S_star=1/2", "--results", f)
        assert f"{id}: critical mass not derived: the bound exp(exp(exp(" in err and "at alpha=1" in err, err
        assert "beyond 2**4096" in err


def test_results_and_latex_of_a_tower_terminate(tmp_path):
    f = _results(tmp_path, huge=TOWER)
    code, out, err = _critmass(tmp_path, "results", "--family", "user", "--json", "--results", f)
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["id"] == "huge" and any("critical mass not derived" in n and "beyond 2**4096" in n
                                       for n in row["notes"]), row
    code, out, err = _critmass(tmp_path, "latex", "huge", "-o", tmp_path / "huge.tex", "--results", f)
    assert code == 0 and "e^{e^{e^{64" in (tmp_path / "huge.tex").read_text(), err


def test_a_tower_in_a_parameter_other_than_alpha_is_refused_at_the_point(tmp_path):
    """At alpha = 1 these are symbolic in xi: the derivation stands, and the tower is met where a value of xi is
    given: in the critical mass's case split (sympy compared Min(1, exp(exp(exp(64)))) with S*), and in a
    hypothesis (2**(2**64): a traceback, Inexact from the Fractions' power limit)."""
    (tmp_path / "r.toml").write_text(
        '[[results]]\nid = "towerxi"\ntitle = "t"\nsource = "s"\nbound = "Min(1, alpha*exp(exp(exp(64*xi))))"\n'
        'target = "S_star"\n'
        '[[results]]\nid = "powxi"\ntitle = "t"\nsource = "s"\nbound = "Min(alpha, 1 + xi)"\n'
        'hypotheses = ["2**(2**(64*xi)) > 3"]\n')
    f = tmp_path / "r.toml"
    err = _refused(tmp_path, "critical-mass", "towerxi", "--set", "xi=1", "S_star=1/2", "--results", f)
    assert "towerxi's critical mass" in err and "xi=1" in err and "beyond 2**4096" in err, err
    code, out, err = _critmass(tmp_path, "critical-mass", "towerxi", "--set", "xi=1/1000", "S_star=1/2",
                               "--results", f)
    assert code == 0 and "alpha* <= " in out, (out, err)  # Min(1, alpha*exp(exp(1.07))) >= 1/2: a numeric inverse
    code, out, err = _critmass(tmp_path, "bound", "towerxi", "--set", "alpha=1/2", "xi=1", "--results", f)
    assert code == 0 and "S(alpha) >= 1" in out, (out, err)  # float64 Min(1, inf) = 1 is the true value
    err = _refused(tmp_path, "bound", "powxi", "--set", "alpha=1/2", "xi=1", "--results", f)
    assert "powxi's hypothesis 2**(2**(64*xi)) > 3 at xi=1" in err and "beyond 2**4096" in err, err
    err = _refused(tmp_path, "bound", "powxi", "--set", "alpha=1/2", "xi=1/1000", "--results", f)
    assert "break the hypothesis" in err  # 2**(2**0.064) is about 2.06: decided by sympy, not a traceback
    code, out, err = _critmass(tmp_path, "bound", "powxi", "--set", "alpha=1/2", "xi=1/16", "--results", f)
    assert code == 0 and "S(alpha) >= 0.5" in out, (out, err)


def test_check_instance_and_counterexample_on_a_tower_terminate(tmp_path):
    f = _results(tmp_path, huge=TOWER)
    inst = json.loads((ROOT / "tests" / "workbench" / "instance.json").read_text())
    (tmp_path / "inst.json").write_text(json.dumps({**inst, "alpha": "1"}))
    err = _refused(tmp_path, "check-instance", tmp_path / "inst.json", "--result", "huge", "--results", f)
    assert "huge's bound" in err and "alpha=1" in err and "beyond 2**4096" in err, err
    code, out, err = _critmass(tmp_path, "counterexample", "--strategy", "feature-label", "--max-x", "2",
                               "--max-y", "2", "--claim", "huge", "--results", f)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (code, out, err)
    code, out, err = _critmass(tmp_path, "counterexample", "--strategy", "feature-label", "--max-x", "2",
                               "--max-y", "2", "--claim", "Min(1, huge)", "--alpha", "1", "--results", f)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (code, out, err)
