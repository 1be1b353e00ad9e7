"""The benchmark's baseline computes what the model computes; rows only for what the machine can run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gpu.bench import (benchmarks, finetune_step_vs_torch, numpy_encoder, torch_gpu_available,
                       train_flops_per_sequence)
from gpu.model import BertConfig, forward, init_params

CONFIG = BertConfig(vocab_size=29, hidden_size=12, num_layers=2, num_heads=3, intermediate_size=7, max_position=16)


def test_numpy_baseline_equals_jax_encoder():
    params = init_params(CONFIG, jax.random.key(5))
    rng = np.random.default_rng(6)
    params = jax.tree.map(lambda a: a + 0.3 * rng.standard_normal(a.shape, np.float32), params)  # not unit norms
    ids = np.random.default_rng(0).integers(0, 29, (2, 9)).astype(np.int32)
    mask = np.arange(9)[None, :] < np.array([[9], [4]])
    with jax.default_matmul_precision("highest"):
        ours = np.asarray(forward(params, jnp.asarray(ids), jnp.asarray(mask), CONFIG))
    ref = numpy_encoder(params, ids, mask, CONFIG)
    np.testing.assert_allclose(ours[mask], ref[mask], rtol=1e-4, atol=1e-5)


def test_flops_count_matches_a_hand_count():
    # One layer, D=2, F=3, S=5, K=1: dense 5*(4*4 + 2*2*3) + 4 + 2 = 146 multiply-adds, attention 2*25*2 = 100.
    c = BertConfig(vocab_size=3, hidden_size=2, num_layers=1, num_heads=1, intermediate_size=3)
    assert train_flops_per_sequence(c, 5, 1) == 3 * 2 * (146 + 100)


def test_no_rows_for_unmatched_names_and_no_gpu_rows_without_torch():
    assert benchmarks(quick=True, only="no-such-benchmark") == []
    if not torch_gpu_available():
        assert benchmarks(quick=True, only="gpu.finetune_throughput") == []


@pytest.mark.slow  # compiles our train step and runs HF's on the real checkpoint
def test_finetune_step_row_measures_both_sides_on_one_computation():
    pytest.importorskip("torch")
    row = finetune_step_vs_torch(quick=True, repeats=3, steps=1)
    assert row["first_loss_ours"] == pytest.approx(row["first_loss_baseline"], abs=1e-4)
    assert row["max_param_diff_after_step"] <= 1e-4  # the same step on both sides before any timing counts
    assert len(row["ours_times_s"]) == len(row["baseline_times_s"]) == 3
    assert row["ours_s"] == min(row["ours_times_s"]) and row["ratio"] == row["baseline_s"] / row["ours_s"]
    assert row["compile_s"] > 0 and row["ours_mfu"] is None  # no MFU without a known peak (CPU)
