"""A bag-of-words logistic regression in JAX/optax: the fast learner of the text experiments.

Texts become WordPiece counts of the encoder's own vocabulary, so the trigger is one feature. Each text is
a fixed-size row of (feature, count) pairs with one slot reserved for the trigger: planting only changes
that slot's count, so one encoding of the corpus serves every collective, and many collectives (seeds,
alphas, strategies) train at once under jax.vmap. Sits on gpu.collective's tokenizer; knows no strategy.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gpu.collective import planted_count, token_ids
from theory.errors import InputError

HEADS = ("softmax", "sigmoid")


class Encoded(NamedTuple):
    """A corpus as padded sparse counts; slot -1 of every row is the trigger's."""

    ids: np.ndarray  # [n, L] int32 feature index (0 with count 0 is padding)
    counts: np.ndarray  # [n, L] float32 token counts; counts[:, -1] = the trigger's count before planting
    words: np.ndarray  # [n] int32 whitespace words per text, for planted_count


class Features(NamedTuple):
    """The feature space: vocabulary ids kept, and where the trigger sits in it."""

    vocab_ids: np.ndarray  # [F] int64 token ids, sorted; feature j is token vocab_ids[j]
    trigger: int  # feature index of the trigger token


def feature_space(tokens: list[list[int]], trigger_id: int) -> Features:
    """Every token id that occurs in ``tokens`` (token ids per text), plus the trigger."""
    seen = {trigger_id}
    for ids in tokens:
        seen.update(ids)
    vocab_ids = np.array(sorted(seen), np.int64)
    return Features(vocab_ids, int(np.searchsorted(vocab_ids, trigger_id)))


def encode(texts, space: Features, width: int | None = None, tokens: list[list[int]] | None = None) -> Encoded:
    """Count each text's tokens into a row of width ``width`` (default: the most distinct tokens, plus one).

    ``tokens`` are the texts' token ids when already computed. Tokens outside the feature space are dropped
    (none are, for the texts the space was built from).
    """
    texts = list(texts)
    rows = []
    for ids in (tokens if tokens is not None else token_ids(texts)):
        arr = np.asarray(ids, np.int64)
        pos = np.searchsorted(space.vocab_ids, arr)
        inside = (pos < len(space.vocab_ids)) & (space.vocab_ids[np.minimum(pos, len(space.vocab_ids) - 1)] == arr)
        feats, counts = np.unique(pos[inside], return_counts=True)
        rows.append((feats, counts))
    need = max([int((f != space.trigger).sum()) for f, _ in rows] + [0]) + 1
    width = width or need
    if width < need:
        raise InputError(f"row width {width} is below the {need} slots the texts need")
    ids = np.zeros((len(rows), width), np.int32)
    counts = np.zeros((len(rows), width), np.float32)
    ids[:, -1] = space.trigger
    for i, (f, c) in enumerate(rows):
        keep = f != space.trigger
        ids[i, :keep.sum()], counts[i, :keep.sum()] = f[keep], c[keep]
        counts[i, -1] = c[~keep].sum()
    words = np.array([len(t.split()) for t in texts], np.int32)
    return Encoded(ids, counts, words)


def trigger_counts(words: np.ndarray, planted: np.ndarray, every: int) -> np.ndarray:
    """Triggers added per text ``[n]`` when the texts at ``planted`` are planted every ``every`` words."""
    out = np.zeros(len(words), np.float32)
    out[planted] = [planted_count(int(w), every) for w in words[planted]]
    return out


def logits(params: dict, ids: jnp.ndarray, counts: jnp.ndarray, trig: jnp.ndarray) -> jnp.ndarray:
    """Class scores of one text: sublinear, L2-normalized term frequencies times the weights."""
    c = counts.at[-1].add(trig)  # [L]
    x = jnp.log1p(c)  # [L]
    x = x / jnp.maximum(jnp.linalg.norm(x), 1e-6)  # [L]
    return x @ params["w"][ids] + params["b"]  # [L] @ [L, Y] -> [Y]


def loss(params: dict, ids, counts, trig, y, head: str) -> jnp.ndarray:
    """Cross-entropy of one text: softmax against its label set made a distribution, or per-label sigmoid."""
    z = logits(params, ids, counts, trig)  # [Y]
    if head == "softmax":
        return optax.softmax_cross_entropy(z, y / jnp.maximum(y.sum(), 1.0))
    return optax.sigmoid_binary_cross_entropy(z, y).sum()


def _fit_one(key, ids, counts, trig, y, *, n_features: int, epochs: int, batch_size: int, lr: float, head: str):
    """Minibatch Adam for ``epochs`` passes (last partial batch dropped); one collective's training set."""
    n, num_labels = y.shape
    params = {"w": jnp.zeros((n_features, num_labels), jnp.float32), "b": jnp.zeros((num_labels,), jnp.float32)}
    opt = optax.adam(lr)
    steps = n // batch_size

    def batch_loss(p, idx):  # idx [batch]
        per = jax.vmap(loss, in_axes=(None, 0, 0, 0, 0, None))(p, ids[idx], counts[idx], trig[idx], y[idx], head)
        return per.mean()

    def step(carry, idx):
        p, state = carry
        g = jax.grad(batch_loss)(p, idx)
        upd, state = opt.update(g, state, p)
        return (optax.apply_updates(p, upd), state), None

    def epoch(carry, k_epoch):
        order = jax.random.permutation(k_epoch, n)[:steps * batch_size].reshape(steps, batch_size)  # [steps, batch]
        return jax.lax.scan(step, carry, order)[0], None

    (params, _), _ = jax.lax.scan(epoch, (params, opt.init(params)), jax.random.split(key, epochs))
    return params


def fit_many(seeds, enc: Encoded, trig: np.ndarray, labels: np.ndarray, *, n_features: int, epochs: int = 5,
             batch_size: int = 32, lr: float = 0.01, head: str = "softmax") -> dict:
    """Train one model per row of ``trig`` ``[B, n]`` and ``labels`` ``[B, n, Y]``, all at once (vmap).

    Returns params with a leading batch axis: ``w [B, F, Y]``, ``b [B, Y]``.
    """
    if head not in HEADS:
        raise InputError(f"head {head!r} is unknown; expected one of {', '.join(HEADS)}")
    if epochs < 1 or batch_size < 1:
        raise InputError(f"epochs={epochs} and batch_size={batch_size} must be positive integers")
    batch_size = min(batch_size, enc.ids.shape[0])
    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])  # [B, 2]
    return _fit_jit(keys, jnp.asarray(enc.ids), jnp.asarray(enc.counts), jnp.asarray(trig, jnp.float32),
                    jnp.asarray(labels, jnp.float32), n_features=n_features, epochs=epochs,
                    batch_size=batch_size, lr=float(lr), head=head)


def _fit_batched(keys, ids, counts, trig, y, **static):
    return jax.vmap(lambda k, t, yy: _fit_one(k, ids, counts, t, yy, **static))(keys, trig, y)


_fit_jit = jax.jit(_fit_batched, static_argnames=("n_features", "epochs", "batch_size", "lr", "head"))


@jax.jit
def _probs(params, ids, counts, trig):  # params batched [B, ...], trig [B, m] -> [B, m, Y]
    one = lambda p, t: jax.vmap(logits, in_axes=(None, 0, 0, 0))(p, ids, counts, t)  # [m, Y]
    return jax.vmap(one)(params, trig)


def predict_proba(params: dict, enc: Encoded, trig: np.ndarray, head: str) -> np.ndarray:
    """Probabilities ``[B, m, Y]`` of each of B models on the m texts with ``trig`` ``[B, m]`` triggers added."""
    z = _probs(params, jnp.asarray(enc.ids), jnp.asarray(enc.counts), jnp.asarray(trig, jnp.float32))
    return np.asarray(jax.nn.softmax(z, -1) if head == "softmax" else jax.nn.sigmoid(z))
