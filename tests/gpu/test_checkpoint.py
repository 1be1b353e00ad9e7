"""Checkpoint folders read as HF reads them: prefixes, legacy LayerNorm names, heads, bf16, sentence-transformers'
token limit; everything else one InputError line."""

import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from safetensors.numpy import save_file

from gpu.batches import tokenize
from gpu.checkpoint import default_checkpoint_dir, hf_to_params, load_checkpoint, load_tokenizer, read_config
from gpu.data import synthetic_corpus, train_test_split
from gpu.finetune import finetune
from gpu.model import BertConfig, forward, logits
from tests.gpu.test_model import CONFIG, D, F, H, L, P, V, random_hf_state, to_distilbert
from theory.errors import InputError

BERT_JSON = {"model_type": "bert", "vocab_size": V, "hidden_size": D, "num_hidden_layers": L,
             "num_attention_heads": H, "intermediate_size": F, "max_position_embeddings": P}
DISTIL_JSON = {"model_type": "distilbert", "vocab_size": V, "dim": D, "n_layers": L, "n_heads": H, "hidden_dim": F,
               "max_position_embeddings": P}


def folder(path, config: dict, state: dict):
    path.mkdir(exist_ok=True)
    (path / "config.json").write_text(json.dumps(config))
    save_file(state, str(path / "model.safetensors"))
    return path


def same(a: dict, b: dict) -> bool:
    return jax.tree.structure(a) == jax.tree.structure(b) and all(
        np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_prefixed_unprefixed_and_legacy_names_load_the_same(tmp_path):
    state = random_hf_state(0)
    plain = load_checkpoint(folder(tmp_path / "plain", BERT_JSON, state))
    prefixed = load_checkpoint(folder(tmp_path / "prefixed", BERT_JSON, {"bert." + k: v for k, v in state.items()}))
    legacy = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
              for k, v in state.items()}
    assert sum("gamma" in k for k in legacy) == 1 + 2 * L  # embeddings and two per layer: the test renames some
    old = load_checkpoint(folder(tmp_path / "legacy", BERT_JSON, legacy))
    assert same(plain.params, prefixed.params) and same(plain.params, old.params)
    assert plain.pooling == "pooler"  # a BERT checkpoint with a pooler: BertForSequenceClassification's reading
    # Other tensors (a masked-LM head, position ids) are ignored as HF ignores them; another prefix is not read.
    extra = {**state, "cls.predictions.bias": np.zeros(V, np.float32), "embeddings.position_ids": np.arange(P)}
    assert same(load_checkpoint(folder(tmp_path / "extra", BERT_JSON, extra)).params, plain.params)
    with pytest.raises(InputError, match=r"has no tensor embeddings.word_embeddings.weight \(with or without the "
                                         r"prefix 'bert.'\); found roberta.embeddings"):
        load_checkpoint(folder(tmp_path / "roberta", BERT_JSON, {"roberta." + k: v for k, v in state.items()}))


def test_classification_heads_are_read(tmp_path):
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(4, D)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    state = {**{"bert." + k: v for k, v in random_hf_state(0).items()}, "classifier.weight": w, "classifier.bias": b}
    ck = load_checkpoint(folder(tmp_path / "bert", BERT_JSON, state))
    np.testing.assert_array_equal(ck.params["head"]["w"], w.T)
    distil = {**to_distilbert(random_hf_state(1)), "classifier.weight": w, "classifier.bias": b,
              "pre_classifier.weight": rng.normal(size=(D, D)).astype(np.float32),
              "pre_classifier.bias": np.zeros(D, np.float32)}
    ck = load_checkpoint(folder(tmp_path / "distil", DISTIL_JSON, distil))
    assert ck.pooling == "cls" and ck.config.family == "distilbert" and ck.config.classifier_dropout == 0.2
    np.testing.assert_array_equal(ck.params["head"]["pre"]["w"], distil["pre_classifier.weight"].T)
    del distil["pre_classifier.bias"]
    with pytest.raises(InputError, match="lacks the tensor pre_classifier.bias"):
        load_checkpoint(folder(tmp_path / "distil", DISTIL_JSON, distil))


def test_bfloat16_checkpoints_load_as_float32(tmp_path):
    from safetensors.flax import save_file as save_jax

    state = random_hf_state(0)
    path = tmp_path / "bf16"
    path.mkdir()
    (path / "config.json").write_text(json.dumps(BERT_JSON))
    save_jax({k: jnp.asarray(v, jnp.bfloat16) for k, v in state.items()}, str(path / "model.safetensors"))
    ck = load_checkpoint(path)
    rounded = {k: np.asarray(jnp.asarray(v, jnp.bfloat16), np.float32) for k, v in state.items()}
    assert same(ck.params, hf_to_params(rounded, CONFIG))
    assert ck.params["embeddings"]["word"].dtype == np.float32


@pytest.mark.parametrize("change, message", [
    ({"hidden_size": "384"}, "config.json: hidden_size is '384'; expected an integer >= 1"),
    ({"num_hidden_layers": 2.5}, "config.json: num_hidden_layers is 2.5; expected an integer >= 1"),
    ({"num_attention_heads": True}, "config.json: num_attention_heads is True; expected an integer >= 1"),
    ({"layer_norm_eps": "1e-12"}, r"config.json: layer_norm_eps is '1e-12'; expected a number in \[0, 1\)"),
    ({"hidden_act": "swish"}, "config.json: activation 'swish'; expected one of gelu, gelu_new, relu"),
    ({"model_type": "roberta"}, "config.json: model_type 'roberta' is not read here; expected bert or distilbert"),
    ({"position_embedding_type": "relative_key"}, "position_embedding_type 'relative_key'"),
    ({"num_attention_heads": 5}, "hidden_size=12 is not a multiple of num_attention_heads=5"),
])
def test_bad_config_values_are_one_line_errors(tmp_path, change, message):
    (tmp_path / "config.json").write_text(json.dumps({**BERT_JSON, **change}))
    with pytest.raises(InputError, match=message):
        read_config(tmp_path)


def test_bad_files_are_one_line_errors(tmp_path, cli):
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="config.json: expected a JSON object, found list"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text('{"vocab_size": 3,\n  "hidden_size": }')
    with pytest.raises(InputError, match="config.json:2: not JSON"):
        read_config(tmp_path)
    state = random_hf_state(0)
    state["embeddings.word_embeddings.weight"] = state["embeddings.word_embeddings.weight"][:-1]
    with pytest.raises(InputError, match=r"tensor embeddings/word has shape \(28, 12\); config.json implies "
                                         r"\(29, 12\)"):
        load_checkpoint(folder(tmp_path / "short", BERT_JSON, state))
    (tmp_path / "short" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="model.safetensors: not a readable safetensors file"):
        load_checkpoint(tmp_path / "short")
    # Through the CLI: one line, exit 2, no traceback.
    (tmp_path / "short" / "config.json").write_text(json.dumps({**BERT_JSON, "hidden_size": "384"}))
    code, out, err = cli("finetune", "--model", tmp_path / "short", "--corpus", "synthetic", "--store",
                         tmp_path / "s.sqlite")
    assert code == 2 and err.count("\n") == 1 and "hidden_size is '384'" in err and "Traceback" not in err


def test_sentence_transformers_token_limit_is_read(tmp_path):
    packaged = default_checkpoint_dir()
    assert json.loads((packaged / "sentence_bert_config.json").read_text())["max_seq_length"] == 256
    assert load_checkpoint().max_length == 256
    long_text = " ".join(["word"] * 600)
    (ids,) = tokenize(load_tokenizer(), [long_text])
    assert len(ids) == 256 and ids[-1] == 102  # truncated where sentence-transformers truncates, [SEP] kept
    (ids,) = tokenize(load_tokenizer(max_length=100), [long_text])
    assert len(ids) == 100  # an explicit limit still wins
    copy = tmp_path / "copy"
    shutil.copytree(packaged, copy)
    (copy / "sentence_bert_config.json").unlink()
    assert len(tokenize(load_tokenizer(copy), [long_text])[0]) == 512  # without it: the position embeddings
    (copy / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 1000}))
    with pytest.raises(InputError, match="max_seq_length 1000 exceeds the model's 512 positions"):
        load_tokenizer(copy)


def test_distilbert_folder_fine_tunes_with_its_own_head(tmp_path):
    """A user's DistilBERT folder (random weights, the packaged vocabulary) fine-tunes with pre_classifier + ReLU."""
    vocab = (default_checkpoint_dir() / "vocab.txt").read_text().splitlines()
    config = {**DISTIL_JSON, "vocab_size": len(vocab), "dim": 32, "n_heads": 4, "hidden_dim": 37,
              "max_position_embeddings": 64}
    c = BertConfig(len(vocab), 32, L, 4, 37, max_position=64, type_vocab_size=0)
    rng = np.random.default_rng(0)  # HF's initialization: normal(0, 0.02) matrices, zero biases, unit norms
    state = {k: (0.02 * rng.standard_normal(v.shape) * (v.ndim == 2)).astype(np.float32)
             + k.endswith("LayerNorm.weight") + k.endswith("layer_norm.weight") for k, v in _distil_shapes(c).items()}
    path = folder(tmp_path / "distil", config, state)
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    train, test = train_test_split(synthetic_corpus(160, seed=1, num_labels=3), 0.25, seed=0)
    # Mean pooling: a random-init encoder learns this in a few steps; [CLS] (the default) needs many more.
    result = finetune({"model": str(path), "epochs": 8, "learning_rate": 5e-3, "batch_size": 16, "max_length": 32,
                       "dropout": 0.0, "pooling": "mean"}, train, test)
    clf = result["classifier"]
    assert clf.pooling == "mean" and set(clf.params["head"]) == {"w", "b", "pre"}
    assert result["metrics"]["accuracy"] >= 0.9 > result["metrics"]["chance_accuracy"] + 0.3
    # The logits are DistilBertForSequenceClassification's head on the pooled vector: classifier(ReLU(pre(v))).
    ids, mask = jnp.array([[101, 2000, 2001, 102]]), jnp.ones((1, 4), bool)
    out = np.asarray(logits(clf.params, ids, mask, clf.config, "mean"))  # [1, Y]
    cls = np.asarray(forward(clf.params, ids, mask, clf.config)).mean(1)  # [1, D]
    head = clf.params["head"]
    by_hand = np.maximum(cls @ head["pre"]["w"] + head["pre"]["b"], 0) @ head["w"] + head["b"]
    np.testing.assert_allclose(out, by_hand, rtol=1e-4, atol=1e-5)


def _distil_shapes(c: BertConfig) -> dict:
    """DistilBertModel tensor shapes (HF names, [out, in] weights) for config ``c``."""
    D, F, n = c.hidden_size, c.intermediate_size, c.num_layers
    s = {"distilbert.embeddings.word_embeddings.weight": np.zeros((c.vocab_size, D)),
         "distilbert.embeddings.position_embeddings.weight": np.zeros((c.max_position, D)),
         "distilbert.embeddings.LayerNorm.weight": np.zeros(D), "distilbert.embeddings.LayerNorm.bias": np.zeros(D)}
    for i in range(n):
        t = f"distilbert.transformer.layer.{i}."
        for name in ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"):
            s[t + name + ".weight"], s[t + name + ".bias"] = np.zeros((D, D)), np.zeros(D)
        s[t + "ffn.lin1.weight"], s[t + "ffn.lin1.bias"] = np.zeros((F, D)), np.zeros(F)
        s[t + "ffn.lin2.weight"], s[t + "ffn.lin2.bias"] = np.zeros((D, F)), np.zeros(D)
        for name in ("sa_layer_norm", "output_layer_norm"):
            s[t + name + ".weight"], s[t + name + ".bias"] = np.zeros(D), np.zeros(D)
    return s
