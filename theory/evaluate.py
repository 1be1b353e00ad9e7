"""Numeric evaluation of the theory's expressions: lambdify over numpy arrays, with domain checks.

Kept apart from the symbolic core (paper.py, derive.py): this is the only module of theory/ that
turns expressions into float64 numbers. The facts it prints are decided exactly, on the exact values given
(theory.fast.decide, theory.fast.critical_masses, shared with the sympy-free path): whether the values lie in
a refuted range, whether they meet a hypothesis, whether a target is reachable and whether a critical mass
is degenerate; a rational critical mass is computed exactly and rounded up.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from theory import notions
from theory.errors import InputError
from theory.fast import expected_parameters
from theory.numbers import check_exact
from theory.paper import result
from theory.parameters import PARAMETERS, SYMBOLS, Parameter, of_symbol
from theory.refuted import RefutedError, refuted_at

WHAT = ("bound", "critical_mass", "investment")


def expression(id: str, what: str, notion: str = notions.DEFAULT) -> sp.Expr:
    """The expression of result ``id`` (read under ``notion``) that ``what`` names: its bound, critical mass
    or investment."""
    r = result(id, notion)
    if what == "bound" and r.bound is not None:
        return r.bound
    if what == "critical_mass" and r.critical_mass is not None:
        return r.critical_mass.as_piecewise()
    if what in r.extras:
        return r.extras[what]
    having = [i for i in _ids() if _has(i, what)]
    raise InputError(f"{id} has no {what.replace('_', ' ')}; ids that have one: {' '.join(having)}")


def _ids():
    from theory.paper import IDS
    return IDS


def _has(id: str, what: str, notion: str = notions.DEFAULT) -> bool:
    r = result(id, notion)
    return {"bound": r.bound, "critical_mass": r.critical_mass}.get(what, r.extras.get(what)) is not None


def required(id: str, what: str, notion: str = notions.DEFAULT) -> tuple[Parameter, ...]:
    """The parameters that the expression needs, alpha first (a result's own parameters, then the theory's)."""
    expr = expression(id, what, notion)
    if expr.atoms(AppliedUndef):
        names = ", ".join(sorted(str(f.func) for f in expr.atoms(AppliedUndef)))
        raise InputError(f"{id}'s {what.replace('_', ' ')} involves {names}, which theory/ keeps symbolic; "
                         f"numerics/bounds.py evaluates it (critmass simulate finite|tabular)")
    syms = expr.free_symbols
    r = result(id, notion)
    if what == "critical_mass":  # a function of everything alpha* and its cases name, even where sympy folds a
        cm = r.critical_mass     # case away (a bound below S* at alpha = 1 for every value: unreachable)
        more = cm.alpha_star.free_symbols | cm.target.free_symbols | (cm.bound.free_symbols if cm.bound is not None
                                                                       else set())
        syms = syms | {s for s in more - {SYMBOLS["alpha"]} if _is_parameter(s, r)}
    own = {p.symbol: p for p in r.parameters}
    params = (own[s] if s in own else of_symbol(s) for s in syms)
    return tuple(sorted(params, key=lambda p: (p.name != "alpha", p.name.lower())))


def _is_parameter(symbol, r) -> bool:
    if symbol in {p.symbol for p in r.parameters}:
        return True
    try:
        of_symbol(symbol)
    except KeyError:
        return False
    return True


def _numeric_part(cm) -> bool:
    """Whether a critical mass falls back, at some values, on the certified numeric inverse."""
    from theory.derive import crossing
    return cm is not None and cm.bound is not None and cm.alpha_star.has(crossing)


def _compiled(id: str, what: str, notion: str):
    """(params, the lambdified expression, the critical mass's exact parts or None), compiled once per derived
    result (a result registered again is new). For a critical mass the lambdified expression is alpha*
    alone; its cases are decided exactly (``_exact_parts``)."""
    r = result(id, notion)
    hit = _COMPILED.get((id, what, notion))
    if hit is None or hit[0] is not r:
        hit = _COMPILED[(id, what, notion)] = (r, *_compile(id, what, notion))
    return hit[1:]


_COMPILED: dict = {}


def _compile(id: str, what: str, notion: str):
    from theory.derive import crossing
    params = required(id, what, notion)
    cm = result(id, notion).critical_mass if what == "critical_mass" else None
    expr = cm.alpha_star if cm is not None else expression(id, what, notion)
    expr = expr.replace(lambda e: isinstance(e, crossing), lambda e: sp.nan)
    fn = sp.lambdify([p.symbol for p in params], expr, modules=[{"LambertW": _lambertw}, "numpy"])
    return params, fn, None if cm is None else _exact_parts(id, cm, params)


def _exact_parts(id: str, cm, params):
    """(reachable, degenerate, alpha*'s pieces or None) as functions of exact values (theory.fast's form)."""
    alpha = cm.alpha_star
    pieces = alpha.args if isinstance(alpha, sp.Piecewise) else [(alpha, sp.true)]
    try:
        exact_pieces = [(_exact_text(v, params), _exact_text(c, params)) for v, c in pieces]
    except ValueError:
        exact_pieces = None
    return (exact_condition(cm.reachable, params, f"{id}'s critical mass: its case (target reached at alpha = 1)"),
            exact_condition(cm.degenerate, params, f"{id}'s critical mass: its case (constant in alpha)"),
            exact_pieces)


def _exact_text(expr, params):
    """``expr`` compiled by theory.numbers.exact over the parameters' written names; ValueError (Inexact among
    them) where it is not rational arithmetic in the grammar."""
    from theory.expr import dump
    from theory.numbers import exact
    from theory.statement import _written
    return exact(dump(expr, {p.symbol: _written(p.name) for p in params}))


def exact_condition(cond: sp.Basic, params, subject: str = "the condition"):
    """A condition as a function of exact values {written name: Fraction}: rational arithmetic in Fractions
    (theory.numbers.exact), else (where the text is not rational arithmetic, or a power there leaves its limits:
    2**(2**(64*xi)) at xi = 1) sympy on Rationals; InputError where neither can decide it at a point, and
    (theory.expr.Beyond) where a part of it there is beyond 2**MAX_BITS, before sympy evaluates it
    (``subject`` names the condition in that message, e.g. "thm1's hypothesis")."""
    from theory.expr import Beyond, beyond, guard
    from theory.numbers import Inexact
    from theory.statement import _written
    try:
        fractions = _exact_text(cond, params)
    except ValueError:
        fractions = None
    names = [(p.symbol, _written(p.name)) for p in params]

    def by_sympy(env):
        at = {s: sp.Rational(env[n].numerator, env[n].denominator) for s, n in names if n in env}
        try:
            guard(cond, at)
        except Beyond as e:
            shown = " ".join(f"{n}={_shown(env[n])}" for _, n in names if n in env)
            raise e.restated(beyond(subject, cond, shown, e, "critmass decides conditions whose parts are of at "
                                    "most that magnitude")) from None
        got = cond.subs(at)
        if got in (sp.true, sp.false):
            return bool(got)
        raise InputError(f"cannot decide {cond} exactly at "
                         + " ".join(f"{n}={float(env[n]):g}" for _, n in names if n in env))

    def exactly(env):
        try:
            return fractions(env)
        except Inexact:  # a value beyond the Fractions' limits here (was a traceback): sympy, guarded
            return by_sympy(env)
    return by_sympy if fractions is None else exactly


def _lambertw(x):
    """The principal branch of Lambert's W on the reals (nan below -1/e), for closed-form critical masses."""
    from scipy.special import lambertw
    w = lambertw(np.asarray(x, dtype=np.float64))
    return np.where(np.abs(w.imag) == 0, w.real, np.nan)


def check_domain(param: Parameter, value) -> np.ndarray:
    """``value`` as a float64 array, or InputError if any entry is outside the parameter's domain."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{param.name}={value!r} is not a number; expected a number in {param.domain_str()}") from None
    d = param.domain
    check_exact(param.name, value, d.start, d.end, d.left_open, d.right_open, param.integer, param.domain_str(),
                InputError)  # exact values (typed ones) by their exact value, named as typed
    lo, hi = float(d.start), float(d.end)
    ok = np.isfinite(arr) | (np.isposinf(arr) & (hi == np.inf))
    ok &= (arr > lo) if d.left_open else (arr >= lo)
    ok &= (arr < hi) if d.right_open else (arr <= hi)
    if param.integer:
        ok &= arr == np.round(arr)
    if not np.all(ok):
        bad = arr[~ok].flat[0] if arr.ndim else arr
        raise InputError(f"{param.name}={bad:g} is outside its domain {param.domain_str()}")
    return arr


def evaluate(id: str, what: str, values: Mapping[str, object], notion: str = notions.DEFAULT,
             printed: bool = False):
    """Evaluate a result's bound (or critical mass, or investment) at the given parameter values.

    Values may be numbers or numpy arrays (broadcast together). ``notion`` is the notion of eps-optimality
    the result is read under (theory.notions). Unknown, missing or out-of-domain parameters raise
    InputError; values where theory.refuted records the result as refuted raise RefutedError (an
    InputError naming the valid result) unless ``printed`` asks for the formula on purpose. A critical
    mass is ``inf`` where the target is unreachable.

    >>> round(evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.001, S_star=0.9, epsilon=0)), 12)
    0.009900990099
    >>> round(evaluate("cor2-corrected", "critical_mass", dict(Delta=1, xi=0.01, S_star=0.9, epsilon=0.01)), 4)
    0.2727
    >>> evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.001, S_star=0.9, epsilon=0.05))
    Traceback (most recent call last):
    ...
    theory.refuted.RefutedError: cor2 is refuted for 0 < epsilon < 1/2 against tv and mixture-eps-optimal firms (verify: thm1.eps.model, thm1.eps.chain[k=1], thm1.eps.tv-model); use cor2-corrected; or pass printed=True for the paper's formula
    """
    params, fn, parts = _compiled(id, what, notions.check(notion))
    names = {p.name for p in params}
    for name in values:
        if name not in names:
            raise InputError(_unknown(id, what, name, params, notion))
    missing = [p.name for p in params if p.name not in values]
    if missing:
        raise InputError(f"missing parameter{'s' if len(missing) > 1 else ''} {' '.join(missing)} for {id}; "
                         f"{expected_parameters(p.name for p in params)}")
    args = [check_domain(p, values[p.name]) for p in params]
    given = {p.name: values[p.name] for p in params}  # the exact values: facts are decided on these
    refuted = None if printed else refuted_at(id, notion, given)
    if refuted is not None:
        raise RefutedError(refuted)
    _check_hypotheses(id, params, given, notion)
    points = _exact_points(params, given) if parts is not None else None
    _remember(id, what, params, notion)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = fn(*args)
    out = np.asarray(np.broadcast_to(out, np.broadcast_shapes(*(a.shape for a in args))), dtype=np.float64).copy()
    if parts is None and not np.isfinite(out).all():
        _refuse_not_finite(id, what, params, given, out, notion)
    if parts is not None:
        from theory.fast import critical_masses
        out = critical_masses(*parts, points, out)
        cm = result(id, notion).critical_mass
        if _numeric_part(cm):
            _fill_numeric(cm, params, points, out)
    return out if out.ndim else float(out)


def _unknown(id: str, what: str, name: str, params, notion: str) -> str:
    """The message for a parameter that ``what`` of ``id`` does not take: the ones it takes (or that it takes
    none), and where the name is one its critical mass takes (the target S_star of a bound), that command."""
    hint = "" if name in PARAMETERS else " (not a parameter of the theory)"
    shown = what.replace("_", " ")
    expected = (expected_parameters(p.name for p in params) if params else
                f"it takes no parameters (its {shown} is {expression(id, what, notion)})")
    if what != "critical_mass" and _has(id, "critical_mass", notion):
        try:
            theirs = {p.name for p in required(id, "critical_mass", notion)}
        except InputError:
            theirs = set()
        if name in theirs:
            expected += f"; {name} is a parameter of its critical mass (critmass critical-mass {id})"
    return f"unknown parameter {name!r} for {id}{hint}; {expected}"


def _refuse_not_finite(id: str, what: str, params, given: dict, out: np.ndarray, notion: str) -> None:
    """Raise InputError at the first point where the float64 value is not a finite number, saying why from
    the exact value there (sympy on the exact values given): undefined (a division by zero: a pole, or 0/0),
    not a real number (the log or root of a negative number), or beyond float64's range (an overflow) --
    never a printed inf or nan that the result does not say."""
    i = int(np.flatnonzero(~np.isfinite(out.reshape(-1)))[0])
    picked = [np.broadcast_to(np.asarray(given[p.name], dtype=object), out.shape).reshape(-1)[i] for p in params]
    from theory.statement import _written
    point = _exact_points(params, dict(zip([p.name for p in params], picked)))[0]
    exact = {p.symbol: sp.Rational(v.numerator, v.denominator) for p, v in zip(params, point.values())}
    shown = " ".join(f"{p.name}={_shown(point[_written(p.name)])}" for p in params)
    expr = expression(id, what, notion)
    name = what.replace("_", " ")
    from theory.expr import Beyond, beyond, guard
    try:  # before sympy builds the value: its evalf of exp(exp(exp(64))) computes e to about 10**27 bits
        guard(expr, exact)
    except Beyond as e:
        verb = "overflows float64" if np.isinf(out.reshape(-1)[i]) else "has no float64 value"
        raise InputError(beyond(f"{id}'s {name}", expr, shown, e, f"critmass evaluates exactly only {name}s whose "
                                "parts are of at most that magnitude", verb)) from None
    value = expr.subs(exact)
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        why = "is undefined at {} (a division by zero)"
    elif value.is_extended_real is False:
        why = "is not a real number at {}"
    elif value.is_finite and value.is_extended_real:
        text = str(value)
        why = "overflows float64 at {}" + (f" (its exact value is {text})" if len(text) <= 60 else "")
    else:
        why = "has no float64 value at {}"
    raise InputError(f"{id}'s {name} {expr} {why.format(shown)}; expected values where it is a finite real number")


def _shown(value) -> str:
    """An exact value as typed where a decimal shows it exactly (0.5), else as a fraction (1/3)."""
    f = float(value)
    return f"{f:g}" if Fraction(f"{f:g}") == value else str(value)


def _exact_points(params, given) -> list[dict]:
    """Each point as {written name: Fraction}, the exact values given (theory.fast.exact_points)."""
    from theory.fast import exact_points
    from theory.numbers import Inexact
    from theory.statement import _written
    try:
        return exact_points([given[p.name] for p in params], [_written(p.name) for p in params])
    except Inexact as e:
        raise InputError(f"a value has no exact value: {e}") from None


def _fill_numeric(cm, params, points, out: np.ndarray) -> None:
    """Where the closed form has no value (nan), the certified numeric inverse at that point's exact values."""
    from theory.expr import Beyond
    from theory.inverse import Uncertified, numeric_crossing
    from theory.statement import _written
    flat = out.reshape(-1)
    for i in np.flatnonzero(np.isnan(flat)):
        values = {p.symbol: points[i][_written(p.name)] for p in params}
        index = np.unravel_index(i, out.shape)
        try:
            flat[i] = min(numeric_crossing(cm.bound, cm.target, values), 1.0)
        except (Uncertified, Beyond) as e:
            shown = " ".join(f"{p.name}={float(v):g}" for p, v in zip(params, values.values()))
            raise InputError(f"the critical mass at {shown} cannot be certified: {e}") from None


def _checked(id: str, symbols, notion: str = notions.DEFAULT) -> list[sp.Basic]:
    """The hypotheses of the result stated in these parameters alone: the values must satisfy them."""
    r = result(id, notion)
    out = []
    for h in r.hypotheses:
        if not isinstance(h, sp.Rel) or not h.free_symbols <= set(symbols) or h.has(sp.Function):
            continue
        if r.critical_mass is not None and h == r.critical_mass.reachable:
            continue  # reachability is a case of the answer, not a precondition
        out.append(h)
    return out


def _check_hypotheses(id: str, params, given: dict, notion: str = notions.DEFAULT) -> None:
    """Raise InputError where the values break a hypothesis of the result stated in its parameters alone,
    decided exactly on the values given (``_exact_points``, over the parameters the hypothesis names)."""
    from theory.fast import decide
    for h in _checked(id, [p.symbol for p in params], notion):
        named = [p for p in params if p.symbol in h.free_symbols]
        if not decide(exact_condition(h, named, f"{id}'s hypothesis"), _exact_points(named, given)).all():
            raise InputError(f"the values break the hypothesis {h} of {id}")


_REMEMBERED: dict = {}


def _remember(id: str, what: str, params, notion: str = notions.DEFAULT) -> None:
    """Write theory.fast's entry, so that a fresh process answers this without sympy (built-in results and
    those of results files only: a result stated from Python exists only in its own process). The entry
    is keyed by the notion too, and carries theory.refuted's ranges for the result under it: the fast path
    answers nowhere in them (it leaves refusing, or labelling with --printed, to this module)."""
    from theory.catalog import cacheable
    from theory.fast import remember
    from theory.refuted import refutations

    r = result(id, notion)
    if cacheable(id) and _REMEMBERED.get((id, what, notion)) is not r:
        _REMEMBERED[(id, what, notion)] = r
        hyps = _checked(id, [p.symbol for p in params], notion)
        remember(id, what, expression(id, what, notion), params, hyps, [str(h) for h in hyps], notion,
                 [ref.where for ref in refutations(id, notion)], r.notion,
                 r.critical_mass if what == "critical_mass" else None)
