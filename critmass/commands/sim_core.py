"""The core kinds of ``critmass simulate``: exact (discrete instances) and finite (plug-in on N samples)."""

from __future__ import annotations

import numpy as np

from critmass import domains as D
from critmass.commands.simulate import add_common, report, sweep
from theory.errors import InputError
from theory.strategy import DISCRETE, TABULAR, Strategy, names, parse_strategy

DEFAULT_ALPHAS = "0.01,0.02,0.05,0.1,0.2,0.5"


def register(kinds) -> None:
    p = kinds.add_parser("exact", help="exact success S(alpha) of discrete instances (float64, batched)",
                         description="Exact success S(alpha) of a discrete instance file (JSON, as theory.instance "
                                     "reads it) over an alpha grid, with the paper's bound at each alpha; or of "
                                     "--random COUNT random instances (mean, min, max over them).")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--instance", metavar="FILE", help="instance JSON: p0, signal, target, strategy, alpha")
    source.add_argument("--random", type=D.count(), metavar="COUNT", help="simulate COUNT random instances instead")
    p.add_argument("--alphas", default=DEFAULT_ALPHAS, type=D.ALPHAS, help=f"comma-separated alphas in (0, 1] (default {DEFAULT_ALPHAS})")
    p.add_argument("--shape", default="6x4", help="|X|x|Y| of random instances (default 6x4)")
    p.add_argument("--strategy", default=Strategy.FEATURE_LABEL,
                   help=f"strategy of random instances: {', '.join(names(DISCRETE))} (default {Strategy.FEATURE_LABEL})")
    p.add_argument("--seed", type=D.seed(), default=0, help="seed of the random instances (default 0)")
    p.add_argument("--result", metavar="ID",
                   help="with --instance: compare with this result's bound (any result that states the instance's "
                        "strategy, e.g. from a --results file); the alphas are its nominal sizes, the instance is "
                        "simulated at the size that acts (its 'collective')")
    p.add_argument("--set", dest="values", action="extend", nargs="+", default=[], metavar="NAME=VALUE",
                   help="a value for a parameter of --result that the instance does not determine (repeatable)")
    add_common(p)
    p.set_defaults(func=cmd_exact)

    p = kinds.add_parser("finite", help="plug-in classifier on N samples, batched over seeds",
                         description="The firm sees N samples of the instance's P0; a collective of n = alpha N of "
                                     "them follows the strategy; the plug-in classifier is scored on held-out test "
                                     "points. Batched over --seeds PRNG keys; for feature-label, also the finite-sample "
                                     "bounds (Gauthier-Bach-Jordan and the tighter binomial one) and how often they hold.")
    p.add_argument("--instance", required=True, metavar="FILE", help="instance JSON (its alpha is ignored)")
    p.add_argument("--alphas", default=DEFAULT_ALPHAS, type=D.ALPHAS, help=f"comma-separated alphas in (0, 1] (default {DEFAULT_ALPHAS})")
    p.add_argument("--samples", type=D.count(), default=1000, help="training samples N (default 1000)")
    p.add_argument("--test", type=D.count(), default=1000, help="held-out test points (default 1000)")
    p.add_argument("--seeds", type=D.count(), default=1000, help="number of seeds simulated at once (default 1000)")
    p.add_argument("--seed", type=D.seed(), default=0, help="root seed the PRNG keys are split from (default 0)")
    p.add_argument("--delta", type=D.real(0, 1, True, True), default=0.05, help="confidence parameter of the bounds (default 0.05)")
    add_common(p)
    p.set_defaults(func=cmd_finite)

    p = kinds.add_parser("tabular", help="plant a fresh trigger in a categorical table; plug-in success and bounds",
                         description="A categorical table (a CSV with a header, or a seeded synthetic one): the "
                                     "collective, n = alpha N training rows, sets --trigger-column to a value never "
                                     "seen and its label to each target; the plug-in classifier over feature "
                                     "combinations is scored on held-out rows, with both finite-sample bounds.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", metavar="FILE", help="CSV of categorical columns with a header")
    source.add_argument("--synthetic", type=D.count(2), metavar="ROWS", help="a seeded synthetic table of ROWS rows")
    source.add_argument("--cars", type=D.count(2), metavar="ROWS", help="Gauthier-Bach-Jordan's synthetic car table of "
                        "ROWS rows, drawn with --seed (needs --fix)")
    p.add_argument("--label", default="label", help="label column of the CSV (default 'label')")
    fixed = p.add_argument_group("a signal that fixes columns (Gauthier, Bach & Jordan); any of these selects it")
    fixed.add_argument("--fix", action="extend", nargs="+", default=[], metavar="COLUMN=VALUE",
                       help="the signal g(x) sets each COLUMN to VALUE (an existing value, by name)")
    fixed.add_argument("--strategy", default=Strategy.FEATURE_LABEL, choices=names(TABULAR),
                       help=f"what the collective submits (default {Strategy.FEATURE_LABEL})")
    fixed.add_argument("--x0", action="extend", nargs="+", default=[], metavar="COLUMN=VALUE",
                       help="feature-only: where the collective's points with other labels go")
    fixed.add_argument("--n-est", type=D.count(), help="unplanting: collective points that estimate the label to plant")
    fixed.add_argument("--samples", type=D.count(), help="training rows N (default: every row not held out)")
    fixed.add_argument("--test", type=D.count(), help="held-out test rows N_test (default: --test-fraction of the rows)")
    fixed.add_argument("--ns", help="comma-separated collective sizes n (counts; instead of --alphas)")
    split = fixed.add_mutually_exclusive_group()
    split.add_argument("--split", metavar="FILE", help='JSON {"train": [...], "test": [...]} row indices (instead of '
                       "the --seed permutation); the collective is the first n training rows")
    split.add_argument("--sklearn-split", type=D.seed(), metavar="STATE",
                       help="Gauthier-Bach-Jordan's split: scikit-learn's train_test_split with random_state STATE "
                            "for the training rows, the test rows and the collective, as in their notebooks (42); "
                            "reproduced without scikit-learn")
    p.add_argument("--trigger-column", help="feature column the trigger is planted in (default: the first)")
    p.add_argument("--targets", default="0", help="comma-separated target label indices (default 0)")
    p.add_argument("--alphas", default=DEFAULT_ALPHAS, type=D.ALPHAS, help=f"comma-separated alphas in (0, 1] (default {DEFAULT_ALPHAS})")
    p.add_argument("--test-fraction", type=D.real(0, 1, True, True), default=0.1, help="held-out share of the rows (default 0.1)")
    p.add_argument("--seed", type=D.seed(), default=0, help="seed of the shuffle and the synthetic table (default 0)")
    p.add_argument("--delta", type=D.real(0, 1, True, True), default=0.05, help="confidence parameter of the bounds (default 0.05)")
    add_common(p)
    p.set_defaults(func=cmd_tabular)


def _shape(text: str) -> tuple[int, int]:
    try:
        nx, num_labels = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--shape {text!r}: expected |X|x|Y|, e.g. 6x4") from None
    if nx < 1 or num_labels < 2:
        raise InputError(f"--shape {text!r}: expected |X| >= 1 and |Y| >= 2")
    return nx, num_labels


def cmd_exact(args) -> int:
    from numerics import exact
    from theory.instance import bound, load_instance

    alphas = exact.check_alphas(args.alphas).tolist()
    if args.result and not args.instance:
        raise InputError("--result needs --instance: a stated result is compared on one instance")
    if args.instance:
        inst = load_instance(args.instance)
        doc = {k: v for k, v in inst.to_json().items() if k != "alpha"}
        configs = [{"instance": doc, "alpha": a} for a in alphas]
        arrays = exact.stack_instances([inst])

        def compute(batch):
            s = exact.success_grid(arrays, [c["alpha"] for c in batch])[0]
            return [{"success": float(v), "bound": _float(bound(inst.with_alpha(str(c["alpha"]))))}
                    for v, c in zip(s, batch)]

        if args.result:
            configs, compute = _stated(args, inst, doc, alphas)
    else:
        strategy = parse_strategy(args.strategy, DISCRETE, "--strategy")
        if args.random < 1:
            raise InputError(f"--random {args.random}: expected a positive count")
        nx, num_labels = _shape(args.shape)
        # instances are streamed in blocks of exact.BLOCK, two in flight: memory grows with the block, not --random
        D.check_memory(2 * 64.0 * min(args.random, exact.BLOCK) * nx * num_labels, f"--shape {args.shape}")
        # "generator" names the random-instance stream (numerics.exact.random_block), so rows of another
        # stream in an old store are not taken for these; the keys nx and ny stay as old stores have them
        doc = {"count": args.random, "nx": nx, "ny": num_labels, "strategy": strategy.value, "generator": exact.GENERATOR}
        configs = [{"random": doc, "alpha": a, "seed": args.seed} for a in alphas]

        def compute(batch):  # streamed in blocks: memory does not grow with --random
            s = exact.random_summary(args.seed, args.random, nx, num_labels, strategy, [c["alpha"] for c in batch])
            return [{"mean_success": float(s["mean"][i]), "min_success": float(s["min"][i]),
                     "max_success": float(s["max"][i])} for i in range(len(batch))]
    rows = sweep(args, "exact", configs, compute)
    out = [{"alpha": r.config["alpha"], **r.metrics} for r in rows]
    columns = ["alpha", "success", "bound"] if args.instance else ["alpha", "mean_success", "min_success", "max_success"]
    if args.result:
        columns.insert(1, "acting_alpha")
    return report(args, {"kind": "exact", "source": doc, "seed": None if args.instance else args.seed}, out, columns)


def _stated(args, inst, doc, alphas):
    """Configurations and compute for a stated result's bound: the instance at the acting size of each
    nominal alpha (verify.stated.acting_alpha), its exact success and the result's exact bound."""
    from fractions import Fraction

    from critmass.commands.verify import fixed_values
    from numerics import exact
    from verify.check import check_instance
    from verify.stated import acting_alpha

    fixed = fixed_values(args.values)
    acting = {a: acting_alpha(args.result, Fraction(str(a)), fixed) for a in alphas}
    check_instance(inst.with_alpha(acting[alphas[0]]), result=args.result, fixed=fixed)  # a wrong --result fails here, at once
    configs = [{"instance": doc, "alpha": a, "result": args.result, "set": {k: str(v) for k, v in fixed.items()}}
               for a in alphas]
    arrays = exact.stack_instances([inst])

    def compute(batch):
        size = [acting[c["alpha"]] for c in batch]
        s = exact.success_grid(arrays, [float(a) for a in size])[0]
        return [{"acting_alpha": float(a), "success": float(v),
                 "bound": check_instance(inst.with_alpha(a), result=args.result, fixed=fixed)["bound_float"]}
                for v, a in zip(s, size)]

    return configs, compute


def _float(v):
    return None if v is None else float(v)


def cmd_finite(args) -> int:
    from numerics import exact
    from numerics.bounds import binomial_bound, gbj_bound
    from numerics.finite import simulate
    from theory.instance import load_instance

    alphas = exact.check_alphas(args.alphas).tolist()
    if not 0 < args.delta < 1:
        raise InputError(f"--delta {args.delta:g}: expected a confidence parameter in (0, 1)")
    D.check_memory(16.0 * args.seeds * (args.samples + args.test) * max(2, len(alphas)),
                   f"--seeds {args.seeds} with --samples {args.samples} and --test {args.test}")
    inst = load_instance(args.instance)
    doc = {k: v for k, v in inst.to_json().items() if k != "alpha"}
    base = {"instance": doc, "samples": args.samples, "test": args.test, "seeds": args.seeds, "seed": args.seed,
            "delta": args.delta}
    configs = [{**base, "alpha": a} for a in alphas]

    def compute(batch):
        out = simulate(inst, [c["alpha"] for c in batch], args.samples, args.test, args.seeds, args.seed)
        rows = []
        for i in range(len(batch)):
            s, n = out["success_test"][i], int(out["n"][i])
            row = {"n": n, "mean_success": float(s.mean()), "std_success": float(s.std()),
                   "q05_success": float(np.quantile(s, 0.05)),
                   "mean_success_pop": float(out["success_pop"][i].mean())}
            if inst.strategy == Strategy.FEATURE_LABEL:
                for name, fn in (("gbj", gbj_bound), ("binomial", binomial_bound)):
                    b = fn(out["c"][i], out["m"][i], n, args.samples, args.test, inst.target,
                           len(set(inst.signal)), args.delta)
                    row[f"{name}_median"] = float(np.median(b))
                    row[f"{name}_holds"] = float(np.mean(s >= b))
            rows.append(row)
        return rows

    rows = sweep(args, "finite", configs, compute)  # one alpha per batch: every seed's draws, one compilation
    out = [{"alpha": r.config["alpha"], **r.metrics} for r in rows]
    columns = ["alpha", "n", "mean_success", "q05_success", "mean_success_pop", "gbj_median", "gbj_holds",
               "binomial_median", "binomial_holds"]
    return report(args, {"kind": "finite", "config": base}, out, columns)


def cmd_tabular(args) -> int:
    from numerics import exact, tabular

    if args.cars is not None or args.fix or args.x0 or args.n_est is not None or args.ns or args.split \
            or args.sklearn_split is not None or args.samples is not None or args.test is not None \
            or args.strategy != Strategy.FEATURE_LABEL:
        from critmass.commands.sim_collusion import cmd_tabular_fixed
        return cmd_tabular_fixed(args)

    alphas = exact.check_alphas(args.alphas).tolist()
    if not 0 < args.delta < 1:
        raise InputError(f"--delta {args.delta:g}: expected a confidence parameter in (0, 1)")
    if not 0 < args.test_fraction < 1:
        raise InputError(f"--test-fraction {args.test_fraction:g}: expected a share in (0, 1)")
    targets = D.integers(0, 10**6, "--targets item").convert(args.targets)
    if args.synthetic is not None:
        D.check_memory(512.0 * args.synthetic, f"--synthetic {args.synthetic}")
    if args.csv:
        table = tabular.load_csv(args.csv, args.label)
        source = {"csv": str(args.csv), "label": args.label}
    else:
        table = tabular.synthetic_table(args.synthetic, seed=args.seed)
        source = {"synthetic": args.synthetic}
    table, trigger = tabular.fresh_trigger(table, args.trigger_column or table.names[0])
    test = max(1, int(round(args.test_fraction * len(table.labels))))
    base = {**source, "trigger": table.names[trigger[0]], "test": test, "seed": args.seed, "delta": args.delta}
    configs = [{**base, "alpha": a, "target": t} for a in alphas for t in targets]

    if any(not 0 <= t < len(table.label_values) for t in targets):
        raise InputError(f"--targets {args.targets}: expected label indices in 0..{len(table.label_values) - 1}")
    if not 0 < test < len(table.labels) - 1:
        raise InputError(f"--test-fraction {args.test_fraction:g}: leaves {len(table.labels) - test} of "
                         f"{len(table.labels)} rows to train; expected at least 2")
    n_train = len(table.labels) - test

    def compute(batch):  # the batch's alphas and targets only (one alpha, its targets)
        from numerics.collusion import run

        out = []
        for c in batch:  # the signal: the trigger column set to its fresh value (numerics.collusion)
            n = max(1, int(np.rint(c["alpha"] * n_train)))                 # as numerics.finite.collective_sizes
            (row,) = run(table, {trigger[0]: trigger[1]}, c["target"], [n], n_train, test, seed=args.seed,
                         delta=args.delta)
            out.append({k: row[k] for k in ("n", "success", "gbj", "binomial")})
        return out

    rows = sweep(args, "tabular", configs, compute, batch_size=len(targets))
    out = [{"alpha": r.config["alpha"], "target": r.config["target"], **r.metrics} for r in rows]
    return report(args, {"kind": "tabular", "config": base, "rows_in_table": int(len(table.labels))}, out,
                  ["alpha", "target", "n", "success", "gbj", "binomial"])
