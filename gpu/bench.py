"""Benchmarks of gpu/: the jitted JAX encoder against named baselines, side by side, outputs checked first.

Rows for ``critmass bench``: the encoder forward against a numpy implementation, length buckets against padding
to the maximum, and, where torch and transformers are installed (the ``parity`` extra), one fine-tune step against
HF's PyTorch training loop on the same model and batch (``finetune_step_vs_torch``: both sides measured, CPU or
GPU; MFU where the device's peak is known). Where a CUDA GPU is present, also the throughput against HF's Trainer
at sequence length 512 (bf16 both).
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import erf

from gpu.batches import batches, pad
from gpu.checkpoint import load_checkpoint
from gpu.model import BertConfig, forward

#: Dense bf16 peak FLOP/s by device kind (vendor data sheets), for model FLOPs utilization.
PEAK_BF16 = {"H100 80GB HBM3": 989e12, "H100 SXM": 989e12, "H100 PCIe": 756e12, "H200": 989e12, "A100": 312e12}


def device_name() -> str:
    d = jax.devices()[0]
    return f"{d.platform}:{d.device_kind} x{jax.device_count()}"


def best_time(fn, reps: int) -> float:
    """The fastest of ``reps`` timed calls (after one warm-up call that also compiles)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def numpy_encoder(params: dict, ids: np.ndarray, mask: np.ndarray, config: BertConfig) -> np.ndarray:
    """The baseline: the same encoder in float32 numpy, tokens flattened so every dense layer is one BLAS gemm."""
    p = jax.tree.map(np.asarray, params)
    B, S = ids.shape
    H, Dh, eps = config.num_heads, config.head_dim, config.layer_norm_eps

    def ln(x, q):
        mu = x.mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * q["scale"] + q["bias"]

    def heads(x):  # [B*S, D] -> [B, H, S, Dh], contiguous so the batched matmuls use BLAS
        return np.ascontiguousarray(x.reshape(B, S, H, Dh).transpose(0, 2, 1, 3))

    e = p["embeddings"]
    x = (e["word"][ids] + e["position"][:S]).reshape(B * S, -1)  # [B*S, D]
    x = ln(x + e["token_type"][0] if "token_type" in e else x, e["norm"])  # [B*S, D]
    bias = np.where(mask, 0.0, np.finfo(np.float32).min).astype(np.float32)[:, None, None, :]  # [B, 1, 1, S]
    for i in range(config.num_layers):
        lp = jax.tree.map(lambda a: a[i], p["layers"])
        a = lp["attention"]
        q, k, v = (heads(x @ a[n]["w"] + a[n]["b"]) for n in ("query", "key", "value"))  # [B, H, S, Dh]
        s = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / np.float32(math.sqrt(Dh)) + bias  # [B, H, S, S]
        w = np.exp(s - s.max(-1, keepdims=True))
        ctx = ((w / w.sum(-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(B * S, H * Dh)  # [B*S, D]
        x = ln(x + ctx @ a["output"]["w"] + a["output"]["b"], lp["attention_norm"])
        h = x @ lp["ffn"]["intermediate"]["w"] + lp["ffn"]["intermediate"]["b"]  # [B*S, F]
        h = 0.5 * h * (1 + erf(h / np.float32(math.sqrt(2))))  # exact GELU, as HF's "gelu"
        x = ln(x + h @ lp["ffn"]["output"]["w"] + lp["ffn"]["output"]["b"], lp["ffn_norm"])
    return x.reshape(B, S, -1)  # [B, S, D]


def _rel(a, b, mask) -> float:
    return float(np.linalg.norm(a[mask] - b[mask]) / np.linalg.norm(b[mask]))


def forward_vs_numpy(quick: bool) -> dict:
    """The packaged MiniLM's jitted forward against the numpy encoder on identical random token ids."""
    ck = load_checkpoint()
    B, S = (4, 64) if quick else (8, 128)
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, ck.config.vocab_size, (B, S)).astype(np.int32)
    mask = np.arange(S)[None, :] < rng.integers(S // 2, S + 1, B)[:, None]  # [B, S]
    params = jax.tree.map(jnp.asarray, ck.params)
    ours = lambda: forward(params, ids, mask, ck.config).block_until_ready()
    ref = numpy_encoder(ck.params, ids, mask, ck.config)
    err = _rel(np.asarray(ours()), ref, mask)
    if err > 1e-4:
        raise AssertionError(f"JAX and numpy encoders disagree: relative error {err:.2e}")
    ours_s = best_time(ours, 3 if quick else 5)
    base_s = best_time(lambda: numpy_encoder(ck.params, ids, mask, ck.config), 1 if quick else 3)
    return {"name": f"gpu.encoder_forward MiniLM-L6 B={B} S={S} float32", "baseline": "numpy float32 (same math)",
            "ours_s": ours_s, "baseline_s": base_s, "ratio": base_s / ours_s, "device": device_name(),
            "relative_error": err}


def buckets_vs_max_padding(quick: bool) -> dict:
    """Length-bucketed batches against padding every sequence to the maximum length, same sequences."""
    ck = load_checkpoint()
    max_len, n, B = (128, 32, 8) if quick else (512, 64, 8)
    rng = np.random.default_rng(1)
    # A long-tailed mix of lengths, like resumes after truncation: most short, a few at the maximum.
    lengths = np.minimum(rng.geometric(3.0 / max_len, n) + 2, max_len)
    seqs = [rng.integers(1000, ck.config.vocab_size, k).astype(np.int32) for k in lengths]
    params = jax.tree.map(jnp.asarray, ck.params)
    bucketed = batches(seqs, B, max_len)
    padded = [pad([seqs[i] for i in rows], rows, B, max_len) for rows in np.array_split(np.arange(n), n // B)]

    def run(bs):
        return {int(r): h[j, :len(seqs[r])] for b in bs for h in [np.asarray(forward(params, b.ids, b.mask, ck.config))]
                for j, r in enumerate(b.rows) if r >= 0}

    a, b = run(bucketed), run(padded)
    err = max(float(np.abs(a[r] - b[r]).max() / np.abs(b[r]).max()) for r in a)
    if err > 1e-4:
        raise AssertionError(f"bucketed and max-padded outputs disagree: {err:.2e}")
    ours_s, base_s = best_time(lambda: run(bucketed), 2), best_time(lambda: run(padded), 2)
    return {"name": f"gpu.length_buckets MiniLM-L6 n={n} max_len={max_len}", "baseline": "pad to max length",
            "ours_s": ours_s, "baseline_s": base_s, "ratio": base_s / ours_s, "device": device_name(),
            "padded_tokens": int(sum(x.ids.size for x in bucketed)), "baseline_padded_tokens": n * max_len}


def torch_available() -> bool:
    """Whether the parity extra (torch and transformers) imports."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _hf_classifier(path, num_labels: int):
    """HF's BertForSequenceClassification from the checkpoint at ``path``, dropout off. Its classifier head is
    new (the caller sets it to ours), so transformers' load report listing the head as MISSING and its loading
    bar are not printed: the bench's stderr keeps only what concerns the user."""
    import transformers

    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        return transformers.BertForSequenceClassification.from_pretrained(
            str(path), num_labels=num_labels, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    finally:
        transformers.logging.set_verbosity(level)
        transformers.logging.enable_progress_bar()


def finetune_step_vs_torch(quick: bool, batch: int | None = None, length: int | None = None,
                           precision: str = "float32", repeats: int = 3, steps: int | None = None) -> dict:
    """One fine-tune step of ours (the jitted train step of gpu.finetune) against HF's PyTorch training loop.

    Same model (the packaged MiniLM-L6 as ``BertForSequenceClassification``: pooler, linear head with the same
    weights), same batch (random real-vocabulary ids, ``batch`` x ``length``; CPU default 8 x 128, quick 4 x 64),
    dropout off on both, HF Trainer's optimization on both (clip to norm 1, AdamW lr 5e-5, weight decay 0): the
    baseline is the Trainer's inner loop in plain PyTorch (forward, backward, clip_grad_norm_, AdamW.step,
    zero_grad), on CUDA with bf16 autocast where ``precision`` is bfloat16 and a GPU is present.

    Before timing, the first step's losses and updated parameters are checked equal (float32: 1e-4; bf16: 2e-2 on
    the loss). Timing: ``repeats`` interleaved rounds of ``steps`` steps per side; each side's per-step seconds
    as min and median over rounds; our compile time apart. Returns both sides' figures in one row.
    """
    import torch
    import transformers

    from gpu.finetune import Classifier, make_train_step, resolve, unscaled_optimizer

    gpu = precision == "bfloat16" and torch.cuda.is_available() and jax.default_backend() == "gpu"
    dev = torch.device("cuda" if gpu else "cpu")
    ck = load_checkpoint()
    num_labels = 4
    B = batch or (4 if quick else 8)
    S = length or (64 if quick else 128)
    steps = steps or (2 if quick else 5)
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, ck.config.vocab_size, (B, S)).astype(np.int32)
    ids[:, 0], ids[:, -1] = 101, 102
    labels = rng.integers(0, num_labels, B)
    head_w = (0.5 * rng.standard_normal((ck.config.hidden_size, num_labels))).astype(np.float32)
    lr = 5e-5

    config = resolve({"precision": precision, "dropout": 0.0, "batch_size": B, "max_length": S, "pooling": "pooler"})
    params = {**jax.tree.map(jnp.asarray, ck.params), "head": {"w": jnp.asarray(head_w), "b": jnp.zeros(num_labels)}}
    clf = Classifier(ck.config, params, None, tuple(map(str, range(num_labels))), False, "pooler", S, precision)
    opt = unscaled_optimizer(config)
    step = make_train_step(clf, opt, 0.0)
    batch_arrays = (jnp.asarray(ids), jnp.ones((B, S), bool), jax.nn.one_hot(labels, num_labels), jnp.ones(B))
    key, lr_arr = jax.random.key(0), jnp.float32(lr)
    state = [jax.tree.map(jnp.array, params), None]
    state[1] = opt.init(state[0])
    t0 = time.perf_counter()
    p1, o1, loss = step(state[0], state[1], *batch_arrays, key, lr_arr)
    first_ours = float(loss)
    compile_s = time.perf_counter() - t0
    ours_after = jax.tree.map(np.asarray, p1)
    state = [p1, o1]

    model = _hf_classifier(ck.path, num_labels).to(dev)
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(head_w.T.copy()))
        model.classifier.bias.zero_()
    model.train()
    torch_opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    t_ids = torch.tensor(ids, dtype=torch.long, device=dev)
    t_mask = torch.ones((B, S), dtype=torch.long, device=dev)
    t_labels = torch.tensor(labels, dtype=torch.long, device=dev)

    def torch_step() -> float:
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=gpu):
            loss = model(input_ids=t_ids, attention_mask=t_mask, labels=t_labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        torch_opt.step()
        torch_opt.zero_grad(set_to_none=True)
        return loss

    first_torch = float(torch_step().detach())
    if precision == "float32":
        from gpu.checkpoint import hf_to_params

        theirs = hf_to_params({k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}, ck.config)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(jax.tree.leaves(ours_after), jax.tree.leaves(theirs)))
        if abs(first_ours - first_torch) > 1e-4 or diff > 1e-4:
            raise AssertionError(f"one step differs: losses {first_ours:.6f} / {first_torch:.6f}, params {diff:.2e}")
    else:
        diff = None
        if not math.isclose(first_ours, first_torch, rel_tol=2e-2):
            raise AssertionError(f"first-step losses differ: ours {first_ours:.4f}, torch {first_torch:.4f}")

    def ours_round():
        for _ in range(steps):
            state[0], state[1], loss = step(state[0], state[1], *batch_arrays, key, lr_arr)
        jax.block_until_ready(state)

    def torch_round():
        for _ in range(steps):
            loss = torch_step()
        float(loss.detach())  # waits for the device
        if gpu:
            torch.cuda.synchronize()

    ours_t, base_t = [], []
    for _ in range(repeats):  # interleaved: each round times both sides under the same machine load
        for fn, out in ((ours_round, ours_t), (torch_round, base_t)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) / steps)
    ours_s, base_s = min(ours_t), min(base_t)
    kind = jax.devices()[0].device_kind
    peak = next((v for k, v in PEAK_BF16.items() if k in kind), None) if gpu else None
    flops = train_flops_per_sequence(ck.config, S, num_labels) * B
    return {"name": f"gpu.finetune_step MiniLM-L6 B={B} S={S} {precision}",
            "baseline": f"HF transformers {transformers.__version__} PyTorch {torch.__version__} training loop",
            "ours_s": ours_s, "baseline_s": base_s, "ratio": base_s / ours_s, "device": device_name(),
            "ours_times_s": ours_t, "baseline_times_s": base_t, "ours_median_s": float(np.median(ours_t)),
            "baseline_median_s": float(np.median(base_t)), "repeats": repeats, "steps_per_repeat": steps,
            "compile_s": compile_s, "ours_sequences_per_s": B / ours_s, "baseline_sequences_per_s": B / base_s,
            "ours_mfu": None if peak is None else flops / ours_s / peak,
            "baseline_mfu": None if peak is None else flops / base_s / peak,
            "first_loss_ours": first_ours, "first_loss_baseline": first_torch, "max_param_diff_after_step": diff,
            "torch_threads": torch.get_num_threads()}


def torch_gpu_available() -> bool:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        return False
    return bool(torch.cuda.is_available()) and jax.default_backend() == "gpu"


def train_flops_per_sequence(config: BertConfig, seq: int, num_labels: int) -> float:
    """Model FLOPs of one training step per sequence: 3x the forward's matmul FLOPs (no recomputation)."""
    D, F, L = config.hidden_size, config.intermediate_size, config.num_layers
    dense = L * (4 * D * D + 2 * D * F) * seq + D * D + D * num_labels  # multiply-adds of the weight matmuls
    attention = L * 2 * seq * seq * D  # QK^T and PV
    return 3 * 2 * (dense + attention)


def trainer_throughput(quick: bool) -> list[dict]:
    """Fine-tune throughput (sequences/s) and MFU at length 512, bf16: ours against HF's PyTorch Trainer.

    Same checkpoint, batch, sequence length, labels and head weights, dropout off on both; the first step's
    losses are checked equal (to bf16 tolerance) before the timings count.
    """
    import torch
    import transformers

    from gpu.finetune import Classifier, make_train_step, optimizer, resolve

    ck = load_checkpoint()
    B, S, num_labels = 32, 512, 4
    warm, steps = (3, 10) if quick else (5, 50)
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, ck.config.vocab_size, (B, S)).astype(np.int32)
    ids[:, 0], ids[:, -1] = 101, 102
    labels = rng.integers(0, num_labels, B)
    head_w = (0.02 * rng.standard_normal((ck.config.hidden_size, num_labels))).astype(np.float32)

    # Ours: the jitted train step, bf16 matmuls, float32 master weights.
    config = resolve({"precision": "bfloat16", "dropout": 0.0, "batch_size": B, "max_length": S, "pooling": "pooler"})
    params = {**jax.tree.map(jnp.asarray, ck.params), "head": {"w": jnp.asarray(head_w), "b": jnp.zeros(num_labels)}}
    clf = Classifier(ck.config, params, None, tuple(map(str, range(num_labels))), False, "pooler", S, "bfloat16")
    opt = optimizer(config, warm + steps)
    step = make_train_step(clf, opt, 0.0)
    state = (params, opt.init(params))
    batch = (jnp.asarray(ids), jnp.ones((B, S), bool), jax.nn.one_hot(labels, num_labels), jnp.ones(B))
    key = jax.random.key(0)
    first = None
    for i in range(warm):
        p, o, loss = step(*state, *batch, key)
        state, first = (p, o), first if first is not None else float(loss)
    jax.block_until_ready(state)
    t0 = time.perf_counter()
    for _ in range(steps):
        p, o, loss = step(*state, *batch, key)
        state = (p, o)
    jax.block_until_ready(state)
    ours_s = (time.perf_counter() - t0) / steps

    # HF: BertForSequenceClassification (pooler + linear head on [CLS]) under the Trainer, bf16 autocast.
    model = _hf_classifier(ck.path, num_labels)
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(head_w.T.copy()))
        model.classifier.bias.zero_()
    data = [{"input_ids": torch.tensor(ids[i], dtype=torch.long), "attention_mask": torch.ones(S, dtype=torch.long),
             "labels": torch.tensor(int(labels[i]))} for i in range(B)] * (warm + steps)
    stamps, losses = [], []

    class Clock(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            torch.cuda.synchronize()
            stamps.append(time.perf_counter())

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                losses.append(logs["loss"])

    args = transformers.TrainingArguments(
        output_dir="/tmp/critmass-hf-bench", per_device_train_batch_size=B, max_steps=warm + steps, bf16=True,
        learning_rate=5e-5, logging_steps=1, report_to=[], save_strategy="no", dataloader_drop_last=True,
        dataloader_num_workers=2)
    transformers.Trainer(model=model, args=args, train_dataset=data, callbacks=[Clock()]).train()
    base_s = (stamps[-1] - stamps[warm - 1]) / steps
    if losses and not math.isclose(losses[0], first, rel_tol=2e-2):
        raise AssertionError(f"first-step losses differ: ours {first:.4f}, Trainer {losses[0]:.4f}")
    kind = jax.devices()[0].device_kind
    peak = next((v for k, v in PEAK_BF16.items() if k in kind), None)
    flops = train_flops_per_sequence(ck.config, S, num_labels) * B
    return [{"name": f"gpu.finetune_throughput MiniLM-L6 B={B} S={S} bf16", "baseline": "HF PyTorch Trainer bf16",
             "ours_s": ours_s, "baseline_s": base_s, "ratio": base_s / ours_s, "device": device_name(),
             "ours_sequences_per_s": B / ours_s, "baseline_sequences_per_s": B / base_s,
             "ours_mfu": None if peak is None else flops / ours_s / peak,
             "baseline_mfu": None if peak is None else flops / base_s / peak,
             "first_loss_ours": first, "first_loss_trainer": losses[0] if losses else None}]


def benchmarks(quick: bool, only: str | None = None) -> list[dict]:
    """Every gpu/ benchmark this machine can run (names filtered by ``only``)."""
    wanted = lambda name: only is None or only in name
    rows = []
    if wanted("gpu.encoder_forward"):
        rows.append(forward_vs_numpy(quick))
    if wanted("gpu.length_buckets"):
        rows.append(buckets_vs_max_padding(quick))
    if wanted("gpu.finetune_step") and torch_available():
        rows.append(finetune_step_vs_torch(quick))
    if wanted("gpu.finetune_throughput") and torch_gpu_available():
        rows += trainer_throughput(quick)
    return rows
