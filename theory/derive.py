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
    """The least alpha in (0, 1] with ``bound(alpha) >= target``, for a bound non-decreasing in alpha.

    The bound is first shown non-decreasing in alpha on the parameters' domains (``nondecreasing``);
    where that cannot be shown the derivation refuses (ValueError naming what could not be shown). Then:

    - linear in alpha after clearing denominators: solved in the paper's shape;
    - otherwise solved by sympy (solveset, else solve) with the case split kept: a Piecewise over the
      candidate roots, each valid where it is real and in (0, 1];
    - where sympy finds no root, or no candidate holds at some values: ``crossing(target)``, a certified
      numeric inverse at each point (``numeric_crossing``), with the reason in ``reason``.

    The result carries the case split: where the bound at alpha = 1 stays below the target no alpha
    works (unreachable); where the bound does not depend on alpha every alpha > 0 works (degenerate).

    >>> from theory.parameters import symbols
    >>> a, x, d, s = symbols("alpha", "xi", "Delta", "S_star")
    >>> cm = critical_mass(1 - (1 - a) / a * d * x, s)
    >>> sp.simplify(cm.alpha_star - d * x / (1 - s + d * x)), cm.method
    (0, 'closed form')
    >>> critical_mass(1 - x * sp.log(1 / a), s).alpha_star
    Piecewise((exp((S^* - 1)/xi), (exp((S^* - 1)/xi) <= 1) & (exp((S^* - 1)/xi) > 0)), (crossing(S^*), True))
    """
    _guard_at_one(bound, target)
    expr, steps = _strip_min_zero(bound, target)
    how = nondecreasing(expr)
    steps = [rf"\frac{{\partial}}{{\partial \alpha}} {latex(expr)} \geq 0 \text{{ ({how})}}", *steps]
    common = dict(reachable=sp.Ge(sp.simplify(expr.subs(ALPHA, 1)), target), degenerate=_degenerate(expr),
                  target=target, monotonicity=how, bound=expr)
    linear = _linear_root(expr, target)
    if linear is not None:
        root, num, den = linear
        steps += [
            rf"{latex(expr)} \geq {latex(target)}",
            rf"\frac{{{latex(num)}}}{{{latex(den)}}} \geq 0",
            rf"\alpha \geq {latex(root)}",
        ]
        return CriticalMass(alpha_star=root, steps=tuple(steps), **common)
    roots, how_solved = _roots(expr, target)
    if not roots:
        steps.append(rf"{latex(expr)} = {latex(target)} \text{{ has no closed-form root: numeric inverse}}")
        return CriticalMass(alpha_star=crossing(target), steps=tuple(steps), method="numeric inverse",
                            reason=how_solved, **common)
    pieces = [(r, sp.And(*_in_domain(r))) for r in roots]
    steps += [rf"{latex(expr)} = {latex(target)} \iff \alpha \in \{{{', '.join(latex(r) for r in roots)}\}} "
              rf"\text{{ ({how_solved})}}"]
    alpha_star = sp.Piecewise(*pieces, (crossing(target), True))
    return CriticalMass(alpha_star=alpha_star, steps=tuple(steps), reason=how_solved, **common)


def _guard_at_one(bound: sp.Expr, target: sp.Expr) -> None:
    """Refuse (theory.expr.Beyond, a ValueError) a bound with a part beyond 2**MAX_BITS at alpha = 1, before
    sympy compares it with the target there: its evalf of exp(exp(exp(64))) computes e to about 10**27 bits."""
    from theory.expr import Beyond, beyond, guard
    try:
        guard(bound, {ALPHA: 1})
        guard(target)
    except Beyond as e:
        raise e.restated(beyond("the bound", bound, "alpha=1", e)) from None


class crossing(sp.Function):
    """``crossing(S)``: the alpha in (0, 1] where a monotone bound crosses S, found numerically per point
    (``numeric_crossing``); it stands in a critical mass where sympy finds no closed form."""

    nargs = 1

    def _latex(self, printer):
        return rf"\alpha_c\left({printer._print(self.args[0])}\right)"


def _linear_root(expr: sp.Expr, target: sp.Expr):
    """(root, numerator, denominator) where ``expr >= target`` is linear in alpha after clearing
    denominators, else None. The alpha-free part is held as one symbol, so the answer keeps the paper's shape."""
    fixed, moving = expr.as_independent(ALPHA, as_Add=True)
    margin = sp.Dummy("m")
    num, den = sp.fraction(sp.together(sp.expand(margin + moving)))
    try:
        poly = sp.Poly(sp.expand(num), ALPHA)
    except sp.PolynomialError:
        return None
    if poly.degree() != 1 or any(ALPHA in c.free_symbols for c in poly.coeffs()):
        return None
    a = poly.coeff_monomial(ALPHA)
    b = poly.coeff_monomial(1)
    return sp.simplify(-b / a).subs(margin, fixed - target), num, den


def _roots(expr: sp.Expr, target: sp.Expr) -> tuple[list[sp.Expr], str]:
    """The candidate roots of ``expr = target`` in alpha that sympy finds, checked at random points; and how."""
    equation = sp.Eq(expr, target)
    found, how = None, ""
    try:
        sols = sp.solveset(equation, ALPHA, domain=sp.S.Reals)
        if isinstance(sols, sp.FiniteSet):
            found, how = list(sols), "solveset over the reals"
    except (NotImplementedError, ValueError, TypeError):
        pass
    if found is None:
        try:
            found, how = sp.solve(equation, ALPHA), "sympy.solve (solveset gave no finite set)"
        except (NotImplementedError, ValueError, TypeError) as e:
            return [], f"sympy finds no closed form: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
    kept = [r for r in found if ALPHA not in r.free_symbols and _is_root(expr - target, r)]
    if not kept:
        return [], "sympy finds no closed-form root of the bound = target in alpha"
    return kept, how


def _is_root(gap: sp.Expr, r: sp.Expr, points: int = 6) -> bool:
    """Whether ``gap(alpha=r)`` vanishes at random points of the domains where r is real in (0, 1]."""
    import random
    rng = random.Random(0)
    syms = sorted(gap.free_symbols - {ALPHA} | r.free_symbols, key=str)
    from theory.expr import Beyond, guard
    for _ in range(points):
        at = {s: _random_point(s, rng) for s in syms}
        try:  # sympy's evalf of a value beyond 2**MAX_BITS may never return (and is not in (0, 1])
            root = guard(r, at)
        except Beyond:
            continue
        value = r.subs(at).evalf(40)
        if not (value.is_real and 0 < value <= 1):
            continue
        try:  # nor can the bound be checked there: such a root is not kept
            guard(gap, {**at, ALPHA: root if root is not None else value})
        except Beyond:
            return False
        if abs(gap.subs(at).subs(ALPHA, value).evalf(40)) > sp.Float("1e-25"):
            return False
    return True


def _random_point(symbol: sp.Symbol, rng) -> sp.Rational:
    from theory.parameters import of_symbol
    try:
        d = of_symbol(symbol).domain
        lo, hi = d.start, d.end
    except KeyError:
        lo, hi = sp.S.Zero, sp.oo
    lo = lo if lo.is_finite else sp.Integer(-10)
    hi = hi if hi.is_finite else lo + 10
    return lo + (hi - lo) * sp.Rational(rng.randint(1, 999), 1000)


def _in_domain(r: sp.Expr) -> list[sp.Basic]:
    """Where a root formula is a real number in (0, 1]: its square roots and logarithms defined, and 0 < r <= 1."""
    conds = []
    for p in r.atoms(sp.Pow):
        if not p.exp.is_integer:
            conds.append(sp.Ge(p.base, 0))
    for f in r.atoms(sp.log):
        conds.append(sp.Gt(f.args[0], 0))
    conds += [sp.Gt(r, 0), sp.Le(r, 1)]
    return [c for c in conds if c is not sp.true]


def _degenerate(expr: sp.Expr) -> sp.Basic:
    """Where the bound does not depend on alpha: its derivative's alpha-free factor vanishes, when the
    rest has a provable sign; ``false`` when that cannot be shown (then every point is solved as it comes)."""
    try:
        return sp.Eq(_slope_factor(expr), 0)
    except ValueError:
        pass
    num, _ = sp.fraction(sp.factor(sp.together(sp.diff(expr, ALPHA))))
    factor, rest = num.as_independent(ALPHA, as_Add=False)
    sign = _sign(rest)
    if sign is not None and _strictly_positive(sign * rest):
        return sp.Eq(factor, 0)
    return sp.false


def _strictly_positive(expr: sp.Expr) -> bool:
    """Whether ``expr`` > 0 on the open domains except at isolated points: a nonzero polynomial with
    non-negative coefficients after the substitution, or positive by assumptions."""
    sub = _substitute(expr)
    num, den = sp.fraction(sp.factor(sp.together(sub)))
    return all(_poly_sign(g) == 1 and not g.is_zero for g in (num, den))


def _slope_factor(expr: sp.Expr) -> sp.Expr:
    """The alpha-free factor of d expr / d alpha: it vanishes exactly where expr is constant in alpha."""
    num, _ = sp.fraction(sp.factor(sp.together(sp.diff(expr, ALPHA))))
    factor, rest = num.as_independent(ALPHA, as_Add=False)
    if rest != 1 and not (rest.is_Pow and rest.base == ALPHA) and rest != ALPHA:
        raise ValueError(f"d/dalpha of {expr} has a numerator that depends on alpha: {num}")
    return factor


# ---- monotonicity --------------------------------------------------------------------------------------

def nondecreasing(expr: sp.Expr, var: sp.Symbol = ALPHA) -> str:
    """Show ``expr`` non-decreasing in ``var`` on the parameters' domains; return how, or raise ValueError
    naming what could not be shown.

    Sums, Min and Max of non-decreasing terms are non-decreasing; otherwise the derivative's sign is shown
    factor by factor, each factor either signed by the symbols' assumptions or, after every bounded
    parameter is written through a non-negative t (alpha = 1/(1+t), x in [0, 1] as t/(1+t), ...), a
    polynomial in non-negative symbols whose coefficients all have one sign.

    >>> from theory.parameters import symbols
    >>> a, x = symbols("alpha", "xi")
    >>> nondecreasing(1 - x * (1 - a) ** 2 / a ** 2)
    'derivative -2*xi*(alpha - 1)/alpha**3 >= 0'
    >>> nondecreasing(a * (1 - a))
    Traceback (most recent call last):
    ...
    ValueError: cannot show alpha*(1 - alpha) is non-decreasing in alpha on its domain: the sign of 1 - 2*alpha is not fixed by the domains
    >>> nondecreasing(1 - 1 / (2 * a - 1))  # derivative 2/(2 alpha - 1)**2 >= 0, but across a pole
    Traceback (most recent call last):
    ...
    ValueError: cannot show 1 - 1/(2*alpha - 1) is non-decreasing in alpha on its domain: it is undefined where 2*alpha - 1 = 0, and the sign of 2*alpha - 1 is not fixed by the domains (a pole)
    """
    if var not in expr.free_symbols:
        return "constant in alpha"
    if isinstance(expr, (sp.Min, sp.Max)):
        for arg in expr.args:
            nondecreasing(arg, var)
        return f"{type(expr).__name__} of non-decreasing terms"
    if expr.has(sp.Min, sp.Max, sp.Abs, sp.Piecewise, sp.floor, sp.ceiling):
        if isinstance(expr, sp.Add):
            for term in expr.args:
                nondecreasing(term, var)
            return "sum of non-decreasing terms"
        k, core = expr.as_independent(var, as_Add=False)
        sign = _sign(k)
        if sign == 1 and core != expr:
            return nondecreasing(core, var)
        raise ValueError(f"cannot show {expr} is non-decreasing in {var} on its domain: it is not a sum, Min or "
                         "Max of pieces whose derivative has a provable sign")
    _, den = sp.fraction(sp.together(expr))
    pole = next((f for f in _factors(den) if var in f.free_symbols and _sign(f) is None), None)
    if pole is not None:  # a derivative >= 0 on each side of a pole says nothing across it (1 - 1/(2 alpha - 1))
        raise ValueError(f"cannot show {expr} is non-decreasing in {var} on its domain: it is undefined where "
                         f"{pole} = 0, and the sign of {pole} is not fixed by the domains (a pole)")
    d = sp.factor(sp.together(sp.diff(expr, var)))
    if _sign(d) == 1:
        return f"derivative {d} >= 0"
    bad = next((f for f in _factors(d) if _sign(f) is None), d)
    raise ValueError(f"cannot show {expr} is non-decreasing in {var} on its domain: the sign of {bad} is not "
                     "fixed by the domains")


def _factors(expr: sp.Expr) -> list[sp.Expr]:
    num, den = sp.fraction(sp.factor(sp.together(expr)))
    out = []
    for part in (num, den):
        for f in sp.Mul.make_args(part):
            base, k = f.as_base_exp()
            out.append(base if k.is_integer and k.is_odd else f)
    return out


def _sign(expr: sp.Expr) -> int | None:
    """+1 where ``expr`` >= 0 on the domains, -1 where <= 0, None where neither can be shown."""
    total = 1
    for f in _factors(expr):
        if f.is_nonnegative:
            continue
        if f.is_nonpositive:
            total = -total
            continue
        s = _poly_sign(_substitute(f))
        if s is None:
            return None
        total *= s
    return total


def _substitute(expr: sp.Expr) -> sp.Expr:
    """Each parameter with a bounded domain written through a fresh non-negative t, so that domain bounds
    become signs: (lo, hi] as (lo t + hi)/(1+t), [lo, hi) and [lo, hi] as (lo + hi t)/(1+t) (the closed end
    by continuity), [lo, oo) as lo + t."""
    from theory.parameters import of_symbol
    sub = {}
    for s in expr.free_symbols:
        try:
            d = of_symbol(s).domain
        except KeyError:
            continue
        t = sp.Dummy(f"t_{s}", nonnegative=True)
        lo, hi = d.start, d.end
        if hi == sp.oo:
            if lo == 0:
                continue  # the symbol's own assumption (non-negative or positive) says it all
            sub[s] = lo + t
        elif d.left_open and not d.right_open:
            sub[s] = (lo * t + hi) / (1 + t)
        else:
            sub[s] = (lo + hi * t) / (1 + t)
    return sp.factor(sp.together(expr.subs(sub, simultaneous=True))) if sub else expr


def _poly_sign(expr: sp.Expr) -> int | None:
    """The sign of a rational function in non-negative symbols whose expanded numerator and denominator
    each have coefficients of one sign; or of an expression signed by assumptions."""
    if expr.is_nonnegative:
        return 1
    if expr.is_nonpositive:
        return -1
    num, den = sp.fraction(sp.together(expr))
    total = 1
    for part in (num, den):
        syms = sorted(part.free_symbols, key=str)
        if not all(s.is_nonnegative for s in syms):
            return None
        try:
            coeffs = sp.Poly(sp.expand(part), *syms).coeffs() if syms else [part]
        except sp.PolynomialError:
            for f in sp.Mul.make_args(part):
                if f.is_nonpositive and not f.is_nonnegative:
                    total = -total
                elif not f.is_nonnegative:
                    return None
            continue
        if not all(c.is_number for c in coeffs):
            return None
        if all(c >= 0 for c in coeffs):
            continue
        if all(c <= 0 for c in coeffs):
            total = -total
            continue
        return None
    return total


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
