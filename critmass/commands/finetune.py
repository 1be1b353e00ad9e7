"""``critmass finetune``: fine-tune the text classifier on one configuration, as one row of a sweep store."""

from __future__ import annotations

import argparse
from pathlib import Path

from critmass import domains as D
from critmass.output import emit_json, table
from theory.errors import InputError

KIND = "finetune"
#: Corpora whose texts open with their label, so the paper's preprocessing drops the first 20 words.
RESUMES = ("resume", "florex")
TINY_TEXTS = 400


def register(sub) -> None:
    p = sub.add_parser("finetune", help="fine-tune the text classifier on one configuration (resumable)",
                       description="Fine-tune the pure-JAX encoder with a classification head on a corpus and score "
                                   "it on a held-out split. The configuration becomes one row of the sweep store: "
                                   "rerunning an identical configuration reads the stored row instead of training. "
                                   "Defaults are HuggingFace Trainer's (AdamW, lr 5e-5 decaying linearly to 0, no "
                                   "warm-up, weight decay 0, batch 8, 3 epochs).")
    p.add_argument("--store", required=True, type=Path, help="the SQLite sweep store to write the row to")
    p.add_argument("--corpus", default=None,
                   help="resume, florex, sst2, ag_news (under the data directory), synthetic, or a corpus file "
                        "or folder (default: resume; synthetic with --tiny)")
    p.add_argument("--data", default=None, metavar="DIR", help="data directory (default: $CRITMASS_DATA)")
    p.add_argument("--model", default="minilm",
                   help="minilm (the packaged all-MiniLM-L6-v2 checkpoint), tiny, or an HF checkpoint folder")
    p.add_argument("--tiny", action="store_true",
                   help=f"a small random-init model on at most {TINY_TEXTS} texts (the synthetic corpus unless "
                        f"--corpus is given): a smoke run that finishes on CPU in well under a minute")
    p.add_argument("--epochs", type=D.count(1, 10**6), help="training epochs (default 3; 4 with --tiny)")
    p.add_argument("--batch-size", type=D.count(1, 10**6), help="sequences per step, over all devices (default 8; 16 with --tiny)")
    p.add_argument("--lr", type=D.real(0, 10**3, True), help="peak learning rate (default 5e-5; 5e-3 with --tiny)")
    p.add_argument("--weight-decay", type=D.real(0, 10**3), help="AdamW weight decay (default 0)")
    p.add_argument("--warmup-steps", type=D.count(0), help="linear warm-up steps (default 0)")
    p.add_argument("--max-length", type=D.count(2, 512), help="tokens per text, longer ones truncated, at most 512 "
                                                  "(default 128; 64 with --tiny)")
    p.add_argument("--dropout", type=D.real(0, 1, False, True), help="dropout rate while training (default 0.1; 0 with --tiny)")
    p.add_argument("--pooling", choices=("cls", "mean", "pooler"),
                   help="sentence vector for the head (default: the checkpoint's own; mean for MiniLM)")
    p.add_argument("--precision", choices=("float32", "bfloat16"), help="matmul precision (default float32)")
    p.add_argument("--seed", type=D.seed(), default=0, help="seed of the head, shuffling and dropout (default 0)")
    p.add_argument("--split-seed", type=D.seed(), default=0, help="seed of the train/test split (default 0)")
    p.add_argument("--test-fraction", type=D.real(0, 1, True, True), default=0.2, help="held-out fraction (default 0.2)")
    p.add_argument("--drop-words", type=D.count(0), default=None,
                   help="leading words dropped from every text (default 20 for resume and florex, as in the "
                        "paper, else 0)")
    p.add_argument("--limit", type=D.count(2), default=None, help="use only this many texts (a seeded random subset)")
    p.add_argument("--json", action="store_true", help='print {"config", "metrics", "resumed", "store"} as JSON')
    p.set_defaults(func=cmd_finetune)


def run_config(args: argparse.Namespace) -> dict:
    """The stored configuration: the fine-tune settings and how the corpus was read and split."""
    corpus = args.corpus or ("synthetic" if args.tiny else "resume")
    model = "tiny" if args.tiny else args.model
    config = {"model": model if model in ("minilm", "tiny") else str(Path(model).expanduser().resolve()),
              "seed": args.seed}
    for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size), ("learning_rate", args.lr),
                       ("weight_decay", args.weight_decay), ("warmup_steps", args.warmup_steps),
                       ("max_length", args.max_length), ("dropout", args.dropout), ("pooling", args.pooling),
                       ("precision", args.precision)):
        if value is not None:
            config[key] = value
    limit = args.limit if args.limit is not None else (TINY_TEXTS if args.tiny else None)
    if limit is not None and limit < 2:
        raise InputError(f"--limit={limit}; expected at least 2 texts")
    drop = args.drop_words if args.drop_words is not None else (20 if corpus in RESUMES else 0)
    if drop < 0:
        raise InputError(f"--drop-words={drop}; expected a non-negative integer")
    source = corpus if corpus in ("resume", "florex", "sst2", "ag_news", "synthetic") else \
        str(Path(corpus).expanduser().resolve())
    return {"finetune": config, "corpus": source, "drop_words": drop, "limit": limit,
            "split_seed": args.split_seed, "test_fraction": args.test_fraction}


def read_corpus(row: dict, data: str | None):
    """The configured corpus, preprocessed, subset and split: (train, test)."""
    import numpy as np

    from gpu.data import drop_leading_words, load_corpus, synthetic_corpus, train_test_split

    if row["corpus"] == "synthetic":
        corpus = synthetic_corpus(row["limit"] or TINY_TEXTS, seed=row["split_seed"], num_labels=3)
    else:
        corpus = load_corpus(row["corpus"], data)
    if row["drop_words"]:
        corpus = corpus.map_texts(lambda t: drop_leading_words(t, row["drop_words"]))
    if row["limit"] is not None and row["limit"] < len(corpus):
        pick = np.random.default_rng(row["split_seed"]).choice(len(corpus), row["limit"], replace=False)
        corpus = corpus.subset(np.sort(pick))
    return train_test_split(corpus, row["test_fraction"], row["split_seed"])


def cmd_finetune(args) -> int:
    from gpu.finetune import finetune, resolve
    from numerics.store import SweepStore, check_config, row_key

    row = run_config(args)
    resolve(row["finetune"])  # bad settings fail before any data is read

    def compute(batch):
        train, test = read_corpus(batch[0], args.data)
        return [finetune(batch[0]["finetune"], train, test)["metrics"]]

    with SweepStore(args.store) as store:
        resumed = row_key(KIND, check_config(row)) in store.done_keys(KIND)
        (stored,) = store.run(KIND, [row], compute, progress=False)
    doc = {"config": stored.config, "metrics": stored.metrics, "resumed": resumed, "store": str(args.store)}
    if args.json:
        emit_json(doc)
        return 0
    m = stored.metrics
    print(table([{"corpus": row["corpus"], "model": row["finetune"]["model"], "accuracy": f"{m['accuracy']:.4f}",
                  "chance": f"{m['chance_accuracy']:.4f}", "precision": f"{m['precision']:.4f}",
                  "recall": f"{m['recall']:.4f}", "train_s": f"{m['train_seconds']:.1f}",
                  "resumed": resumed}],
                ["corpus", "model", "accuracy", "chance", "precision", "recall", "train_s", "resumed"]))
    return 0
