"""Numbers from the cache without sympy: what ``critmass bound``/``critical-mass`` answer in a fresh process.

Beside theory/evaluate.py, which writes an entry the first time it compiles a result's expression: the
expression in theory.expr's grammar, its parameters with their domains, the hypotheses evaluate checks,
and the messages it gives. The entry is keyed by the result's id and theory.sources.fingerprint (every
theory module's source, sympy's version, the bytes of each results file), so it answers only for the
very code and files that wrote it. Reading it needs numpy and the standard library: the text is walked
by a whitelist of ``ast`` nodes (numbers, + - * / **, the grammar's functions, comparisons, and/or/not,
the parameters), never evaluated as code; anything else in an entry is a miss. Where the answer needs
sympy (a certified numeric inverse), or anything is off, ``evaluate`` returns None and the caller takes
the full path.

An entry is keyed by the notion of eps-optimality too (theory.notions), and carries the ranges where
theory.refuted records the result as refuted under it: at a point in such a range (or where a range cannot
be read) the cache does not answer, so a refuted result is refused, or printed only on request and
labelled, by the full path alone.

The facts that are printed are decided exactly, on the exact values given (a float's exact binary value, a
Fraction typed as ``0.05`` as 1/20), by ``decide`` and ``critical_masses``, which theory.evaluate uses too:
whether a point lies in a refuted range, whether it meets a hypothesis, whether the target is reachable
(the bound at alpha = 1 against S*) and whether the critical mass is degenerate; a rational critical mass is
computed exactly and rounded up (an upper bound stays one). Floating point only computes values whose
formula is not rational, and picks among the candidate roots of a nonlinear one.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from theory.errors import InputError
from theory.numbers import Inexact, as_fraction, check_exact, exact
from theory.sources import cache_directory, fingerprint, write_atomically

FORMAT = 3
WHAT = ("bound", "critical_mass", "investment")

_FUNCTIONS = {
    "exp": np.exp, "sqrt": np.sqrt, "Abs": np.abs, "floor": np.floor, "ceiling": np.ceil,
    "Min": lambda *a: functools.reduce(np.minimum, a), "Max": lambda *a: functools.reduce(np.maximum, a),
    "log": lambda x, b=None: np.log(x) if b is None else np.log(x) / np.log(b),
    "crossing": lambda *a: np.full(np.broadcast_shapes(*(np.shape(x) for x in a)), np.nan),
}
_CONSTANTS = {"pi": math.pi, "E": math.e, "oo": math.inf}


class _Miss(Exception):
    """The entry cannot answer: the caller takes the full path."""


def _path(id: str, what: str, notion: str):
    where = cache_directory()
    print_ = fingerprint()
    if where is None or print_ is None:
        return None
    name = hashlib.sha256(f"fast {FORMAT}\n{print_}\n{id}\n{what}\n{notion}".encode()).hexdigest()
    return where / f"eval-{name}.json"


def evaluate(id: str, what: str, values: Mapping[str, object], notion: str = "tv") -> tuple[str, object, str | None] | None:
    """(the id answered, the value, the notion that result is read under: None for one without an epsilon)
    from the cache, as theory.evaluate.evaluate would give them for ``notion``; None on a miss, and wherever theory.refuted's ranges for the result hold at some point.
    ``critical_mass`` of a theorem follows its entry's alias (thm1 -> cor2). Bad input raises the
    InputError that the full path would raise."""
    for _ in range(2):
        entry = _read(id, what, notion)
        if entry is None:
            return None
        if "alias" not in entry:
            break
        id = entry["alias"]
    else:
        return None
    try:
        out = _evaluate(entry, id, values)
    except _Miss:
        return None
    return id, out, entry["result_notion"]


def _read(id: str, what: str, notion: str) -> dict | None:
    path = _path(id, what, notion)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("id") != id \
            or entry.get("notion") != notion:
        return None
    return entry


def _evaluate(entry: dict, id: str, values: Mapping[str, object]):
    params = entry["params"]  # [name, written, lo, hi, left_open, right_open, integer, domain text]
    names = {p[0] for p in params}
    if any(name not in names for name in values):
        raise _Miss  # the full path names what the result takes (theory.evaluate._unknown)
    missing = [p[0] for p in params if p[0] not in values]
    if missing:
        raise InputError(f"missing parameter{'s' if len(missing) > 1 else ''} {' '.join(missing)} for {id}; "
                         f"{expected_parameters(p[0] for p in params)}")
    env = {}
    for name, written, lo, hi, left_open, right_open, integer, text in params:
        env[written] = _check_domain(name, values[name], lo, hi, left_open, right_open, integer, text)
    shape = np.broadcast_shapes(*(np.shape(a) for a in env.values())) if env else ()
    try:
        needed = entry["refuted"] or entry["hypotheses"] or "reachable" in entry
        points = exact_points([values[p[0]] for p in params], [p[1] for p in params]) if needed else []
        if any(decide(exact(where), points).any() for where in entry["refuted"]):
            raise _Miss  # refuted there (theory.refuted): the full path refuses, or labels with --printed
        for hypothesis, shown in entry["hypotheses"]:
            if not decide(exact(hypothesis), points).all():
                raise InputError(f"the values break the hypothesis {shown} of {id}")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if "reachable" in entry:
                approx = np.broadcast_to(np.asarray(_pieces(entry["alpha_star"], env), dtype=np.float64), shape)
                out = critical_masses(exact(entry["reachable"]), exact(entry["degenerate"]),
                                      _exact_pieces(entry["alpha_star"]), points, approx)
            elif "pieces" in entry:
                out = _pieces(entry["pieces"], env)
            else:
                out = _walk(ast.parse(entry["expr"], mode="eval").body, env)
    except Inexact:
        raise _Miss from None  # a range, hypothesis or case that only the full path can decide exactly
    out = np.array(np.broadcast_to(np.asarray(out, dtype=np.float64), shape))
    if np.isnan(out).any() or ("reachable" not in entry and not np.isfinite(out).all()):
        raise _Miss  # a point for the certified numeric inverse, or a value only the full path can explain
        # (a bound's pole, a non-real value or an overflow: the full path says which, and refuses)
    return out if out.ndim else float(out)


def _pieces(pieces, env):
    """A piecewise value in floating point: the first piece whose condition holds."""
    conds = [_walk(ast.parse(c, mode="eval").body, env) for _, c in pieces]
    vals = [_walk(ast.parse(v, mode="eval").body, env) for v, _ in pieces]
    return np.select([np.asarray(c, dtype=bool) for c in conds], [np.asarray(v, dtype=np.float64) for v in vals],
                     default=np.nan)


def _exact_pieces(pieces):
    """The pieces compiled for exact evaluation, or None where any of them is not rational."""
    try:
        return [(exact(v), exact(c)) for v, c in pieces]
    except Inexact:
        return None


# ---- exact decisions (both paths) -----------------------------------------------------------------------

def exact_points(values, names) -> list[dict[str, Fraction]]:
    """Each point of the values broadcast together, as {name: its exact value} (theory.numbers.as_fraction:
    a float's exact binary value, a Fraction or sympy Rational as it is), in C order. Inexact where a value
    has none (nan)."""
    arrays = [np.asarray(v, dtype=object) for v in values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
    grid = [np.broadcast_to(a, shape) for a in arrays]
    memo: dict = {}

    def frac(v):
        key = (type(v), v) if isinstance(v, (int, float, Fraction)) else None
        if key is None:
            return as_fraction(v)
        if key not in memo:
            memo[key] = as_fraction(v)
        return memo[key]
    return [{n: frac(g[index]) for n, g in zip(names, grid)} for index in np.ndindex(shape)]


def decide(condition, points) -> np.ndarray:
    """A condition (a function of exact values: theory.numbers.exact) at each point, as a bool array in the
    points' order; Inexact where it cannot be decided exactly."""
    memo: dict = {}

    def at(point):
        key = tuple(point.values())
        if key not in memo:
            memo[key] = bool(condition(point))
        return memo[key]
    return np.fromiter((at(p) for p in points), dtype=bool, count=len(points))


def round_up(value: Fraction) -> float:
    """The least float >= value (inf beyond the floats)."""
    try:
        out = float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    return out if Fraction(out) >= value else math.nextafter(out, math.inf)


def critical_masses(reachable, degenerate, alpha_star, points, approx) -> np.ndarray:
    """The critical mass at each point (theory.result.CriticalMass.as_piecewise): inf where the target is not
    reachable (the bound at alpha = 1 below S*), 0 where the bound does not depend on alpha, else alpha*,
    capped at 1 (reachable means alpha = 1 succeeds). ``reachable`` and ``degenerate`` are decided exactly
    (functions of exact values; Inexact propagates to the caller). ``alpha_star``: its pieces as exact
    functions (value, condition), or None; where they compute alpha* exactly it is rounded up to a float,
    elsewhere ``approx`` (alpha* in floating point, same shape as the output; nan: a numeric inverse) is used.
    """
    approx = np.asarray(approx, dtype=np.float64)
    out = np.empty(approx.shape, dtype=np.float64)
    flat_out, flat_approx = out.reshape(-1), approx.reshape(-1)
    for i, point in enumerate(points):
        if not reachable(point):
            flat_out[i] = math.inf
        elif degenerate(point):
            flat_out[i] = 0.0
        else:
            flat_out[i] = min(_alpha_star(alpha_star, point, flat_approx[i]), 1.0)
    return out


def _alpha_star(pieces, point, approx: float) -> float:
    if pieces is not None:
        try:
            for value, condition in pieces:
                if condition(point):
                    return round_up(value(point))
        except Inexact:
            pass
    return float(approx)


def expected_parameters(names) -> str:
    """The end of an unknown/missing-parameter message: the parameters a result takes, or that it takes none."""
    names = " ".join(names)
    return f"expected: {names}" if names else "it takes no parameters"


def _check_domain(name, value, lo, hi, left_open, right_open, integer, text) -> np.ndarray:
    """As theory.evaluate.check_domain, with the same messages."""
    check_exact(name, value, lo, hi, left_open, right_open, integer, text, InputError)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a number; expected a number in {text}") from None
    ok = np.isfinite(arr) | (np.isposinf(arr) & (hi == math.inf))
    ok &= (arr > lo) if left_open else (arr >= lo)
    ok &= (arr < hi) if right_open else (arr <= hi)
    if integer:
        ok &= arr == np.round(arr)
    if not np.all(ok):
        bad = arr[~ok].flat[0] if arr.ndim else arr
        raise InputError(f"{name}={bad:g} is outside its domain {text}")
    return arr


def _walk(node, env):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise _Miss
    if isinstance(node, ast.BinOp):
        a, b = _walk(node.left, env), _walk(node.right, env)
        ops = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
               ast.Pow: np.power}
        op = ops.get(type(node.op))
        if op is None:
            raise _Miss
        return op(np.asarray(a, dtype=np.float64), b)
    if isinstance(node, ast.UnaryOp):
        x = _walk(node.operand, env)
        if isinstance(node.op, ast.USub):
            return -np.asarray(x, dtype=np.float64)
        if isinstance(node.op, ast.UAdd):
            return x
        if isinstance(node.op, ast.Not):
            return np.logical_not(x)
        raise _Miss
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS \
            and not node.keywords:
        return _FUNCTIONS[node.func.id](*(_walk(a, env) for a in node.args))
    if isinstance(node, ast.Compare):
        terms = [_walk(node.left, env), *(_walk(c, env) for c in node.comparators)]
        ops = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
               ast.Eq: np.equal, ast.NotEq: np.not_equal}
        out = True
        for op, a, b in zip(node.ops, terms, terms[1:]):
            if type(op) not in ops:
                raise _Miss
            out = np.logical_and(out, ops[type(op)](a, b))
        return out
    if isinstance(node, ast.BoolOp):
        parts = [_walk(v, env) for v in node.values]
        return functools.reduce(np.logical_and if isinstance(node.op, ast.And) else np.logical_or, parts)
    raise _Miss


# ---- writing entries (the full path, with sympy) --------------------------------------------------------

def remember(id: str, what: str, expr, params, hypotheses, shown, notion: str = "tv", refuted=(),
             result_notion: str | None = None, critical_mass=None) -> bool:
    """Write the entry for ``(id, what, notion)``: ``expr`` (a sympy expression or Piecewise), ``params``
    (theory Parameters, in evaluate's order), ``hypotheses`` (sympy relations evaluate checks) with their
    printed forms ``shown``, ``refuted`` (sympy conditions: theory.refuted's ranges for the result under
    ``notion``), ``result_notion`` the notion the result states (its JSON's "notion"), ``critical_mass`` (a
    theory.result.CriticalMass, for ``what`` = "critical_mass"): its reachable and degenerate cases and
    alpha* are stored apart, to be decided exactly (``critical_masses``). Written only where it
    reads back: the expression, and every range in the parameters, must
    stay in the grammar."""
    import sympy as sp

    from theory.expr import dump
    from theory.statement import _written

    path = _path(id, what, notion)
    if path is None:
        return False
    by_symbol = {p.symbol: _written(p.name) for p in params}
    if any(not where.free_symbols <= set(by_symbol) for where in refuted):
        return False  # a range in a parameter the expression lacks counts as in range: never answer from here
    try:
        entry = {"format": FORMAT, "id": id, "what": what, "notion": notion, "result_notion": result_notion,
                 "refuted": [dump(where, by_symbol) for where in refuted],
                 "params": [[p.name, _written(p.name), _end(p.domain.start), _end(p.domain.end),
                             bool(p.domain.left_open), bool(p.domain.right_open), bool(p.integer), p.domain_str()]
                            for p in params],
                 "hypotheses": [[dump(h, by_symbol), s] for h, s in zip(hypotheses, shown)]}
        if critical_mass is not None:
            alpha = critical_mass.alpha_star
            entry["reachable"] = dump(critical_mass.reachable, by_symbol)
            entry["degenerate"] = dump(critical_mass.degenerate, by_symbol)
            entry["alpha_star"] = [[_dump_value(v, by_symbol), dump(c, by_symbol)] for v, c in
                                   (alpha.args if isinstance(alpha, sp.Piecewise) else [(alpha, sp.true)])]
        elif isinstance(expr, sp.Piecewise):
            entry["pieces"] = [[_dump_value(v, by_symbol), dump(c, by_symbol)] for v, c in expr.args]
        else:
            entry["expr"] = _dump_value(expr, by_symbol)
    except (ValueError, TypeError):
        return False
    return write_atomically(path, json.dumps(entry, indent=1))


def remember_alias(id: str, what: str, target: str, notion: str = "tv") -> bool:
    """Write that ``(id, what, notion)`` is answered by ``target``'s entry (``critical-mass thm1`` is cor2's)."""
    path = _path(id, what, notion)
    return path is not None and write_atomically(path, json.dumps({"format": FORMAT, "id": id, "notion": notion,
                                                                   "alias": target}))


def _dump_value(expr, by_symbol) -> str:
    import sympy as sp

    from theory.expr import dump

    if expr.has(sp.Piecewise, sp.zoo, sp.nan) or expr.atoms(sp.Float):
        raise ValueError("outside the grammar")
    return dump(expr, by_symbol)


def _end(value) -> float:
    return float(value) if value.is_finite else (math.inf if value > 0 else -math.inf)

