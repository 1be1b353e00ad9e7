"""A BERT-family encoder (BERT, DistilBERT) as a nested dict of arrays and pure JAX functions, plus a linear head.

Above numerics/ in the layers; knows nothing of files (gpu/checkpoint.py converts HF checkpoints to this layout).
Each function computes one example; ``forward`` batches with ``jax.vmap`` and jits.

The parameter tree, in one place (D hidden size, F intermediate size, L layers, V vocabulary, P positions,
T token types, Y labels; layers are stacked on a leading axis so the encoder is one ``lax.scan``)::

    embeddings: word [V, D], position [P, D], token_type [T, D] (absent for DistilBERT), norm {scale [D], bias [D]}
    layers:     attention {query, key, value, output: {w [L, D, D], b [L, D]}}, attention_norm {scale, bias [L, D]}
                ffn {intermediate: {w [L, D, F], b [L, F]}, output: {w [L, F, D], b [L, D]}}, ffn_norm {scale, bias}
    pooler:     w [D, D], b [D]           (BERT checkpoints; tanh dense on [CLS], used by pooling="pooler")
    head:       w [D, Y], b [Y]           (only in a classifier)
                pre: {w [D, D], b [D]}    (DistilBERT's pre_classifier: ReLU(pre(pooled)) feeds the head)

The two families differ only where HF's modules differ: DistilBERT has no token-type embeddings, no dropout on
the attention block's output projection, and its classification head is ``pre_classifier`` + ReLU + dropout
(``seq_classif_dropout``) + ``classifier`` on [CLS]; BERT's is dropout + ``classifier`` on the pooler's output
(``BertForSequenceClassification``), or on any pooling.

Weights are ``[in, out]`` (``y = x @ w + b``), unlike PyTorch's ``[out, in]``. Mixed precision: with
``dtype=jnp.bfloat16`` every matmul takes bf16 inputs and accumulates in float32; weights stay float32 (the
master copy the optimizer updates), and softmax and layer-norm statistics are computed in float32.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from theory.errors import InputError

F32 = jnp.float32


@dataclass(frozen=True)
class BertConfig:
    """Sizes of a BERT-family encoder (hashable, so it can be a static argument of ``jax.jit``)."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_position: int = 512
    type_vocab_size: int = 2  # 0 for DistilBERT, which has no token-type embeddings
    layer_norm_eps: float = 1e-12
    activation: str = "gelu"  # "gelu" (erf, HF's default) or "gelu_new" (tanh approximation)
    family: str = "bert"  # "bert" or "distilbert": where dropout sits (see the module docstring)
    classifier_dropout: float | None = None  # the head's dropout while training; None: the model's rate

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise InputError(f"family={self.family!r}; expected one of {', '.join(FAMILIES)}")
        if self.hidden_size % self.num_heads:
            raise InputError(f"hidden_size={self.hidden_size} is not a multiple of num_heads={self.num_heads}")
        if self.activation not in ACTIVATIONS:
            raise InputError(f"activation={self.activation!r}; expected one of {', '.join(ACTIVATIONS)}")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads


FAMILIES = ("bert", "distilbert")
ACTIVATIONS = {"gelu": functools.partial(jax.nn.gelu, approximate=False),
               "gelu_new": functools.partial(jax.nn.gelu, approximate=True),
               "relu": jax.nn.relu}


@functools.partial(jax.jit, static_argnames=("config", "num_labels", "std", "pooler"))
def init_params(config: BertConfig, key: jax.Array, num_labels: int | None = None, std: float = 0.02,
                pooler: bool = False) -> dict:
    """Random parameters (normal(0, std) weights, zero biases, unit layer-norm scales) of any size.

    >>> p = init_params(BertConfig(50, 12, 2, 3, 7, max_position=16), jax.random.key(0), num_labels=4)
    >>> p["layers"]["ffn"]["intermediate"]["w"].shape, p["head"]["w"].shape
    ((2, 12, 7), (12, 4))
    """
    c = config
    D, F, L = c.hidden_size, c.intermediate_size, c.num_layers
    shapes = {"word": (c.vocab_size, D), "position": (c.max_position, D), "token_type": (c.type_vocab_size, D),
              "query": (L, D, D), "key": (L, D, D), "value": (L, D, D), "output": (L, D, D),
              "intermediate": (L, D, F), "ffn_output": (L, F, D), "pooler": (D, D) if pooler else (0,),
              "head": (D, num_labels or 0),
              "pre": (D, D) if num_labels is not None and c.family == "distilbert" else (0,)}
    sizes = [math.prod(s) for s in shapes.values()]
    # One draw for every weight: a single random-bits kernel compiles far faster than one per tensor.
    flat = std * jax.random.normal(key, (sum(sizes),), F32)  # [sum of sizes]
    parts = jnp.split(flat, list(itertools.accumulate(sizes))[:-1])
    w = {name: part.reshape(shape) for (name, shape), part in zip(shapes.items(), parts)}
    norm = lambda *lead: {"scale": jnp.ones((*lead, D), F32), "bias": jnp.zeros((*lead, D), F32)}
    linear = lambda name, o: {"w": w[name], "b": jnp.zeros((L, o), F32)}
    emb = {"word": w["word"], "position": w["position"], "norm": norm()}
    if c.type_vocab_size:
        emb["token_type"] = w["token_type"]
    params = {"embeddings": emb, "layers": {
        "attention": {n: linear(n, D) for n in ("query", "key", "value", "output")}, "attention_norm": norm(L),
        "ffn": {"intermediate": linear("intermediate", F), "output": linear("ffn_output", D)}, "ffn_norm": norm(L)}}
    if pooler:
        params["pooler"] = {"w": w["pooler"], "b": jnp.zeros(D, F32)}
    if num_labels is not None:
        params["head"] = {"w": w["head"], "b": jnp.zeros(num_labels, F32)}
        if c.family == "distilbert":
            params["head"]["pre"] = {"w": w["pre"], "b": jnp.zeros(D, F32)}
    return params


def init_head(config: BertConfig, key: jax.Array, num_labels: int, std: float = 0.02) -> dict:
    """A fresh classification head as HF initializes one (normal(0, std) weights, zero biases).

    BERT: ``{w [D, Y], b [Y]}``; DistilBERT adds its ``pre_classifier`` ``{pre: {w [D, D], b [D]}}``.
    """
    D = config.hidden_size
    head = {"w": std * jax.random.normal(key, (D, num_labels), F32), "b": jnp.zeros(num_labels, F32)}
    if config.family == "distilbert":
        head["pre"] = {"w": std * jax.random.normal(jax.random.fold_in(key, 1), (D, D), F32), "b": jnp.zeros(D, F32)}
    return head


def count_params(params: dict) -> int:
    """The number of scalars in a parameter tree."""
    return sum(x.size for x in jax.tree.leaves(params))


def layer_norm(p: dict, x: jax.Array, eps: float) -> jax.Array:
    """Layer norm over the last axis, statistics in float32."""
    x = x.astype(F32)  # [S, D]
    mean = x.mean(-1, keepdims=True)  # [S, 1]
    var = jnp.square(x - mean).mean(-1, keepdims=True)  # [S, 1]
    return (x - mean) * jax.lax.rsqrt(var + eps) * p["scale"] + p["bias"]  # [S, D]


def dense(p: dict, x: jax.Array, dtype=F32) -> jax.Array:
    """``x @ w + b`` with inputs in ``dtype`` and float32 accumulation."""
    y = jnp.dot(x.astype(dtype), p["w"].astype(dtype), preferred_element_type=F32)  # [S, in] -> [S, out]
    return y + p["b"]  # [S, out]


def dropout(x: jax.Array, rate: float, key: jax.Array | None) -> jax.Array:
    """Inverted dropout; the identity when ``key`` is None (evaluation) or the rate is 0."""
    if key is None or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)  # same shape as x
    return jnp.where(keep, x / (1.0 - rate), 0.0).astype(x.dtype)


def embeddings(p: dict, ids: jax.Array, type_ids: jax.Array, config: BertConfig) -> jax.Array:
    """Word + position (+ token type) embeddings, layer-normed."""
    x = p["word"][ids] + p["position"][: ids.shape[0]]  # [S] -> [S, D]
    if "token_type" in p:
        x = x + p["token_type"][type_ids]  # [S, D]
    return layer_norm(p["norm"], x, config.layer_norm_eps)  # [S, D]


def attention(p: dict, x: jax.Array, mask: jax.Array, config: BertConfig, dtype=F32,
              rate: float = 0.0, key: jax.Array | None = None) -> jax.Array:
    """Multi-head self-attention; keys where ``mask`` is False (padding) get zero weight."""
    S, H, Dh = x.shape[0], config.num_heads, config.head_dim
    q = dense(p["query"], x, dtype).reshape(S, H, Dh)  # [S, D] -> [S, H, Dh]
    k = dense(p["key"], x, dtype).reshape(S, H, Dh)  # [S, H, Dh]
    v = dense(p["value"], x, dtype).reshape(S, H, Dh)  # [S, H, Dh]
    scores = jnp.einsum("qhd,khd->hqk", q.astype(dtype), k.astype(dtype), preferred_element_type=F32)  # [H, S, S]
    scores = jnp.where(mask[None, None, :], scores / math.sqrt(Dh), jnp.finfo(F32).min)  # [H, S, S]
    probs = dropout(jax.nn.softmax(scores, axis=-1), rate, key)  # [H, S, S], float32
    ctx = jnp.einsum("hqk,khd->qhd", probs.astype(dtype), v.astype(dtype), preferred_element_type=F32)  # [S, H, Dh]
    return dense(p["output"], ctx.reshape(S, H * Dh), dtype)  # [S, D]


def feed_forward(p: dict, x: jax.Array, config: BertConfig, dtype=F32) -> jax.Array:
    """Two dense layers with the activation between."""
    h = ACTIVATIONS[config.activation](dense(p["intermediate"], x, dtype))  # [S, D] -> [S, F]
    return dense(p["output"], h, dtype)  # [S, F] -> [S, D]


def encoder_layer(p: dict, x: jax.Array, mask: jax.Array, config: BertConfig, dtype=F32,
                  rate: float = 0.0, key: jax.Array | None = None) -> jax.Array:
    """One post-norm transformer layer: attention, add & norm, feed-forward (dropout on its output), add & norm."""
    k1, k2, k3 = (None,) * 3 if key is None else jax.random.split(key, 3)
    eps = config.layer_norm_eps
    a = attention(p["attention"], x, mask, config, dtype, rate, k1)  # [S, D]
    if config.family == "bert":  # BertSelfOutput drops out the projection; DistilBERT's attention does not
        a = dropout(a, rate, k2)
    x = layer_norm(p["attention_norm"], x + a, eps)  # [S, D]
    f = dropout(feed_forward(p["ffn"], x, config, dtype), rate, k3)  # [S, D]
    return layer_norm(p["ffn_norm"], x + f, eps)  # [S, D]


def encode(params: dict, ids: jax.Array, mask: jax.Array, config: BertConfig, dtype=F32,
           rate: float = 0.0, key: jax.Array | None = None, type_ids: jax.Array | None = None) -> jax.Array:
    """The last hidden states of one sequence: ids [S] (int), mask [S] (bool) -> [S, D] float32."""
    type_ids = jnp.zeros_like(ids) if type_ids is None else type_ids  # [S]
    k0, layer_keys = None, None
    if key is not None:
        keys = jax.random.split(key, config.num_layers + 1)  # [L + 1] keys
        k0, layer_keys = keys[0], keys[1:]
    x = dropout(embeddings(params["embeddings"], ids, type_ids, config), rate, k0)  # [S, D]

    def step(x, layer):
        p, k = layer
        return encoder_layer(p, x, mask, config, dtype, rate, k), None

    x, _ = jax.lax.scan(step, x, (params["layers"], layer_keys))  # [S, D]
    return x


POOLINGS = ("cls", "mean", "pooler")


def pool(hidden: jax.Array, mask: jax.Array, pooling: str, pooler: dict | None = None) -> jax.Array:
    """One vector per sequence: [CLS]'s hidden state, the mean over real tokens, or tanh(dense([CLS]))."""
    if pooling == "cls":
        return hidden[0]  # [S, D] -> [D]
    if pooling == "pooler":
        return jnp.tanh(hidden[0] @ pooler["w"] + pooler["b"])  # [D] -> [D]
    m = mask.astype(F32)[:, None]  # [S, 1]
    return (hidden * m).sum(0) / jnp.maximum(m.sum(), 1.0)  # [D]


def head_logits(head: dict, features: jax.Array, config: BertConfig, rate: float = 0.0,
                key: jax.Array | None = None) -> jax.Array:
    """The classification head on a pooled vector [D] -> [Y], as HF's ``*ForSequenceClassification``.

    BERT: dropout, then ``classifier``. DistilBERT (a head with ``pre``): ``pre_classifier``, ReLU, dropout,
    ``classifier``. The dropout rate is ``config.classifier_dropout`` where set (DistilBERT's
    ``seq_classif_dropout``), else ``rate``; ``rate = 0`` (or no key) turns it off.
    """
    if "pre" in head:
        features = jax.nn.relu(features @ head["pre"]["w"] + head["pre"]["b"])  # [D]
    head_rate = rate if config.classifier_dropout is None or rate == 0.0 else config.classifier_dropout
    features = dropout(features, head_rate, key)  # [D]
    return features @ head["w"] + head["b"]  # [D] -> [Y]


def classify(params: dict, ids: jax.Array, mask: jax.Array, config: BertConfig, pooling: str = "cls",
             dtype=F32, rate: float = 0.0, key: jax.Array | None = None) -> jax.Array:
    """Label logits of one sequence: the head applied to the pooled hidden states -> [Y]."""
    hidden = encode(params, ids, mask, config, dtype, rate, key)  # [S, D]
    features = pool(hidden, mask, pooling, params.get("pooler"))  # [D]
    return head_logits(params["head"], features, config, rate, None if key is None else jax.random.fold_in(key, 1))


@functools.partial(jax.jit, static_argnames=("config", "dtype"))
def forward(params: dict, ids: jax.Array, mask: jax.Array, config: BertConfig, dtype=F32) -> jax.Array:
    """Batched last hidden states: ids, mask [B, S] -> [B, S, D] (jitted, no dropout)."""
    return jax.vmap(encode, in_axes=(None, 0, 0, None, None))(params, ids, mask, config, dtype)  # [B, S, D]


@functools.partial(jax.jit, static_argnames=("config", "pooling", "dtype"))
def logits(params: dict, ids: jax.Array, mask: jax.Array, config: BertConfig, pooling: str = "cls",
           dtype=F32) -> jax.Array:
    """Batched label logits: ids, mask [B, S] -> [B, Y] (jitted, no dropout)."""
    return jax.vmap(classify, in_axes=(None, 0, 0, None, None, None))(params, ids, mask, config, pooling, dtype)


@functools.partial(jax.jit, static_argnames=("config", "pooling", "dtype"))
def sentence_embeddings(params: dict, ids: jax.Array, mask: jax.Array, config: BertConfig, pooling: str = "mean",
                        dtype=F32) -> jax.Array:
    """Batched pooled, L2-normalized sentence vectors (the sentence-transformers recipe): [B, S] -> [B, D]."""
    hidden = forward(params, ids, mask, config, dtype)  # [B, S, D]
    pooled = jax.vmap(pool, in_axes=(0, 0, None, None))(hidden, mask, pooling, params.get("pooler"))  # [B, D]
    return pooled / jnp.linalg.norm(pooled, axis=-1, keepdims=True)  # [B, D]
