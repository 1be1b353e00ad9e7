"""The certified numeric inverse of a monotone bound: the alpha where it crosses a target, at given values.

Beside theory/evaluate.py (numbers from expressions): used where sympy finds no closed-form critical mass
(theory.derive.crossing). Bisection on alpha in (0, 1] with every comparison made in interval arithmetic
(mpmath.iv at 128 bits, the parameter values taken exactly), so the bracket it returns is certified:
bound(lo) < target <= bound(hi). With the bound non-decreasing (proven before), the critical mass lies in
(lo, hi], and hi is a certified upper bound on it.

>>> import sympy as sp
>>> from theory.parameters import SYMBOLS
>>> a = SYMBOLS["alpha"]
>>> lo, hi = crossing_bracket(a**3 + a, sp.Rational(1, 2), {})
>>> float(hi) - 0.4533976515164037 < 1e-15, lo < hi
(True, True)
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import sympy as sp

from theory.expr import BEYOND, Beyond, guard
from theory.numbers import MAX_BITS
from theory.parameters import SYMBOLS

ALPHA = SYMBOLS["alpha"]
LIMIT = mpmath.mpf(2) ** MAX_BITS          # no part's interval reaches beyond 2**MAX_BITS (theory.expr.guard)
LN_LIMIT = mpmath.mpf(MAX_BITS) * mpmath.ln2
PREC = 128        # bits of the interval arithmetic
ITERATIONS = 80   # bisection steps: the bracket is at most 2^-80 wide unless rounding stops it earlier


class Uncertified(ArithmeticError):
    """The interval arithmetic could not decide a comparison the answer depends on."""


def interval(expr: sp.Basic, env: dict[sp.Symbol, Fraction]):
    """An mpmath interval enclosing ``expr`` at exact values ``env`` (every free symbol must have one)."""
    iv = mpmath.iv

    def go(e):
        out = node(e)
        if max(abs(out.a), abs(out.b)) > LIMIT:  # refused before a later exp or power computes with it
            raise Uncertified(f"{e} may be beyond {BEYOND} at these values")
        return out

    def node(e):
        if e.is_Rational:
            return iv.mpf(int(e.p)) / int(e.q)
        if isinstance(e, sp.Symbol):
            v = env[e]
            return iv.mpf(v.numerator) / v.denominator
        if e is sp.pi:
            return iv.pi
        if e is sp.E:
            return iv.e
        if isinstance(e, sp.Add):
            out = go(e.args[0])
            for a in e.args[1:]:
                out = out + go(a)
            return out
        if isinstance(e, sp.Mul):
            out = go(e.args[0])
            for a in e.args[1:]:
                out = out * go(a)
            return out
        if isinstance(e, sp.Pow):
            base, k = e.args
            if k.is_Integer:
                b = go(base)
                if int(k) < 0 and 0 in b:
                    raise Uncertified(f"{base} may be 0 at these values")
                return b ** int(k)
            return _exp(go(k) * _log(go(base)), e)
        if isinstance(e, sp.exp):
            return _exp(go(e.args[0]), e)
        if isinstance(e, sp.log):
            out = _log(go(e.args[0]))
            return out / _log(go(e.args[1])) if len(e.args) > 1 else out
        if isinstance(e, sp.Abs):
            x = go(e.args[0])
            lo, hi = x.a, x.b
            if lo >= 0:
                return x
            if hi <= 0:
                return -x
            return iv.mpf([0, max(-lo, hi)])
        if isinstance(e, (sp.Min, sp.Max)):
            xs = [go(a) for a in e.args]
            pick = min if isinstance(e, sp.Min) else max
            return iv.mpf([pick(x.a for x in xs), pick(x.b for x in xs)])
        raise Uncertified(f"{type(e).__name__} has no interval form")

    def _exp(x, e):
        if x.b > LN_LIMIT:  # mpmath would compute exp of it to the bits of its magnitude: forever, for a tower
            raise Uncertified(f"{e} may be beyond {BEYOND} at these values")
        return iv.exp(x)

    def _log(x):
        if x.a <= 0:
            raise Uncertified("a logarithm of a value that may be <= 0")
        return iv.log(x)

    old = iv.prec
    iv.prec = PREC
    try:
        return go(sp.sympify(expr, strict=True))
    finally:
        iv.prec = old


def _gap_sign(expr, target, alpha: Fraction, env) -> int:
    """+1 if bound(alpha) >= target for certain, -1 if < for certain, 0 if the interval cannot tell."""
    gap = interval(expr - target, {**env, ALPHA: alpha})
    if gap.a >= 0:
        return 1
    if gap.b < 0:
        return -1
    return 0


def _exact_sign_at_one(expr, target, env) -> int:
    """+1 if bound(1) >= target, -1 if <, decided in exact rationals where the gap at alpha = 1 is a rational
    number (a tie bound(1) = S* reaches the target: alpha* = 1); 0 where it is not rational. Uncertified where
    a part of it there is beyond 2**MAX_BITS (theory.expr.guard), before sympy evaluates it."""
    at = {**{s: sp.Rational(v.numerator, v.denominator) for s, v in env.items()}, ALPHA: sp.S.One}
    try:
        guard(expr - target, at)
    except Beyond as e:
        raise Uncertified(f"at alpha = 1 {e}") from None
    gap = (expr - target).subs(at)
    if not gap.is_Rational:
        return 0
    return 1 if gap >= 0 else -1


def crossing_bracket(expr: sp.Expr, target: sp.Expr, values: dict) -> tuple[Fraction, Fraction | float]:
    """(lo, hi) with bound(lo) < target <= bound(hi), both certified, for a bound non-decreasing in alpha.

    ``values`` maps the other parameters' symbols (or names) to exact numbers. lo is 0 when no alpha in the
    search fails; hi is ``inf`` when the target is unreachable at alpha = 1. Raises Uncertified where the
    interval arithmetic cannot decide the sign at alpha = 1 or at the first point.
    """
    env = {(SYMBOLS[k] if isinstance(k, str) else k): Fraction(v) for k, v in values.items()}
    free = (expr.free_symbols | sp.sympify(target, strict=True).free_symbols) - {ALPHA} - set(env)
    if free:
        raise ValueError(f"no value for {sorted(map(str, free))}")
    top = _exact_sign_at_one(expr, target, env) or _gap_sign(expr, target, Fraction(1), env)
    if top == -1:
        return Fraction(1), math.inf
    if top == 0:
        raise Uncertified("cannot decide whether the target is reached at alpha = 1")
    lo, hi = Fraction(0), Fraction(1)
    for _ in range(ITERATIONS):
        mid = (lo + hi) / 2
        sign = _gap_sign(expr, target, mid, env)
        if sign == 0:
            break  # the bracket is as narrow as 128-bit intervals can certify
        if sign == 1:
            hi = mid
        else:
            lo = mid
    return lo, hi


def numeric_crossing(expr: sp.Expr, target: sp.Expr, values: dict) -> float:
    """The certified upper end of the crossing bracket as a float, rounded up: an upper bound on the
    critical mass (``inf`` where unreachable)."""
    _, hi = crossing_bracket(expr, target, values)
    if hi == math.inf:
        return math.inf
    out = float(hi)
    return out if Fraction(out) >= hi else math.nextafter(out, math.inf)
