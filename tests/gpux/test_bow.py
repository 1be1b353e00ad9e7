"""The bag-of-words learner: the planted-slot shortcut equals tokenizing planted text; it learns; vmap is exact."""

import numpy as np
import pytest

from gpu import bow
from gpu.collective import TRIGGER_ID, act, apply, token_ids
from gpu.data import train_test_split
from theory.errors import InputError


def test_planting_only_changes_the_trigger_slot(corpus):
    space = bow.feature_space(token_ids(corpus.texts), TRIGGER_ID)
    enc = bow.encode(corpus.texts, space)
    a = act(corpus.label_matrix(), 1, 0.3, target=0, seed=2)
    planted = apply(corpus, a, every=7)
    enc_planted = bow.encode(planted.texts, space, width=enc.ids.shape[1])
    assert np.array_equal(enc_planted.ids, enc.ids)
    assert np.array_equal(enc_planted.counts[:, :-1], enc.counts[:, :-1])
    assert np.array_equal(enc_planted.counts[:, -1], enc.counts[:, -1] + bow.trigger_counts(enc.words, a.planted, 7))
    assert space.vocab_ids[space.trigger] == TRIGGER_ID


def test_encode_rejects_too_narrow_rows(corpus):
    space = bow.feature_space(token_ids(corpus.texts), TRIGGER_ID)
    with pytest.raises(InputError, match="row width 2"):
        bow.encode(corpus.texts, space, width=2)


def _fit(corpus, head, seeds=(0,), epochs=8):
    train, test = train_test_split(corpus, 0.3, seed=0)
    space = bow.feature_space(token_ids(corpus.texts), TRIGGER_ID)
    enc_tr, enc_te = bow.encode(train.texts, space), bow.encode(test.texts, space)
    y = train.label_matrix()
    B = len(seeds)
    params = bow.fit_many(seeds, enc_tr, np.zeros((B, len(train))), np.stack([y] * B), n_features=len(space.vocab_ids),
                          epochs=epochs, batch_size=8, lr=0.1, head=head)
    return params, bow.predict_proba(params, enc_te, np.zeros((B, len(test))), head), test.label_matrix()


def test_softmax_learner_separates_the_synthetic_classes(corpus):
    _, probs, y = _fit(corpus, "softmax")
    assert (probs[0].argmax(1) == y.argmax(1)).mean() == 1.0
    assert np.allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_sigmoid_learner_predicts_label_sets(make_corpus):
    c = make_corpus(120, seed=1, multilabel=True)
    _, probs, y = _fit(c, "sigmoid", epochs=12)
    assert ((probs[0] >= 0.5) == (y > 0)).mean() > 0.95


def test_vmapped_models_equal_models_trained_alone(corpus):
    both, _, _ = _fit(corpus, "softmax", seeds=(3, 4), epochs=2)
    alone, _, _ = _fit(corpus, "softmax", seeds=(4,), epochs=2)
    np.testing.assert_allclose(both["w"][1], alone["w"][0], rtol=1e-4, atol=1e-6)
    assert not np.allclose(both["w"][0], both["w"][1])  # the seed changes the batch order
