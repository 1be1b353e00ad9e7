"""``critmass simulate tabular --fix ...``: Gauthier, Bach & Jordan's experiment, through the sweep store.

A signal that fixes columns to given values, one of three strategies, a given N, test size and split; one
store row per (target, collective size n) with the plug-in success, GBJ's bound for the strategy and
critmass's binomial one (numerics/collusion.py). Their experiment for y* = Excellent is (``--sklearn-split 42``
for their split exactly)::

    critmass simulate tabular --cars 1100000 --seed 0 --samples 1000000 --test 100000 --ns 1000,21000,101000 \\
        --targets Excellent --fix "Model Type=SUV" "Fuel Type=Diesel" ... --store s.sqlite
"""

from __future__ import annotations

from critmass import domains as D
from critmass.commands.simulate import report, sweep
from theory.errors import InputError
from theory.strategy import Strategy


def _table(args):
    from numerics import collusion

    if args.cars is not None:
        D.check_memory(256.0 * args.cars, f"--cars {args.cars}")
        return collusion.car_table(args.cars, seed=args.seed), {"cars": args.cars, "table_seed": args.seed}
    if args.csv:
        return collusion.load_named_csv(args.csv, args.label), {"csv": str(args.csv), "label": args.label}
    raise InputError("--synthetic has no value names to fix; use --csv FILE or --cars ROWS with --fix")


def _sizes(args, samples: int) -> list[int]:
    if args.ns:
        return D.integers(1, samples, "--ns item").convert(args.ns)  # collective members: 1..N
    from numerics import exact
    alphas = exact.check_alphas(args.alphas)
    return [max(1, int(round(a * samples))) for a in alphas]


def cmd_tabular_fixed(args) -> int:
    from numerics import collusion

    if not args.fix:
        raise InputError("a signal that fixes columns needs --fix COLUMN=VALUE ... (the signal g)")
    if not 0 < args.delta < 1:
        raise InputError(f"--delta {args.delta:g}: expected a confidence parameter in (0, 1)")
    table, source = _table(args)
    fix = collusion.parse_fix(table, args.fix)
    x0 = collusion.parse_fix(table, args.x0, "--x0") if args.x0 else None
    rows = len(table.labels)
    if args.test is not None:
        test = args.test
    else:
        if not 0 < args.test_fraction < 1:
            raise InputError(f"--test-fraction {args.test_fraction:g}: expected a share in (0, 1)")
        test = max(1, int(round(args.test_fraction * rows)))
    samples = args.samples if args.samples is not None else rows - test
    targets = [collusion.parse_label(table, t.strip()) for t in args.targets.split(",")]
    ns = _sizes(args, samples)
    base = {**source, "fix": {table.names[j]: table.values[j][v] for j, v in fix.items()},
            "strategy": args.strategy, "samples": samples, "test": test, "delta": args.delta,
            **({"split": str(args.split)} if args.split else {"sklearn_split": args.sklearn_split}
               if args.sklearn_split is not None else {"seed": args.seed}),
            **({"x0": {table.names[j]: table.values[j][v] for j, v in x0.items()}} if x0 else {}),
            **({"n_est": args.n_est} if args.strategy == Strategy.UNPLANTING else {})}
    configs = [{**base, "target": table.label_values[t], "n": n} for t in targets for n in ns]

    def compute(batch):
        out = []
        for t in sorted({c["target"] for c in batch}):
            want = [c["n"] for c in batch if c["target"] == t]
            got = collusion.run(table, fix, table.label_values.index(t), want, samples, test, strategy=args.strategy,
                                seed=args.seed, split=args.split, sklearn_split=args.sklearn_split, x0=x0,
                                n_est=args.n_est, delta=args.delta)
            out += [(t, r) for r in got]
        by = {(t, r["n"]): r for t, r in out}
        return [{k: v for k, v in by[c["target"], c["n"]].items() if k != "n"} for c in batch]

    done = sweep(args, "tabular", configs, compute, batch_size=len(ns))  # one target, all its sizes, per commit
    out = [{"n": r.config["n"], "target": r.config["target"], **r.metrics} for r in done]
    return report(args, {"kind": "tabular", "config": base, "rows_in_table": rows,
                         "x_star": collusion.x_star_size(table, fix)}, out,
                  ["n", "alpha", "target", "success", "gbj", "binomial"])
