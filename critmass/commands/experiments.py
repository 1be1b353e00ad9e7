"""Commands over gpu/experiments: ``critmass experiment`` (a sweep into a store) and ``critmass figures``."""

from __future__ import annotations

import math
from pathlib import Path

from critmass import domains as D
from critmass.output import emit_json, table
from theory.errors import InputError

#: Named plans: the paper's Figures 2-6 as sub-sweeps (the fields that differ from the command's defaults).
PLANS = ("grid", "paper", "rarity")


def register(sub) -> None:
    p = sub.add_parser(
        "experiment", help="run a sweep of the collective on text into a store",
        description="Train a learner on a corpus with a collective planting a trigger token, for every configuration "
                    "of the grid (alpha x strategy x target x seed x epochs x spacing x random-label fraction), one "
                    "store row each; finished rows are skipped, so a rerun resumes. Prints one summary per curve: the "
                    "mean success per alpha, the fitted sigmoid's 50% and 90% crossings and bootstrap intervals.")
    p.add_argument("--learner", default="bow", choices=("bow", "encoder"),
                   help="bow: bag-of-words logistic regression (CPU); encoder: the encoder fine-tuned end to end "
                        "by gpu.finetune, one fine-tune per configuration (pretrained MiniLM: needs a GPU for "
                        "real sweeps)")
    p.add_argument("--model", default=None,
                   help="encoder checkpoint: minilm (the packaged all-MiniLM-L6-v2, default), tiny (a small "
                        "random-init model), or an HF checkpoint folder")
    p.add_argument("--tiny", action="store_true",
                   help=f"the encoder smoke sweep that runs on CPU: --learner encoder --model tiny on a seeded "
                        f"random subset of {TINY_TEXTS} texts (unless --limit), with the tiny model's fine-tune "
                        f"defaults (4 epochs, lr 5e-3, batch 16, 64 tokens)")
    p.add_argument("--limit", type=D.count(2), default=None,
                   help="encoder only: use a seeded random subset of this many texts of the corpus (before the "
                        "split; default: all, or 400 with --tiny or --corpus synthetic)")
    p.add_argument("--max-length", type=D.count(2, 512), default=None,
                   help="encoder only: tokens per text, longer ones truncated (default 128; 64 for the tiny model)")
    p.add_argument("--corpus", default="resume",
                   help="resume, sst2, ag_news, florex, synthetic (gpu.data's keyword corpus), or a corpus file "
                        "(default resume)")
    p.add_argument("--data", help="data directory (default: the environment variable CRITMASS_DATA)")
    p.add_argument("--store", required=True, type=Path, help="the SQLite sweep store to write (created if absent)")
    p.add_argument("--shard", metavar="I/N", help="compute only part I of N of the grid (a deterministic split of its "
                                                  "batches); join the parts' stores with critmass store merge")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.add_argument("--plan", choices=PLANS, default="grid",
                   help="grid: the product of the options below; paper: Figures 2-6 as five sub-sweeps "
                        "(S1 and S2 over --alphas; S2 with random labels 0.05/0.2; epochs 2/5; spacing 5/50) "
                        "at --seeds seeds, the sub-sweeps on fewer alphas; rarity: Strategy 1 with one trigger "
                        "per --levels base frequency (chosen from the corpus), each curve's alpha50/alpha90 "
                        "against xi next to Corollary 2")
    p.add_argument("--levels", type=D.real(0, 1), nargs="+", default=None,
                   help="rarity plan only: shares of corpus texts the triggers occur in; 0 is an unseen token "
                        "(default 0 0.001 0.003 0.01 0.02 0.05)")
    p.add_argument("--alphas", type=D.real(0, 1), nargs="+", help="collective sizes (fractions of the training set); "
                   "0 trains the held-out model (default: 12 values from 0.001 to 0.5, log-spaced, and 0; "
                   "for the rarity plan 11 values from 0.0002 to 0.5, and 0)")
    p.add_argument("--strategies", type=D.integer(1, 2), nargs="+", default=[1, 2], help="1 feature-label, 2 feature-only")
    p.add_argument("--targets", type=D.count(0, 10**6), nargs="+", default=[0], help="target class ids (default 0)")
    p.add_argument("--seeds", type=D.count(1, 10**6), default=3, help="seeds 0..N-1 (collective, label noise, training order)")
    p.add_argument("--epochs", type=D.count(1, 10**6), nargs="+", default=None,
                   help="training epochs (default 10 for bow; the fine-tune's for the encoder: 3, or 4 tiny)")
    p.add_argument("--every", type=D.count(1, 10**6), nargs="+", default=[20], help="trigger spacing in words (default 20)")
    p.add_argument("--random-labels", type=D.real(0, 1), nargs="+", default=[0.0],
                   help="fractions of the training labels randomized before the collective acts (default 0)")
    p.add_argument("--token", default="1240", help="trigger token id, or 'auto' for the rarest unused token")
    p.add_argument("--head", default="softmax", choices=("softmax", "sigmoid"),
                   help="softmax (top-1 = the predicted set) or one-vs-rest sigmoid (the predicted set is p >= 1/2)")
    p.add_argument("--lr", type=D.real(0, 10**3, True), default=None,
                   help="learning rate (default 0.05 for bow's Adam; the fine-tune's for the encoder: 5e-5, or "
                        "5e-3 tiny)")
    p.add_argument("--batch", type=D.count(1, 10**6), default=None,
                   help="configurations per store commit (default 8 for bow, trained at once under vmap; 1 for "
                        "the encoder)")
    p.add_argument("--json", action="store_true", help="print the curve summaries as one JSON document")
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("figures", help="draw the analogues of the paper's Figures 2-6 from a store",
                       description="Draw, per corpus and learner in the store, success vs collective size for "
                                   "Strategy 1 and 2 (Figures 2, 3), with random labels (4), by epochs (5) and by "
                                   "trigger spacing (6), and Theorems 1 and 3 next to the measured curves; PDF and PNG.")
    p.add_argument("--store", required=True, type=Path, help="a sweep store written by critmass experiment")
    p.add_argument("-o", "--output", required=True, type=Path, help="the folder to write the figures to")
    p.add_argument("--json", action="store_true", help="print the written files and the theory comparison as JSON")
    p.set_defaults(func=cmd_figures)


TINY_TEXTS = 400
DEFAULT_ALPHAS = [0.0, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5]


def _token(text: str):
    if text == "auto":
        return "auto"
    try:
        token = int(text)
    except ValueError:
        raise InputError(f"--token {text!r} is neither a token id nor 'auto'") from None
    from gpu.collective import plantable, vocab

    if not 0 <= token < len(vocab()):
        raise InputError(f"--token {token}: expected a vocabulary id in 0..{len(vocab()) - 1}, or 'auto'")
    if not plantable(token):
        raise InputError(f"--token {token} ({vocab()[token]!r}) cannot be planted: it does not tokenize back to "
                         f"itself; choose another id, or 'auto'")
    return token


def plan(args) -> list[dict]:
    """The configurations the options describe."""
    return plan_with_triggers(args)[1]


def plan_with_triggers(args) -> tuple[list | None, list[dict]]:
    """(the rarity plan's chosen triggers or None, the configurations the options describe)."""
    from gpu.collective import TextStrategy
    from gpu.experiments import configs

    if args.seeds < 1:
        raise InputError(f"--seeds {args.seeds} is not a positive integer")
    if args.levels is not None and args.plan != "rarity":
        raise InputError("--levels applies only to --plan rarity")
    if args.plan == "rarity":
        from gpu import rarity

        alphas = args.alphas or list(rarity.ALPHAS)
    else:
        alphas = args.alphas or DEFAULT_ALPHAS
    learner = "encoder" if args.tiny else args.learner
    base = dict(learner=learner, corpus=args.corpus, target=args.targets, seed=list(range(args.seeds)),
                token=_token(args.token), head=args.head)
    if args.lr is not None:
        base["lr"] = args.lr
    if learner == "encoder":
        if args.tiny and args.model not in (None, "tiny"):
            raise InputError(f"--tiny uses the tiny random-init model, not --model {args.model!r}")
        model = "tiny" if args.tiny else (args.model or "minilm")
        base["model"] = model if model in ("minilm", "tiny") else str(Path(model).expanduser().resolve())
        base["limit"] = args.limit if args.limit is not None else (TINY_TEXTS if args.tiny else None)
        if args.max_length is not None:
            base["max_length"] = args.max_length
    elif args.model or args.limit is not None or args.max_length is not None:
        raise InputError("--model, --limit and --max-length apply only to --learner encoder (or --tiny)")
    epochs = args.epochs or ([10] if learner == "bow" else None)
    if args.plan == "rarity":
        if base.pop("token") != 1240 or args.strategies not in ([1, 2], [1]):  # the defaults, or Strategy 1
            raise InputError("--plan rarity chooses its own triggers and runs Strategy 1: drop --token and "
                             "--strategies")
        if len(args.targets) != 1:
            raise InputError(f"--plan rarity takes one target class; got --targets {args.targets}")
        base["target"] = args.targets[0]
        fields = dict(base, **({"epochs": epochs[0]} if epochs else {}), every=args.every[0])
        corpus = fields.pop("corpus")
        return rarity.plan(corpus, args.data, args.levels or rarity.LEVELS, alphas, fields.pop("seed"), **fields)
    if args.plan == "grid":
        return None, configs(**base, strategy=args.strategies, alpha=alphas, **({"epochs": epochs} if epochs else {}),
                       every=args.every, random_labels=args.random_labels)
    few = [a for a in alphas if a == 0] + sorted(a for a in alphas if a > 0)[1::2]
    if not epochs:  # the encoder's default, for the paper's epochs sub-sweep too
        epochs = [configs(**base)[0]["epochs"]]
    epochs, every = epochs[0], args.every[0]
    return None, (configs(**base, strategy=list(TextStrategy), alpha=alphas, epochs=epochs, every=every)  # Figs 2, 3
            + configs(**base, strategy=TextStrategy.TEXT_ONLY, alpha=few, epochs=epochs, every=every,
                      random_labels=[0.05, 0.2])  # 4
            + configs(**base, strategy=list(TextStrategy), alpha=few, epochs=[2, 5], every=every)  # 5
            + configs(**base, strategy=list(TextStrategy), alpha=few, epochs=epochs, every=[5, 50]))  # 6


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "inf" if x == math.inf else f"{x:.3g}"


def cmd_experiment(args) -> int:
    import time

    from gpu.experiments import crossing_text, run, summarize
    from numerics.store import SweepStore, check_config
    from numerics.sweep import Shard

    triggers, grid = plan_with_triggers(args)
    grid = [check_config(c) for c in grid]  # finite JSON, before the store is opened
    if any(c["learner"] == "encoder" for c in grid):
        # One fine-tune at a time: seed by seed, so an interrupted sweep holds whole curves of its first seeds.
        grid = sorted(grid, key=lambda c: c["seed"])
    shard = Shard.parse(args.shard)
    if args.batch is not None and args.batch < 1:
        raise InputError(f"--batch {args.batch}: expected a positive number of configurations per commit")
    t0 = time.perf_counter()
    with SweepStore(args.store) as store:
        rows = run(store, grid, args.data, batch_size=args.batch, progress=False if args.quiet else None, shard=shard)
    seconds = time.perf_counter() - t0
    summaries = summarize(rows)
    found = None
    if triggers is not None:
        from gpu import rarity

        found = rarity.compute(rows)
    if args.json:
        doc = {"store": str(args.store), "configurations": len(grid), "seconds": seconds, "curves": summaries}
        if found is not None:
            doc |= {"triggers": rarity.as_dict(triggers), "rarity": found}
        emit_json(doc)
        return 0
    if found is not None:
        for res in found:
            print(f"rarity: {res['corpus']}, {res['learner']}, Strategy 1, target {res['target']} "
                  f"(Delta estimate: the held-out model's max gap on triggered test texts)")
            print(table([dict(zip(rarity.HEADER, r)) for r in rarity.rows_of(res)], rarity.HEADER))
        print(f"{len(rows)} configurations in {args.store} ({seconds:.0f} s this run)")
        return 0
    for s in summaries:
        s["curve"] = f"S{s['strategy']} y*={s['target']} ep={s['epochs']} k={s['every']} r={s['random_labels']}"
        for tag in ("alpha50", "alpha90"):
            s[tag + " [95% CI]"] = crossing_text(s, tag, _fmt) + ("" if s[tag + "_ci"] or s[tag] is None
                                                                   else f" (no interval: {s['n_seeds']} seeds)")
        s["grid50"] = _fmt(s["alpha50_grid"])
        s["max mean"] = _fmt(max(s["mean"]))
    print(table(summaries, ["curve", "measure", "max mean", "alpha50 [95% CI]", "alpha90 [95% CI]", "grid50"]))
    print(f"{len(rows)} configurations in {args.store} ({seconds:.0f} s this run)")
    return 0


def cmd_figures(args) -> int:
    from gpu.figures import write_figures
    from numerics.store import SweepStore

    if not args.store.exists():
        raise InputError(f"store {args.store}: file not found")
    with SweepStore(args.store, readonly=True) as store:
        from gpu.experiments import KIND
        rows = store.rows(KIND)
    if not rows:
        raise InputError(f"store {args.store} holds no rows of kind {KIND}; run critmass experiment first")
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create {args.output}: {e.strerror}") from None
    written, theory = write_figures(rows, args.output)
    if args.json:
        emit_json({"files": [str(p) for p in written], "theory": theory})
        return 0
    for path in written:
        print(path)
    if theory:
        shown = [{**t, **{k: _fmt(t[k]) for k in ("xi", "p", "theory_alpha50", "measured_alpha50")},
                  "beats": " ".join(_fmt(a) for a in t["beats"]), "misses": " ".join(_fmt(a) for a in t["misses"])}
                 for t in theory]
        print("theorem vs measured (success_top1; beats/misses: grid alphas where the mean is above/below the bound)")
        print(table(shown, ["corpus", "learner", "strategy", "target", "xi", "p", "theory_alpha50",
                             "measured_alpha50", "beats", "misses"]))
    return 0
