"""Fine-tuning: metrics as scikit-learn computes them, learning an easy task, the resumable CLI, data parallelism."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gpu.data import synthetic_corpus, train_test_split
from gpu.finetune import finetune, predict_proba, resolve, scores
from numerics.store import SweepStore
from theory.errors import InputError


@pytest.mark.parametrize("multilabel", [False, True])
def test_scores_equal_sklearn(multilabel):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    if multilabel:
        truth, pred = rng.random((40, 5)) < 0.4, rng.random((40, 5)) < 0.3
        acc = 1 - metrics.hamming_loss(truth, pred)
        y_true, y_pred = truth, pred
    else:
        t, p = rng.integers(0, 5, 40), rng.integers(0, 4, 40)  # label 4 is never predicted
        truth, pred = np.eye(5)[t], np.eye(5)[p]
        acc, y_true, y_pred = metrics.accuracy_score(t, p), t, p
    ours = scores(truth, pred, multilabel)
    assert ours["accuracy"] == pytest.approx(acc)
    assert ours["precision"] == pytest.approx(metrics.precision_score(y_true, y_pred, average="macro", zero_division=0))
    assert ours["recall"] == pytest.approx(metrics.recall_score(y_true, y_pred, average="macro", zero_division=0))


def test_multilabel_finetune_learns_and_beats_chance():
    corpus = synthetic_corpus(320, seed=3, num_labels=3, multilabel=True)
    train, test = train_test_split(corpus, 0.25, seed=0)
    result = finetune({"model": "tiny", "seed": 0, "epochs": 8}, train, test)  # steps are cheap; compiling is not
    m = result["metrics"]
    assert m["loss_last_epoch"] < m["loss_first_epoch"] - 0.05
    assert m["accuracy"] > m["chance_accuracy"] + 0.1  # 1 - Hamming loss against the best constant predictor
    proba = predict_proba(result["classifier"], ["apple river the of", "the of and a"])
    assert proba.shape == (2, 3) and ((0 <= proba) & (proba <= 1)).all()
    assert proba[0, 0] > proba[1, 0] and proba[0, 1] > proba[1, 1]  # keywords raise their labels


def test_bad_settings_are_input_errors():
    with pytest.raises(InputError, match="unknown fine-tune setting"):
        resolve({"learnin_rate": 1e-3})
    with pytest.raises(InputError, match="precision='float16'"):
        resolve({"precision": "float16"})
    with pytest.raises(InputError, match="batch_size=0"):
        resolve({"batch_size": 0})


def test_cli_tiny_beats_chance_and_resumes(cli, tmp_path):
    store = tmp_path / "ft.sqlite"
    code, out, err = cli("finetune", "--tiny", "--limit", "240", "--store", store, "--json")
    assert code == 0, err
    doc = json.loads(out)
    m = doc["metrics"]
    assert not doc["resumed"] and doc["config"]["finetune"]["model"] == "tiny" and m["n_test"] == 48
    assert m["accuracy"] > m["chance_accuracy"] + 0.3 and m["loss_last_epoch"] < m["loss_first_epoch"]
    code, out, _ = cli("finetune", "--tiny", "--limit", "240", "--store", store, "--json")
    again = json.loads(out)
    assert again["resumed"] and again["metrics"] == m
    with SweepStore(store) as s:
        assert len(s.rows("finetune")) == 1
    code, _, err = cli("finetune", "--tiny", "--store", store, "--corpus", tmp_path / "missing.tsv")
    assert code == 2 and "missing.tsv" in err and len(err.strip().splitlines()) == 1


DATA_PARALLEL = textwrap.dedent("""
    import json, jax
    from gpu.data import synthetic_corpus, train_test_split
    from gpu.finetune import finetune, data_mesh
    train, test = train_test_split(synthetic_corpus(64, seed=0), 0.25, seed=0)
    config = {"model": "tiny", "seed": 0, "epochs": 1, "batch_size": 8}
    two = finetune(config, train, test, mesh=data_mesh(jax.devices()[:2]))["metrics"]
    one = finetune(config, train, test, mesh=data_mesh(jax.devices()[:1]))["metrics"]
    print(json.dumps([len(jax.devices()), two["devices"], one["devices"], two["loss_last"], one["loss_last"]]))
""")


@pytest.mark.slow  # a fresh process with two host devices: its own JAX start-up and compilations
def test_data_parallel_over_two_devices_equals_one():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", DATA_PARALLEL], env=env, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    n, two_devices, one_device, loss_two, loss_one = json.loads(out.stdout.strip().splitlines()[-1])
    assert (n, two_devices, one_device) == (2, 2, 1)
    assert loss_two == pytest.approx(loss_one, rel=1e-4)  # the same global batch, split across devices
