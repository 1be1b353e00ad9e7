"""Plain numbers a user types (``0.01``, ``1/100``, ``1e-2``, ``10**-2``), read exactly and without sympy.

Bottom of the theory layer: the arithmetic subset of theory.expr's grammar and its limits, which expr.py
takes from here. ``read`` returns a Fraction for text in the subset and None for anything else, which the
caller then hands to theory.expr (functions, names) for a full reading or a one-line refusal. The text is
walked through a whitelist of ``ast`` nodes, never evaluated.

``exact`` compiles the rational part of the grammar with names (a condition or value as theory.expr.dump
writes it) to a function of exact values: theory.evaluate and theory.fast decide with it the facts they
print (whether a target is reachable, whether a value lies in a refuted range) on the exact values given.

>>> read("1/8"), read("2**-3"), read("1.25e-1"), read("sqrt(2)")
(Fraction(1, 8), Fraction(1, 8), Fraction(1, 8), None)
>>> exact("(2*epsilon - 1)/(epsilon - 1) >= S_star")({"epsilon": Fraction(0), "S_star": Fraction(1)})
True
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from fractions import Fraction

#: Longest text accepted, and deepest nesting of its syntax tree: both keep parsing time and memory small.
MAX_LENGTH = 2000
MAX_DEPTH = 60
#: Largest |exponent| of a numeric power, and largest number (in bits) a computation may produce.
MAX_EXPONENT = 64
MAX_BITS = 4096
#: Largest |exponent| of a decimal literal (1e300): Fraction('1e999999999') would take forever.
MAX_DECIMAL_EXPONENT = 300
#: The functions theory.expr's grammar admits, with their argument counts (theory.expr.FUNCTIONS maps each to
#: sympy): the one list that help texts and messages name. Here, without sympy, so that the CLI's help needs
#: no sympy import.
FUNCTION_ARITIES: dict[str, tuple[int, ...]] = {
    "log": (1, 2), "exp": (1,), "sqrt": (1,), "Min": tuple(range(1, 17)), "Max": tuple(range(1, 17)),
    "Abs": (1,), "floor": (1,), "ceiling": (1,), "LambertW": (1,),
}
FUNCTION_NAMES = " ".join(FUNCTION_ARITIES)
#: A decimal literal as the help promises it (0.01, 1e-2): digits only, no ``_`` grouping; an integer literal
#: is plain digits too (Python's 0x1, 0b1, 0o7 and 1_000 are refused: a typo should not silently mean 1).
DECIMAL = re.compile(r"^(\d+)?(\.\d+|\.)?([eE][+-]?\d+)?$")
INTEGER = re.compile(r"^\d+$")


class _Outside(Exception):
    """Not in the subset: let theory.expr read it (or refuse it)."""


def bits(f: Fraction) -> int:
    return max(f.numerator.bit_length(), f.denominator.bit_length())


def decimal(text: str) -> Fraction | None:
    """A decimal literal exactly (``1e-3`` is 1/1000), or None where it is not one (``0.0_1``) or its exponent is
    too large."""
    m = DECIMAL.match(text)
    if not m or not text or (m.group(3) and abs(int(m.group(3)[1:])) > MAX_DECIMAL_EXPONENT):
        return None
    return Fraction(text)


def read(text: str) -> Fraction | None:
    """The exact value of arithmetic on numbers (+ - * / ** and parentheses), or None outside that subset,
    over a limit, or where it divides by zero."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH or not text.strip():
        return None
    src = text.strip().replace("^", "**")
    try:
        tree = ast.parse(src, mode="eval")
        return _walk(tree.body, src, 0)
    except (SyntaxError, ValueError, RecursionError, MemoryError, ZeroDivisionError, _Outside):
        return None


def _walk(node, src: str, depth: int) -> Fraction:
    if depth > MAX_DEPTH:
        raise _Outside
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        segment = ast.get_source_segment(src, node) or ""
        if type(node.value) is int:
            value = Fraction(node.value) if INTEGER.match(segment) else None
        else:
            value = decimal(segment)
        if value is None:
            raise _Outside
        return _small(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _walk(node.operand, src, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        a, b = _walk(node.left, src, depth + 1), _walk(node.right, src, depth + 1)
        if isinstance(node.op, ast.Pow):
            if b.denominator != 1 or abs(b) > MAX_EXPONENT or bits(a) * abs(b) > MAX_BITS or (a == 0 and b < 0):
                raise _Outside
            return _small(a ** int(b))
        op = {ast.Add: Fraction.__add__, ast.Sub: Fraction.__sub__, ast.Mult: Fraction.__mul__,
              ast.Div: Fraction.__truediv__}[type(node.op)]
        return _small(op(a, b))
    raise _Outside


def _small(value: Fraction) -> Fraction:
    if bits(value) > MAX_BITS:
        raise _Outside
    return value


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses: ``"Max(1,2),3"`` -> ``["Max(1,2)", "3"]``.

    >>> split_top("0.1, Max(1/2, 1/3),1e-3")
    ['0.1', ' Max(1/2, 1/3)', '1e-3']
    """
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


class Inexact(ValueError):
    """The text needs more than rational arithmetic (exp, sqrt, a float constant, a name without a value), or
    its value is not a finite rational at these values (a division by zero, a power over the limits)."""


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_RATIONAL_FUNCTIONS = {"Abs": abs, "Min": min, "Max": max,
                       "floor": lambda x: Fraction(math.floor(x)), "ceiling": lambda x: Fraction(math.ceil(x))}


def exact(text: str) -> Callable[[Mapping[str, Fraction]], Fraction | bool]:
    """``text`` (theory.expr's grammar: numbers, names, + - * / **, Abs Min Max floor ceiling, comparisons,
    and/or/not) as a function of exact values {name: Fraction}, computing in Fractions: a Fraction, or a
    bool for a condition. Raises Inexact here for text outside that rational part (exp, log, sqrt, pi, a
    float constant), and from the function where a value is not a finite rational (division by zero).

    >>> f = exact("xi*(1 - p)/p")
    >>> f({"xi": Fraction(1, 5), "p": Fraction(1, 5)})
    Fraction(4, 5)
    >>> f({"xi": Fraction(1), "p": Fraction(0)})
    Traceback (most recent call last):
    ...
    theory.numbers.Inexact: division by zero
    """
    if not isinstance(text, str) or len(text) > 100 * MAX_LENGTH:
        raise Inexact("not a text of the grammar")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise Inexact(f"cannot read {text[:80]!r}") from None
    fn = _compile(tree.body, 0)

    def call(env: Mapping[str, Fraction]):
        try:
            return fn(env)
        except ZeroDivisionError:
            raise Inexact("division by zero") from None
        except (_Outside, OverflowError, MemoryError, RecursionError):
            raise Inexact("a value too large for exact arithmetic") from None
    return call


def _compile(node, depth: int):
    if depth > 4 * MAX_DEPTH:
        raise Inexact("nested too deeply")
    if isinstance(node, ast.Constant) and type(node.value) is int:
        value = Fraction(node.value)
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id

        def lookup(env):
            if name not in env:
                raise Inexact(f"no exact value for {name}")
            return env[name]
        return lookup
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        inner = _compile(node.operand, depth + 1)
        if isinstance(node.op, ast.USub):
            return lambda env: -inner(env)
        if isinstance(node.op, ast.Not):
            return lambda env: not inner(env)
        return inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        op, a, b = _BINARY[type(node.op)], _compile(node.left, depth + 1), _compile(node.right, depth + 1)
        return lambda env: _small(op(a(env), b(env)))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, power = _compile(node.left, depth + 1), _compile(node.right, depth + 1)

        def pow_(env):
            a, b = base(env), power(env)
            if b.denominator != 1 or abs(b) > MAX_EXPONENT or bits(a) * abs(b) > 4 * MAX_BITS:
                raise Inexact(f"the power {a}**{b} is not an exact rational within the limits")
            return a ** int(b)
        return pow_
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _RATIONAL_FUNCTIONS \
            and not node.keywords and node.args:
        f, args = _RATIONAL_FUNCTIONS[node.func.id], [_compile(a, depth + 1) for a in node.args]
        return lambda env: f(*(a(env) for a in args))
    if isinstance(node, ast.Compare):
        ops = [_COMPARE.get(type(op)) for op in node.ops]
        if None in ops:
            raise Inexact("an unknown comparison")
        terms = [_compile(node.left, depth + 1), *(_compile(c, depth + 1) for c in node.comparators)]

        def compare(env):
            values = [t(env) for t in terms]
            return all(op(x, y) for op, x, y in zip(ops, values, values[1:]))
        return compare
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, depth + 1) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(p(env) for p in parts)
        return lambda env: any(p(env) for p in parts)
    raise Inexact(f"{ast.dump(node)[:60]} is outside rational arithmetic")


def as_fraction(value) -> Fraction:
    """The exact value of a number as given: a Fraction or an integer as it is, a float by its exact binary
    value (``Fraction(0.1)``, not 1/10), a sympy Rational as p/q, a decimal text exactly. Inexact for
    anything else (nan, infinity, a sympy irrational).

    >>> as_fraction(0.5), as_fraction("0.1"), as_fraction(0.1) == Fraction(1, 10)
    (Fraction(1, 2), Fraction(1, 10), False)
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        out = read(value)
        if out is None:
            raise Inexact(f"{value!r} is not a number")
        return out
    p, q = getattr(value, "p", None), getattr(value, "q", None)
    if isinstance(p, int) and isinstance(q, int):  # a sympy Rational or Integer
        return Fraction(p, q)
    if getattr(value, "is_number", False) and not getattr(value, "is_Float", False):
        raise Inexact(f"{value} is not a rational number")  # sympy's sqrt(2), pi: no exact Fraction
    try:
        return Fraction(value)  # int, float (exact binary value), numpy scalars, numbers.Rational
    except (TypeError, ValueError, OverflowError):
        try:
            return Fraction(float(value))  # a sympy Float: its value as a float
        except (TypeError, ValueError, OverflowError):
            raise Inexact(f"{value!r} is not a finite number") from None


class Typed(Fraction):
    """A Fraction that remembers the text it was read from, so that a message names the value as typed
    (``alpha=exp(-1000)``), not a rounded one (``alpha=0``). Arithmetic on it gives plain Fractions.

    >>> v = Typed(Fraction(1, 10), "1e-1")
    >>> v == Fraction(1, 10), v.text, v + 0
    (True, '1e-1', Fraction(1, 10))
    """

    __slots__ = ("text",)

    def __new__(cls, value: Fraction, text: str):
        self = super().__new__(cls, value.numerator, value.denominator)
        self.text = text
        return self

    def __repr__(self):
        return f"Fraction({self.numerator}, {self.denominator})"

    def __reduce__(self):
        return (Fraction, (self.numerator, self.denominator))


def shown(value) -> str:
    """A value as a message names it: as typed (Typed), a Fraction exactly (p/q, or its float beyond 40
    characters), anything else with ``%g``."""
    if isinstance(value, Typed):
        return value.text
    if isinstance(value, Fraction):
        text = str(value)
        return text if len(text) <= 40 else f"{float(value):.17g} (rounded)"
    return f"{value:g}"


def domain_error(name: str, value, lo, hi, left_open: bool, right_open: bool, integer: bool,
                 domain: str, use: str = "bounds are evaluated in float64") -> str | None:
    """Why the exact ``value`` (a Fraction; a Typed one is named as typed) is not a value of ``name`` in the
    domain (lo, hi: numbers, or None/inf for no end; ``domain`` its text, e.g. ``(0, 1]``), or None when it
    is. A value inside the domain whose float64 (which bounds are evaluated at) is outside it is refused
    too, saying so: ``1 - 10**-20`` is 1.0 and ``exp(-1000)`` is 0.0.

    >>> domain_error("epsilon", Typed(1 - Fraction(1, 10**20), "1-10**-20"), 0, 1, False, True, False, "[0, 1)")
    'epsilon=1-10**-20 rounds to 1.0 in float64, outside its domain [0, 1); expected a number in [0, 1) that stays inside it as a float64 (bounds are evaluated in float64)'
    >>> domain_error("alpha", Fraction(3, 2), 0, 1, True, False, False, "(0, 1]")
    'alpha=3/2 is outside its domain (0, 1]'
    """
    lo_, hi_ = _end(lo), _end(hi)

    def inside(v: Fraction) -> bool:
        return ((lo_ is None or v > lo_ or (v == lo_ and not left_open))
                and (hi_ is None or v < hi_ or (v == hi_ and not right_open))
                and (not integer or v.denominator == 1))
    text = shown(value)
    if not inside(value):
        return f"{name}={text} is outside its domain {domain}"
    try:
        rounded = float(value)
    except OverflowError:
        rounded = math.inf if value > 0 else -math.inf
    if math.isfinite(rounded) and inside(Fraction(rounded)):
        return None
    how = "underflows to 0" if rounded == 0 else f"rounds to {rounded!r}"
    return (f"{name}={text} {how} in float64, outside its domain {domain}; expected a number in {domain} that "
            f"stays inside it as a float64 ({use})")


def _end(v) -> Fraction | None:
    """An end of a domain exactly, or None for an infinite one."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    if math.isinf(f):
        return None
    return as_fraction(v)


def check_exact(name: str, value, lo, hi, left_open: bool, right_open: bool, integer: bool, domain: str,
                error=ValueError) -> None:
    """Raise ``error(domain_error(...))`` for the first exact entry (a Fraction, in a scalar or an object
    array) of ``value`` that domain_error refuses; entries that are not Fractions are left to the caller."""
    items = [value] if isinstance(value, Fraction) else (
        value.ravel().tolist() if getattr(value, "dtype", None) == object else ())
    for v in items:
        if isinstance(v, Fraction):
            message = domain_error(name, v, lo, hi, left_open, right_open, integer, domain)
            if message:
                raise error(message)
