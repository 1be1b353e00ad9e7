"""Exact instance checks in integer arithmetic on one common denominator (the fast path of check-instance).

theory/instance.py is the reference: it computes with a ``Fraction`` per cell, so every sum, product and
comparison normalises a fraction (a gcd each). Here the table is scaled once to integers, P0 = N / D with
D the least common multiple of its denominators, and alpha = a / b; the mixture is then the integer table
b D P = a D P* + (b - a) N, success and xi are integer sums over D, Delta and p are compared as integer
cross-products, tau is summed per signal point, and a ``Fraction`` is built only for each final value.
The results are identical to theory/instance.py's (tests/theory/test_exactint.py, on a large random set).

>>> from theory.instance import make_instance
>>> inst = make_instance([["1/2", 0], [0, "1/2"]], [1, 1], 0, "feature-label", "3/5")
>>> s = scaled(inst)
>>> s.den, s.table, success(inst), params(inst)["Delta"]
(2, ((1, 0), (0, 1)), Fraction(1, 1), Fraction(1, 1))
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

from theory.instance import Instance
from theory.strategy import Strategy


@dataclass(frozen=True)
class Scaled:
    """An instance on one common denominator: P0(x, y) = table[x][y] / den, its marginal mass[x] / den."""

    table: tuple[tuple[int, ...], ...]   # [|X|][|Y|] non-negative integers summing to den
    mass: tuple[int, ...]                # [|X|] row sums
    den: int                             # the least common multiple of P0's denominators


def scaled(inst: Instance) -> Scaled:
    """P0 as integers over the least common multiple of its denominators."""
    dens = {v.denominator for row in inst.p0 for v in row}
    den = math.lcm(*dens)
    factor = {d: den // d for d in dens}
    table = tuple(tuple(v.numerator * factor[v.denominator] for v in row) for row in inst.p0)
    return Scaled(table, tuple(map(sum, table)), den)


def _label(row) -> int:
    """argmax of an integer row, the lowest index among ties (theory.instance.erasure_label)."""
    best = max(row)
    return row.index(best)


def mixture(inst: Instance, s: Scaled) -> list[list[int]]:
    """b D P = a D P* + (b - a) N with alpha = a / b: the mixture on the integer scale b D (argmaxes as P's)."""
    a, b = inst.alpha.numerator, inst.alpha.denominator
    nx, num_labels, g, t, N, mass = inst.nx, inst.num_labels, inst.signal, inst.target, s.table, s.mass
    c = b - a
    mix = [[c * v for v in row] for row in N]
    if inst.strategy == Strategy.FEATURE_LABEL:
        for x in range(nx):
            mix[g[x]][t] += a * mass[x]
    elif inst.strategy == Strategy.FEATURE_ONLY:
        for x in range(nx):
            row = N[x]
            mix[g[x]][t] += a * row[t]
            for y in range(num_labels):
                if y != t:
                    mix[x][y] += a * row[y]
    else:
        for x in range(nx):
            if mass[x] == 0:
                continue
            if mass[g[x]] > 0:
                mix[x][_label(N[g[x]])] += a * mass[x]
            else:  # a point whose image has no mass keeps its labels (theory.instance.collective_table)
                for y in range(num_labels):
                    mix[x][y] += a * N[x][y]
    return mix


def predictions(inst: Instance, s: Scaled | None = None) -> tuple[int | None, ...]:
    """f(x): the unique argmax of P(x, .), None where tied or zero (theory.instance.predictions)."""
    out = []
    for row in mixture(inst, s or scaled(inst)):
        best = max(row)
        out.append(row.index(best) if best > 0 and row.count(best) == 1 else None)
    return tuple(out)


def success_numerator(inst: Instance, s: Scaled, f) -> int:
    """den * S(alpha): the mass of the points where the collective succeeds."""
    g, mass = inst.signal, s.mass
    if inst.strategy == Strategy.ERASURE:
        return sum(mass[x] for x in range(inst.nx) if f[x] is not None and f[x] == f[g[x]])
    t = inst.target
    return sum(mass[x] for x in range(inst.nx) if f[g[x]] == t)


def success(inst: Instance) -> Fraction:
    """S(alpha) exactly (theory.instance.success)."""
    s = scaled(inst)
    return Fraction(success_numerator(inst, s, predictions(inst, s)), s.den)


def params_scaled(inst: Instance, s: Scaled) -> dict[str, Fraction | None]:
    """xi, Delta, p, tau, rho of theory.instance.params, from the integer table (ratios compared by integer
    cross-products, one Fraction per value)."""
    N, mass, den, g, t, nx, num_labels = s.table, s.mass, s.den, inst.signal, inst.target, inst.nx, inst.num_labels
    image = set(g)
    xi = Fraction(sum(mass[z] for z in image), den)
    gn, gd = 0, 1  # Delta = max over signal points with mass of (max_y N - N[.][t]) / mass, 0 if none
    for z in image:
        mz = mass[z]
        if mz:
            row = N[z]
            num = max(row) - row[t]
            if num * gd > gn * mz:
                gn, gd = num, mz
    delta = Fraction(gn, gd)
    pn, pd = None, 1  # p = min over points with mass of N[x][t] / mass[x]
    for x in range(nx):
        mx = mass[x]
        if mx and (pn is None or N[x][t] * pd < pn * mx):
            pn, pd = N[x][t], mx
    p = Fraction(pn, pd)
    # tau = (1/den) sum_x max_y |N[x][y] mass[z] - mass[x] N[z][y]| / mass[z] with z = g(x): per z an integer
    # sum, then one sum over the least common multiple of the masses.
    tau: Fraction | None = None
    per_z: dict[int, int] = {}
    for x in range(nx):
        mx = mass[x]
        if not mx:
            continue
        z = g[x]
        mz = mass[z]
        if not mz:
            per_z = None
            break
        rx, rz = N[x], N[z]
        per_z[z] = per_z.get(z, 0) + max(abs(rx[y] * mz - mx * rz[y]) for y in range(num_labels))
    if per_z is not None:
        common = math.lcm(*(mass[z] for z in per_z)) if per_z else 1
        tau = Fraction(sum(v * (common // mass[z]) for z, v in per_z.items()), den * common)
    # rho = max over signal points z with preimage mass of P0(g^-1(z)) / P0(z); None where such a z has none
    pre = dict.fromkeys(image, 0)
    for x in range(nx):
        pre[g[x]] += mass[x]
    rn, rd, rho_defined = None, 1, True
    for z, w in pre.items():
        if w:
            mz = mass[z]
            if not mz:
                rho_defined = False
                break
            if rn is None or w * rd > rn * mz:
                rn, rd = w, mz
    rho = Fraction(rn, rd) if rho_defined and rn is not None else None
    return {"xi": xi, "Delta": delta, "p": p, "tau": tau, "rho": rho}


def params(inst: Instance) -> dict[str, Fraction | None]:
    """The paper's problem parameters (theory.instance.params), exactly."""
    return params_scaled(inst, scaled(inst))


def bound(inst: Instance, values: dict[str, Fraction | None], epsilon: Fraction = Fraction(0),
          notion: str = "tv", id: str | None = None) -> Fraction | None:
    """theory.instance.bound from already computed parameters ``values`` (``params``): None where undefined.

    At epsilon = 0 the bound is compiled with epsilon substituted (``_bound_at_zero``: its eps-terms vanish,
    so fewer Fraction operations); otherwise theory.instance's compiled bound. Same value either way.
    """
    from theory.instance import VALID_BOUND_OF, _bound_function

    id = VALID_BOUND_OF[inst.strategy] if id is None else id
    names, f = _bound_at_zero(id, notion) if epsilon == 0 else _bound_function(id, notion)
    values = {**values, "alpha": inst.alpha, "epsilon": Fraction(epsilon)}
    if any(values[n] is None for n in names) or ("p" in names and values["p"] == 0):
        return None
    out = f(*(values[n] for n in names))
    if not isinstance(out, (int, Fraction)):
        raise AssertionError(f"bound {id} did not evaluate to a rational: {out!r}")
    return Fraction(out)


@functools.cache
def _bound_at_zero(id: str, notion: str = "tv"):
    """A result's bound at epsilon = 0, compiled once to Python over Fractions (as theory.instance's
    ``_bound_function``); its parameters are the full result's (so undefined ones still give None)."""
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    from theory.paper import result
    from theory.parameters import SYMBOLS

    class _ExactPrinter(PythonCodePrinter):
        def _print_Rational(self, e):
            return f"Fraction({e.p}, {e.q})"

    r = result(id, notion)
    expr = sp.simplify(r.bound.subs(SYMBOLS["epsilon"], 0))
    f = sp.lambdify([q.symbol for q in r.parameters], expr, modules=[{"Fraction": Fraction}], printer=_ExactPrinter)
    return tuple(q.name for q in r.parameters), f
