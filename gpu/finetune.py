"""Fine-tuning the encoder as a text classifier: AdamW with linear decay, one jitted step, data parallel; metrics.

The top of gpu/ below the CLI: uses gpu/model.py, gpu/checkpoint.py, gpu/batches.py and gpu/data.py. The
defaults are HuggingFace Trainer's (learning rate 5e-5, linear decay to 0, no warm-up, weight decay 0,
AdamW betas (0.9, 0.999), eps 1e-8, gradient clipping at norm 1, dropout 0.1, 3 epochs, batch 8).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from gpu.batches import batches, tokenize
from gpu.checkpoint import load_checkpoint, load_tokenizer
from gpu.data import Corpus
from gpu.model import POOLINGS, BertConfig, classify, init_head, init_params
from theory.errors import InputError

#: Configuration keys and their defaults (HF Trainer's where it has one).
DEFAULTS = {
    "model": "minilm",  # "minilm" (the packaged checkpoint), "tiny" (random init), or a checkpoint folder
    "learning_rate": 5e-5, "weight_decay": 0.0, "warmup_steps": 0, "max_grad_norm": 1.0,
    "epochs": 3, "batch_size": 8, "max_length": 128, "dropout": 0.1,
    "pooling": None,  # None: the checkpoint's own ("mean" for MiniLM), else "cls" / "mean" / "pooler"
    "precision": "float32",  # or "bfloat16": bf16 matmuls, float32 master weights
    "seed": 0,
}
#: Overrides for model="tiny": a random-init encoder needs a larger learning rate to learn in a few steps.
TINY = {"learning_rate": 5e-3, "epochs": 4, "batch_size": 16, "max_length": 64, "dropout": 0.0, "pooling": "mean"}
TINY_CONFIG = dict(hidden_size=32, num_layers=2, num_heads=4, intermediate_size=37, max_position=64)
DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


@dataclass(frozen=True)
class Classifier:
    """A trained (or pretrained) classifier: the encoder sizes, parameters and how to read texts."""

    config: BertConfig
    params: dict
    tokenizer: object
    label_names: tuple[str, ...]
    multilabel: bool
    pooling: str
    max_length: int
    dtype: str = "float32"


def resolve(config: dict) -> dict:
    """The full configuration: defaults (tiny ones for model="tiny") overridden by ``config``; keys checked."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise InputError(f"unknown fine-tune setting(s) {', '.join(unknown)}; expected among {', '.join(DEFAULTS)}")
    full = {**DEFAULTS, **(TINY if config.get("model") == "tiny" else {}), **config}
    if full["precision"] not in DTYPES:
        raise InputError(f"precision={full['precision']!r}; expected float32 or bfloat16")
    if full["pooling"] not in (None, *POOLINGS):
        raise InputError(f"pooling={full['pooling']!r}; expected one of {', '.join(POOLINGS)}")
    for key in ("epochs", "batch_size", "max_length"):
        if not isinstance(full[key], int) or full[key] < 1:
            raise InputError(f"{key}={full[key]!r}; expected a positive integer")
    if not full["learning_rate"] > 0 or not 0 <= full["dropout"] < 1 or full["weight_decay"] < 0:
        raise InputError(f"learning_rate={full['learning_rate']}, dropout={full['dropout']}, weight_decay="
                         f"{full['weight_decay']}: expected lr > 0, dropout in [0, 1), weight decay >= 0")
    return full


def build_classifier(config: dict, label_names: tuple[str, ...], multilabel: bool) -> Classifier:
    """The untrained classifier: pretrained (or tiny random) encoder and a fresh head seeded by config["seed"]."""
    key = jax.random.key(config["seed"])
    tokenizer = load_tokenizer(None if config["model"] in ("minilm", "tiny") else config["model"],
                               config["max_length"])
    if config["model"] == "tiny":
        bert = BertConfig(vocab_size=tokenizer.get_vocab_size(), **TINY_CONFIG)
        params, pooling = init_params(bert, jax.random.fold_in(key, 1), pooler=True), "mean"
    else:
        ck = load_checkpoint(None if config["model"] == "minilm" else config["model"])
        bert, params, pooling = ck.config, ck.params, ck.pooling
    if config["max_length"] > bert.max_position:
        raise InputError(f"max_length={config['max_length']} exceeds the model's {bert.max_position} positions")
    params = {**params, "head": init_head(bert, jax.random.fold_in(key, 2), len(label_names))}
    pooling = config["pooling"] or pooling
    if pooling == "pooler" and "pooler" not in params:
        raise InputError("pooling='pooler' but the checkpoint has no pooler")
    return Classifier(bert, jax.tree.map(jnp.asarray, params), tokenizer, tuple(label_names), multilabel, pooling,
                      config["max_length"], config["precision"])


def loss_fn(logits: jax.Array, targets: jax.Array, multilabel: bool) -> jax.Array:
    """Per-example loss: sigmoid BCE averaged over labels (multi-label) or softmax cross-entropy."""
    if multilabel:
        return optax.sigmoid_binary_cross_entropy(logits, targets).mean(-1)  # [B, Y] -> [B]
    return optax.softmax_cross_entropy(logits, targets)  # [B, Y] -> [B]


def learning_rate_schedule(config: dict, total_steps: int) -> optax.Schedule:
    """HF's linear schedule: from 0 to the peak over the warm-up steps, then linearly to 0 at ``total_steps``.

    >>> f = learning_rate_schedule({"learning_rate": 1.0, "warmup_steps": 2}, 10)
    >>> [round(float(f(s)), 3) for s in (0, 1, 2, 6, 10)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    lr, warm = config["learning_rate"], config["warmup_steps"]
    decay = optax.linear_schedule(lr, 0.0, max(total_steps - warm, 1))
    return optax.join_schedules([optax.linear_schedule(0.0, lr, warm), decay], [warm]) if warm else decay


def _decayed(params) -> dict:
    """Which parameters weight decay applies to: weights and embeddings, not biases or layer-norm scales."""
    return jax.tree_util.tree_map_with_path(lambda path, _: path[-1].key in ("w", "word", "position", "token_type"),
                                            params)


def adamw(config: dict, learning_rate) -> optax.GradientTransformation:
    """HF Trainer's optimizer: gradients clipped to ``max_grad_norm``, then ``optax.adamw`` (betas 0.9/0.999, eps
    1e-8, decoupled weight decay on weights and embeddings only) at ``learning_rate`` (a float or a schedule).

    torch.optim.AdamW computes the same update (tests/gpu/test_parity.py checks one step against it to 1e-5).
    """
    return optax.chain(optax.clip_by_global_norm(config["max_grad_norm"]),
                       optax.adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, weight_decay=config["weight_decay"],
                                   mask=_decayed))


def unscaled_optimizer(config: dict) -> optax.GradientTransformation:
    """``adamw`` at learning rate 1: the train step multiplies its updates by each step's rate (see make_train_step)."""
    return adamw(config, 1.0)


def optimizer(config: dict, total_steps: int) -> optax.GradientTransformation:
    """``adamw`` on HF's linear schedule over ``total_steps``."""
    return adamw(config, learning_rate_schedule(config, total_steps))


def make_train_step(clf: Classifier, opt: optax.GradientTransformation, rate: float):
    """One jitted step: (params, opt_state, ids, mask, targets, valid, key[, lr]) -> (params, opt_state, loss).

    With ``lr`` (a float32 scalar), ``opt`` is ``unscaled_optimizer`` (optax.adamw at rate 1, whose updates already
    carry the minus sign) and the step scales its updates by ``lr``, which is what optax.adamw at rate ``lr`` computes:
    the schedule stays out of the compiled step, so one compilation serves fine-tunes of any length.
    """
    dtype = DTYPES[clf.dtype]

    def batch_loss(params, ids, mask, targets, valid, key):
        # One dropout stream per example; none at all without dropout (its random bits cost compile time).
        keys = jax.random.split(key, ids.shape[0]) if rate else None  # [B] keys
        out = jax.vmap(classify, in_axes=(None, 0, 0, None, None, None, None, 0 if rate else None))(
            params, ids, mask, clf.config, clf.pooling, dtype, rate, keys)  # [B, S] -> [B, Y]
        per = loss_fn(out, targets, clf.multilabel)  # [B]
        return (per * valid).sum() / jnp.maximum(valid.sum(), 1.0)

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, opt_state, ids, mask, targets, valid, key, lr=None):
        loss, grads = jax.value_and_grad(batch_loss)(params, ids, mask, targets, valid, key)
        updates, opt_state = opt.update(grads, opt_state, params)
        if lr is not None:
            updates = jax.tree.map(lambda u: jnp.asarray(lr, u.dtype) * u, updates)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


#: Settings the compiled train step closes over (besides the model's shapes); the learning rate is an argument.
STEP_SETTINGS = ("weight_decay", "max_grad_norm", "dropout")


@functools.lru_cache(maxsize=8)
def cached_train_step(bert: BertConfig, pooling: str, dtype: str, multilabel: bool, settings: tuple):
    """(unscaled optimizer, its step taking ``lr``), memoized so the fine-tunes of a sweep share compilations.

    ``settings`` are the (key, value) pairs of STEP_SETTINGS.
    """
    config = dict(settings)
    shell = Classifier(bert, {}, None, (), multilabel, pooling, 0, dtype)  # make_train_step reads no params
    opt = unscaled_optimizer(config)
    return opt, make_train_step(shell, opt, config["dropout"])


def data_mesh(devices=None) -> Mesh:
    """A one-axis mesh named 'data' over the devices (all of them by default; one works)."""
    devices = jax.devices() if devices is None else devices
    return Mesh(np.array(devices), ("data",))


def _targets(corpus: Corpus, rows: np.ndarray) -> np.ndarray:
    full = corpus.label_matrix()  # [n, Y]
    out = full[np.maximum(rows, 0)]  # [B, Y]
    out[rows < 0] = 0.0
    return out


def train(clf: Classifier, corpus: Corpus, config: dict, mesh: Mesh | None = None) -> tuple[Classifier, dict]:
    """Fine-tune ``clf`` on ``corpus``; returns the trained classifier and training figures."""
    mesh = mesh or data_mesh()
    n_dev = mesh.devices.size
    if config["batch_size"] % n_dev:
        raise InputError(f"batch_size={config['batch_size']} is not a multiple of the {n_dev} devices")
    rows_sharding, replicated = NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec())
    seqs = tokenize(clf.tokenizer, corpus.texts)
    rng = np.random.default_rng(config["seed"])
    per_epoch = len(batches(seqs, config["batch_size"], clf.max_length))
    total = per_epoch * config["epochs"]
    lrs = np.asarray(jax.vmap(learning_rate_schedule(config, total))(jnp.arange(total)), np.float32)  # [total]
    opt, step = cached_train_step(clf.config, clf.pooling, clf.dtype, clf.multilabel,
                                  tuple((k, config[k]) for k in STEP_SETTINGS))
    params = jax.device_put(clf.params, replicated)
    opt_state = jax.device_put(opt.init(params), replicated)
    key = jax.random.key(config["seed"] + 1)
    losses, tokens, t0 = [], 0, time.perf_counter()
    for epoch in range(config["epochs"]):
        for i, b in enumerate(batches(seqs, config["batch_size"], clf.max_length, rng)):
            arrays = jax.device_put((b.ids, b.mask, _targets(corpus, b.rows), b.valid), rows_sharding)
            params, opt_state, loss = step(params, opt_state, *arrays, jax.random.fold_in(key, len(losses)),
                                           lrs[len(losses)])
            losses.append(loss)
            tokens += int(b.ids.size)
    losses = [float(x) for x in jax.device_get(losses)]
    seconds = time.perf_counter() - t0
    stats = {"steps": len(losses), "train_seconds": seconds, "train_sequences_per_s": config["epochs"] * len(corpus)
             / seconds, "padded_tokens": tokens, "loss_first": losses[0], "loss_last": losses[-1],
             "loss_first_epoch": float(np.mean(losses[:per_epoch])), "loss_last_epoch": float(np.mean(losses[-per_epoch:])),
             "devices": n_dev}
    return Classifier(clf.config, jax.device_get(params), clf.tokenizer, clf.label_names, clf.multilabel, clf.pooling,
                      clf.max_length, clf.dtype), stats


@functools.partial(jax.jit, static_argnames=("config", "pooling", "dtype", "multilabel"))
def _proba(params, ids, mask, config, pooling, dtype, multilabel):
    out = jax.vmap(classify, in_axes=(None, 0, 0, None, None, None))(params, ids, mask, config, pooling, dtype)
    return jax.nn.sigmoid(out) if multilabel else jax.nn.softmax(out, axis=-1)  # [B, Y]


def predict_proba(clf: Classifier, texts, batch_size: int = 64) -> np.ndarray:
    """Label probabilities ``[n_texts, num_labels]``: sigmoid per label (multi-label) or softmax."""
    seqs = tokenize(clf.tokenizer, texts)
    out = np.zeros((len(seqs), len(clf.label_names)), np.float32)  # [n, Y]
    for b in batches(seqs, batch_size, clf.max_length):
        p = np.asarray(_proba(clf.params, b.ids, b.mask, clf.config, clf.pooling, DTYPES[clf.dtype], clf.multilabel))
        real = b.rows >= 0
        out[b.rows[real]] = p[real]
    return out


def predictions(proba: np.ndarray, multilabel: bool) -> np.ndarray:
    """0/1 predictions ``[n, Y]``: probability > 1/2 per label (multi-label) or the arg-max label."""
    if multilabel:
        return (proba > 0.5).astype(np.float32)
    return np.eye(proba.shape[1], dtype=np.float32)[proba.argmax(1)]


def scores(truth: np.ndarray, predicted: np.ndarray, multilabel: bool) -> dict:
    """Accuracy (1 - Hamming loss for multi-label) and macro precision and recall, as scikit-learn computes them.

    Macro averages run over every label for multi-label data, and over the labels that occur in the truth or
    the predictions for single-label data; a label never predicted has precision 0.

    >>> t = np.array([[1, 0], [0, 1], [0, 1]]); p = np.array([[1, 0], [1, 0], [0, 1]])
    >>> {k: round(v, 3) for k, v in scores(t, p, False).items() if k in ("accuracy", "precision", "recall")}
    {'accuracy': 0.667, 'precision': 0.75, 'recall': 0.75}
    """
    from sklearn.metrics import accuracy_score, hamming_loss, precision_recall_fscore_support

    truth, predicted = truth.astype(bool), predicted.astype(bool)  # [n, Y]
    if multilabel:
        y_true, y_pred, labels = truth, predicted, None  # indicator matrices: every label
        accuracy = 1.0 - hamming_loss(truth, predicted)
    else:
        y_true, y_pred = truth.argmax(1), predicted.argmax(1)  # [n] label ids
        labels = np.flatnonzero((truth | predicted).any(0))  # the labels that occur
        accuracy = accuracy_score(y_true, y_pred)
    per_p, per_r, _, _ = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(truth.shape[1]),
                                                          average=None, zero_division=0)  # [Y] each
    macro_p, macro_r, _, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average="macro",
                                                             zero_division=0)
    return {"accuracy": float(accuracy), "precision": float(macro_p), "recall": float(macro_r),
            "per_label_precision": per_p.tolist(), "per_label_recall": per_r.tolist()}


def evaluate(clf: Classifier, corpus: Corpus) -> dict:
    """Test-set metrics of a classifier on a corpus with the same labels."""
    return evaluate_proba(clf, corpus)[0]


def evaluate_proba(clf: Classifier, corpus: Corpus) -> tuple[dict, np.ndarray]:
    """``evaluate``'s metrics and the probabilities ``[n_test, num_labels]`` they were computed from."""
    if corpus.label_names != clf.label_names:
        raise InputError(f"test corpus labels {corpus.label_names[:4]}... differ from the classifier's")
    t0 = time.perf_counter()
    proba = predict_proba(clf, corpus.texts)
    found = scores(corpus.label_matrix(), predictions(proba, clf.multilabel), clf.multilabel)
    return {**found, "test_seconds": time.perf_counter() - t0, "n_test": len(corpus)}, proba


def finetune(config: dict, corpus_train: Corpus, corpus_test: Corpus, *, mesh: Mesh | None = None) -> dict:
    """Fine-tune one configuration and score it on the test corpus.

    Returns ``{"config": the resolved configuration, "metrics": JSON-able figures, "classifier": Classifier,
    "test_proba": the test texts' probabilities [n_test, num_labels]}``; ``predict_proba(result["classifier"],
    texts)`` then scores any other texts (e.g. with a planted trigger).
    """
    full = resolve(config)
    if corpus_train.label_names != corpus_test.label_names or corpus_train.multilabel != corpus_test.multilabel:
        raise InputError("train and test corpora have different labels")
    clf = build_classifier(full, corpus_train.label_names, corpus_train.multilabel)
    clf, stats = train(clf, corpus_train, full, mesh)
    found, proba = evaluate_proba(clf, corpus_test)
    metrics = {**stats, **found, "n_train": len(corpus_train), "pooling": clf.pooling,
               "chance_accuracy": chance_accuracy(corpus_train, corpus_test)}
    return {"config": full, "metrics": metrics, "classifier": clf, "test_proba": proba}


def chance_accuracy(train: Corpus, test: Corpus) -> float:
    """The test accuracy of the best constant predictor learned from the training labels (the baseline to beat)."""
    freq = train.label_matrix().mean(0)  # [Y]
    constant = (freq > 0.5) if train.multilabel else np.eye(len(freq), dtype=bool)[freq.argmax()]  # [Y]
    return scores(test.label_matrix(), np.broadcast_to(constant, (len(test), len(freq))), train.multilabel)["accuracy"]
