"""Finite-sample lower bounds on the plug-in success of the feature-label strategy, from the collective's view.

Both bounds use only what a collective sees: its size n, the platform's sample size N, the test size, and
its own points: ``c`` [..., X] how many of its transformed points g(x_i) hit each x~, and ``m`` [..., X, Y]
its own untransformed counts. ``gbj_bound`` is Gauthier, Bach & Jordan (ICML 2025) as issue 4 states it;
``binomial_bound`` is theory.finite's tighter bound (exact binomial tails, fewer union-bound events).
Both hold with probability >= 1 - delta over the training and test samples.

>>> import numpy as np
>>> c, m = np.array([[0.0, 500.0]]), np.array([[[300.0, 200.0], [0.0, 0.0]]])  # one seed, trigger x~ = 1
>>> bool(binomial_bound(c, m, 500, 10_000, 10_000, 0, 1, 0.05)[0] > gbj_bound(c, m, 500, 10_000, 10_000, 0, 1, 0.05)[0])
True
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta, binom

from theory.errors import InputError
from theory.notions import margin


def hoeffding_radius(delta, k):
    """R(delta, k) = sqrt(ln(1/delta) / (2k))."""
    return np.sqrt(np.log(1.0 / delta) / (2.0 * k))


def _check(n, n_samples, delta):
    if not 1 <= n <= n_samples:
        raise InputError(f"collective size n = {n}: expected 1 <= n <= N = {n_samples}")
    if not 0 < delta < 1:
        raise InputError(f"delta = {delta}: expected a confidence parameter in (0, 1)")


def _gap(m, target):
    """max_{y != y*} m[..., y] - m[..., y*] over the last axis."""
    others = np.delete(m, target, axis=-1)
    return others.max(axis=-1) - m[..., target]


def gbj_bound(c, m, n, n_samples, n_test, target, x_star_size, delta, epsilon=0.0, mass=None, notion="tv"):
    """The Gauthier-Bach-Jordan lower bound per seed: c [S, X], m [S, X, Y] -> [S].

    delta~ = delta / (2 + 2|X*| + 2|X*||Y|); an x~ counts when
    (n/N)(P^(x~) - 2R(delta~, n)) - ((N-n)/N)(Delta^_x~ + 2R(delta~, n) + 2R(delta~, N-n)) - margin > 0,
    and the bound is the fraction of collective points on counted x~ minus R(delta~, n) + R(delta~, N_test).
    ``margin`` is Lemma 11's per-point margin for an ``epsilon``-optimal firm of ``notion`` (theory.notions):
    2 eps for ``tv`` (the paper's Definition 2, default), eps/(1-eps) for ``mixture`` (as GBJ print it).
    ``mass`` [S, X] (default ``c``) counts the collective points per x~ for that fraction: the feature-only
    strategy (theory.collusion's gbj-feature-only) certifies with c = its points on (x~, y*) and counts all of
    its points whose g(x) is x~.
    """
    _check(n, n_samples, delta)
    num_labels = m.shape[-1]
    d = delta / (2 + 2 * x_star_size + 2 * x_star_size * num_labels)
    r_n, r_rest, r_test = (hoeffding_radius(d, k) if k > 0 else 0.0 for k in (n, n_samples - n, n_test))
    p_hat = c / n                                                                  # [S, X]
    gap = _gap(m, target) / n                                                      # [S, X]
    a = n / n_samples
    cond = a * (p_hat - 2 * r_n) - (1 - a) * (gap + 2 * r_n + 2 * r_rest) - margin(notion, epsilon) > 0
    counted = p_hat if mass is None else mass / n                                  # [S, X]
    return np.sum(np.where(cond, counted, 0.0), axis=-1) - r_n - r_test           # [S]


def binomial_events(x_star_size, num_labels):
    """How many events the binomial bound's union bound takes: 2 + 2|X*||Y| (GBJ: 2 + 2|X*| + 2|X*||Y|)."""
    return 2 + 2 * x_star_size * num_labels


def cp_lower(k, n, delta):
    """Clopper-Pearson lower confidence limit of a binomial proportion (0 at k = 0)."""
    k = np.asarray(k, np.float64)
    return np.where(k > 0, beta.ppf(delta, np.maximum(k, 1), n - k + 1), 0.0)


def cp_upper(k, n, delta):
    """Clopper-Pearson upper confidence limit (1 at k = n)."""
    k = np.asarray(k, np.float64)
    return np.where(k < n, beta.ppf(1 - delta, k + 1, np.maximum(n - k, 1)), 1.0)


def binomial_bound(c, m, n, n_samples, n_test, target, x_star_size, delta, mass=None):
    """theory.finite's lower bound per seed: c [S, X], m [S, X, Y] -> [S].

    With d = delta / (2 + 2|X*||Y|), an x~ counts when
    binom.ppf(d; n, CP_lo(c(x~))) > binom.ppf(1 - d; N - n, CP_hi(m(x~, y))) for every y != y*;
    the bound is binom.ppf(d; N_test, CP_lo(collective points on counted x~)) / N_test. ``mass`` as in
    ``gbj_bound`` (theory.collusion's binomial-feature-only).
    """
    _check(n, n_samples, delta)
    num_labels = m.shape[-1]
    d = delta / binomial_events(x_star_size, num_labels)
    ours = binom.ppf(d, n, cp_lower(c, n, d))                                      # [S, X] least collective count
    others = np.delete(m, target, axis=-1)                                         # [S, X, Y-1]
    theirs = binom.ppf(1 - d, n_samples - n, cp_upper(others, n, d)).max(axis=-1)  # [S, X] most rival count
    counted = np.sum(np.where((c > 0) & (ours > theirs), c if mass is None else mass, 0.0), axis=-1)  # [S]
    return binom.ppf(d, n_test, cp_lower(counted, n, d)) / n_test                  # [S]


def gbj_unplanting_bound(c, m_star, m_est, n, n_est, n_samples, n_test, x_star_size, delta, epsilon=0.0,
                         notion="tv"):
    """Gauthier-Bach-Jordan's unplanting bound (theory.collusion's gbj-unplanting): arrays [X] -> float.

    ``c`` [X]: planting points (n - n_est of them) with g(x) = x~; ``m_star`` [X]: planting points on (x~, y*),
    untransformed; ``m_est`` [X]: estimation points (n_est) on (x~, y^(x~)). delta~ = delta / (2 + 6|X*|).
    The condition's epsilon margin is ``gbj_bound``'s (2 eps for ``tv``, eps/(1-eps) for ``mixture``).
    """
    _check(n, n_samples, delta)
    if not 1 <= n_est < n:
        raise InputError(f"n_est = {n_est}: expected 1 <= n_est < n = {n}")
    d = delta / (2 + 6 * x_star_size)
    plant = n - n_est
    r_n, r_plant, r_rest, r_test = (hoeffding_radius(d, k) if k > 0 else 0.0
                                    for k in (n, plant, n_samples - n, n_test))
    p_hat = np.asarray(c, float) / plant
    gap = np.asarray(m_star, float) / plant - np.asarray(m_est, float) / n_est
    a = n / n_samples
    cond = a * (p_hat - 2 * r_n) - (1 - a) * (gap + r_n + r_plant + 2 * r_rest) - margin(notion, epsilon) > 0
    return float(np.sum(np.where(cond, c, 0.0)) / n - r_n - r_test)


def binomial_unplanting_bound(c, m_star, m_hat, n, n_est, n_samples, n_test, x_star_size, delta):
    """theory.collusion's binomial-unplanting bound: arrays [X] -> float.

    On the n - n_est planting points: ``c`` with g(x) = x~, ``m_star`` on (x~, y*), ``m_hat`` on (x~, y^(x~)),
    untransformed. With d = delta / (2 + 6|X*|) an x~ counts when
    Q_lo(n - n_est; CP_lo(c)) + Q_lo(N - n; CP_lo(m_hat)) > Q_hi(N - n; CP_hi(m_star)); the bound is
    binom.ppf(d; N_test, CP_lo(planting points on counted x~; n - n_est)) / N_test.
    """
    _check(n, n_samples, delta)
    if not 1 <= n_est < n:
        raise InputError(f"n_est = {n_est}: expected 1 <= n_est < n = {n}")
    d = delta / (2 + 6 * x_star_size)
    plant, rest = n - n_est, n_samples - n
    c = np.asarray(c, float)
    ours = binom.ppf(d, plant, cp_lower(c, plant, d)) + binom.ppf(d, rest, cp_lower(m_hat, plant, d))
    theirs = binom.ppf(1 - d, rest, cp_upper(m_star, plant, d))
    counted = float(np.sum(np.where((c > 0) & (ours > theirs), c, 0.0)))
    return float(binom.ppf(d, n_test, cp_lower(counted, plant, d)) / n_test)
