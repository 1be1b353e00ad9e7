"""Stage "rarity": does the critical mass grow with the signal's base frequency xi, as Corollary 2 says?

The rarity plan's rows (``critmass experiment --plan rarity``) in the stores given with ``--store``: per setting,
one Strategy 1 curve per trigger, and each trigger's measured alpha50/alpha90 against its xi beside Corollary 2's
critical mass ``Delta xi / (1 - S* + Delta xi)`` (epsilon = 0), all computed by gpu.rarity. Without such a store
the section says so and gives the commands that add one.
"""

from __future__ import annotations

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.stages.text import _crossing, _store_rows
from critmass.report.style import figure_legend, subplots
from critmass.report.tex import commands, num, table, text, tt

LEVELS_PERCENT = (50, 90)
#: The commands that make a store of the rarity plan and add it to the report.
COMMANDS = ("critmass experiment --plan rarity --learner bow --corpus sst2 --data DIR --seeds 5 --epochs 5 "
            "--store rarity.sqlite", "critmass report --store rarity.sqlite")
LINE_POINTS = 60  # points of Corollary 2's line over the measured range of xi


def compute(ctx: Context) -> dict:
    from gpu import rarity
    from gpu.collective import TextStrategy
    from gpu.theory_overlay import critical_mass

    n_boot = 50 if ctx.quick else 200
    results = []
    for path in ctx.stores:
        rows = _store_rows(path)
        for res in rarity.compute(rows, n_boot=n_boot, boot_seed=ctx.seed):
            own = [r for r in rows if r.config["strategy"] == TextStrategy.TEXT_AND_LABEL
                   and r.config["random_labels"] == 0 and all(r.config.get(k) == res.get(k) for k in rarity.GROUP)]
            res["n_models"] = sum(r.config["alpha"] > 0 for r in own)
            res["n_heldout"] = sum(r.config["alpha"] == 0 for r in own)
            xis = [lv["xi"] for lv in res["levels"]]
            grid = np.geomspace(min(xis) / 2, min(max(xis) * 2, 0.5), LINE_POINTS)
            line = {"xi": grid.tolist(), **{f"alpha{p}": [critical_mass(1, p / 100, float(x), Delta=1.0) for x in grid]
                                            for p in LEVELS_PERCENT}}
            for lv in res["levels"]:
                lv["shown"] = rarity.shown(lv["word"])
            results.append({"store": path.name, **res, "cor2_line": line})
    return {"stores": [p.name for p in ctx.stores], "results": results, "strategy": TextStrategy.TEXT_AND_LABEL.value, "levels_percent": list(LEVELS_PERCENT),
            "confidence_percent": 95, "commands": list(COMMANDS)}


# ---- figures ----------------------------------------------------------------------------------------------

def _draw_curves(res: dict):
    fig, ax = subplots()
    colors = [f"C{k % 10}" for k in range(len(res["levels"]))]
    for color, lv in zip(colors, res["levels"]):
        ax.plot(lv["alphas"], lv["mean"], "o-", color=color,
                label=rf"'{lv['shown']}' in {lv['texts']} texts ($\xi$ = {lv['xi']:.2g})")
    ax.set(xscale="log", ylim=(-0.03, 1.03), xlabel=r"collective size $\alpha$",
           ylabel=f"success (target is top-1), mean of {res['levels'][0]['n_seeds']} seeds",
           title=f"Strategy 1 by trigger frequency: {res['corpus']}, {res['learner']}")
    figure_legend(fig, [ax], ncol=2)
    return fig


def _draw_xi(res: dict, confidence: int):
    fig, ax = subplots()
    levels = res["levels"]
    for p, marker, color in zip(LEVELS_PERCENT, ("o", "s"), ("C0", "C3")):
        tag = f"alpha{p}"
        inside = [lv for lv in levels if lv[tag] is not None and lv[tag] > 0]
        if inside:
            ax.plot([lv["xi"] for lv in inside], [lv[tag] for lv in inside], marker, color=color, ls="none",
                    label=rf"measured $\alpha_{{{p}}}$ (sigmoid fit)")
        ci = [(lv["xi"], lv[tag + "_ci"]) for lv in inside if lv[tag + "_ci"] and None not in lv[tag + "_ci"]]
        if ci:
            ax.vlines([x for x, _ in ci], [c[0] for _, c in ci], [c[1] for _, c in ci], color=color,
                      label=rf"$\alpha_{{{p}}}$: {confidence}% bootstrap interval over seeds")
        for status, edge, glyph, word in (("below-grid", min, "v", "<"), ("above-grid", max, "^", ">")):
            out = [lv for lv in levels if lv[tag + "_status"] == status]
            if out:
                at = edge(a for a in out[0]["alphas"] if a > 0)
                ax.plot([lv["xi"] for lv in out], [at] * len(out), glyph, color=color, ls="none", mfc="none",
                        label=rf"measured $\alpha_{{{p}}}$ {word} {at:g} (off the grid)")
        ax.plot(res["cor2_line"]["xi"], res["cor2_line"][tag], "-", color=color, lw=1,
                label=rf"Corollary 2, $\alpha_{{{p}}}$, $\Delta = 1$")
        est = [(lv["xi"], lv[f"cor2_{tag}_delta_hat"]) for lv in levels if lv[f"cor2_{tag}_delta_hat"]]
        if est:
            ax.plot(*zip(*est), "x", color=color, ls="none",
                    label=rf"Corollary 2, $\alpha_{{{p}}}$, $\hat\Delta$ (held-out model)")
    ax.set(xscale="log", yscale="log", xlabel=r"$\xi$: smoothed share of corpus texts containing the trigger",
           ylabel=r"critical mass $\alpha$", title="critical mass against signal frequency")
    figure_legend(fig, [ax], ncol=2)
    return fig


def figures(data: dict) -> list[Plot]:
    plots = []
    for i, res in enumerate(data["results"]):
        lv0 = res["levels"][0]
        where = (rf"store {tt(res['store'])}: Strategy 1 on {tt(res['corpus'])} ({text(res['learner'])}), "
                 rf"${len(res['levels'])}$ triggers, ${len(lv0['alphas'])}$ collective sizes, ${lv0['n_seeds']}$ "
                 rf"seeds, ${res['n_models']}$ trained models and ${res['n_heldout']}$ held-out ones ($\alpha = 0$)")
        plots.append(Plot(f"rarity_{i}", rf"Success by trigger frequency, {where}: the mean over seeds per trigger.",
                          lambda d, i=i: _draw_curves(d["results"][i])))
        plots.append(Plot(f"rarity_{i}_xi",
                          rf"Measured critical mass against $\xi$, {where}: the sigmoid fit's crossing of "
                          rf"${data['levels_percent'][0]}\%$ and ${data['levels_percent'][1]}\%$ success where it lies "
                          r"inside the sizes measured (open triangles: outside them), beside Corollary 2 with "
                          r"$\Delta = 1$ (lines) and with the held-out model's estimate of $\Delta$ (crosses).",
                          lambda d, i=i: _draw_xi(d["results"][i], d["confidence_percent"])))
    return plots


# ---- prose --------------------------------------------------------------------------------------------------

def _opt(x, digits: int = 2) -> str:
    return "--" if x is None else f"${num(x, digits)}$"


def write(data: dict) -> str:
    lo, hi = data["levels_percent"]
    if not data["results"]:
        given = (rf"The stores given ({', '.join(tt(s) for s in data['stores'])}) hold no rarity plan (two or more "
                 r"triggers of one setting). " if data["stores"] else "")
        return (rf"\textbf{{No rarity experiment in this report.}} {given}It measures one Strategy ${data['strategy']}$ "
                rf"curve per trigger of increasing base frequency and sets each trigger's $\alpha_{{{lo}}}$ and "
                rf"$\alpha_{{{hi}}}$ against Corollary 2. These commands add one (DIR: the folder of the corpora):"
                + "\n" + commands(*data["commands"]))
    parts = [rf"Each trigger is planted by Strategy 1 over the same collective sizes. $\xi$ is the add-one smoothed "
             r"share of corpus texts that contain the trigger (an upper bound on the signal set's base frequency, as "
             r"every planted text contains it); $\hat\Delta$ is the held-out ($\alpha = 0$) model's largest gap "
             r"$\max_y p(y \mid x) - p(y^* \mid x)$ over triggered test texts, averaged over seeds; Corollary 2 is "
             rf"printed with $\Delta = 1$, the bound that always holds. A measured $\alpha_{{{lo}}}$ or "
             rf"$\alpha_{{{hi}}}$ is the crossing of the sigmoid fitted to all seeds' points, given only inside the "
             r"sizes measured."]
    for res in data["results"]:
        lv0 = res["levels"][0]
        need = lv0["min_seeds_for_interval"]
        interval = (rf"with ${data['confidence_percent']}\%$ percentile bootstrap intervals over seeds (scipy, "
                    rf"${res['n_boot']}$ resamples, seed ${res['boot_seed']}$)" if lv0["n_seeds"] >= need else
                    rf"without intervals (${lv0['n_seeds']}$ seeds; an interval needs at least ${need}$)")
        rho = res["spearman_xi_alpha50"]
        trend = (rf"Spearman's rank correlation of $\xi$ and the measured $\alpha_{{{lo}}}$ is ${num(rho, 2)}$ over "
                 rf"the ${res['finite_alpha50']}$ triggers whose $\alpha_{{{lo}}}$ lies inside the sizes measured."
                 if rho is not None else
                 rf"Only ${res['finite_alpha50']}$ triggers have an $\alpha_{{{lo}}}$ inside the sizes measured: "
                 r"too few for a rank correlation.")
        rows = [[tt(lv["shown"]) + f" (${lv['token']}$)", f"${lv['texts']}$/${lv['corpus_texts']}$",
                 f"${num(lv['xi'], 2)}$", _opt(lv["delta_hat"], 4), _opt(lv["floor"]),
                 _crossing(lv, f"alpha{lo}"), _crossing(lv, f"alpha{hi}"),
                 _opt(lv[f"cor2_alpha{lo}_bound"]), _opt(lv[f"cor2_alpha{hi}_bound"])] for lv in res["levels"]]
        parts.append(
            rf"\paragraph{{{text(res['corpus'])}, {text(res['learner'])}.}} Store {tt(res['store'])}: Strategy 1, "
            rf"target class ${res['target']}$, ${res['epochs']}$ epochs, seeds "
            rf"{', '.join(f'${s}$' for s in lv0['seeds'])}, ${len(lv0['alphas'])}$ collective sizes from "
            rf"${num(min(lv0['alphas']), 2)}$ to ${num(max(lv0['alphas']), 2)}$; measure {tt(res['measure'])}; "
            rf"measured crossings {interval}. {trend}")
        parts.append(table(["trigger (id)", "texts with it", r"$\xi$", r"$\hat\Delta$", r"$S$ at $\alpha = 0$",
                            rf"$\alpha_{{{lo}}}$", rf"$\alpha_{{{hi}}}$", rf"Cor.~2 $\alpha_{{{lo}}}$",
                            rf"Cor.~2 $\alpha_{{{hi}}}$"], rows, "lrrrrllrr", colsep_pt=3))
    return "\n\n".join(parts)


STAGE = Stage("rarity", "Signal rarity against Corollary 2", 75, compute, write, figures, results=("cor2",),
              summary="the rarity plan's stores (--store): measured critical mass against xi beside Corollary 2",
              uses=("stores",))
