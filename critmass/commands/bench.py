"""``critmass bench``: speed ratios against named baselines, measured side by side in one run.

Each layer that has benchmarks exposes a module with ``benchmarks(quick: bool, only: str | None) -> list[dict]``; every row
holds at least ``name``, ``baseline``, ``ours_s``, ``baseline_s``, ``ratio`` (baseline time / our time) and
``device``, and the module checks that both sides computed the same outputs before timing counts.
"""

from __future__ import annotations

import importlib

from critmass.output import emit_json, table

#: Modules with a ``benchmarks(quick)`` function; a module not yet written is skipped.
BENCH_MODULES = ("verify.bench", "numerics.bench", "numerics.bench_learners", "gpu.bench")


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure speed ratios against named baselines",
                       description="Run every benchmark: our implementation and its named baseline side by side on "
                                   "identical inputs, outputs checked equal, and report the ratio baseline/ours.")
    p.add_argument("--json", action="store_true",
                   help='print a list of {"name", "baseline", "ours_s", "baseline_s", "ratio", "device"}')
    p.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    p.add_argument("--only", metavar="SUBSTRING", help="run only benchmarks whose name contains SUBSTRING")
    p.set_defaults(func=cmd_bench)


def collect(quick: bool, only: str | None = None) -> list[dict]:
    rows = []
    for name in BENCH_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        rows += [r for r in module.benchmarks(quick=quick, only=only)]
    return rows


def cmd_bench(args) -> int:
    rows = collect(args.quick, args.only)
    if args.json:
        emit_json(rows)
        return 0
    for r in rows:
        for k in ("ours_s", "baseline_s"):
            if isinstance(r.get(k), float):
                r[k] = f"{r[k]:.4g}"
        if isinstance(r.get("ratio"), float):
            r["ratio"] = f"{r['ratio']:.1f}x"
    print(table(rows, ["name", "baseline", "ours_s", "baseline_s", "ratio", "device"]))
    return 0
