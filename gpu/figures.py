"""The analogues of the paper's Figures 2-6 from a sweep store's rows, with Theorems 1 and 3 drawn alongside.

The edge of gpu/: matplotlib (Agg) and files. Every number drawn comes from the rows, the fitted sigmoids of
gpu.experiments.summarize and the bounds of gpu.theory_overlay.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from gpu.collective import TRIGGER_ID, TextStrategy
from gpu.experiments import DEFAULTS, ENCODER_FIELDS, sigmoid, summarize
from gpu.theory_overlay import compare

#: Fields that make one setting (one set of figures): everything but what the figures vary.
SETTING = tuple(k for k in (*DEFAULTS, *ENCODER_FIELDS) if k not in ("strategy", "target", "alpha", "seed", "epochs",
                                                                     "every", "random_labels"))
LABEL = {"success_among": "target among predicted labels", "success_top1": "target is top-1"}


def _mode(rows, field):
    return Counter(r.config[field] for r in rows).most_common(1)[0][0]


def _select(rows, **fixed):
    return [r for r in rows if all(r.config[k] == v for k, v in fixed.items())]


def _curve(ax, rows, measure, label, color, theory=None):
    """Dots per seed, the fitted sigmoid, and optionally the theorem's bound, on a log-alpha axis."""
    pts = [(r.config["alpha"], r.metrics[measure]) for r in rows if r.config["alpha"] > 0]
    if not pts:
        return None
    a, v = np.array(pts).T
    ax.scatter(a, v, s=12, alpha=0.5, color=color)
    summary = next((s for s in summarize(rows, n_boot=0) if s["measure"] == measure), None)
    grid = np.geomspace(a.min(), a.max(), 200)
    if summary and summary["fit"]:
        f = summary["fit"]
        ax.plot(grid, sigmoid(grid, f["m"], f["k"], f["c"]), color=color, label=label)
    else:
        ax.plot(sorted(set(a)), summary["mean"] if summary else [], color=color, label=label + " (no fit)")
    if theory is not None:
        ax.plot(summary["alphas"], theory["bound"], color=color, ls="--", lw=1,
                label=f"{label}: theorem (xi={theory['xi']:.1e}" + (f", p={theory['p']:.2g})" if theory["p"] else ")"))
    return summary


def _axes(ax, title, measure):
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("collective size alpha (fraction of training set)")
    ax.set_ylabel(f"success: {LABEL[measure]}")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def write_figures(rows, outdir: Path) -> tuple[list[Path], list[dict]]:
    """Write every figure the rows support, per setting (and the rarity figure where the rows hold several
    triggers); return the files and the theory comparisons."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = defaultdict(list)
    for r in rows:
        settings[tuple(r.config.get(k) for k in SETTING)].append(r)
    written, theory_rows = [], []
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for key, rs in settings.items():
        setting = dict(zip(SETTING, key))
        learner = setting["learner"] + (f"-{setting['model']}" if setting["model"] else "")
        token = "" if setting["token"] == TRIGGER_ID else f"_token{setting['token']}"  # the rarity plan's triggers
        tag = f"{setting['corpus']}_{learner}_{setting['head']}{token}".replace("/", "-")
        e0, k0 = _mode(rs, "epochs"), _mode(rs, "every")
        plain = _select(rs, epochs=e0, every=k0, random_labels=0.0)
        heldout = {t: _select(plain, alpha=0, target=t) for t in {r.config["target"] for r in plain}}

        def save(fig, name):
            for ext in ("pdf", "png"):
                path = outdir / f"{name}_{tag}.{ext}"
                fig.savefig(path, dpi=110, bbox_inches="tight")
                written.append(path)
            plt.close(fig)

        for number, strategy in ((2, TextStrategy.TEXT_AND_LABEL), (3, TextStrategy.TEXT_ONLY)):  # Figures 2, 3
            sel = _select(plain, strategy=strategy)
            if not [r for r in sel if r.config["alpha"] > 0]:
                continue
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
            for ax, measure in zip(axes, ("success_among", "success_top1")):
                for i, t in enumerate(sorted({r.config["target"] for r in sel})):
                    curve = _select(sel, target=t)
                    summary = next(s for s in summarize(curve, n_boot=0) if s["measure"] == measure)
                    pos = [r for r in curve if r.config["alpha"] > 0]
                    needs_p = strategy == TextStrategy.TEXT_ONLY  # Theorem 3's p comes from held-out rows
                    th = compare(summary, pos, heldout.get(t, [])) if (not needs_p or heldout.get(t)) else None
                    _curve(ax, curve, measure, f"class {t}", colors[i % len(colors)], th)
                    if th and measure == "success_top1":
                        theory_rows.append({**setting, "strategy": strategy.value, "target": t, **th})
                _axes(ax, f"Strategy {strategy.value} ({strategy.instantiates}), "
                          f"{setting['corpus']}, {setting['learner']}, {e0} epochs", measure)
            save(fig, f"fig{number}_strategy{strategy.value}")

        s2 = _select(rs, strategy=TextStrategy.TEXT_ONLY, epochs=e0, every=k0)
        fractions = sorted({r.config["random_labels"] for r in s2})
        if len(fractions) > 1:  # Figure 4
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
            t0 = _mode(s2, "target")
            for ax, measure in zip(axes, ("success_among", "success_top1")):
                for i, f in enumerate(fractions):
                    _curve(ax, _select(s2, random_labels=f, target=t0), measure, f"random labels {f:g}",
                           colors[i % len(colors)])
                _axes(ax, f"Strategy 2 with random labels, {setting['corpus']}, class {t0}", measure)
            save(fig, "fig4_random_labels")

        for number, field, fixed in ((5, "epochs", dict(every=k0)), (6, "every", dict(epochs=e0))):
            sel = _select(rs, random_labels=0.0, **fixed)
            values = sorted({r.config[field] for r in sel})
            if len(values) < 2:
                continue
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
            for ax, strategy in zip(axes, TextStrategy):
                ss = _select(sel, strategy=strategy)
                if not ss:
                    continue
                t0 = _mode(ss, "target")
                for i, v in enumerate(values):
                    _curve(ax, _select(ss, target=t0, **{field: v}), "success_top1",
                           f"{field} = {v}", colors[i % len(colors)])
                _axes(ax, f"Strategy {strategy.value}, {setting['corpus']}, class {t0}, by {field}", "success_top1")
            save(fig, f"fig{number}_{field}")
    from gpu import rarity

    for result in rarity.compute(rows):  # the rarity plan's: alpha50/90 against xi
        fig = rarity.figure(result)
        for ext in ("pdf", "png"):
            path = outdir / f"{rarity.name(result)}.{ext}"
            fig.savefig(path, dpi=110, bbox_inches="tight")
            written.append(path)
        plt.close(fig)
        path = outdir / f"{rarity.name(result)}.json"  # the numbers drawn (None: a crossing outside the measured sizes)
        path.write_text(json.dumps({"rarity": [result]}, indent=1))
        written.append(path)
    return written, theory_rows
