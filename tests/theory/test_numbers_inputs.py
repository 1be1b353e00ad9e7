"""Typed numbers and expressions a fresh user got wrong answers, hangs or empty messages from (issue: inputs2).

Each test fails on the code before the fix: a hang (exp(1e300) ran for hours in one C call), a traceback
(floor(exp(1e300))), a silent answer (0x1, 1+10**-20), a message naming a rounded value (alpha=0) or an empty
detail ("expected: ", "columns are ", "column 0").
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from fractions import Fraction

import pytest

from theory.errors import InputError
from theory.expr import FUNCTIONS, parse
from theory.expr import number as expr_number
from theory.numbers import FUNCTION_ARITIES, FUNCTION_NAMES, Typed, domain_error, read
from theory.parameters import SYMBOLS

THM1 = ("bound", "thm1", "--set", "Delta=1", "xi=0.001", "epsilon=0")

# -- 1. a number too large (or small) to evaluate is refused before sympy builds it ---------------------------

HUGE = ["exp(1e300)", "exp(10**64)", "exp(exp(10))", "exp(-1e300)", "exp(1e300)-exp(1e300)", "log(exp(1e300))",
        "sqrt(exp(1e300))", "Min(exp(1e300), 1)", "Max(1, exp(1e300))", "Abs(exp(1e300))", "LambertW(exp(1e300))",
        "floor(exp(1e300))", "ceiling(exp(-1e300))", "exp(1e300)**0", "(exp(-2838)**64)**64", "exp(2839)**2"]


@pytest.mark.parametrize("text", HUGE)
def test_a_number_outside_the_magnitude_bound_is_refused_at_once_naming_its_part(text):
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"magnitude at most 2\*\*4096.*this one is about 10\*\*"):
        expr_number(text, what=f"alpha={text!r}")
    assert time.perf_counter() - start < 5  # refused, not evaluated (a bound on hours, not a timing)


def test_a_number_sympy_cannot_evaluate_is_refused_in_one_line(cli):
    # floor(exp(2800)) is inside the magnitude bound, but its 30 digits need all 1216: PrecisionExhausted
    code, out, err = cli(*THM1, "alpha=floor(exp(2800))")
    assert code == 2 and out == "" and err.count("\n") == 1 and "'floor(exp(2800))' cannot be evaluated" in err


@pytest.mark.parametrize("text", ["exp(700)", "exp(-1000)", "exp(2800)/exp(2800)", "sqrt(2)/2", "log(1e300)",
                                  "exp(1e300*0)", "LambertW(1)", "floor(exp(30))"])
def test_numbers_inside_the_bound_are_read(text):
    assert expr_number(text) >= 0


@pytest.mark.parametrize("text, part", [("exp(1e300*alpha)", "1e300*alpha"), ("1 - exp(-alpha/1000)", "-alpha/1000"),
                                        ("alpha**(1e300*Delta)", "1e300*Delta"), ("exp(alpha + 1e100)", "alpha + 1e100")])
def test_an_exponent_in_the_parameters_has_small_numbers(text, part):
    # sympy's factor() read exp(-1e300*alpha) as exp(alpha)**(-1e300) and never returned (a results file's bound)
    names = {n: SYMBOLS[n] for n in ("alpha", "Delta")}
    with pytest.raises(InputError, match=rf"'{re.escape(part)}'.*numbers of at most 64 in absolute value and denominator"):
        parse(text, names)
    assert parse("1 - exp(-alpha/2)", names).has(SYMBOLS["alpha"])


def test_the_command_refuses_exp_1e300_in_one_line_and_exits_2():
    """The reported command ran at full CPU until SIGKILL; now one line, exit 2, well within the limit."""
    out = subprocess.run([sys.executable, "-m", "critmass", *THM1, "alpha=exp(1e300)"], capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "alpha='exp(1e300)'" in out.stderr and "magnitude" in out.stderr


# -- 2. a domain error names the value as typed and says what rounding did -----------------------------------

@pytest.mark.parametrize("value, said", [
    ("alpha=exp(-1000)", "alpha=exp(-1000) underflows to 0 in float64, outside its domain (0, 1]"),
    ("alpha=1+10**-20", "alpha=1+10**-20 is outside its domain (0, 1]"),  # was read as 1.0: a silent answer
    ("alpha=3/2", "alpha=3/2 is outside its domain (0, 1]"),
    ("epsilon=1-10**-20", "epsilon=1-10**-20 rounds to 1.0 in float64, outside its domain [0, 1)"),
])
def test_a_domain_error_names_the_value_as_typed(cli, value, said):
    args = [a for a in THM1 if a.split("=")[0] != value.split("=")[0]]
    code, out, err = cli(*args, "alpha=0.5" if not value.startswith("alpha") else value,
                         *([value] if not value.startswith("alpha") else []))
    assert code == 2 and said in err and out == ""


def test_domain_error_checks_exactly_then_the_float():
    assert domain_error("alpha", Fraction(1, 2), 0, 1, True, False, False, "(0, 1]") is None
    assert "underflows to 0" in domain_error("alpha", Typed(Fraction(1, 10**400), "1e-400"), 0, 1, True, False,
                                             False, "(0, 1]")
    assert domain_error("n", Fraction(5, 2), 0, None, False, False, True, "[0, inf)") == \
        "n=5/2 is outside its domain [0, inf)"


def test_an_option_value_that_underflows_is_refused_naming_the_text(cli):
    code, _, err = cli("simulate", "exact", "--random", "3", "--store", "s.sqlite", "--alphas", "0.5,1e-200/1e200")
    assert code == 2 and "'1e-200/1e200' underflows to 0 in float64" in err


# -- 3. Python's other literal forms are refused, not read silently -------------------------------------------

@pytest.mark.parametrize("text, kind", [("0x1", "hexadecimal"), ("0b1", "binary"), ("0o7", "octal"),
                                        ("0.0_1", "digits grouped with _"), ("1_000", "digits grouped with _"),
                                        ("2*0X10", "hexadecimal")])
def test_hex_binary_octal_and_underscore_literals_are_refused(cli, text, kind):
    assert read(text) is None
    with pytest.raises(InputError, match=kind):
        expr_number(text)
    code, out, err = cli(*THM1, f"alpha={text}")
    assert code == 2 and kind in err and out == "" and err.count("\n") == 1


def test_plain_decimal_forms_are_still_read():
    assert [read(t) for t in ("0.01", "1/100", "1e-2", "10**-2", ".5", "5.", "00")] == \
        [Fraction(1, 100)] * 4 + [Fraction(1, 2), Fraction(5), Fraction(0)]


# -- 4. no empty detail in a message; columns count from 1; one list of functions -----------------------------

def test_an_empty_csv_says_it_has_no_header(cli, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    code, _, err = cli("simulate", "tabular", "--store", str(tmp_path / "s.sqlite"), "--csv", str(tmp_path / "empty.csv"))
    assert code == 2 and "no header line" in err and "columns are \n" not in err


def test_a_result_without_parameters_says_so(cli, tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('family = "t"\n[[results]]\nid = "const-half-inputs"\ntitle = "t"\nsource = "s"\nbound = "1/2"\n')
    code, _, err = cli("bound", "const-half-inputs", "--results", str(path), "--set", "alpha=0.5")
    assert code == 2 and "const-half-inputs; it takes no parameters" in err and "expected: \n" not in err


@pytest.mark.parametrize("text, column", [("alpha +", "the end (column 8)"), ("  alpha + 0x1", "column 11"),
                                          ("alpha^2 + 0x1", "column 11"), ("alpha^2^3 + nosuch", "column 13")])
def test_columns_count_from_1_in_the_text_as_typed(text, column):
    with pytest.raises(InputError, match=rf"at {column.replace('(', '[(]').replace(')', '[)]')}"):
        parse(text, {"alpha": SYMBOLS["alpha"]})


def test_the_claim_help_lists_every_function_the_parser_admits(cli):
    assert list(FUNCTIONS) == list(FUNCTION_ARITIES) and FUNCTION_NAMES.split() == list(FUNCTIONS)
    code, out, _ = cli("counterexample", "--help")
    help_text = " ".join(out.split())
    assert code == 0 and FUNCTION_NAMES in help_text
    code, out, _ = cli("bound", "--help")
    assert code == 0 and FUNCTION_NAMES in " ".join(out.split())
