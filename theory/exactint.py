"""Exact instance checks in integer arithmetic on one common denominator (the fast path of check-instance).

theory/instance.py is the reference: it computes with a ``Fraction`` per cell, so every sum, product and
comparison normalises a fraction (a gcd each). Here the table is scaled once to integers, P0 = N / D with
D the least common multiple of its denominators, and alpha = a / b; the mixture is then the integer table
b D P = a D P* + (b - a) N, success and xi are integer sums over D, Delta and p are compared as integer
cross-products, tau is summed per signal point, and the parameters stay integer pairs (numerator, denominator)
into the bound, which is compiled once to a ratio of integer polynomials in those numerators and
denominators. A ``Fraction`` is built only for each final value. The results are identical to
theory/instance.py's (tests/theory/test_exactint.py: large random sets, awkward denominators, every epsilon).

>>> from theory.instance import make_instance
>>> inst = make_instance([["1/2", 0], [0, "1/2"]], [1, 1], 0, "feature-label", "3/5")
>>> s = scaled(inst)
>>> s.den, s.table, success(inst), params(inst)["Delta"]
(2, ((1, 0), (0, 1)), Fraction(1, 1), Fraction(1, 1))
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from operator import itemgetter
from typing import NamedTuple

from theory.instance import VALID_BOUND_OF, Instance, _bound_function
from theory.strategy import Strategy


class Scaled(NamedTuple):
    """An instance on one common denominator: P0(x, y) = table[x][y] / den, its marginal mass[x] / den."""

    table: tuple[tuple[int, ...], ...]   # [|X|][|Y|] non-negative integers summing to den
    mass: tuple[int, ...]                # [|X|] row sums
    den: int                             # the least common multiple of P0's denominators
    cells: tuple[int, ...]               # [|X| * |Y|] the table row by row: cells[x * |Y| + y] = table[x][y]


def scaled(inst: Instance) -> Scaled:
    """P0 as integers over the least common multiple of its denominators."""
    p0 = inst.p0
    fractions = [v for row in p0 for v in row]
    try:  # CPython's Fraction keeps its terms in the slots the public properties return: read about 3x faster
        den = math.lcm(*{v._denominator for v in fractions})
        cells = tuple([v._numerator * (den // v._denominator) for v in fractions])
    except AttributeError:  # another implementation, or int cells
        den = math.lcm(*{v.denominator for v in fractions})
        cells = tuple([v.numerator * (den // v.denominator) for v in fractions])
    num_labels = len(p0[0])
    table = tuple([cells[i:i + num_labels] for i in range(0, len(cells), num_labels)])
    return Scaled(table, tuple(map(sum, table)), den, cells)


def _label(row) -> int:
    """argmax of an integer row, the lowest index among ties (theory.instance.erasure_label)."""
    return row.index(max(row))


def _mixture_cells(inst: Instance, s: Scaled) -> list[int]:
    """b D P = a D P* + (b - a) N with alpha = a / b, row by row ([|X| * |Y|], as Scaled.cells)."""
    a, b = inst.alpha.numerator, inst.alpha.denominator
    g, t, N, mass, cells = inst.signal, inst.target, s.table, s.mass, s.cells
    num_labels, strategy = len(N[0]), inst.strategy
    if strategy == Strategy.FEATURE_ONLY:
        # P* moves each point's target-label mass to g(x) and keeps its other labels: b N off the target
        # column; on it, c N plus a times the target mass that lands there.
        mix = [b * v for v in cells]
        for x, z in enumerate(g):
            v = a * cells[x * num_labels + t]
            mix[x * num_labels + t] -= v
            mix[z * num_labels + t] += v
        return mix
    c = b - a
    mix = [c * v for v in cells] if c != 1 else list(cells)
    if strategy == Strategy.FEATURE_LABEL:
        for x, z in enumerate(g):
            mix[z * num_labels + t] += a * mass[x]
    else:
        for x, z in enumerate(g):
            mx = mass[x]
            if not mx:
                continue
            if mass[z]:
                mix[x * num_labels + _label(N[z])] += a * mx
            else:  # a point whose image has no mass keeps its labels (theory.instance.collective_table)
                mix[x * num_labels:(x + 1) * num_labels] = [b * v for v in N[x]]
    return mix


def mixture(inst: Instance, s: Scaled) -> list[list[int]]:
    """b D P = a D P* + (b - a) N with alpha = a / b: the mixture on the integer scale b D (argmaxes as P's)."""
    mix, num_labels = _mixture_cells(inst, s), len(s.table[0])
    return [mix[i:i + num_labels] for i in range(0, len(mix), num_labels)]


def predictions(inst: Instance, s: Scaled | None = None) -> tuple[int | None, ...]:
    """f(x): the unique argmax of P(x, .), None where tied or zero (theory.instance.predictions)."""
    s = s or scaled(inst)
    mix, num_labels, out = _mixture_cells(inst, s), len(s.table[0]), []
    for i in range(0, len(mix), num_labels):
        row = mix[i:i + num_labels]
        best = max(row)
        out.append(row.index(best) if best > 0 and row.count(best) == 1 else None)
    return tuple(out)


def success_numerator(inst: Instance, s: Scaled, f) -> int:
    """den * S(alpha): the mass of the points where the collective succeeds."""
    g, mass = inst.signal, s.mass
    if inst.strategy == Strategy.ERASURE:
        return sum([m for m, fx, z in zip(mass, f, g) if fx is not None and fx == f[z]])
    t = inst.target
    return sum([m for m, z in zip(mass, g) if f[z] == t])


def success(inst: Instance) -> Fraction:
    """S(alpha) exactly (theory.instance.success)."""
    s = scaled(inst)
    return Fraction(success_numerator(inst, s, predictions(inst, s)), s.den)


#: A rational as an integer pair (numerator, denominator > 0), not necessarily in lowest terms.
Pair = tuple[int, int]


def param_pairs(inst: Instance, s: Scaled) -> dict[str, Pair | None]:
    """xi, Delta, p, tau, rho of theory.instance.params as integer pairs (numerator, denominator), unreduced:
    ratios are compared by integer cross-products, no gcd is taken.

    One pass over the points gives p, tau's terms and the preimage masses; one over the signal set gives xi,
    Delta, rho and tau.
    """
    N, mass, den, _ = s
    g, t = inst.signal, inst.target
    pre = [0] * len(N)  # P0(g^-1(z)) * den
    pn, pd = 1, 1       # p = min over points with mass of N[x][t] / mass[x] (<= 1)
    # tau = sum_z T_z / (den mass[z]), T_z = sum over x in g^-1(z) of max_y |N[x][y] mz - mx N[z][y]|
    # (x = z adds nothing); undefined where some g(x) has no mass.
    terms = [0] * len(N)
    tau_defined = True
    for x, z in enumerate(g):
        mx = mass[x]
        if not mx:
            continue
        pre[z] += mx
        rx = N[x]
        v = rx[t]
        if v * pd < pn * mx:
            pn, pd = v, mx
        if z != x:
            mz = mass[z]
            if mz:
                terms[z] += max([abs(u * mz - mx * w) for u, w in zip(rx, N[z])])
            else:
                tau_defined = False
    xn, gn, gd, rn, rd, rho_defined = 0, 0, 1, 0, 1, True
    tau_z = []
    for z in set(g):
        mz = mass[z]
        xn += mz
        w = pre[z]
        if mz:
            row = N[z]
            num = max(row) - row[t]  # Delta = max over signal points with mass of (max_y N - N[.][t]) / mass
            if num * gd > gn * mz:
                gn, gd = num, mz
            if w * rd > rn * mz:     # rho = max over signal points with preimage mass of pre / mass
                rn, rd = w, mz
            if terms[z]:
                tau_z.append(z)
        elif w:
            rho_defined = False
    if not tau_defined:
        tau = None
    elif len(tau_z) < 2:
        tau = (terms[tau_z[0]], den * mass[tau_z[0]]) if tau_z else (0, 1)
    else:
        common = math.lcm(*[mass[z] for z in tau_z])
        tau = (sum([terms[z] * (common // mass[z]) for z in tau_z]), den * common)
    return {"xi": (xn, den), "Delta": (gn, gd), "p": (pn, pd), "tau": tau,
            "rho": (rn, rd) if rho_defined and rn else None}


def _fractions(pairs: dict[str, Pair | None]) -> dict[str, Fraction | None]:
    return {k: None if v is None else Fraction(*v) for k, v in pairs.items()}


def params_scaled(inst: Instance, s: Scaled) -> dict[str, Fraction | None]:
    """xi, Delta, p, tau, rho of theory.instance.params, from the integer table (one Fraction per value)."""
    return _fractions(param_pairs(inst, s))


def params(inst: Instance) -> dict[str, Fraction | None]:
    """The paper's problem parameters (theory.instance.params), exactly."""
    return params_scaled(inst, scaled(inst))


def core(inst: Instance, epsilon: Fraction = Fraction(0), notion: str = "tv", id: str | None = None
         ) -> tuple[Fraction, dict[str, Fraction | None], Fraction | None]:
    """Success, the parameters and the bound of result ``id`` (default: the strategy's valid bound) of one
    instance: the integer table once, integer pairs throughout, a Fraction only for each returned value."""
    s = scaled(inst)
    success_value = Fraction(success_numerator(inst, s, predictions(inst, s)), s.den)
    pairs = param_pairs(inst, s)
    prm = _fractions(pairs)
    return success_value, prm, _bound_of_pairs(inst, pairs, epsilon, notion, id)


def bound(inst: Instance, values: dict[str, Fraction | None], epsilon: Fraction = Fraction(0),
          notion: str = "tv", id: str | None = None) -> Fraction | None:
    """theory.instance.bound from already computed parameters ``values`` (``params``): None where undefined.

    The bound is evaluated as one ratio of integer polynomials in the parameters' numerators and denominators
    (``_integer_bound``), so a single gcd is taken, for the final value; the same value as theory.instance's.
    """
    pairs = {k: None if v is None else (v.numerator, v.denominator) for k, v in values.items()}
    return _bound_of_pairs(inst, pairs, epsilon, notion, id)


class _IntegerBound(NamedTuple):
    """A result's bound compiled for integer pairs (``_integer_bound``)."""

    names: tuple[str, ...]  # the result's parameters, in its order
    take: Callable          # values -> the parameters' values, in that order (a tuple)
    has_p: bool             # a result with parameter p has no bound where p = 0 (theory.instance.bound)
    ratio: Callable | None  # (n_1, d_1), ..., (n_k, d_k) -> (num, den); None: evaluate over Fractions


def _bound_of_pairs(inst: Instance, pairs: dict[str, Pair | None], epsilon, notion: str, id: str | None
                    ) -> Fraction | None:
    """The bound from parameters as integer pairs (``pairs`` gains alpha and epsilon)."""
    if not isinstance(epsilon, Fraction):
        epsilon = Fraction(epsilon)
    eps = (epsilon.numerator, epsilon.denominator)
    compiled = _integer_bound(VALID_BOUND_OF[inst.strategy] if id is None else id, notion, eps[0] == 0)
    pairs["alpha"], pairs["epsilon"] = (inst.alpha.numerator, inst.alpha.denominator), eps
    args = compiled.take(pairs)
    if None in args or (compiled.has_p and pairs["p"][0] == 0):
        return None
    if compiled.ratio is not None:
        num, den = compiled.ratio(*args)
        if den:  # zero only where the bound itself is undefined: then the Fraction path says how
            return Fraction(num, den)
    out = _bound_function(id or VALID_BOUND_OF[inst.strategy], notion)[1](*(Fraction(*v) for v in args))
    if not isinstance(out, (int, Fraction)):
        raise AssertionError(f"bound {id} did not evaluate to a rational: {out!r}")
    return Fraction(out)


@functools.cache
def _integer_bound(id: str, notion: str = "tv", at_zero: bool = False) -> _IntegerBound:
    """A result's bound B(q_1, ..., q_k) compiled once with sympy to ``ratio``: ((n_1, d_1), ..., (n_k, d_k))
    -> (num, den), two polynomials with integer coefficients in the n_i and d_i, num / den = B wherever
    q_i = n_i / d_i (d_i != 0) and B is defined. So the bound costs integer products and one gcd, for the
    final Fraction. ``at_zero`` substitutes epsilon = 0 first (fewer terms); the names stay the full result's
    parameters, so undefined ones still give None. ``ratio`` is None where the bound is not a ratio of
    polynomials with rational coefficients (the caller then evaluates it over Fractions).
    """
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    from theory.paper import result
    from theory.parameters import SYMBOLS

    r = result(id, notion)
    if r.bound is None:
        raise ValueError(f"result {id} states no bound")
    names = tuple(q.name for q in r.parameters)
    take = itemgetter(*names) if len(names) > 1 else (lambda values: (values[names[0]],))
    expr = r.bound.subs(SYMBOLS["epsilon"], 0) if at_zero else r.bound
    ns, ds = sp.symbols(f"n0:{len(names)}"), sp.symbols(f"d0:{len(names)}")
    expr = expr.subs({q.symbol: n / d for q, n, d in zip(r.parameters, ns, ds)}, simultaneous=True)
    num, den = sp.fraction(sp.together(expr))
    try:
        polys = [sp.Poly(num, *ns, *ds), sp.Poly(den, *ns, *ds)]
    except sp.PolynomialError:
        return _IntegerBound(names, take, "p" in names, None)
    if not all(p.domain.is_ZZ or p.domain.is_QQ for p in polys):
        return _IntegerBound(names, take, "p" in names, None)
    (cn, pn), (cd, pd) = (p.clear_denoms(convert=True) for p in polys)  # cn * num = pn, cd * den = pd
    num_expr, den_expr = sp.expand(pn.as_expr() * cd), sp.expand(pd.as_expr() * cn)
    for e in (num_expr, den_expr):
        code = PythonCodePrinter().doprint(e)
        if "/" in code or "." in code:  # integer operations only, never a float
            raise AssertionError(f"bound {id}: integer form {code!r} is not integer arithmetic")
    ratio = sp.lambdify(list(zip(ns, ds)), (num_expr, den_expr), modules=[], printer=PythonCodePrinter)
    return _IntegerBound(names, take, "p" in names, ratio)
