"""Symbolic derivations: critical masses from success bounds, and monotone weakenings.

Used by paper.py to derive every corollary from its theorem instead of typing it in.
"""

from __future__ import annotations

import sympy as sp

from theory.parameters import SYMBOLS, latex
from theory.result import CriticalMass

ALPHA = SYMBOLS["alpha"]


def _strip_min_zero(expr: sp.Expr, target: sp.Expr) -> tuple[sp.Expr, list[str]]:
    """Rewrite ``k * Min(e, 0) >= 0`` (k > 0) as ``e >= 0``, the form of Theorem 7."""
    if target != 0:
        return expr, []
    k, core = expr.as_independent(ALPHA, as_Add=False)
    if isinstance(core, sp.Min) and sp.S.Zero in core.args and k.is_positive:
        (inner,) = [a for a in core.args if a != 0]
        return inner, [rf"{latex(expr)} \geq 0 \iff {latex(inner)} \geq 0"]
    return expr, []


def critical_mass(bound: sp.Expr, target: sp.Expr) -> CriticalMass:
    """Solve ``bound(alpha) >= target`` for the least alpha, for a bound non-decreasing in alpha.

    The bound must become, after clearing denominators, linear in alpha. The result carries the
    case split: where the bound at alpha = 1 stays below the target no alpha works (unreachable);
    where the bound does not depend on alpha the target is met by every alpha or by none.

    >>> alpha, xi, Delta = sp.symbols("alpha xi Delta", positive=True)
    >>> from theory.parameters import symbols
    >>> a, x, d, s = symbols("alpha", "xi", "Delta", "S_star")
    >>> cm = critical_mass(1 - (1 - a) / a * d * x, s)
    >>> sp.simplify(cm.alpha_star - d * x / (1 - s + d * x))
    0
    """
    expr, steps = _strip_min_zero(bound, target)
    # Solve with the alpha-free part held as one symbol, so the answer keeps the paper's shape.
    fixed, moving = expr.as_independent(ALPHA, as_Add=True)
    margin = sp.Dummy("m")
    num, den = sp.fraction(sp.together(sp.expand(margin + moving)))
    poly = sp.Poly(sp.expand(num), ALPHA)
    if poly.degree() > 1:
        raise ValueError(f"bound is not linear in alpha after clearing denominators: {num}")
    a = poly.coeff_monomial(ALPHA)
    b = poly.coeff_monomial(1)
    root = sp.simplify(-b / a).subs(margin, fixed - target)
    steps += [
        rf"{latex(expr)} \geq {latex(target)}",
        rf"\frac{{{latex(num)}}}{{{latex(den)}}} \geq 0",
        rf"\alpha \geq {latex(root)}",
    ]
    return CriticalMass(
        alpha_star=root,
        reachable=sp.Ge(sp.simplify(expr.subs(ALPHA, 1)), target),
        degenerate=sp.Eq(_slope_factor(expr), 0),
        target=target,
        steps=tuple(steps),
    )


def _slope_factor(expr: sp.Expr) -> sp.Expr:
    """The alpha-free factor of d expr / d alpha: it vanishes exactly where expr is constant in alpha."""
    num, _ = sp.fraction(sp.factor(sp.together(sp.diff(expr, ALPHA))))
    factor, rest = num.as_independent(ALPHA, as_Add=False)
    if rest != 1 and not (rest.is_Pow and rest.base == ALPHA) and rest != ALPHA:
        raise ValueError(f"d/dalpha of {expr} has a numerator that depends on alpha: {num}")
    return factor


def weaken(expr: sp.Expr, upper: dict[sp.Symbol, sp.Expr], lower: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """Replace variables by upper (lower) bounds where ``expr`` is non-decreasing (non-increasing) in them.

    The result is an upper bound on ``expr``. Monotonicity is checked symbolically from the
    symbols' assumptions; a variable whose derivative has no provable sign raises ValueError.

    >>> from theory.parameters import symbols
    >>> x, y = symbols("g_P0", "g_Pprime")
    >>> weaken(x / (x + y), upper={x: 2 * x}, lower={}) == 2 * x / (2 * x + y)
    True
    """
    for var, sign, word in [(v, 1, "non-decreasing") for v in upper] + [(v, -1, "non-increasing") for v in lower]:
        if not _has_sign(sp.diff(expr, var), sign):
            raise ValueError(f"cannot show {expr} is {word} in {var}")
    return sp.simplify(expr.subs({**upper, **lower}, simultaneous=True))


def _has_sign(expr: sp.Expr, sign: int) -> bool:
    """Whether expr is >= 0 (sign 1) or <= 0 (sign -1) wherever it is defined, from assumptions alone."""
    num, den = sp.fraction(sp.factor(sp.together(expr)))
    return bool((sign * num).is_nonnegative and den.is_nonnegative)


def shortfall_area(success: sp.Expr, target: sp.Expr, upto: sp.Expr) -> sp.Expr:
    """Area between the level ``target`` and ``max(success, 0)`` for alpha in (0, upto].

    This is the principal's investment B of Section 6 when ``success`` is a lower bound on S and
    ``upto`` is the self-sustaining size: below the zero of the bound, S counts as 0.
    """
    a = sp.Dummy("a", positive=True)
    s = success.subs(ALPHA, a)
    zero = critical_mass(success, sp.S.Zero).alpha_star
    area = target * zero + sp.integrate(target - s, (a, zero, upto))
    return sp.simplify(area)
