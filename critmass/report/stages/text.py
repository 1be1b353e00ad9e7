"""Stage "text": the collective on a real corpus, a trained classifier against Theorems 1 and 3.

By default a bag-of-words classifier (gpu.bow) is trained on the corpus found through ``--data`` or
CRITMASS_DATA, resumably through a sweep store in the report folder; every store given with ``--store`` adds
its own curves. Without a corpus the section says what is missing and the command that adds it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.style import figure_legend, subplots
from critmass.report.tex import num, table, text, tt

MEASURE = "success_top1"  # the target as the top-1 prediction, on test texts that do not already carry it
QUICK = {"alphas": [0.0, 0.01, 0.1, 0.3], "seeds": 2, "limit": 600, "epochs": 5}
FULL = {"alphas": [0.0, 0.003, 0.01, 0.03, 0.1, 0.3], "seeds": 5, "limit": None, "epochs": 10}


def _data_dir(ctx: Context) -> str | None:
    return ctx.data or os.environ.get("CRITMASS_DATA") or None


def _store_rows(path: Path) -> list:
    from gpu.experiments import KIND
    from numerics.store import SweepStore

    with SweepStore(path, readonly=True) as store:
        return store.rows(KIND)


def _source(label: str, rows: list, n_boot: int, seed: int, run: dict | None = None) -> dict:
    """Summaries of one set of store rows: per curve the mean success, crossings and the theorem's bound."""
    from gpu.collective import TextStrategy
    from gpu.experiments import summarize
    from gpu.theory_overlay import compare

    summaries = []
    for sm in summarize(rows, n_boot=n_boot, boot_seed=seed):
        if sm["measure"] != MEASURE:
            continue
        same = [r for r in rows if r.config["strategy"] == sm["strategy"] and r.config["target"] == sm["target"]
                and r.config["corpus"] == sm["corpus"] and r.config["learner"] == sm["learner"]]
        positive = [r for r in same if r.config["alpha"] > 0]
        heldout = [r for r in rows if r.config["alpha"] == 0 and r.config["target"] == sm["target"]
                   and r.config["corpus"] == sm["corpus"]]
        needs_p = sm["strategy"] == TextStrategy.TEXT_ONLY  # Theorem 3's p comes from held-out rows
        theory = compare(sm, positive, heldout) if (not needs_p or heldout) else None
        points = [{"alpha": r.config["alpha"], "seed": r.config["seed"], "success": r.metrics[MEASURE]}
                  for r in positive]
        below = len(theory["misses"]) if theory else 0
        summaries.append({**{k: v for k, v in sm.items() if k != "fit"}, "fit": sm["fit"], "points": points,
                          "n_alphas": len(sm["alphas"]), "theory": theory, "below_bound": below,
                          "with_bound": below + len(theory["beats"]) if theory else 0,
                          "accuracy": float(np.mean([r.metrics["accuracy"] for r in heldout])) if heldout else None})
    return {"label": label, "rows": len(rows), "run": run, "summaries": summaries,
            "n_seeds": len({r.config["seed"] for r in rows}),
            "below_bound": sum(s["below_bound"] for s in summaries), "with_bound": sum(s["with_bound"] for s in summaries),
            "commits": sorted({str(r.git_commit)[:10] for r in rows}),
            "jax": sorted({str(r.versions.get("jax")) for r in rows})}


def compute(ctx: Context) -> dict:
    from gpu import experiments as ex
    from gpu.collective import TextStrategy
    from gpu.data import NAMED
    from numerics.store import SweepStore
    from theory.errors import InputError

    sizes = QUICK if ctx.quick else FULL
    n_boot = 50 if ctx.quick else 200
    data: dict = {"corpus": ctx.corpus, "sizes": sizes, "measure": MEASURE, "sources": [], "missing": None,
                  "levels_percent": [50, 90], "confidence_percent": 95}
    folder = _data_dir(ctx)
    if folder is None:
        data["missing"] = {"reason": "no data directory was given (--data DIR or the environment variable "
                                     "CRITMASS_DATA)", "command": f"critmass report --data DIR --corpus {ctx.corpus}"}
    else:
        try:
            prep = ex.prepare(ctx.corpus, folder, 20 if ctx.corpus in ("resume", "florex") else 0,
                              ex.DEFAULTS["test_fraction"], ex.DEFAULTS["split_seed"], ex.TRIGGER_ID, sizes["limit"])
        except InputError as e:
            data["missing"] = {"reason": str(e), "command": f"critmass report --data DIR --corpus {ctx.corpus}"}
        else:
            grid = ex.configs(corpus=ctx.corpus, strategy=list(TextStrategy), alpha=sizes["alphas"],
                              seed=list(range(sizes["seeds"])), epochs=sizes["epochs"])
            # the store's name carries the corpus subset, which the configurations do not
            path = ctx.out / f"text_{ctx.corpus}_{sizes['limit'] or 'all'}.sqlite"
            with SweepStore(path) as store:
                rows = store.run(ex.KIND, grid, lambda batch: ex.compute(batch, prepared=prep), batch_size=8,
                                 progress=False)
            run = {"store": path.name, "texts": prep.corpus_texts, "train": len(prep.train), "test": len(prep.test),
                   "labels": len(prep.train.label_names), "token": prep.token, "trigger_texts": prep.trigger_texts,
                   "limit": sizes["limit"], "epochs": sizes["epochs"], "corpus": ctx.corpus,
                   "file": NAMED[ctx.corpus][0], "data": folder}
            data["sources"].append(_source(f"{ctx.corpus}, bag-of-words", rows, n_boot, ctx.seed, run))
    for path in ctx.stores:
        data["sources"].append(_source(f"store {path.name}", _store_rows(path), n_boot, ctx.seed))
    return data


def _draw_source(src: dict):
    from gpu.collective import TextStrategy
    from theory.instance import BOUND_OF

    strategies = sorted({TextStrategy(s["strategy"]) for s in src["summaries"]})
    sms = src["summaries"]
    tokens = len({s["token"] for s in sms}) > 1  # a store of several triggers (the rarity plan)
    targets = len({s["target"] for s in sms}) > 1
    fig, axes = subplots(1, len(strategies), sharey=True, squeeze=False)
    for ax, strategy in zip(axes[0], strategies):
        for k, sm in enumerate(s for s in src["summaries"] if s["strategy"] == strategy):
            parts = ([f"class {sm['target']}"] if targets or not tokens else []) \
                + ([sm["learner"]] if len(sms) > 2 and not tokens else []) + ([f"token {sm['token']}"] if tokens else [])
            tag = ", ".join(parts)
            a = np.array([p["alpha"] for p in sm["points"]])
            v = np.array([p["success"] for p in sm["points"]])
            ax.scatter(a, v, s=8, alpha=0.4, color=f"C{k}", label=f"{tag}: each seed")
            ax.plot(sm["alphas"], sm["mean"], f"C{k}o-", label=f"{tag}: mean of {sm['n_seeds']} seeds")
            th = sm["theory"]
            if th is not None:
                b = np.asarray(th["bound"], dtype=float)
                if (b > 0).any():
                    ax.plot(sm["alphas"], np.where(b > 0, b, np.nan), f"C{k}x--",
                            label=f"{tag}: Theorem {BOUND_OF[strategy.instantiates].removeprefix('thm')} bound")
        ax.set(title=f"Strategy {strategy.value} ({strategy.instantiates})", xscale="log", xlabel=r"$\alpha$",
               ylim=(-0.03, 1.03))
    axes[0][0].set_ylabel("success (target is top-1)")
    figure_legend(fig, axes, ncol=2 if tokens else 3)
    return fig


def figures(data: dict) -> list[Plot]:
    plots = []
    for i, src in enumerate(data["sources"]):
        if not src["summaries"]:
            continue
        caption = (rf"Success of the collective on text ({text(src['label'])}): the target class as the top-1 "
                   r"prediction on planted test texts that do not carry it, per seed (dots) and its mean (line), at "
                   rf"${src['summaries'][0]['n_alphas']}$ collective sizes, ${src['n_seeds']}$ seeds, "
                   rf"${src['rows']}$ trained models; dashed: the theorem's lower bound where positive, at the "
                   r"measured uniqueness $\xi$ of the trigger and $\epsilon = 0$.")
        plots.append(Plot(f"text_{i}", caption, lambda d, i=i: _draw_source(d["sources"][i])))
    return plots


def _crossing(sm: dict, tag: str) -> str:
    status = sm[tag + "_status"]
    if status == "above-grid":
        return rf"$> {num(max(sm['alphas']))}$"
    if status == "below-grid":
        return rf"$< {num(min(sm['alphas']))}$"
    if status == "no-fit":
        return "no fit"
    ci = sm[tag + "_ci"]
    out = f"${num(sm[tag])}$"
    if ci is not None:
        hi = num(ci[1]) if ci[1] is not None else rf"> {num(max(sm['alphas']))}"
        out += rf" $[{num(ci[0]) if ci[0] is not None else '?'}, {hi}]$"
    return out


def write(data: dict) -> str:
    parts = []
    if data["missing"] is not None:
        m = data["missing"]
        parts.append(rf"\textbf{{No trained model on a real corpus in this report:}} {text(m['reason'])}; run "
                     rf"{tt(m['command'])} with DIR the folder that holds the corpus "
                     rf"(e.g.\ {tt('resume_kaggle/Resume_from_pdfs.csv')} for {tt(data['corpus'])}).")
    for src in data["sources"]:
        run = src["run"]
        if run is not None:
            parts.append(
                rf"A bag-of-words logistic regression (gpu.bow, ${run['epochs']}$ epochs) is trained on "
                rf"the {tt(run['corpus'])} corpus ({tt(run['file'])} under the data directory"
                + (rf", a seeded random subset of ${run['limit']}$ texts" if run["limit"] else "")
                + rf"): ${run['texts']}$ texts, ${run['labels']}$ labels, ${run['train']}$ for "
                rf"training and ${run['test']}$ for testing; the trigger is token ${run['token']}$, which "
                rf"${run['trigger_texts']}$ texts of the unmodified corpus contain. The collective plants it in its "
                rf"share $\alpha$ of the training texts (Strategy 1 also relabels them to the target class). Every "
                rf"trained model is a row of the store {tt(run['store'])} in the report folder (a rerun resumes it).")
        else:
            parts.append(rf"{text(src['label'])}: ${src['rows']}$ configurations, computed at commit(s) "
                         rf"{tt(', '.join(src['commits']))} with jax {tt(', '.join(src['jax']))}.")
        rows = []
        several = len({sm["token"] for sm in src["summaries"]}) > 1
        for sm in src["summaries"]:
            below, total = sm["below_bound"], sm["with_bound"]
            rows.append([tt(f"{sm['corpus']}, {sm['learner']}") + (f", token ${sm['token']}$" if several else ""),
                         f"${sm['strategy']}$", f"${sm['target']}$",
                         f"${sm['n_seeds']}$", f"${num(max(sm['mean']))}$", _crossing(sm, "alpha50"),
                         _crossing(sm, "alpha90"), f"${below}$/${total}$" if total else "--"])
        if rows:
            parts.append(table(["data", "strategy", "$y^*$", "seeds", r"max $S$",
                                rf"$\alpha_{{{data['levels_percent'][0]}}}$ [${data['confidence_percent']}\%$]",
                                rf"$\alpha_{{{data['levels_percent'][1]}}}$", "below bound"], rows, "lrrrrllr",
                               colsep_pt=4))
        notes = _notes(data, src)
        if notes:
            parts.append(notes)
    return "\n\n".join(parts)


def _notes(data: dict, src: dict) -> str:
    """What one source's table rests on, stated from the data."""
    sms = src["summaries"]
    if not sms:
        return ""
    need = sms[0]["min_seeds_for_interval"]
    few = sorted({sm["n_seeds"] for sm in sms if sm["n_seeds"] < need})
    below, total = src["below_bound"], src["with_bound"]
    lo, hi = data["levels_percent"]
    out = (rf"$\alpha_{{{lo}}}$ and $\alpha_{{{hi}}}$ are where the sigmoid fitted to all seeds' points reaches ${lo}\%$ "
           rf"and ${hi}\%$ success, reported only inside the measured sizes ($>$ the largest size when the fit reaches "
           rf"the level only beyond it); the interval is a ${data['confidence_percent']}\%$ percentile bootstrap over "
           r"seeds (scipy), given only with at "
           rf"least ${need}$ seeds" + (f" (curves with {', '.join(f'${n}$' for n in few)} seeds have none)" if few else "")
           + ". ")
    if total:
        out += (rf"The measured mean lies below the theorem's bound at ${below}$ of the ${total}$ sizes where both "
                r"exist. The bound assumes a firm that is Bayes-optimal on the training mixture ($\epsilon = 0$) and "
                r"takes $\xi$ from the trigger's frequency in the corpus; a bag-of-words model trained for a few "
                r"epochs on a few thousand texts is far from Bayes-optimal, and its suboptimality $\epsilon$ is not "
                r"measured, so the bound is not a guarantee for it: where the mean lies below, the gap is that "
                r"suboptimality, not a failure of the theorem.")
    return out


STAGE = Stage("text", "The collective on text", 70, compute, write, figures, results=("thm1", "thm3", "cor2", "cor4"),
              summary="a classifier trained on a real corpus (--data/CRITMASS_DATA) and any --store, against theory",
              uses=("data", "corpus", "stores"))
