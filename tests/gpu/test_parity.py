"""Parity with HuggingFace transformers (PyTorch, CPU, float32): logits and one AdamW step, to 1e-5.

BertForSequenceClassification and DistilBertForSequenceClassification from a random config, and the packaged
all-MiniLM-L6-v2 under BertForSequenceClassification: each is saved with ``save_pretrained`` and read back by
gpu.checkpoint, so the loader is part of what is compared. torch and transformers come from the ``parity``
extra (``pip install -e '.[parity]'``; ``make test`` installs it); under CI a missing extra is a failure, not a
skip.
"""

import copy
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gpu.checkpoint import hf_to_params, load_checkpoint, load_tokenizer
from gpu.batches import pad, tokenize
from gpu.finetune import Classifier, make_train_step, resolve, unscaled_optimizer
from gpu.model import forward, logits

if os.environ.get("CI"):
    import torch
    import transformers
else:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")

TOL = 1e-5
K = 5  # labels
# The optimizer settings both sides use: HF Trainer's AdamW, with weight decay on so its mask is exercised.
STEP = {"learning_rate": 5e-5, "weight_decay": 0.01, "max_grad_norm": 1.0, "dropout": 0.0}


@pytest.fixture(autouse=True)
def full_precision():
    torch.manual_seed(0)
    with jax.default_matmul_precision("highest"):
        yield


def perturbed(model, seed: int):
    """Every parameter moved off its initial value (layer-norm scales off 1, biases off 0), deterministically."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def small(family: str):
    if family == "bert":
        config = transformers.BertConfig(vocab_size=97, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                                         intermediate_size=37, max_position_embeddings=40, num_labels=K)
        return perturbed(transformers.BertForSequenceClassification(config), 1)
    config = transformers.DistilBertConfig(vocab_size=97, dim=24, n_layers=2, n_heads=3, hidden_dim=37,
                                           max_position_embeddings=40, num_labels=K)
    return perturbed(transformers.DistilBertForSequenceClassification(config), 2)


def random_batch(vocab: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, (4, 13)).astype(np.int32)  # id 0 is padding
    mask = np.arange(13)[None, :] < np.array([[13], [9], [4], [11]])
    ids[~mask] = 0
    return ids, mask


def real_batch():
    tok = load_tokenizer(max_length=48)
    texts = ["Collective action in machine learning.", "A short one.",
             "Resumes of database administrators and web developers " * 6, "Strategy one plants a signal."]
    b = pad(tokenize(tok, texts), np.arange(4), 4, 48)  # one batch of mixed lengths, padded to 48
    return b.ids, b.mask


@pytest.fixture(scope="module")
def minilm_hf():
    ck = load_checkpoint()
    torch.manual_seed(0)  # the classifier on top is HF's random init
    model = transformers.BertForSequenceClassification.from_pretrained(str(ck.path), num_labels=K).eval()
    with torch.no_grad():  # HF's std-0.02 head gives logits near 0.01; scaled so a 1e-5 match means something
        model.classifier.weight.mul_(30.0)
    return model


def case(name, tmp_path, minilm_hf):
    """(HF model, our checkpoint read from its save_pretrained folder, ids, mask) for one named case."""
    if name == "minilm":
        model, (ids, mask) = minilm_hf, real_batch()
    else:
        model = small(name)
        ids, mask = random_batch(97, 3)
    model.save_pretrained(tmp_path)
    return model, load_checkpoint(tmp_path), ids, mask


def hf_logits(model, ids, mask):
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids, dtype=torch.long),
                     attention_mask=torch.tensor(mask, dtype=torch.long)).logits.numpy()


CASES = ("bert", "distilbert", "minilm")


@pytest.mark.parametrize("name", CASES)
def test_logits_equal_transformers(name, tmp_path, minilm_hf):
    model, ck, ids, mask = case(name, tmp_path, minilm_hf)
    assert ck.pooling == ("cls" if name == "distilbert" else "pooler")
    assert ("pre" in ck.params["head"]) == (name == "distilbert")
    ref = hf_logits(model, ids, mask)  # [B, K]
    ours = np.asarray(logits(ck.params, jnp.asarray(ids), jnp.asarray(mask), ck.config, ck.pooling))
    assert ours.shape == ref.shape == (4, K)
    assert np.abs(ref).max() > 0.05  # logits of a real size, not all near zero
    np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)
    if name == "minilm":  # the encoder's last hidden states too, on real tokens
        with torch.no_grad():
            hidden = model.bert(input_ids=torch.tensor(ids, dtype=torch.long),
                                attention_mask=torch.tensor(mask, dtype=torch.long)).last_hidden_state.numpy()
        mine = np.asarray(forward(ck.params, jnp.asarray(ids), jnp.asarray(mask), ck.config))
        np.testing.assert_allclose(mine[mask], hidden[mask], rtol=0, atol=TOL)


def hf_step(model, ids, mask, labels):
    """One step of HF Trainer's optimization: loss, backward, clip to norm 1, torch.optim.AdamW (no decay on
    biases and LayerNorm weights, as the Trainer groups them)."""
    model.eval()  # dropout off, as on our side (rate 0)
    no_decay = lambda n: "bias" in n or "LayerNorm" in n or "layer_norm" in n
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": STEP["weight_decay"]},
              {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=STEP["learning_rate"], betas=(0.9, 0.999), eps=1e-8)
    out = model(input_ids=torch.tensor(ids, dtype=torch.long), attention_mask=torch.tensor(mask, dtype=torch.long),
                labels=torch.tensor(labels, dtype=torch.long))
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), STEP["max_grad_norm"])
    opt.step()
    return float(out.loss.detach()), {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", CASES)
def test_one_adamw_step_equals_transformers(name, tmp_path, minilm_hf):
    model, ck, ids, mask = case(name, tmp_path, minilm_hf)
    labels = np.arange(len(ids)) % K
    config = resolve({**STEP, "max_length": ids.shape[1]})
    clf = Classifier(ck.config, ck.params, None, tuple(map(str, range(K))), False, ck.pooling, ids.shape[1])
    opt = unscaled_optimizer(config)
    step = make_train_step(clf, opt, 0.0)
    params = jax.tree.map(jnp.array, ck.params)
    before = jax.tree.map(np.array, ck.params)
    params, _, loss = step(params, opt.init(params), jnp.asarray(ids), jnp.asarray(mask),
                           jax.nn.one_hot(labels, K), jnp.ones(len(ids)), jax.random.key(0),
                           jnp.float32(STEP["learning_rate"]))
    hf_loss, state = hf_step(copy.deepcopy(model), ids, mask, labels)  # the module's MiniLM stays unstepped
    assert abs(float(loss) - hf_loss) < TOL
    theirs = hf_to_params(state, ck.config, source="HF state after one step")
    ours = jax.tree.map(np.asarray, params)
    assert jax.tree.structure(theirs) == jax.tree.structure(ours)
    diffs = jax.tree.map(lambda a, b: float(np.abs(a - b).max()), ours, theirs)
    assert max(jax.tree.leaves(diffs)) <= TOL, diffs
    # The step moved the weights by about the learning rate: equality after it is not equality of no-ops.
    moved = max(jax.tree.leaves(jax.tree.map(lambda a, b: float(np.abs(a - b).max()), ours, before)))
    assert moved > 0.5 * STEP["learning_rate"]
