"""Runs of ``critmass bench`` that need a process of their own: peak memory, and compilation across processes.

``python -m numerics.bench_runs WHAT [ARG]`` prints one JSON object: seconds, this process's peak resident
memory and what was computed. WHAT: ``exact COUNT`` (COUNT random instances x 64 alphas, streamed), ``finite
DRAWS`` (the finite-sample simulation with about DRAWS draws), ``csv PATH`` (load_csv), ``compile-exact`` and
``compile-finite`` (the first call's seconds and the compilation-cache hits and misses of this process).
"""

from __future__ import annotations

import json
import sys
import time
from theory.strategy import Strategy


def _instance():
    """20 feature values x 4 labels (seeded integer weights) and a trigger value 20 that g maps everything to."""
    import numpy as np

    from theory.instance import make_instance

    w = np.random.default_rng(0).integers(1, 10, size=(20, 4))
    rows = [[f"{v}/{w.sum()}" for v in row] for row in w.tolist()] + [[0, 0, 0, 0]]
    return make_instance(rows, [20] * 21, 0, Strategy.FEATURE_LABEL, 1)


def _first_and_again(fn) -> dict:
    """Seconds of the first call (compiling or loading from the cache, then running) and of a second call."""
    times = []
    for _ in range(2):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"first_call_s": times[0], "again_s": times[1]}


def main(argv: list[str]) -> dict:
    from numerics.compile_cache import configure

    configure()                                                                 # before JAX is imported
    import jax.monitoring as monitoring
    import numpy as np

    from numerics import benchkit

    events = []
    monitoring.register_event_listener(lambda name, **kw: events.append(name))
    what = argv[0]
    start = time.perf_counter()
    if what == "exact":
        from numerics import exact
        from numerics.bench import ALPHAS

        count = int(argv[1])
        s = exact.random_summary(0, count, 6, 4, Strategy.FEATURE_LABEL, ALPHAS)
        out = {"size": f"{count:.0e} instances 6x4 x {len(ALPHAS)} alphas", "result": {
            "mean_success_at_alpha_1/64_1/2_1": [float(s["mean"][i]) for i in (0, 31, 63)]}}
    elif what == "finite":
        from numerics.finite import simulate

        draws, seeds, alphas = int(argv[1]), 500, [0.001, 0.01, 0.05, 0.2]
        n = max(1, draws // (seeds * (len(alphas) + 1)))                        # N = N_test
        res = simulate(_instance(), alphas, n, n, seeds, seed=0)
        total = seeds * (len(alphas) * n + n)
        out = {"size": f"{seeds} seeds x {len(alphas)} alphas, N = N_test = {n:.0e}: {total:.2e} draws",
               "result": {"mean_success": res["success_test"].mean(axis=1).tolist()}}
    elif what == "csv":
        from numerics.tabular import load_csv

        table = load_csv(argv[1], "Car Evaluation")
        out = {"size": f"{table.features.shape[0]:,} rows x {table.features.shape[1] + 1} columns",
               "result": {"cards": list(table.cards)}}
    elif what == "compile-exact":
        from numerics import exact
        from numerics.bench import ALPHAS

        arrays = exact.random_instances(0, 10_000, 6, 4, Strategy.FEATURE_LABEL)
        out = _first_and_again(lambda: exact.success_grid(arrays, ALPHAS))
    elif what == "compile-finite":
        from numerics.finite import simulate

        inst = _instance()
        out = _first_and_again(lambda: simulate(inst, [0.001, 0.005, 0.01, 0.05, 0.1, 0.3], 20_000, 20_000, 500))
    else:
        raise SystemExit(f"unknown run {what!r}")
    count = lambda kind: events.count("/jax/compilation_cache/" + kind)
    return {"seconds": time.perf_counter() - start, "peak_rss_bytes": benchkit.peak_rss_bytes(),
            "hits": count("cache_hits"), "misses": count("cache_misses"), **out}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
