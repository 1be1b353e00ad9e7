"""Stage "exact": exact success curves of each strategy on a seeded instance next to Theorems 1, 3 and 5, and the
participation economics (Section 6) on the feature-label curve; rational arithmetic throughout.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.style import subplots
from critmass.report.tex import frac, num, table
from theory.strategy import Strategy

#: The demo instance's shape: feature values, labels, and how many of the feature values form the signal set.
SHAPE = {"nx": 12, "num_labels": 3, "signals": 4}
PARTICIPATION = {"c": 0.3, "gamma": 0.5}


def demo_instance(strategy: Strategy, seed: int, nx: int = 12, num_labels: int = 3, signals: int = 4, alpha="1/2"):
    """A seeded random instance in the regime the paper's theory is about.

    The last ``signals`` feature values form the signal set: rarer than the others and with the target label
    in the minority there, so each needs its own collective size to flip. For erasure, g is an idempotent
    summary map onto those values.
    """
    from theory.instance import make_instance

    rng = np.random.default_rng(seed)
    target = int(rng.integers(num_labels))
    weights = rng.integers(1, 20, size=(nx, num_labels))
    weights[nx - signals:, target] = 1
    rarity = rng.integers(5, 200, size=signals)
    scale = [200] * (nx - signals) + [int(r) for r in rarity]
    p0 = [[Fraction(int(w) * scale[x]) for w in weights[x]] for x in range(nx)]
    total = sum(sum(r) for r in p0)
    p0 = [[v / total for v in r] for r in p0]
    reps = list(range(nx - signals, nx))
    signal = [x if x in reps else int(rng.choice(reps)) for x in range(nx)]
    return make_instance(p0, signal, target, strategy, alpha)


def log_grid(n: int, lo: float = 1e-4) -> list[Fraction]:
    """n log-spaced collective sizes from ``lo`` to 1, as exact fractions (denominators up to 10^6)."""
    return [Fraction(float(a)).limit_denominator(10**6) for a in np.geomspace(lo, 1.0, n)]


def compute(ctx: Context) -> dict:
    from numerics.participation import investment, join_level, self_sustaining
    from theory.instance import BOUND_OF, STRATEGIES, bound, params, success

    alphas = log_grid(40 if ctx.quick else 120)
    curves = {}
    for strategy in STRATEGIES:
        inst = demo_instance(strategy, ctx.seed, **SHAPE)
        at = [inst.with_alpha(a) for a in alphas]
        bounds = [bound(i) for i in at]
        curves[strategy] = {"instance": inst.to_json(), "theorem": BOUND_OF[strategy],
                            "params": {k: None if v is None else str(v) for k, v in params(inst).items()},
                            "success": [str(success(i)) for i in at],
                            "bound": [None if b is None else str(b) for b in bounds]}
    xs = np.array([float(a) for a in alphas])
    s = np.array([float(Fraction(v)) for v in curves[Strategy.FEATURE_LABEL]["success"]])
    level = join_level(PARTICIPATION["c"], PARTICIPATION["gamma"])
    a_crit = self_sustaining(xs, s, level)
    return {"seed": ctx.seed, **SHAPE, "alphas": [str(a) for a in alphas], "n_alphas": len(alphas), "curves": curves,
            "participation": {**PARTICIPATION, "join_level": level, "alpha_crit": a_crit,
                              "investment": investment(xs, s, level, a_crit), "curve": Strategy.FEATURE_LABEL}}


def _positive(bounds) -> np.ndarray:
    b = np.array([np.nan if v is None else float(Fraction(v)) for v in bounds])
    return np.where(b > 0, b, np.nan)


def draw_curves(data: dict):
    fig, axes = subplots(1, 3, sharey=True)
    xs = [float(Fraction(a)) for a in data["alphas"]]
    for ax, (strategy, c) in zip(axes, data["curves"].items()):
        ax.step(xs, [float(Fraction(v)) for v in c["success"]], where="post", label="exact success")
        b = _positive(c["bound"])
        if np.isfinite(b).any():
            ax.plot(xs, b, "--", marker="." if np.isfinite(b).sum() < 3 else None,
                    label=f"{c['theorem'].replace('thm', 'Theorem ')} bound")
        ax.set(title=strategy, xlabel=r"$\alpha$", ylim=(-0.02, 1.02), xscale="log")
        ax.legend(loc="upper left")
    axes[0].set_ylabel(r"$S(\alpha)$")
    return fig


def draw_participation(data: dict):
    p = data["participation"]
    xs = np.array([float(Fraction(a)) for a in data["alphas"]])
    s = np.array([float(Fraction(v)) for v in data["curves"][p["curve"]]["success"]])
    fig, ax = subplots()
    ax.step(xs, s, where="post", label=rf"exact $S(\alpha)$ ({p['curve']})")
    ax.axhline(p["join_level"], color="k", lw=0.8, ls=":", label=rf"join level $c/(1-\gamma) = {num(p['join_level'])}$")
    if p["alpha_crit"] is not None and np.isfinite(p["alpha_crit"]):
        ax.axvline(p["alpha_crit"], color="C3", lw=0.8, label=rf"$\alpha_{{crit}} = {num(p['alpha_crit'])}$")
        below = xs <= p["alpha_crit"]
        ax.fill_between(xs[below], np.maximum(s[below], 0), p["join_level"], step="post", alpha=0.3, color="C1",
                        label=rf"investment $B = {num(p['investment'])}$")
    ax.set(xlabel=r"$\alpha$", ylabel="success", ylim=(-0.02, 1.02), xscale="log")
    ax.legend(loc="upper left")
    return fig


def _unbounded(data: dict) -> list[str]:
    """The strategies whose theorem's bound is nowhere positive on the grid (so not drawn)."""
    return [s for s, c in data["curves"].items() if not np.isfinite(_positive(c["bound"])).any()]


def figures(data: dict) -> list[Plot]:
    hidden = _unbounded(data)
    n = data["n_alphas"]
    note = ("" if not hidden else " The bound of " + ", ".join(
        f"{data['curves'][s]['theorem'].replace('thm', 'Theorem ')} ({s})" for s in hidden)
        + r" is at most $0$ at every $\alpha$ of the grid and is not drawn.")
    return [
        Plot("exact_curves", rf"Exact success (steps) and the paper's lower bound where it is positive (dashed), per "
                             rf"strategy, on one instance each (seed ${data['seed']}$, $|X| = {data['nx']}$, "
                             rf"$|Y| = {data['num_labels']}$), at ${n}$ collective sizes, in exact rational arithmetic." + note,
             draw_curves),
        Plot("participation", r"Participation economics (the paper's Figure 7) computed from the exact feature-label "
                              rf"curve at ${n}$ sizes: the self-sustaining size and the investment $B$ (shaded).",
             draw_participation)]


def write(data: dict) -> str:
    p = data["participation"]
    rows = [[k, v["theorem"].replace("thm", "Theorem "), *(f"${frac(v['params'][q])}$" for q in ("xi", "Delta", "p", "tau"))]
            for k, v in data["curves"].items()]
    crit = (rf"the collective is self-sustaining from $\alpha_{{crit}} = {num(p['alpha_crit'])}$, and the principal's "
            rf"investment is $B(\alpha_{{crit}}) = {num(p['investment'])}$" if p["alpha_crit"] is not None
            and np.isfinite(p["alpha_crit"]) else r"no size of the grid makes the collective self-sustaining")
    return (rf"Each strategy runs on a seeded random instance (seed ${data['seed']}$, $|X| = {data['nx']}$, "
            rf"$|Y| = {data['num_labels']}$, a signal set of ${data['signals']}$ rare feature values); the firm is "
            r"Bayes-optimal on the mixture and success is computed in exact rational arithmetic at "
            rf"${data['n_alphas']}$ collective sizes. The parameters of the paper's bound on each instance:" "\n\n"
            + table(["strategy", "bound", r"$\xi$", r"$\Delta$", "$p$", r"$\tau$"], rows, "llrrrr", stretch=1.4)
            + "\n\n" rf"With participation cost $c = {num(p['c'])}$ and free-riding $\gamma = {num(p['gamma'])}$, an "
            rf"individual joins once $S(\alpha) > {num(p['join_level'])}$; on the exact {p['curve']} curve {crit}.")


STAGE = Stage("exact", "Exact success on discrete instances", 20, compute, write, figures,
              results=("thm1", "thm3", "thm5", "participation"),
              summary="exact success per strategy against Theorems 1, 3, 5; participation economics")
