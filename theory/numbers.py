"""Plain numbers a user types (``0.01``, ``1/100``, ``1e-2``, ``10**-2``), read exactly and without sympy.

Bottom of the theory layer: the arithmetic subset of theory.expr's grammar and its limits, which expr.py
takes from here. ``read`` returns a Fraction for text in the subset and None for anything else, which the
caller then hands to theory.expr (functions, names) for a full reading or a one-line refusal. The text is
walked through a whitelist of ``ast`` nodes, never evaluated.

>>> read("1/8"), read("2**-3"), read("1.25e-1"), read("sqrt(2)")
(Fraction(1, 8), Fraction(1, 8), Fraction(1, 8), None)
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction

#: Longest text accepted, and deepest nesting of its syntax tree: both keep parsing time and memory small.
MAX_LENGTH = 2000
MAX_DEPTH = 60
#: Largest |exponent| of a numeric power, and largest number (in bits) a computation may produce.
MAX_EXPONENT = 64
MAX_BITS = 4096
#: Largest |exponent| of a decimal literal (1e300): Fraction('1e999999999') would take forever.
MAX_DECIMAL_EXPONENT = 300
DECIMAL = re.compile(r"^(\d[\d_]*)?(\.\d[\d_]*|\.)?([eE][+-]?\d+)?$")


class _Outside(Exception):
    """Not in the subset: let theory.expr read it (or refuse it)."""


def bits(f: Fraction) -> int:
    return max(f.numerator.bit_length(), f.denominator.bit_length())


def decimal(text: str) -> Fraction | None:
    """A decimal literal exactly (``1e-3`` is 1/1000), or None where it is not one or its exponent is too large."""
    text = text.replace("_", "")
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
        value = Fraction(node.value) if type(node.value) is int else decimal(ast.get_source_segment(src, node) or "")
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
