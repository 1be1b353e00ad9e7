"""Reweighting firms on discrete instances: exact weighted-Bayes success against the collective's effective size.

Simulation layer (numpy, exact population quantities): each scheme is a weight function w(x, y) of the
training mixture; its success curve is set against the unweighted one at alpha_eff (theory/reweighting.py)
and its critical mass against the reweighted Corollary 2 (reweight-mixture-cor2, evaluated by theory).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numerics.learners import signal_instance, tables
from theory.errors import InputError
from theory.evaluate import evaluate
from theory.instance import Instance


SCHEMES = ("none", "inverse-class", "importance", "jtt", "cvar")


def _conditional(p):
    return p / np.maximum(p.sum(1, keepdims=True), 1e-300)


def first_stage_errors(p) -> np.ndarray:
    """Cells (x, y) where the unweighted Bayes classifier of ``p`` predicts a label other than y."""
    return np.argmax(p, axis=1)[:, None] != np.arange(p.shape[1])[None, :]


def weight_function(scheme: str, *, lam: float = 5.0, level: float = 0.1, p0_marginal=None) -> Callable:
    """The weight table ``w [n_x, k]`` a scheme puts on the training mixture ``p [n_x, k]``.

    - ``inverse-class``: ``1 / P(y)``.
    - ``importance``: covariate-shift weights ``Q(x) / P(x)`` to the base population ``Q = P0_X``.
    - ``jtt``: ``lam`` on the cells the first stage (the unweighted Bayes classifier) gets wrong, 1 elsewhere.
    - ``cvar``: ``1 / level`` on the highest-log-loss cells (under the first stage's predictive) up to
      P-mass ``level`` (the boundary cell in part), 0 elsewhere: one step of CVaR at that level.
    """
    if scheme == "none":
        return lambda p: np.ones_like(p)
    if scheme == "inverse-class":
        return lambda p: np.broadcast_to(1 / np.maximum(p.sum(0, keepdims=True), 1e-300), p.shape)
    if scheme == "importance":
        if p0_marginal is None:
            raise InputError("importance weighting needs the target marginal (p0_marginal)")
        return lambda p: np.broadcast_to((p0_marginal / np.maximum(p.sum(1), 1e-300))[:, None], p.shape)
    if scheme == "jtt":
        return lambda p: np.where(first_stage_errors(p), lam, 1.0)
    if scheme == "cvar":
        def cvar(p):
            loss = -np.log(np.maximum(_conditional(p), 1e-300)).ravel()
            order = np.argsort(-loss, kind="stable")
            mass = p.ravel()[order]
            before = np.concatenate([[0.0], np.cumsum(mass)[:-1]])
            share = np.clip((level - before) / np.maximum(mass, 1e-300), 0.0, 1.0)  # fraction of each cell in the tail
            w = np.empty_like(mass)
            w[order] = share / level
            return w.reshape(p.shape)
        return cvar
    raise InputError(f"scheme {scheme!r} is not one of: {' '.join(SCHEMES)}")


def reweighted_curve(inst: Instance, alphas, scheme: str, **kw) -> dict:
    """Exact success of the weighted-Bayes firm, alpha_eff, and the reweighted Theorem 1 bound, per alpha.

    The bound is ``reweight-mixture-cor2``'s (Theorem 1 at alpha_eff) with Delta and xi taken under the
    reweighted base ``P0_w``; where w varies over the collective's support, xi is replaced by
    ``sum_{x in X*} P0_w(x) E_{P*}[w] / w(x, y*)``, which is what Theorem 1's proof needs (equal to
    ``P0_w(X*)`` where w is constant there).
    """
    tab = tables(inst)
    weigh = weight_function(scheme, p0_marginal=tab.p0.sum(1), **kw)
    signal = np.unique(tab.signal)
    marginal0 = tab.p0.sum(1)
    rows = {"alpha": [], "alpha_eff": [], "success": [], "bound": [], "W_star": [], "W_0": []}
    for alpha in np.asarray(alphas, dtype=np.float64):
        p = alpha * tab.p_star + (1 - alpha) * tab.p0
        w = weigh(p)
        decision = np.argmax(w * p, axis=1)
        w_star, w_0 = float(np.sum(w * tab.p_star)), float(np.sum(w * tab.p0))
        rows["success"].append(float(np.sum(marginal0 * (decision[tab.signal] == tab.target))))
        rows["alpha_eff"].append(alpha * w_star / (alpha * w_star + (1 - alpha) * w_0))
        p0w = w * tab.p0 / w_0
        cond = _conditional(p0w[signal])
        delta = float(np.max(cond.max(1) - cond[:, tab.target])) if w_0 > 0 else 1.0
        w_sig = w[signal, tab.target]
        xi = float(np.sum(p0w[signal].sum(1) * w_star / np.maximum(w_sig, 1e-300)))
        ok = w_star > 0 and w_0 > 0 and xi <= 1
        rows["bound"].append(float(evaluate("reweight-mixture-cor2", "bound", dict(
            alpha=alpha, W_star=w_star, W_0=w_0, Delta=min(max(delta, 0.0), 1.0), xi=xi, epsilon=0))) if ok else -np.inf)
        rows["alpha"].append(float(alpha))
        rows["W_star"].append(w_star)
        rows["W_0"].append(w_0)
    return {k: np.asarray(v) for k, v in rows.items()}


def alignment(inst: Instance, alphas, scheme: str, *, s_star: float = 0.9, fine: int = 4000, **kw) -> dict:
    """How well ``S_w(alpha)`` lines up with the unweighted ``S(alpha_eff)``, and the critical masses.

    The unweighted curve is computed on a fine log grid and linearly interpolated at alpha_eff. Returns
    the largest and mean vertical gaps (and, for contrast, those of ``S_w(alpha)`` against ``S(alpha)``),
    the measured critical mass (least grid alpha with ``S_w >= s_star``) and the predicted one (least
    grid alpha where the reweighted bound reaches s_star), which must not be smaller.
    """
    curve = reweighted_curve(inst, alphas, scheme, **kw)
    grid = np.geomspace(1e-5, 1, fine)
    plain = reweighted_curve(inst, grid, "none")["success"]
    at_eff = np.interp(curve["alpha_eff"], grid, plain)
    at_alpha = np.interp(curve["alpha"], grid, plain)
    measured = curve["alpha"][curve["success"] >= s_star]
    predicted = curve["alpha"][curve["bound"] >= s_star]
    return {
        "scheme": scheme, "alpha": curve["alpha"].tolist(), "alpha_eff": curve["alpha_eff"].tolist(),
        "success": curve["success"].tolist(), "bound": [float(b) if np.isfinite(b) else None for b in curve["bound"]],
        "gap_max": float(np.max(np.abs(curve["success"] - at_eff))),
        "gap_mean": float(np.mean(np.abs(curve["success"] - at_eff))),
        "gap_max_unadjusted": float(np.max(np.abs(curve["success"] - at_alpha))),
        "gap_mean_unadjusted": float(np.mean(np.abs(curve["success"] - at_alpha))),
        "critical_measured": float(measured.min()) if measured.size else None,
        "critical_predicted": float(predicted.min()) if predicted.size else None,
        "bound_violations": int(np.sum(curve["success"] < curve["bound"] - 1e-12)),
    }


KIND = "reweight"
#: The schemes of the docs' sweep, with their options.
DEFAULT_SCHEMES = (("inverse-class", {}), ("importance", {}), ("jtt", {"lam": 5.0}), ("cvar", {"level": 0.1}))


def sweep_metrics(batch: list[dict]) -> list[dict]:
    """``alignment`` of each configuration {scheme, options, seed, signal_mass, points, s_star}."""
    return [alignment(signal_instance(c["seed"], signal_mass=c["signal_mass"]), np.geomspace(1e-4, 1, c["points"]),
                      c["scheme"], s_star=c["s_star"], **c["options"]) for c in batch]


def sweep(store, *, schemes=DEFAULT_SCHEMES, instance_seeds=(0, 1, 2), signal_mass: float = 0.02, points: int = 200,
          s_star: float = 0.9, **run_options) -> list:
    """The reweighting sweep (kind ``reweight``, also ``critmass simulate reweight``): one row per (scheme,
    instance seed), through numerics.sweep.run (``run_options``: shard, progress)."""
    from numerics.sweep import run

    configs = [{"scheme": s, "options": dict(kw), "seed": i, "signal_mass": signal_mass, "points": points,
                "s_star": s_star} for s, kw in schemes for i in instance_seeds]
    return run(store, KIND, configs, sweep_metrics, **run_options)
