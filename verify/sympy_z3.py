"""sympy expressions as Z3 terms, and the same expressions evaluated exactly over Fractions.

Part of verify/ (theory <- verify): proof steps and claims are written once in sympy (for LaTeX and for
theory's symbols) and handed to Z3 through ``to_z3``; ``exact_value`` evaluates them on an instance.

>>> import sympy as sp
>>> a, b = sp.symbols("a b", real=True)
>>> to_z3(sp.Max(a, 1) - b / 2)
-1/2*b + If(1 >= a, 1, a)
>>> exact_value(sp.Min(a, 1) - b / 2, {"a": Fraction(3, 2), "b": 1})
Fraction(1, 2)
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp
import z3

from theory.errors import InputError
from theory.expr import Beyond, beyond, guard
from theory.parameters import _BY_SYMBOL


def name_of(symbol: sp.Basic) -> str:
    """The Z3 name of a sympy symbol: a theory parameter's CLI name (``g_P0``), else ``str(symbol)``."""
    param = _BY_SYMBOL.get(symbol)
    return param.name if param is not None else str(symbol)


def _fold(op, items):
    out = items[0]
    for item in items[1:]:
        out = op(out, item)
    return out


def to_z3(expr: sp.Basic, env: dict | None = None):
    """A sympy expression or relation as a Z3 term; symbols become Reals unless ``env`` maps their name."""
    env = {} if env is None else env

    def go(e):
        if isinstance(e, sp.Symbol):
            name = name_of(e)
            if name not in env:
                env[name] = z3.Real(name)
            return env[name]
        if e is sp.true:
            return z3.BoolVal(True)
        if e is sp.false:
            return z3.BoolVal(False)
        if isinstance(e, sp.Rational):
            return z3.RealVal(f"{e.p}/{e.q}")
        if isinstance(e, sp.Add):
            return _fold(lambda x, y: x + y, [go(a) for a in e.args])
        if isinstance(e, sp.Mul):
            return _fold(lambda x, y: x * y, [go(a) for a in e.args])
        if isinstance(e, sp.Pow):
            base, k = e.args
            if not (k.is_Integer):
                raise InputError(f"{e}: only integer powers translate to Z3")
            b = go(base)
            out = _fold(lambda x, y: x * y, [b] * abs(int(k))) if k != 0 else z3.RealVal(1)
            return 1 / out if k < 0 else out
        if isinstance(e, sp.Abs):
            x = go(e.args[0])
            return z3.If(x >= 0, x, -x)
        if isinstance(e, (sp.Max, sp.Min)):
            keep = (lambda x, y: x >= y) if isinstance(e, sp.Max) else (lambda x, y: x <= y)
            return _fold(lambda x, y: z3.If(keep(x, y), x, y), [go(a) for a in e.args])
        if isinstance(e, sp.Piecewise):
            out = None
            for value, cond in reversed(e.args):
                out = go(value) if out is None and cond is sp.true else z3.If(go(cond), go(value), out)
            return out
        relations = {sp.StrictGreaterThan: lambda x, y: x > y, sp.GreaterThan: lambda x, y: x >= y,
                     sp.StrictLessThan: lambda x, y: x < y, sp.LessThan: lambda x, y: x <= y,
                     sp.Equality: lambda x, y: x == y, sp.Unequality: lambda x, y: x != y}
        if type(e) in relations:
            return relations[type(e)](go(e.lhs), go(e.rhs))
        if isinstance(e, sp.And):
            return z3.And(*map(go, e.args))
        if isinstance(e, sp.Or):
            return z3.Or(*map(go, e.args))
        if isinstance(e, sp.Not):
            return z3.Not(go(e.args[0]))
        if isinstance(e, sp.Implies):
            return z3.Implies(go(e.args[0]), go(e.args[1]))
        if isinstance(e, sp.Equivalent):
            return _fold(lambda x, y: x == y, [go(a) for a in e.args])
        shown = str(e)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise InputError(f"{shown}: {type(e).__name__} does not translate to Z3 (which has + - * / and powers "
                         f"by integers, Min Max Abs and relations)")

    return go(sp.sympify(expr, strict=True))


def exact_value(expr: sp.Basic, values: dict, subject: str = "the expression") -> Fraction:
    """Evaluate a sympy expression exactly, symbols looked up by ``name_of`` in ``values``. InputError where it
    has no rational value there; theory.expr.Beyond (one line: ``subject``, the expression, the point) where a
    part of it there is beyond 2**MAX_BITS, before sympy evaluates it."""
    expr = sp.sympify(expr, strict=True)
    subs = {}
    for s in expr.free_symbols:
        name = name_of(s)
        if name not in values or values[name] is None:
            raise InputError(f"{expr}: no value for {name}")
        v = Fraction(values[name])
        subs[s] = sp.Rational(v.numerator, v.denominator)
    try:  # before sympy builds the value: its evalf of exp(exp(exp(64))) computes e to about 10**27 bits
        guard(expr, subs)
    except Beyond as e:
        shown = " ".join(f"{name_of(s)}={subs[s]}" for s in sorted(subs, key=name_of))
        raise e.restated(beyond(subject, expr, shown, e, "exact arithmetic takes only values "
                                "whose parts are of at most that magnitude")) from None
    out = expr.xreplace(subs)
    if out.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        why = "is undefined (a division by zero)"
    elif out.is_extended_real is False:
        why = f"is not a real number ({out})"
    else:
        out = sp.nsimplify(out) if not out.is_Rational else out
        why = f"is not a rational number ({out}); exact arithmetic needs one"
    if not out.is_Rational:
        shown = " ".join(f"{name_of(s)}={subs[s]}" for s in sorted(subs, key=name_of))
        raise InputError(f"{expr} {why} at {shown}")
    return Fraction(int(out.p), int(out.q))
