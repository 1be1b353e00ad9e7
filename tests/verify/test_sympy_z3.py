"""sympy to Z3 and to exact Fractions agree on the same expression."""

from fractions import Fraction

import pytest
import sympy as sp
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.errors import InputError
from theory.parameters import SYMBOLS
from verify.sympy_z3 import exact_value, name_of, to_z3

a, b, c = sp.symbols("a b c", real=True)
EXPRS = [
    sp.Max(a, b - c) * sp.Rational(3, 7) - sp.Abs(a - 2 * c),
    sp.Min(1, a / (b**2 + 1)) + c**3,
    sp.Piecewise((a, a > b), (b - 1, True)) - 1 / (c**2 + 2),
]
rationals = st.fractions(min_value=-5, max_value=5, max_denominator=9)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(EXPRS), rationals, rationals, rationals)
def test_z3_term_evaluates_to_the_exact_value(expr, va, vb, vc):
    env = {}
    term = to_z3(expr, env)
    values = {"a": va, "b": vb, "c": vc}
    m = z3.Solver()
    m.add(*(env[k] == z3.RealVal(f"{v.numerator}/{v.denominator}") for k, v in values.items() if k in env))
    assert m.check() == z3.sat
    got = m.model().eval(term, model_completion=True)
    assert Fraction(got.numerator_as_long(), got.denominator_as_long()) == exact_value(expr, values)


def test_relations_and_parameter_names():
    alpha = SYMBOLS["alpha"]
    assert name_of(SYMBOLS["g_P0"]) == "g_P0"
    f = to_z3(sp.Implies(alpha > 1, sp.Eq(alpha, 2)))
    assert z3.is_implies(f)


def test_untranslatable_expressions_are_input_errors():
    with pytest.raises(InputError, match="integer powers"):
        to_z3(sp.sqrt(a))
    with pytest.raises(InputError, match="no value for b"):
        exact_value(a + b, {"a": 1})
