"""Sweeps of the collective on text through the sweep store, and the sigmoid fits of their success curves.

Top of gpu/: configurations (alpha x strategy x target x seed x epochs x spacing x random labels) run by a
learner (the bag-of-words of gpu.bow, or the encoder fine-tuned by gpu.finetune), one store row each, resumable.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from gpu import bow
from gpu import finetune as ft
from gpu.collective import (STREAM_TRAINING, TRIGGER_ID, Action, TextStrategy, act, apply, clean_metrics, plant,
                            randomize_labels, rarest_unused_token, success, text_strategy, token_ids)
from gpu.data import Corpus, drop_leading_words, load_corpus, synthetic_corpus, train_test_split
from numerics.store import SweepStore
from theory.errors import InputError

KIND = "collective-text"
LEARNERS = ("bow", "encoder")
#: Every configuration field, with its default. ``drop_words=None`` means 20 for resume corpora, else 0.
DEFAULTS = dict(learner="bow", corpus="resume", strategy=TextStrategy.TEXT_AND_LABEL, target=0, alpha=0.01, seed=0, epochs=10, every=20,
                random_labels=0.0, token=TRIGGER_ID, head="softmax", lr=0.05, batch_size=32, test_fraction=0.2,
                split_seed=0, drop_words=None)
#: The encoder's extra fields: the checkpoint ("minilm", "tiny" random init, or a folder), tokens per text, and
#: a seeded random subset of the corpus (None: all of it). Bag-of-words configurations do not carry them.
ENCODER_FIELDS = dict(model="minilm", max_length=None, limit=None)
#: Fields whose default, for the encoder, is gpu.finetune's for its model (Trainer's, or the tiny model's).
ENCODER_FROM_FINETUNE = {"epochs": "epochs", "lr": "learning_rate", "batch_size": "batch_size",
                         "max_length": "max_length"}
#: Texts in the synthetic corpus (corpus="synthetic") when no limit is given.
SYNTHETIC_TEXTS = 400
#: Fields that vary within one vmapped batch; every other field must agree.
VARYING = ("strategy", "target", "alpha", "seed", "every", "random_labels")
MEASURES = ("success_among", "success_top1")


def configs(**grid) -> list[dict]:
    """The cartesian product of the given lists over DEFAULTS (a scalar is a one-element list).

    The encoder's configurations also carry ENCODER_FIELDS, and take the fine-tune's defaults for its model
    where the grid gives none (e.g. 3 epochs at lr 5e-5 for MiniLM; see gpu.finetune.DEFAULTS and TINY).

    >>> [(c["alpha"], c["seed"]) for c in configs(alpha=[0.1, 0.2], seed=[0, 1])]
    [(0.1, 0), (0.1, 1), (0.2, 0), (0.2, 1)]
    >>> [(c["model"], c["epochs"], c["lr"]) for c in configs(learner="encoder", model=["minilm", "tiny"])]
    [('minilm', 3, 5e-05), ('tiny', 4, 0.005)]
    """
    unknown = set(grid) - set(DEFAULTS) - set(ENCODER_FIELDS)
    if unknown:
        raise InputError(f"unknown configuration field {sorted(unknown)[0]!r}; expected one of "
                         f"{', '.join([*DEFAULTS, *ENCODER_FIELDS])}")
    listed = {k: (v if isinstance(v, (list, tuple)) else [v]) for k, v in grid.items()}
    out = []
    for learner in listed.get("learner", [DEFAULTS["learner"]]):
        fields = {**DEFAULTS, **(ENCODER_FIELDS if learner == "encoder" else {})}
        extra = sorted(set(grid) - set(fields))
        if extra:
            raise InputError(f"configuration field {extra[0]!r} applies only to learner 'encoder', not {learner!r}")
        lists = {k: listed.get(k, [v]) for k, v in fields.items()}
        lists["learner"] = [learner]
        for values in itertools.product(*lists.values()):
            c = dict(zip(lists, values))
            if c["drop_words"] is None:
                c["drop_words"] = 20 if c["corpus"] in ("resume", "florex") else 0
            if learner == "encoder":
                tuned = ft.resolve({"model": c["model"]})
                for field, key in ENCODER_FROM_FINETUNE.items():
                    if field not in grid:
                        c[field] = tuned[key]
            check(c)
            out.append(c)
    return out


def check(c: dict) -> None:
    """InputError for a configuration outside its domain."""
    if c["learner"] not in LEARNERS:
        raise InputError(f"learner {c['learner']!r} is unknown; expected one of {', '.join(LEARNERS)}")
    text_strategy(c["strategy"])
    if not 0 <= c["alpha"] <= 1:
        raise InputError(f"alpha={c['alpha']} is outside [0, 1] (0: no collective, the held-out model)")
    if not 0 <= c["random_labels"] <= 1:
        raise InputError(f"random_labels={c['random_labels']} is outside [0, 1]")
    for name in ("epochs", "every", "batch_size"):
        if not isinstance(c[name], int) or c[name] < 1:
            raise InputError(f"{name}={c[name]!r} is not a positive integer")
    if c["head"] not in bow.HEADS:
        raise InputError(f"head {c['head']!r} is unknown; expected one of {', '.join(bow.HEADS)}")
    if c["learner"] == "encoder":
        if c["limit"] is not None and (not isinstance(c["limit"], int) or c["limit"] < 2):
            raise InputError(f"limit={c['limit']!r} is not an integer >= 2 (texts of the corpus to use)")
        ft.resolve(finetune_config(c))


@dataclass(frozen=True)
class Prepared:
    """A corpus split and encoded once for every configuration that shares it."""

    train: Corpus
    test: Corpus
    token: int  # the trigger's vocabulary id
    space: bow.Features
    enc_train: bow.Encoded
    enc_test: bow.Encoded
    trigger_texts: int  # texts of the unmodified corpus that contain the trigger
    corpus_texts: int


@dataclass(frozen=True)
class Split:
    """A corpus loaded, preprocessed, subset and split once, with its token ids: shared by every trigger."""

    full: Corpus
    train: Corpus
    test: Corpus
    tok_train: list  # token ids per training text (no [CLS]/[SEP])
    tok_test: list


@functools.cache
def split(corpus: str, data: str | None, drop_words: int, test_fraction: float, split_seed: int,
          limit: int | None = None) -> Split:
    """Load, drop leading words, subset and split a corpus, and tokenize both halves (memoized).

    ``limit`` keeps a random subset of that many texts (seeded by ``split_seed``, as ``critmass finetune
    --limit`` does); corpus "synthetic" is gpu.data's keyword corpus of ``limit`` (default 400) texts.
    """
    if corpus == "synthetic":
        full = synthetic_corpus(limit or SYNTHETIC_TEXTS, seed=split_seed, num_labels=3)
    else:
        full = load_corpus(corpus, data)
    if drop_words:
        full = full.map_texts(lambda t: drop_leading_words(t, drop_words))
    if limit is not None and limit < len(full):
        pick = np.random.default_rng(split_seed).choice(len(full), limit, replace=False)
        full = full.subset(np.sort(pick), f"{full.source}[{limit} of {len(full)}, seed {split_seed}]")
    train, test = train_test_split(full, test_fraction, split_seed)
    return Split(full, train, test, token_ids(train.texts), token_ids(test.texts))


@functools.cache
def prepare(corpus: str, data: str | None, drop_words: int, test_fraction: float, split_seed: int,
            token: int | str, limit: int | None = None) -> Prepared:
    """``split``, then resolve the trigger ("auto": the rarest unused token) and encode for it."""
    return prepare_split(split(corpus, data, drop_words, test_fraction, split_seed, limit), token)


def prepare_corpus(full: Corpus, test_fraction: float, split_seed: int, token: int | str) -> Prepared:
    """``prepare`` for a corpus already in memory."""
    train, test = train_test_split(full, test_fraction, split_seed)
    return prepare_split(Split(full, train, test, token_ids(train.texts), token_ids(test.texts)), token)


def prepare_split(sp: Split, token: int | str) -> Prepared:
    """The bag-of-words encoding of a split for one trigger token."""
    token_id = rarest_unused_token(sp.full) if token == "auto" else int(token)
    space = bow.feature_space(sp.tok_train + sp.tok_test, token_id)
    enc_train = bow.encode(sp.train.texts, space, tokens=sp.tok_train)
    enc_test = bow.encode(sp.test.texts, space, tokens=sp.tok_test)
    with_trigger = int((enc_train.counts[:, -1] > 0).sum() + (enc_test.counts[:, -1] > 0).sum())
    return Prepared(sp.train, sp.test, token_id, space, enc_train, enc_test, with_trigger, len(sp.full))


def _static(c: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in c.items() if k not in VARYING))


def compute(batch: list[dict], data: str | None = None, prepared: Prepared | None = None) -> list[dict]:
    """Metrics of each configuration (any mix; grouped by the fields that must agree)."""
    out: dict[int, dict] = {}
    groups = defaultdict(list)
    for i, c in enumerate(batch):
        groups[_static(c)].append(i)
    for idx in groups.values():
        group = [batch[i] for i in idx]
        c0 = group[0]
        prep = prepared or prepare(c0["corpus"], data, c0["drop_words"], c0["test_fraction"], c0["split_seed"],
                                   c0["token"], c0.get("limit"))
        results = (_compute_encoder if c0["learner"] == "encoder" else _compute_bow)(group, prep)
        out.update(zip(idx, results))
    return [out[i] for i in range(len(batch))]


def training_set(c: dict, labels: np.ndarray, multilabel: bool) -> Action:
    """The collective's action for configuration ``c`` on training labels ``[n, k]``: label noise, then act.

    Every learner builds its training set from this one action (alpha = 0: no members, noise only).
    """
    base = randomize_labels(labels, c["random_labels"], c["seed"], multilabel)
    if c["alpha"] == 0:
        none = np.zeros(0, np.int64)
        return Action(none, none, base)
    return act(base, c["strategy"], c["alpha"], c["target"], c["seed"])


def training_seed(c: dict) -> int:
    """The learner's own seed (initialization, order, dropout): a stream of ``seed`` apart from the collective's."""
    return c["seed"] * 1_000_003 + STREAM_TRAINING


def _check_target(group: list[dict], num_labels: int) -> None:
    if not 0 <= max(c["target"] for c in group) < num_labels:
        raise InputError(f"target class {max(c['target'] for c in group)} is outside 0..{num_labels - 1}")


def _shared_metrics(prep: Prepared, c: dict, y_train: np.ndarray, n_planted: int) -> dict:
    return {"n_planted": n_planted, "n_train": len(prep.train), "n_target_train": int(y_train[:, c["target"]].sum()),
            "token_id": prep.token, "trigger_texts": prep.trigger_texts, "corpus_texts": prep.corpus_texts,
            "n_labels": int(y_train.shape[1])}  # the stored metric keeps its name: old rows have it


def _compute_bow(group: list[dict], prep: Prepared) -> list[dict]:
    c0 = group[0]
    y_train, y_test = prep.train.label_matrix(), prep.test.label_matrix()  # [n, k], [m, k]
    _check_target(group, y_train.shape[1])
    trig, labels, planted_n = [], [], []
    for c in group:
        a = training_set(c, y_train, prep.train.multilabel)
        trig.append(bow.trigger_counts(prep.enc_train.words, a.planted, c["every"]))
        labels.append(a.labels)
        planted_n.append(len(a.planted))
    pad = (1 << (len(group) - 1).bit_length()) - len(group)  # a power-of-two batch: few jit compilations
    trig, labels = trig + trig[-1:] * pad, labels + labels[-1:] * pad
    group_padded = group + group[-1:] * pad
    everywhere = np.arange(len(prep.test))
    test_trig = np.stack([bow.trigger_counts(prep.enc_test.words, everywhere, c["every"]) for c in group_padded])  # [B, m]
    seeds = [training_seed(c) for c in group_padded]
    params = bow.fit_many(seeds, prep.enc_train, np.stack(trig), np.stack(labels), n_features=len(prep.space.vocab_ids),
                          epochs=c0["epochs"], batch_size=c0["batch_size"], lr=c0["lr"], head=c0["head"])
    clean = bow.predict_proba(params, prep.enc_test, np.zeros_like(test_trig), c0["head"])  # [B, m, k]
    triggered = bow.predict_proba(params, prep.enc_test, test_trig, c0["head"])  # [B, m, k]
    rows = []
    for b, c in enumerate(group):
        rows.append({**success(triggered[b], y_test, c["target"], c["head"]),
                     **clean_metrics(clean[b], y_test, c["target"], c["head"]),
                     **_shared_metrics(prep, c, y_train, planted_n[b])})
    return rows


def finetune_config(c: dict) -> dict:
    """The gpu.finetune configuration of an encoder configuration (its seed: ``training_seed``)."""
    return {"model": c["model"], "epochs": c["epochs"], "learning_rate": c["lr"], "batch_size": c["batch_size"],
            "max_length": c["max_length"], "seed": training_seed(c)}


def _as_head(corpus: Corpus, head: str) -> Corpus:
    """The corpus read the way the head predicts: a sigmoid head trains one-vs-rest, i.e. multi-label."""
    if corpus.multilabel and head == "softmax":
        raise InputError(f"corpus {corpus.source} is multi-label; the encoder needs head 'sigmoid' for it")
    multilabel = head == "sigmoid"
    return corpus if corpus.multilabel == multilabel else \
        Corpus(corpus.texts, corpus.labels, corpus.label_names, multilabel, corpus.source)


def _compute_encoder(group: list[dict], prep: Prepared) -> list[dict]:
    """One fine-tune per configuration on the collective's training texts; the bow path's metrics from its
    probabilities on the clean and the triggered test texts."""
    y_train, y_test = prep.train.label_matrix(), prep.test.label_matrix()  # [n, k], [m, k]
    _check_target(group, y_train.shape[1])
    test = _as_head(prep.test, group[0]["head"])
    rows = []
    for c in group:
        a = training_set(c, y_train, prep.train.multilabel)
        train = _as_head(apply(prep.train, a, prep.token, c["every"]), c["head"])
        result = ft.finetune(finetune_config(c), train, test)
        triggered = ft.predict_proba(result["classifier"], [plant(t, prep.token, c["every"]) for t in test.texts])
        m = result["metrics"]
        rows.append({**success(triggered, y_test, c["target"], c["head"]),
                     **clean_metrics(result["test_proba"], y_test, c["target"], c["head"]),
                     **_shared_metrics(prep, c, y_train, len(a.planted)),
                     "training_seed": training_seed(c), "dropout": result["config"]["dropout"],
                     "pooling": m["pooling"], "steps": m["steps"], "train_seconds": m["train_seconds"],
                     "loss_first_epoch": m["loss_first_epoch"], "loss_last_epoch": m["loss_last_epoch"]})
    return rows


def run(store: SweepStore, grid: list[dict], data: str | None = None, *, batch_size: int | None = None,
        progress: bool | None = None, shard=None):
    """Every configuration of ``grid`` through numerics.sweep (finished ones are skipped), ``batch_size`` per vmap.

    The default batch is 8 for bag-of-words (trained at once) and 1 when any configuration is the encoder's
    (trained one at a time, so each finished fine-tune is committed at once). ``shard`` (numerics.sweep.Shard)
    computes one part of the grid.
    """
    if batch_size is None:
        batch_size = 1 if any(c["learner"] == "encoder" for c in grid) else 8
    return store.run(KIND, grid, lambda batch: compute(batch, data), batch_size=batch_size, progress=progress,
                     shard=shard)


# ---- success curves ------------------------------------------------------------------------------------

def sigmoid(alpha, m, k, c):
    """The fitted curve: offset ``c``, then a logistic in log10(alpha) with midpoint ``m`` and slope ``k``.

    >>> round(float(sigmoid(0.01, -2.0, 3.0, 0.2)), 6)
    0.6
    """
    z = np.clip(k * (np.log10(alpha) - m), -60, 60)
    return c + (1 - c) / (1 + np.exp(-z))


def fit_sigmoid(alphas, values) -> tuple[float, float, float] | None:
    """Least-squares (m, k, c) with k > 0 and 0 <= c < 1 (scipy curve_fit); None if it does not converge."""
    from scipy.optimize import OptimizeWarning, curve_fit

    a, v = np.asarray(alphas, float), np.asarray(values, float)
    ok = (a > 0) & np.isfinite(v)
    a, v = a[ok], v[ok]
    if len(np.unique(a)) < 3:
        return None
    lo, hi = np.log10(a.min()), np.log10(a.max())
    start = (lo + hi) / 2 if v.max() > 0.5 else hi
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            p, _ = curve_fit(sigmoid, a, v, p0=(start, 2.0, float(max(v.min(), 0.0))),
                             bounds=([lo - 3, 1e-3, 0.0], [hi + 3, 50.0, 0.999]), maxfev=5000)
    except (RuntimeError, ValueError):
        return None
    return tuple(float(x) for x in p)


def crossing(params, level: float) -> float:
    """The alpha where the fitted curve reaches ``level``: 0 if the offset already does, inf beyond alpha = 1."""
    if params is None:
        return math.nan
    m, k, c = params
    if c >= level:
        return 0.0
    q = (level - c) / (1 - c)
    alpha = 10 ** (m + math.log(q / (1 - q)) / k)
    return alpha if alpha <= 1 else math.inf


def grid_status(value: float, alphas) -> str:
    """Where a fitted crossing lies against the measured sizes: "in-grid", "above-grid", "below-grid" or "no-fit".

    A crossing outside [min alpha, max alpha] is an extrapolation of the fit, never reported as a number.

    >>> grid_status(0.3, [0.01, 0.1, 0.2]), grid_status(0.05, [0.01, 0.1, 0.2]), grid_status(math.nan, [0.1])
    ('above-grid', 'in-grid', 'no-fit')
    """
    if math.isnan(value):
        return "no-fit"
    positive = [a for a in alphas if a > 0]
    if value > max(positive):
        return "above-grid"
    return "below-grid" if value < min(positive) else "in-grid"


def empirical_crossing(alphas, means, level: float) -> float:
    """The smallest grid alpha whose mean success over seeds reaches ``level`` (inf if none)."""
    hits = [a for a, v in sorted(zip(alphas, means)) if a > 0 and v >= level]
    return hits[0] if hits else math.inf


def curve_key(c: dict) -> tuple:
    return tuple((k, c[k]) for k in (*DEFAULTS, *ENCODER_FIELDS) if k in c and k not in ("alpha", "seed"))


#: The fewest seeds a bootstrap interval over seeds is computed from; with fewer, no interval is reported.
MIN_SEEDS_FOR_INTERVAL = 5


def summarize(rows, levels=(0.5, 0.9), n_boot: int = 200, boot_seed: int = 0) -> list[dict]:
    """One summary per curve and measure: mean success per alpha, the fit, and crossings inside the measured grid.

    ``alpha50`` (``alpha90``) is the fitted curve's crossing where it lies inside the grid of alphas, else None
    with ``alpha50_status`` saying where it lies ("above-grid": it needs more than the largest alpha measured).
    ``alpha50_ci`` is a percentile bootstrap interval (scipy.stats.bootstrap, ``n_boot`` resamples of the seeds,
    whole curves, random state ``boot_seed``) at 95%, only with at least MIN_SEEDS_FOR_INTERVAL seeds; a
    resample whose crossing lies above the grid counts as above it, and the interval's end is then None; None
    where some resample does not fit. ``bootstrap`` records the method, resamples and seed.
    """
    curves = defaultdict(list)
    for r in rows:
        if r.config["alpha"] > 0:
            curves[curve_key(r.config)].append(r)
    out = []
    for key, rs in curves.items():
        seeds = sorted({r.config["seed"] for r in rs})
        alphas = sorted({r.config["alpha"] for r in rs})
        for measure in MEASURES:
            table = {(r.config["seed"], r.config["alpha"]): r.metrics[measure] for r in rs}
            means = [float(np.nanmean([table[s, a] for s in seeds if (s, a) in table])) for a in alphas]
            pts = [(a, v) for (s, a), v in table.items()]
            params = fit_sigmoid([p[0] for p in pts], [p[1] for p in pts])
            summary = {**dict(key), "measure": measure, "seeds": seeds, "n_seeds": len(seeds), "alphas": alphas,
                       "mean": means, "fit": None if params is None else dict(zip(("m", "k", "c"), params)),
                       "n_target_train": rs[0].metrics["n_target_train"], "n_train": rs[0].metrics["n_train"],
                       "min_seeds_for_interval": MIN_SEEDS_FOR_INTERVAL,
                       "bootstrap": {"method": "scipy.stats.bootstrap percentile, seeds resampled",
                                     "n_resamples": n_boot, "seed": boot_seed}}
            intervals = (_bootstrap_intervals(table, seeds, alphas, levels, n_boot, boot_seed)
                         if len(seeds) >= MIN_SEEDS_FOR_INTERVAL and n_boot > 0 else [None] * len(levels))
            for level, interval in zip(levels, intervals):
                tag = f"alpha{int(round(level * 100))}"
                value = crossing(params, level)
                summary[tag + "_status"] = grid_status(value, alphas)
                summary[tag] = value if summary[tag + "_status"] == "in-grid" else None
                summary[tag + "_grid"] = empirical_crossing(alphas, means, level)
                summary[tag + "_ci"] = interval
            out.append(summary)
    return out


def _bootstrap_intervals(table: dict, seeds: list, alphas: list, levels, n_boot: int, seed: int) -> list:
    """Per level, the 95% percentile interval of the fitted crossing over resampled seeds (scipy.stats.bootstrap,
    one fit per resample, random state ``seed``): [low, high], an end above the grid None; None for every level
    where some resample does not fit."""
    from scipy.stats import bootstrap

    top = max(alphas)

    def statistic(idx):  # idx: indices into seeds, one resample
        pick = [seeds[int(i)] for i in idx]
        bp = [(a, table[s, a]) for s in pick for a in alphas if (s, a) in table]
        fit = fit_sigmoid([p[0] for p in bp], [p[1] for p in bp])
        values = [crossing(fit, level) for level in levels]  # nan where the fit failed
        # above the grid (inf included): one value past it, so that the interval's end reads "above the grid"
        return np.array([2 * top if v > top else v for v in values])

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample without a fit makes scipy's standard error nan
        res = bootstrap((np.arange(len(seeds)),), statistic, n_resamples=n_boot, vectorized=False,
                        method="percentile", confidence_level=0.95, random_state=np.random.default_rng(seed))
    if np.isnan(res.bootstrap_distribution).any():
        return [None] * len(levels)
    lows, highs = np.atleast_1d(res.confidence_interval.low), np.atleast_1d(res.confidence_interval.high)
    return [[float(lo) if lo <= top else None, float(hi) if hi <= top else None] for lo, hi in zip(lows, highs)]


def crossing_text(summary: dict, tag: str, fmt=lambda x: f"{x:.3g}") -> str:
    """A summary's crossing ``tag`` ("alpha50", "alpha90") as text: the value and its interval, or where the fit
    crosses outside the measured sizes ("> 0.5", "< 0.001"), or "no fit"; the value alone without an interval.

    >>> s = {"alphas": [0.01, 0.5], "alpha50_status": "in-grid", "alpha50": 0.0312, "alpha50_ci": [0.02, None],
    ...      "alpha90_status": "above-grid", "alpha90": None, "alpha90_ci": None}
    >>> crossing_text(s, "alpha50"), crossing_text(s, "alpha90")
    ('0.0312 [0.02, > 0.5]', '> 0.5')
    """
    status, top = summary[tag + "_status"], max(summary["alphas"])
    if status == "above-grid":
        return f"> {fmt(top)}"
    if status == "below-grid":
        return f"< {fmt(min(a for a in summary['alphas'] if a > 0))}"
    if status == "no-fit":
        return "no fit"
    ci = summary[tag + "_ci"]
    end = lambda x: f"> {fmt(top)}" if x is None else fmt(x)
    return fmt(summary[tag]) + (f" [{end(ci[0])}, {end(ci[1])}]" if ci else "")


def interval_note(summary: dict) -> str:
    """What a summary's intervals rest on, in words."""
    n, need, boot = summary["n_seeds"], summary["min_seeds_for_interval"], summary["bootstrap"]
    if n < need:
        return f"no intervals: {n} seeds, an interval needs at least {need}"
    return (f"95% percentile intervals, scipy.stats.bootstrap over the {n} seeds, {boot['n_resamples']} resamples, "
            f"seed {boot['seed']}")


def markdown_curve(rows, measure: str = "success_top1", n_boot: int = 200, boot_seed: int = 0) -> str:
    """One curve's rows (alpha = 0 included) as a Markdown table, per alpha: planted texts, success per seed and
    mean, clean accuracy and how often clean texts get the target; then the fitted crossings (inside the measured
    sizes) with their intervals where there are enough seeds."""
    seeds = sorted({r.config["seed"] for r in rows})
    by = {(r.config["alpha"], r.config["seed"]): r.metrics for r in rows}
    n_train = rows[0].metrics["n_train"]
    head = ["alpha", f"planted texts (of {n_train})", f"{measure}, seeds {', '.join(map(str, seeds))}", "mean",
            "clean accuracy (mean)", "target on clean texts (mean)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for a in sorted({r.config["alpha"] for r in rows}):
        ms = [by[a, s] for s in seeds if (a, s) in by]
        planted = sorted({m["n_planted"] for m in ms})
        lines.append(f"| {a:g} | {'/'.join(map(str, planted))} | "
                     + " / ".join(f"{by[a, s][measure]:.2f}" if (a, s) in by else "-" for s in seeds)
                     + f" | {np.mean([m[measure] for m in ms]):.2f} | {np.mean([m['accuracy'] for m in ms]):.2f} | "
                     f"{np.mean([m['clean_target_rate'] for m in ms]):.2f} |")
    (s,) = [x for x in summarize(rows, n_boot=n_boot, boot_seed=boot_seed) if x["measure"] == measure]
    fmt = lambda x: "never" if x == math.inf else f"{x:.3g}"
    lines.append("")
    lines.append(f"Fitted alpha50 = {crossing_text(s, 'alpha50')}, alpha90 = {crossing_text(s, 'alpha90')} "
                 f"({interval_note(s)}); smallest grid alpha with mean >= 0.5: {fmt(s['alpha50_grid'])}.")
    return "\n".join(lines)
