"""The participation economics of Section 6 on a measured success curve S(alpha).

An individual joins iff S(alpha) > c / (1 - gamma) (theory's ``participation`` Result). On a curve given at
grid points, the collective is self-sustaining from the smallest grid size after which S stays above that
level, and the principal's investment B(alpha_crit) is the area between the level and max(S, 0) below
alpha_crit (Figure 7's shaded area). theory/ derives the same two quantities in closed form for Theorem 1's
bound; the tests check that this numeric version reproduces them on that curve.
"""

from __future__ import annotations

import numpy as np

from theory.errors import InputError


def join_level(c: float, gamma: float) -> float:
    """c / (1 - gamma): the success above which joining pays."""
    if not c > 0:
        raise InputError(f"c = {c}: expected a participation cost > 0")
    if not 0 <= gamma < 1:
        raise InputError(f"gamma = {gamma}: expected a free-riding fraction in [0, 1)")
    return c / (1 - gamma)


def _checked(alphas, success) -> tuple[np.ndarray, np.ndarray]:
    alphas, success = np.asarray(alphas, dtype=np.float64), np.asarray(success, dtype=np.float64)
    if alphas.ndim != 1 or alphas.shape != success.shape or alphas.size < 2:
        raise InputError(f"a success curve needs matching 1-d alphas and values; got shapes {alphas.shape} "
                         f"and {success.shape}")
    if not (np.all(np.diff(alphas) > 0) and alphas[0] > 0 and alphas[-1] <= 1):
        raise InputError("alphas must increase strictly within (0, 1]")
    return alphas, success


def self_sustaining(alphas, success, level: float) -> float:
    """The smallest alpha of the curve from which S(alpha) > level holds at every larger grid point.

    Between the last grid point below the level and the first above it, the crossing is interpolated
    linearly. ``inf`` when the curve ends at or below the level.

    >>> self_sustaining([0.1, 0.2, 0.3, 0.4], [0.0, 0.4, 0.8, 0.9], 0.6)
    0.25
    """
    alphas, success = _checked(alphas, success)
    above = success > level
    if not above[-1]:
        return float("inf")
    first = len(above) - int(np.argmin(above[::-1])) if not above.all() else 0
    if first == 0:
        return float(alphas[0])
    a0, a1, s0, s1 = alphas[first - 1], alphas[first], success[first - 1], success[first]
    return float(a0 + (level - s0) * (a1 - a0) / (s1 - s0))


def investment(alphas, success, level: float, alpha_crit: float, *, points: int = 20001) -> float:
    """B(alpha_crit): the area of (level - max(S, 0))_+ over (0, alpha_crit], trapezoids on a fine grid.

    The same definition as theory's closed form for Theorem 1's bound (the principal tops every size below
    alpha_crit up to the join level). The curve is interpolated linearly between its grid points and held
    at its first value below the first point.
    """
    alphas, success = _checked(alphas, success)
    if not np.isfinite(alpha_crit):
        return float("inf")
    grid = np.linspace(0.0, alpha_crit, points)
    gap = np.clip(level - np.maximum(np.interp(grid, alphas, success), 0.0), 0.0, None)
    return float(np.trapezoid(gap, grid))
