"""The signal-rarity experiment: does the critical mass grow with the signal's base frequency xi (Corollary 2)?

Triggers of increasing base frequency in the corpus (an unseen token, then words found in about 0.1%, 0.3%, 1%,
2%, 5% of the texts), one Strategy 1 success curve per trigger (with held-out alpha = 0 rows), and the fitted
alpha50/alpha90 against the measured xi next to Corollary 2's critical mass
``alpha* = Delta xi / (1 - S* + Delta xi)`` (epsilon = 0; Section 3.1, eq. (2) of the founding paper).

Delta is given two ways, and each is named wherever it is drawn: the bound Delta <= 1 (always valid), and the
held-out model's estimate, the max over triggered test texts of max_y p(y|x) - p(y*|x) averaged over seeds
(``gap_max`` of gpu.collective.success). xi is the add-one smoothed share of corpus texts that contain the
trigger: every planted text contains it, so this bounds P0(signal set) from above, and Corollary 2's alpha* is
increasing in xi.

``compute(rows)`` -> results (JSON-able; the report's stage "rarity" writes them as LaTeX), ``figure(result)``
-> a matplotlib figure (``critmass figures``), ``markdown(result)`` -> the table of docs/experiments.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass

import numpy as np

from gpu.collective import TRIGGER_ID, TextStrategy, _round_trips, rarest_unused_token, vocab
from gpu.experiments import DEFAULTS, ENCODER_FIELDS, Split, configs, crossing_text, split, summarize
from gpu.theory_overlay import critical_mass, uniqueness
from theory.errors import InputError

#: Base frequencies of the triggers: the share of corpus texts a chosen word occurs in (0: an unseen token).
LEVELS = (0.0, 0.001, 0.003, 0.01, 0.02, 0.05)
#: The collective sizes of each curve (0: the held-out model, for Delta's estimate and the success floor).
ALPHAS = (0.0, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: How far a chosen word's frequency may sit from its level (a factor), before the window widens to WIDE.
WINDOW, WIDE = 1.5, 3.0
MEASURE = "success_top1"


@dataclass(frozen=True)
class Trigger:
    """A trigger chosen for one rarity level: its token, and how often it occurs in the corpus."""

    level: float  # the base frequency asked for
    token: int
    word: str
    texts: int  # corpus texts that contain it (train and test, after preprocessing)
    corpus_texts: int
    target_share: float  # share of those texts labelled with the target (nan when texts = 0)


def document_counts(tokens: list[list[int]], size: int, rows: np.ndarray | None = None) -> np.ndarray:
    """How many texts contain each token id ``[size]`` (only the texts where ``rows`` is True, if given)."""
    counts = np.zeros(size, np.int64)
    for i, ids in enumerate(tokens):
        if rows is None or rows[i]:
            counts[np.unique(np.asarray(ids, np.int64))] += 1
    return counts


def _is_word(entry: str) -> bool:
    return entry.isascii() and entry.isalpha() and len(entry) >= 3


def choose_triggers(sp: Split, levels=LEVELS, target: int = 0) -> list[Trigger]:
    """One trigger per level, deterministically.

    Level 0: the paper's token 1240 where the corpus lacks it, else the rarest unused plantable token. Level f > 0:
    among whole words (ASCII letters, 3+ characters, tokenized back to themselves) found in between f/1.5 and
    1.5 f of the texts (widened to a factor 3 where none is), the one whose texts carry the target label at the
    rate closest to the corpus's own (so the word says least about the target), then the one whose frequency is
    closest to f, then the lowest id. InputError where no word fits.
    """
    v = vocab()
    tokens = sp.tok_train + sp.tok_test
    n = len(tokens)
    labels = np.concatenate([sp.train.label_matrix(), sp.test.label_matrix()])  # [n, k]
    if not 0 <= target < labels.shape[1]:
        raise InputError(f"target class {target} is outside 0..{labels.shape[1] - 1}")
    is_target = labels[:, target] > 0  # [n]
    df = document_counts(tokens, len(v))  # [V]
    df_target = document_counts(tokens, len(v), is_target)  # [V]
    base = float(is_target.mean())
    words = np.array([_is_word(t) for t in v])
    out, used = [], set()
    for level in levels:
        if not 0 <= level < 1:
            raise InputError(f"rarity level {level} is outside [0, 1); expected a share of texts")
        if level == 0:
            token = TRIGGER_ID if df[TRIGGER_ID] == 0 else rarest_unused_token(sp.full)
        else:
            token = None
            for factor in (WINDOW, WIDE):
                share = df / n
                inside = np.flatnonzero(words & (share >= level / factor) & (share <= level * factor))
                inside = [i for i in inside if i not in used]
                if not inside:
                    continue
                key = lambda i: (abs(df_target[i] / df[i] - base), abs(math.log(share[i] / level)), i)
                ranked = sorted(inside, key=key)
                ok = _round_trips(ranked[:256])
                token = next((i for i, good in zip(ranked, ok) if good), None)
                if token is not None:
                    break
            if token is None:
                raise InputError(f"no whole word occurs in about {level:.2%} of the {n} texts (within a factor "
                                 f"{WIDE:g}); expected a level the corpus can supply")
        used.add(int(token))
        share_target = float(df_target[token] / df[token]) if df[token] else math.nan
        out.append(Trigger(float(level), int(token), v[token], int(df[token]), n, share_target))
    return out


def plan(corpus: str, data: str | None, levels=LEVELS, alphas=ALPHAS, seeds=(0, 1, 2), **fields) -> tuple[
        list[Trigger], list[dict]]:
    """(the triggers, the configurations): Strategy 1 over ``alphas`` and ``seeds`` for each level's trigger.

    ``fields`` are further configuration fields (learner, epochs, model, limit, target, ...; see
    gpu.experiments.configs); the corpus is split as those fields say before the triggers are chosen.
    """
    if "token" in fields or "strategy" in fields:
        raise InputError("the rarity plan chooses its own triggers and uses Strategy 1; drop token and strategy")
    first = configs(corpus=corpus, **fields)[0]
    sp = split(corpus, data, first["drop_words"], first["test_fraction"], first["split_seed"], first.get("limit"))
    triggers = choose_triggers(sp, levels, first["target"])
    grid = configs(corpus=corpus, strategy=TextStrategy.TEXT_AND_LABEL, alpha=list(alphas), seed=list(seeds),
                   token=[t.token for t in triggers], **fields)
    return triggers, grid


# ---- compute / draw / write ------------------------------------------------------------------------------

#: Fields that make one rarity result: everything but what varies within it.
GROUP = tuple(k for k in (*DEFAULTS, *ENCODER_FIELDS) if k not in ("alpha", "seed", "token"))


def compute(rows, measure: str = MEASURE, n_boot: int = 200, boot_seed: int = 0) -> list[dict]:
    """One result per setting whose Strategy 1 rows (no label noise) hold two or more triggers.

    Each result has the setting's fields and ``levels``: per trigger (rarest first) its word, texts, xi, the
    held-out model's Delta estimate and success floor, the measured alpha50/alpha90 as gpu.experiments.summarize
    gives them (a number only inside the measured sizes, else None and ``alpha50_status`` says where; bootstrap
    intervals over seeds, ``n_boot`` resamples, seed ``boot_seed``, only with enough seeds), and Corollary 2's
    alpha50/alpha90 with Delta = 1 (bound) and with the estimate.
    """
    groups = defaultdict(list)
    for r in rows:
        c = r.config
        if c["strategy"] == TextStrategy.TEXT_AND_LABEL and c["random_labels"] == 0:
            groups[tuple(c.get(k) for k in GROUP)].append(r)
    results = []
    for key, rs in groups.items():
        by_token = defaultdict(list)
        for r in rs:
            by_token[r.config["token"]].append(r)
        if len(by_token) < 2:
            continue
        levels = [_level(token, trs, measure, n_boot, boot_seed) for token, trs in by_token.items()]
        levels.sort(key=lambda x: (x["xi"], x["token"]))
        setting = {k: v for k, v in zip(GROUP, key) if v is not None or k in DEFAULTS}
        results.append({**setting, "measure": measure, "n_boot": n_boot, "boot_seed": boot_seed,
                        "levels": levels, **_trend(levels)})
    return results


def _level(token: int, rows, measure: str, n_boot: int, boot_seed: int) -> dict:
    pos = [r for r in rows if r.config["alpha"] > 0]
    held = [r for r in rows if r.config["alpha"] == 0]
    m = rows[0].metrics
    xi = uniqueness(m["trigger_texts"], m["corpus_texts"])
    out = {"token": int(token), "word": vocab()[token], "texts": m["trigger_texts"], "corpus_texts": m["corpus_texts"],
           "share": m["trigger_texts"] / m["corpus_texts"], "xi": xi, "seeds": sorted({r.config["seed"] for r in pos}),
           "n_train": m["n_train"]}
    summary = next((s for s in summarize(pos, n_boot=n_boot, boot_seed=boot_seed) if s["measure"] == measure), None)
    for tag in ("alpha50", "alpha90"):
        out[tag] = summary[tag] if summary else None
        out[tag + "_status"] = summary[tag + "_status"] if summary else "no-fit"
        out[tag + "_ci"] = summary[tag + "_ci"] if summary else None
        out[tag + "_grid"] = summary[tag + "_grid"] if summary else math.nan
    out["alphas"] = summary["alphas"] if summary else []
    out["mean"] = summary["mean"] if summary else []
    out["n_seeds"] = len(out["seeds"])
    out["min_seeds_for_interval"] = summary["min_seeds_for_interval"] if summary else None
    gaps = [r.metrics["gap_max"] for r in held if "gap_max" in r.metrics]
    out["delta_hat"] = float(np.mean(gaps)) if gaps else None
    out["gap_mean"] = float(np.mean([r.metrics["gap_mean"] for r in held])) if gaps else None
    out["floor"] = float(np.mean([r.metrics[measure] for r in held])) if held else None
    for level in (0.5, 0.9):
        tag = f"alpha{int(level * 100)}"
        out[f"cor2_{tag}_bound"] = critical_mass(1, level, xi, Delta=1.0)
        out[f"cor2_{tag}_delta_hat"] = (critical_mass(1, level, xi, Delta=out["delta_hat"])
                                        if out["delta_hat"] else None)
    return out


def _trend(levels: list[dict]) -> dict:
    """Spearman's rank correlation of xi and the measured alpha50 over the levels where it lies inside the measured
    sizes (``finite_alpha50`` of them)."""
    from scipy.stats import spearmanr

    pts = [(x["xi"], x["alpha50"]) for x in levels if x["alpha50"] is not None]
    if len(pts) < 3:
        return {"spearman_xi_alpha50": None, "finite_alpha50": len(pts)}
    rho = spearmanr(*zip(*pts)).statistic
    return {"spearman_xi_alpha50": float(rho), "finite_alpha50": len(pts)}


def name(result: dict) -> str:
    """The file stem of a result's figure, e.g. ``rarity_resume_bow``."""
    model = f"-{result['model']}" if result.get("model") else ""
    return f"rarity_{result['corpus']}_{result['learner']}{model}".replace("/", "-")


def figure(result: dict):
    """Two panels: success against alpha per trigger; alpha50/alpha90 against xi with Corollary 2's lines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained")
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(result["levels"])))
    for color, lv in zip(colors, result["levels"]):
        a = np.asarray(lv["alphas"], float)
        left.plot(a, lv["mean"], "o-", ms=3, color=color, label=f"'{shown(lv['word'])}' in {lv['texts']} texts")
    left.set_xscale("log")
    left.set_ylim(-0.03, 1.03)
    left.set_xlabel("collective size alpha")
    left.set_ylabel("success (target is top-1), mean over seeds")
    left.set_title(f"Strategy 1 by trigger frequency: {result['corpus']}, {result['learner']}", fontsize=9)
    left.grid(alpha=0.3)
    left.legend(fontsize=8)

    xis = np.array([lv["xi"] for lv in result["levels"]])
    grid = np.geomspace(xis.min() / 2, min(xis.max() * 2, 0.5), 100)
    for level, marker, color in ((0.5, "o", "C0"), (0.9, "s", "C3")):
        tag = f"alpha{int(level * 100)}"
        pts = [(lv["xi"], lv[tag], lv[tag + "_ci"]) for lv in result["levels"] if lv[tag] is not None and lv[tag] > 0]
        if pts:
            x, y, ci = zip(*pts)
            lo = [max(v - (c[0] if c and c[0] is not None else v), 0) for v, c in zip(y, ci)]
            hi = [((c[1] if c and c[1] is not None else v) - v) for v, c in zip(y, ci)]
            bars = "95% bootstrap over seeds" if any(ci) else f"{len(result['levels'][0]['seeds'])} seeds, no interval"
            right.errorbar(x, y, yerr=[lo, hi], fmt=marker, color=color, capsize=3,
                           label=f"measured {tag} ({bars})")
        for status, edge, glyph, word in (("below-grid", min, "v", "<"), ("above-grid", max, "^", ">")):
            off = [lv for lv in result["levels"] if lv[tag + "_status"] == status]
            if off:  # a crossing outside the measured sizes: drawn at the edge of the grid, open, pointing away
                at = edge(a for a in off[0]["alphas"] if a > 0)
                right.plot([lv["xi"] for lv in off], [at] * len(off), glyph, color=color, mfc="none", ls="none",
                           label=f"measured {tag} {word} {at:g} (outside the sizes measured)")
        right.plot(grid, [critical_mass(1, level, xi, Delta=1.0) for xi in grid], "-", color=color, lw=1,
                   label=f"Corollary 2, {tag}, Delta = 1 (bound)")
        est = [(lv["xi"], lv[f"cor2_{tag}_delta_hat"]) for lv in result["levels"] if lv[f"cor2_{tag}_delta_hat"]]
        if est:
            right.plot(*zip(*est), "x", color=color, label=f"Corollary 2, {tag}, Delta estimated (held-out model)")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("xi: smoothed share of corpus texts containing the trigger")
    right.set_ylabel("critical mass alpha")
    right.set_title("critical mass against signal frequency", fontsize=9)
    right.grid(alpha=0.3, which="both")
    fig.legend(*right.get_legend_handles_labels(), fontsize=8, loc="outside lower center", ncol=3)  # hides no point
    return fig


def _num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "never" if x == math.inf else f"{x:.2g}"


def _measured(lv: dict, tag: str) -> str:
    """A level's measured crossing: the value inside the measured sizes (with its interval), else where it lies."""
    return crossing_text(lv, tag, _num) if lv["alphas"] else "-"


def shown(word: str) -> str:
    """A vocabulary entry as printable ASCII: itself, or its code points (U+05BE for the paper's trigger).

    >>> shown("zone"), shown("\u05be")
    ('zone', 'U+05BE')
    """
    if word.isascii() and word.isprintable():
        return word
    return " ".join(f"U+{ord(ch):04X}" for ch in word)


def rows_of(result: dict) -> list[list[str]]:
    """The table of one result, one row per trigger (rarest first): every cell computed from the rows."""
    out = []
    for lv in result["levels"]:
        out.append([f"`{shown(lv['word'])}` ({lv['token']})", f"{lv['texts']} / {lv['corpus_texts']} ({lv['share']:.2%})",
                    f"{lv['xi']:.2g}", "-" if lv["delta_hat"] is None else f"{lv['delta_hat']:.4f}", "-" if lv["floor"] is None else f"{lv['floor']:.2f}",
                    _measured(lv, "alpha50"), _measured(lv, "alpha90"),
                    _num(lv["cor2_alpha50_bound"]), _num(lv["cor2_alpha90_bound"])])
    return out


HEADER = ["trigger (id)", "texts with it", "xi", "Delta estimate", "success at alpha=0", "measured alpha50",
          "measured alpha90", "Cor. 2 alpha50 (Delta=1)", "Cor. 2 alpha90 (Delta=1)"]


def markdown(result: dict) -> str:
    """A result as the Markdown table of docs/experiments.md."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows_of(result)]
    return "\n".join(lines)


def as_dict(triggers: list[Trigger]) -> list[dict]:
    return [asdict(t) for t in triggers]
