"""The collective on text: planting, the two strategies, label noise, the automatic trigger, success measures."""

from collections import Counter

import numpy as np
import pytest

from gpu.collective import (TRIGGER_ID, act, apply, clean_metrics, plant, planted_count, randomize_labels,
                            rarest_unused_token, success, token_ids, vocab)
from theory.errors import InputError


def test_default_trigger_is_the_papers_character():
    assert vocab()[TRIGGER_ID] == "\u05be" and len(vocab()) == 30522


@pytest.mark.parametrize("every", [1, 3, 20])
def test_plant_inserts_one_trigger_token_per_spacing_and_keeps_every_other_token(corpus, every):
    text = corpus.texts[0]
    before, after = token_ids([text, plant(text, every=every)])
    assert after.count(TRIGGER_ID) == planted_count(len(text.split()), every) == -(-len(text.split()) // every)
    assert [t for t in after if t != TRIGGER_ID] == before
    assert after[0] == TRIGGER_ID  # every planted text carries the trigger, however short


def test_plant_rejects_a_bad_spacing():
    with pytest.raises(InputError, match="every=0"):
        plant("a b", every=0)


def test_strategy1_plants_and_relabels_exactly_the_collective(corpus):
    y = corpus.label_matrix()
    a = act(y, 1, 0.2, target=2, seed=5)
    assert len(a.members) == round(0.2 * len(corpus)) and np.array_equal(a.planted, a.members)
    assert (a.labels[a.members] == np.eye(3)[2]).all()
    rest = np.setdiff1d(np.arange(len(corpus)), a.members)
    assert (a.labels[rest] == y[rest]).all()
    # same seed: collectives are nested in alpha (a larger collective contains the smaller one)
    assert set(a.members) <= set(act(y, 1, 0.5, target=2, seed=5).members)
    assert set(a.members) != set(act(y, 1, 0.2, target=2, seed=6).members)


def test_strategy2_plants_only_members_that_carry_the_target_and_keeps_labels(corpus):
    y = corpus.label_matrix()
    a = act(y, 2, 0.5, target=1, seed=0)
    assert set(a.planted) == {i for i in a.members if y[i, 1] == 1} and len(a.planted) > 0
    assert (a.labels == y).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(strategy=3, alpha=0.1, target=0), "strategy 3"),
    (dict(strategy=1, alpha=1.5, target=0), "alpha=1.5"),
    (dict(strategy=1, alpha=0.1, target=3), "target class 3"),
])
def test_act_rejects_bad_input(corpus, kwargs, message):
    with pytest.raises(InputError, match=message):
        act(corpus.label_matrix(), seed=0, **kwargs)


def test_apply_writes_the_action_into_texts_and_labels(corpus):
    a = act(corpus.label_matrix(), 1, 0.1, target=0, seed=1)
    out = apply(corpus, a, every=5)
    for i, t in enumerate(out.texts):
        assert ("\u05be" in t) == (i in set(a.planted)) and (i not in set(a.planted) or out.labels[i] == (0,))


def test_random_labels_change_the_stated_fraction_and_give_every_class_mass():
    y = np.eye(4, dtype=np.float32)[np.zeros(4000, int)]  # everything class 0
    noisy = randomize_labels(y, 0.5, seed=0, multilabel=False)
    assert (noisy.sum(1) == 1).all()
    counts = Counter(noisy.argmax(1).tolist())
    # 2000 rows drawn uniform over 4 classes: 500 expected per class; 5 sd is about 97
    assert all(400 < counts[c] < 600 for c in (1, 2, 3)) and 2400 < counts[0] < 2600  # 2000 kept + about 500 drawn
    assert (randomize_labels(y, 0.0, seed=0, multilabel=False) == y).all()
    with pytest.raises(InputError, match="random-label fraction=2"):
        randomize_labels(y, 2, seed=0, multilabel=False)


def test_rarest_unused_token_is_absent_from_the_corpus_and_round_trips(corpus):
    token = rarest_unused_token(corpus)
    assert all(token not in ids for ids in token_ids(corpus.texts))
    assert token_ids([plant(corpus.texts[0], token, every=4)])[0].count(token) == planted_count(
        len(corpus.texts[0].split()), 4)


def test_success_and_clean_metrics_by_hand():
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 2]]  # the last two carry the target 2
    probs = np.array([[0.2, 0.1, 0.7], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.5, 0.1, 0.4]])
    s = success(probs, labels, target=2, head="softmax")
    assert s["success_top1"] == 0.5 and s["n_test_other"] == 2 and s["success_top1_all"] == 0.5
    sig = success(probs, labels, target=2, head="sigmoid")  # p >= 1/2 on rows 0, 2
    assert sig["success_among"] == 0.5 and sig["success_among_all"] == 0.5
    m = clean_metrics(probs, labels, target=2, head="softmax")
    assert m["accuracy"] == 0.25 and m["clean_target_rate"] == 0.5 and m["p_target_min"] == 0.1
