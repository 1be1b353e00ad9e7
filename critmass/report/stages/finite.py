"""Stage "finite": the plug-in firm on N samples against the exact curve, the paper's population bound and both
finite-sample bounds (Gauthier, Bach & Jordan's and critmass's binomial one)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.resume import each
from critmass.report.stages.exact import SHAPE, demo_instance
from critmass.report.style import figure_legend, subplots
from critmass.report.tex import num
from theory.strategy import Strategy

BAND = (0.05, 0.95)  # quantiles of success over seeds drawn as a band


def compute(ctx: Context) -> dict:
    from numerics import exact
    from numerics.bounds import binomial_bound, gbj_bound
    from numerics.finite import simulate
    from theory.instance import BOUND_OF, STRATEGIES, bound

    n_samples, seeds, delta = (4000, 64, 0.05) if ctx.quick else (20000, 400, 0.05)
    alphas = np.geomspace(2e-3, 0.5, 8 if ctx.quick else 16)
    data: dict = {"alphas": alphas.tolist(), "n_alphas": len(alphas), "n_samples": n_samples, "n_test": n_samples, "seeds": seeds,
                  "seed": ctx.seed, "delta": delta, "band_percent": [100 * q for q in BAND]}

    def curve(part: dict) -> dict:  # one strategy's curves: a part of the stage, saved as it finishes
        strategy = Strategy(part["strategy"])
        inst = demo_instance(strategy, ctx.seed, **SHAPE)
        out = simulate(inst, alphas, n_samples, n_samples, seeds, ctx.seed)
        paper = [bound(inst.with_alpha(Fraction(float(a)).limit_denominator(10**6))) for a in alphas]
        cur = {"instance": inst.to_json(), "theorem": BOUND_OF[strategy],
               "exact": exact.success_grid(exact.stack_instances([inst]), alphas)[0].tolist(),
               "mean": out["success_test"].mean(axis=1).tolist(),
               "q_low": np.quantile(out["success_test"], BAND[0], axis=1).tolist(),
               "q_high": np.quantile(out["success_test"], BAND[1], axis=1).tolist(),
               "paper_bound": [None if b is None else float(b) for b in paper], "n": out["n"].tolist()}
        if strategy == Strategy.FEATURE_LABEL:
            args = (inst.target, len(set(inst.signal)), delta)
            cur["gbj_median"], cur["binomial_median"], cur["holds"] = [], [], []
            for i, n in enumerate(out["n"]):
                per_seed = {name: fn(out["c"][i], out["m"][i], int(n), n_samples, n_samples, *args)
                            for name, fn in (("gbj", gbj_bound), ("binomial", binomial_bound))}  # [S] each
                cur["gbj_median"].append(float(np.median(per_seed["gbj"])))
                cur["binomial_median"].append(float(np.median(per_seed["binomial"])))
                cur["holds"].append({k: float(np.mean(out["success_test"][i] >= b)) for k, b in per_seed.items()})
            worst = min(min(h.values()) for h in cur["holds"])
            cur["worst_holds_percent"] = 100 * worst
        return cur

    data["curves"] = dict(zip(STRATEGIES, each(ctx, "curve", [{"strategy": s} for s in STRATEGIES], curve)))
    data["required_percent"] = 100 * (1 - delta)
    return data


def _positive(values) -> np.ndarray:
    v = np.array([np.nan if b is None else b for b in values], dtype=float)
    return np.where(v > 0, v, np.nan)


def draw(data: dict):
    fig, axes = subplots(1, 3, sharey=True)
    alphas = np.asarray(data["alphas"])
    for ax, (strategy, c) in zip(axes, data["curves"].items()):
        ax.plot(alphas, c["exact"], "k-", lw=1, label="exact (population)")
        ax.plot(alphas, c["mean"], "C0o-", label=f"plug-in, mean of {data['seeds']} seeds")
        ax.fill_between(alphas, c["q_low"], c["q_high"], color="C0", alpha=0.2,
                        label=f"plug-in, {data['band_percent'][0]:g}-{data['band_percent'][1]:g}% of seeds")
        b = _positive(c["paper_bound"])
        if np.isfinite(b).any():
            ax.plot(alphas, b, "C1.--", label="the paper's bound (population)")  # markers: it may be one point
        if "gbj_median" in c:
            for key, style, label in (("gbj_median", "C2x:", "GBJ finite-sample bound"),
                                      ("binomial_median", "C3+-.", "binomial finite-sample bound")):
                v = _positive(c[key])
                if np.isfinite(v).any():
                    ax.plot(alphas, v, style, label=label)
        ax.set(title=f"{strategy} ({c['theorem'].replace('thm', 'Thm ')})", xscale="log", xlabel=r"$\alpha$",
               ylim=(-0.02, 1.02))
    axes[0].set_ylabel("success")
    figure_legend(fig, axes, ncol=3)
    return fig


def figures(data: dict) -> list[Plot]:
    return [Plot("finite_curves",
                 rf"Exact (population) success, the plug-in firm's success on ${data['n_test']}$ test points (mean and "
                 rf"${num(data['band_percent'][0])}$--${num(data['band_percent'][1])}$\% band over ${data['seeds']}$ seeds, "
                 rf"$N = {data['n_samples']}$), the paper's population bound and, for feature-label, the median over "
                 rf"seeds of both finite-sample bounds ($\delta = {num(data['delta'])}$), each where positive; "
                 rf"${data['n_alphas']}$ collective sizes.", draw)]


def write(data: dict) -> str:
    fl = data["curves"][Strategy.FEATURE_LABEL]
    return (rf"The firm sees $N = {data['n_samples']}$ samples, of which $n = \alpha N$ follow the strategy, and learns "
            rf"the plug-in classifier; success is measured on ${data['n_test']}$ held-out points, over "
            rf"${data['seeds']}$ seeds (seed ${data['seed']}$), on the instances of the exact section. For "
            r"feature-label, the finite-sample bounds of Gauthier, Bach \& Jordan (GBJ) and critmass's binomial "
            rf"bound at $\delta = {num(data['delta'])}$ held in at least ${num(fl['worst_holds_percent'], 4)}\%$ of "
            rf"seeds at every $\alpha$ (they must hold in $\geq {num(data['required_percent'])}\%$).")


STAGE = Stage("finite", "Finite samples", 40, compute, write, figures, results=("thm1", "thm3", "thm5", "gbj", "binomial"),
              summary="the plug-in firm on N samples against the exact curve and the finite-sample bounds")
