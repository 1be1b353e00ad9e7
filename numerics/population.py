"""Every equilibrium collective size of a population with a distribution of participation costs, certified.

theory/population.py states the model: an individual with cost c joins a collective of size alpha iff
c < (1 - gamma) S(alpha), so the share willing to join is G(alpha) = P(cost < (1 - gamma) S(alpha)) and the
equilibria are the fixed points alpha = G(alpha). Here G is evaluated with scipy.stats distributions and
``fixed_points`` finds all of them on [0, 1]:

1. G is non-decreasing (checked on the grid), so on a cell [a, b] every alpha has G(a) - b <= G(alpha) - alpha
   <= G(b) - a. A cell with G(a) > b or G(b) < a holds no fixed point (this is the certificate);
2. every other cell is bisected until it is narrower than ``width``; the surviving cells are merged into
   groups, and each group's fixed point is refined by Brent's method (scipy.optimize.brentq) on G(alpha) - alpha;
3. a group where G - alpha changes sign without a zero is a jump of G across the diagonal (a tipping point
   of a discrete cost distribution, e.g. the founding paper's single cost), reported as such.

Stability: the slope of G at the point, by a central difference; < 1 is stable, > 1 unstable (tipping).
Evaluating G in float64 is the one approximation: cells are excluded only with a margin of 1e-12.

>>> d = cost_distribution("uniform", c_max=0.5)
>>> found = fixed_points(willing(d, gamma=0.2, Delta=1.0, xi=0.05))
>>> [(round(p["alpha"], 6), p["kind"]) for p in found["points"]]
[(0.0, 'stable'), (0.049051, 'unstable'), (1.0, 'stable')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from theory.errors import InputError

MARGIN = 1e-12  # float64 slack when excluding a cell (G is evaluated, not proven)

#: The cost distributions: name -> (parameter names, builder of a scipy.stats frozen distribution or None).
KINDS = ("uniform", "exponential", "lognormal", "point", "lognormal-mixture")


@dataclass(frozen=True)
class CostDistribution:
    """A distribution of participation costs: ``below(t)`` = P(cost < t) and ``quantile(u)``, vectorized."""

    kind: str
    params: dict
    below: Callable = field(repr=False, compare=False)
    quantile: Callable = field(repr=False, compare=False)


def _positive(name: str, value) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{name} = {value!r}: expected a positive number")
    return v


def cost_distribution(kind: str, **params) -> CostDistribution:
    """A named cost distribution.

    - ``uniform``: c_max (costs uniform on [0, c_max]);
    - ``exponential``: mean;
    - ``lognormal``: median, sigma (log-scale standard deviation);
    - ``point``: c (everyone pays c: the founding paper's Section 6);
    - ``lognormal-mixture``: weights, medians, sigmas (lists of equal length; weights sum to 1).
    """
    if kind == "uniform":
        d = stats.uniform(loc=0.0, scale=_positive("c_max", params["c_max"]))
    elif kind == "exponential":
        d = stats.expon(scale=_positive("mean", params["mean"]))
    elif kind == "lognormal":
        d = stats.lognorm(s=_positive("sigma", params["sigma"]), scale=_positive("median", params["median"]))
    elif kind == "point":
        c = _positive("c", params["c"])
        return CostDistribution(kind, {"c": c}, lambda t: (np.asarray(t, float) > c).astype(float),
                                lambda u: np.full_like(np.asarray(u, float), c))
    elif kind == "lognormal-mixture":
        w = np.asarray(params["weights"], float)
        parts = [stats.lognorm(s=_positive("sigma", s), scale=_positive("median", m))
                 for m, s in zip(params["medians"], params["sigmas"], strict=True)]
        if len(w) != len(parts) or np.any(w <= 0) or abs(w.sum() - 1) > 1e-12:
            raise InputError(f"weights {list(w)}: expected one positive weight per component, summing to 1")

        def below(t):
            return sum(wi * p.cdf(t) for wi, p in zip(w, parts))

        top = max(p.ppf(1 - 1e-15) for p in parts)

        def quantile(u):  # bisection on the mixture's CDF, vectorized: 64 halvings reach float64 resolution
            u = np.asarray(u, float)
            lo, hi = np.zeros_like(u), np.full_like(u, top)
            for _ in range(64):
                mid = (lo + hi) / 2
                left = below(mid) < u
                lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
            return hi

        return CostDistribution(kind, dict(params), below, quantile)
    else:
        raise InputError(f"cost distribution {kind!r}: expected one of {', '.join(KINDS)}")
    return CostDistribution(kind, dict(params), d.cdf, d.ppf)


def thm1_success(alpha, Delta: float, xi: float) -> np.ndarray:
    """S(alpha) = max(0, 1 - (1 - alpha) Delta xi / alpha), and 0 at alpha = 0 (theory.population.SUCCESS)."""
    a = np.asarray(alpha, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(a > 0, 1 - (1 - a) * Delta * xi / np.where(a > 0, a, 1.0), 0.0)
    return np.maximum(s, 0.0)


def willing(dist: CostDistribution, gamma: float, Delta: float, xi: float,
            success: Callable | None = None) -> Callable:
    """G(alpha) = P(cost < (1 - gamma) S(alpha)): the share of the population that joins a collective of size alpha."""
    if not 0 <= gamma < 1:
        raise InputError(f"gamma = {gamma}: expected a free-riding fraction in [0, 1)")
    curve = success or (lambda a: thm1_success(a, Delta, xi))
    return lambda a: np.asarray(dist.below((1 - gamma) * curve(np.asarray(a, float))), float)


def fixed_points(G: Callable, grid: int = 4097, width: float = 1e-9) -> dict:
    """Every alpha in [0, 1] with alpha = G(alpha), for a non-decreasing G: {"points", "tipping_jumps", "certificate"}.

    Each point is {"alpha", "residual" (G - alpha there), "slope" (of G), "kind": stable | unstable | semi-stable};
    each jump is {"alpha", "left", "right"} where G steps across the diagonal without a fixed point.
    The certificate counts the cells excluded by monotonicity and the bisection depth.
    """
    if grid < 3:
        raise InputError(f"grid = {grid}: expected at least 3 points")
    a = np.linspace(0.0, 1.0, grid)
    g = G(a)
    if np.any(np.diff(g) < -MARGIN):
        i = int(np.argmax(np.diff(g) < -MARGIN))
        raise InputError(f"G decreases between alpha = {a[i]:.6g} and {a[i + 1]:.6g}; the certificate needs a "
                         "non-decreasing G (a non-decreasing success curve)")
    lo, hi, glo, ghi = a[:-1], a[1:], g[:-1], g[1:]
    excluded, rounds = 0, 0
    keep_lo, keep_hi = [], []
    while lo.size:
        out = (glo > hi + MARGIN) | (ghi < lo - MARGIN)
        excluded += int(out.sum())
        lo, hi, glo, ghi = lo[~out], hi[~out], glo[~out], ghi[~out]
        small = hi - lo <= width
        keep_lo.append(lo[small])
        keep_hi.append(hi[small])
        lo, hi, glo, ghi = lo[~small], hi[~small], glo[~small], ghi[~small]
        if not lo.size:
            break
        mid = (lo + hi) / 2
        gm = G(mid)
        lo, hi, glo, ghi = (np.concatenate([lo, mid]), np.concatenate([mid, hi]),
                            np.concatenate([glo, gm]), np.concatenate([gm, ghi]))
        rounds += 1
    cells = sorted(zip(np.concatenate(keep_lo).tolist(), np.concatenate(keep_hi).tolist()))
    groups: list[list[float]] = []
    for l, h in cells:
        if groups and l <= groups[-1][1] + 1e-15:
            groups[-1][1] = max(groups[-1][1], h)
        else:
            groups.append([l, h])

    def h_of(x):
        return float(G(np.array([x]))[0]) - x

    points, jumps = [], []
    for l, h in groups:
        hl, hh = h_of(l), h_of(h)
        if hl == 0 or hh == 0:
            x = l if hl == 0 else h
        elif hl * hh < 0:
            x = optimize.brentq(h_of, l, h, xtol=1e-15, rtol=4 * np.finfo(float).eps)
        else:
            xs = np.linspace(l, h, 65)
            x = float(xs[np.argmin(np.abs(G(xs) - xs))])
        if abs(h_of(x)) > 1e-9:
            jumps.append({"alpha": x, "left": l, "right": h, "G_left": h_of(l) + l, "G_right": h_of(h) + h})
            continue
        points.append({"alpha": x, "residual": h_of(x), **_stability(G, x)})
    return {"points": points, "tipping_jumps": jumps,
            "certificate": {"grid": grid, "width": width, "excluded_cells": excluded, "bisection_rounds": rounds,
                            "candidate_groups": len(groups), "margin": MARGIN}}


def _stability(G: Callable, x: float, d: float = 1e-7) -> dict:
    lo, hi = max(0.0, x - d), min(1.0, x + d)
    slope = float((G(np.array([hi]))[0] - G(np.array([lo]))[0]) / (hi - lo))
    kind = "stable" if slope < 1 - 1e-6 else "unstable" if slope > 1 + 1e-6 else "semi-stable"
    return {"slope": slope, "kind": kind}


def tipping_budget(dist: CostDistribution, gamma: float, Delta: float, xi: float, upto: float,
                   success: Callable | None = None, points: int = 200_001) -> float:
    """B(upto) = int_0^upto (F^{-1}(a) - (1 - gamma) S(a))_+ da: recruit cheapest-first, pay each the shortfall.

    Trapezoids on ``points`` nodes per piece, split at the zero of S (where the integrand has a kink); the
    integrand is vectorized (one quantile call).
    """
    if not 0 <= upto <= 1:
        raise InputError(f"upto = {upto}: expected a collective size in [0, 1]")
    curve = success or (lambda a: thm1_success(a, Delta, xi))
    zero = Delta * xi / (1 + Delta * xi)
    edges = [0.0, *(b for b in (zero,) if 0 < b < upto), upto]
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        a = np.linspace(lo, hi, points)
        gap = np.maximum(dist.quantile(a) - (1 - gamma) * curve(a), 0.0)
        total += float(np.trapezoid(gap, a))
    return total
