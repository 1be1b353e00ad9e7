"""The learner kinds of ``critmass simulate``: suboptimal, reweighting and gradient-based firms (issue 5).

Each kind is the sweep of its numerics/ module (numerics.learners.sweep, numerics.reweight.sweep,
numerics.gradient.sweep_glm/sweep_mlp: one definition of each store kind, for the CLI and Python alike),
through numerics.sweep (resumable; the seed is in every configuration), and prints a summary table, or one
JSON document with --json.
"""

from __future__ import annotations

import numpy as np

from critmass import domains as D
from critmass.commands.simulate import add_common, report
from theory.errors import InputError
from theory.strategy import PLANTING, Strategy, names, parse_strategy

SUBOPTIMAL_ALPHAS = "0.005,0.01,0.02,0.05,0.1,0.2,0.4"
GLM_ALPHAS = "0.05,0.1,0.2,0.4,0.6,0.8,1"
MLP_ALPHAS = "0.05,0.1,0.2,0.5,1"


def register(kinds) -> None:
    p = kinds.add_parser("suboptimal", help="logistic regression / MLP firms: success, exact epsilon, valid Theorem 1/3",
                         description="Train a multinomial logistic regression or a small MLP (optax Adam, full batch) "
                                     "on n draws from the mixture of a seeded planting instance, vmapped over --seeds "
                                     "seeds and the alphas; report its success, its exact suboptimality epsilon (least "
                                     "TV to a distribution where it is Bayes-optimal), the predictive-TV upper "
                                     "estimate, and the bound valid at the measured epsilon against a TV-optimal "
                                     "firm (thm1-corrected for feature-label, thm3-corrected for feature-only, "
                                     "notion tv; the printed Theorems 1 and 3 are refuted for epsilon > 0).")
    p.add_argument("--learner", default="logistic", help="logistic or mlp (default logistic)")
    p.add_argument("--steps", type=D.count(), default=300, help="Adam steps; few make a suboptimal learner (default 300)")
    p.add_argument("--strategy", default=Strategy.FEATURE_LABEL,
                   help=f"{' or '.join(names(PLANTING))} (default {Strategy.FEATURE_LABEL})")
    p.add_argument("--instance-seed", type=D.seed(), default=0, help="seed of the planting instance (default 0)")
    p.add_argument("--signal-mass", type=D.real(0, 1, True, True), default=0.02, help="base mass of the signal set, xi (default 0.02)")
    p.add_argument("--samples", type=D.count(), default=2000, help="training draws n per run (default 2000)")
    p.add_argument("--seeds", type=D.count(), default=8, help="training seeds 0..SEEDS-1 per alpha (default 8)")
    p.add_argument("--alphas", default=SUBOPTIMAL_ALPHAS, type=D.ALPHAS, help=f"comma-separated alphas in (0, 1] (default {SUBOPTIMAL_ALPHAS})")
    add_common(p)
    p.set_defaults(func=cmd_suboptimal)

    p = kinds.add_parser("reweight", help="weighted-Bayes firms: success against alpha_eff, critical masses",
                         description="The exact weighted-Bayes firm of each reweighting scheme on seeded planting "
                                     "instances, on POINTS log-spaced alphas in [1e-4, 1]: the largest and mean gap "
                                     "between its success and the unweighted curve at alpha_eff (and at alpha, "
                                     "unadjusted), the measured critical mass and the one the reweighted Theorem 1 "
                                     "bound predicts, and how often that bound failed.")
    p.add_argument("--schemes", default="inverse-class,importance,jtt,cvar",
                   help="comma-separated schemes among none, inverse-class, importance, jtt, cvar (default all four)")
    p.add_argument("--lam", type=D.real(0, 10**6, True), default=5.0, help="JTT's upweighting factor lambda (default 5)")
    p.add_argument("--level", type=D.real(0, 1, True), default=0.1, help="CVaR level (tail mass) (default 0.1)")
    p.add_argument("--instance-seeds", default="0,1,2", type=D.integers(0, D.SEED_MAX, "instance seed"), help="comma-separated instance seeds (default 0,1,2)")
    p.add_argument("--signal-mass", type=D.real(0, 1, True, True), default=0.02, help="base mass of the signal set, xi (default 0.02)")
    p.add_argument("--points", type=D.count(hi=D.LIST_MAX), default=200, help="number of alphas (default 200)")
    p.add_argument("--s-star", type=D.real(0, 1, True), default=0.9, help="success level of the critical mass (default 0.9)")
    add_common(p)
    p.set_defaults(func=cmd_reweight)

    p = kinds.add_parser("gradient-glm", help="Theorem 7 / Corollary 8: gradient-neutralizing a logistic GLM",
                         description="A logistic-regression firm (Newton to convergence, float64) on a seeded base "
                                     "sample; the collective plays the paper's gradient-neutralizing strategy towards "
                                     "theta* (theta0 moved by half its norm in a seeded direction). Reports "
                                     "||theta - theta*|| per alpha against Theorem 7's bound and Corollary 8's "
                                     "critical mass.")
    p.add_argument("--seed", type=D.seed(), default=0, help="seed of the base sample and of theta* (default 0)")
    p.add_argument("--samples", type=D.count(), default=200, help="base sample size n (default 200)")
    p.add_argument("--dim", type=D.count(), default=4, help="feature dimension d (default 4)")
    p.add_argument("--feature-only", action="store_true", help="the feature-only variant of the strategy")
    p.add_argument("--alphas", default=GLM_ALPHAS, type=D.ALPHAS, help=f"comma-separated alphas in (0, 1] (default {GLM_ALPHAS})")
    add_common(p)
    p.set_defaults(func=cmd_gradient_glm)

    p = kinds.add_parser("gradient-mlp", help="Theorem 10: gradient control of a two-layer MLP",
                         description="A two-layer tanh MLP trained by gradient descent (squared loss, step eta) while "
                                     "the collective redirects its gradient towards theta* at every step: as "
                                     "gradients (--mode byzantine) or as data points with labels it solves for "
                                     "(--mode data, --points members). Reports ||theta_T - theta*|| against "
                                     "(1 - eta C)^T ||theta_0 - theta*||, C estimated along the path.")
    p.add_argument("--mode", default="byzantine", help="byzantine or data (default byzantine)")
    p.add_argument("--points", type=D.count(), default=48, help="members supplying points in data mode (default 48)")
    p.add_argument("--seed", type=D.seed(), default=0, help="seed of data, initialization and theta* (default 0)")
    p.add_argument("--steps", type=D.count(), default=60, help="gradient steps T (default 60)")
    p.add_argument("--eta", type=D.real(0, 10**6, True), default=0.1, help="step size eta (default 0.1)")
    p.add_argument("--pretrain", type=D.count(0), default=3000, help="steps that train theta0 on the base data (default 3000)")
    p.add_argument("--alphas", default=MLP_ALPHAS, type=D.ALPHAS, help=f"comma-separated alphas in (0, 1] (default {MLP_ALPHAS})")
    add_common(p)
    p.set_defaults(func=cmd_gradient_mlp)


def _alphas(alphas: list[float]) -> list[float]:
    from numerics.exact import check_alphas

    return check_alphas(alphas).tolist()


def _positive(value, name: str):
    if value < 1:
        raise InputError(f"{name} {value}: expected a positive integer")
    return value


def _run_options(args) -> dict:
    from numerics.sweep import Shard

    return {"shard": Shard.parse(args.shard), "progress": False if args.quiet else None}


def cmd_suboptimal(args) -> int:
    from numerics import learners

    alphas = _alphas(args.alphas)
    if args.learner not in learners.LEARNERS:
        raise InputError(f"--learner {args.learner!r}: expected one of {', '.join(learners.LEARNERS)}")
    strategy = parse_strategy(args.strategy, PLANTING, "--strategy")
    for name in ("steps", "samples", "seeds"):
        _positive(getattr(args, name), f"--{name}")
    D.check_memory(64.0 * args.samples * args.seeds * len(alphas),
                   f"--samples {args.samples} with --seeds {args.seeds} and {len(alphas)} alphas")
    inst = learners.signal_instance(args.instance_seed, signal_mass=args.signal_mass, strategy=strategy)
    rows = learners.sweep(args.store, learners=[args.learner], steps=[args.steps], strategies=[strategy],
                          instance_seeds=[args.instance_seed], n=args.samples, alphas=alphas, seeds=args.seeds,
                          signal_mass=args.signal_mass, **_run_options(args))
    base = {k: v for k, v in rows[0].config.items() if k != "alpha"} if rows else {}
    out = [{"alpha": r.config["alpha"], **r.metrics} for r in rows]
    return report(args, {"kind": "suboptimal", "config": base, "instance": inst.to_json()}, out,
                  ["alpha", "success", "bayes_success", "epsilon", "epsilon_predictive", "bound", "least_slack",
                   "violations"])


def cmd_reweight(args) -> int:
    from numerics import reweight

    schemes = [s.strip() for s in args.schemes.split(",")]
    for s in schemes:
        if s not in reweight.SCHEMES:
            raise InputError(f"--schemes item {s!r}: expected one of {', '.join(reweight.SCHEMES)}")
    seeds = args.instance_seeds
    _positive(args.points, "--points")
    if not 0 < args.s_star <= 1:
        raise InputError(f"--s-star {args.s_star:g}: expected a success level in (0, 1]")
    if not 0 < args.level <= 1:
        raise InputError(f"--level {args.level:g}: expected a CVaR level in (0, 1]")
    options = {"jtt": {"lam": args.lam}, "cvar": {"level": args.level}}
    rows = reweight.sweep(args.store, schemes=[(s, options.get(s, {})) for s in schemes], instance_seeds=seeds,
                          signal_mass=args.signal_mass, points=args.points, s_star=args.s_star, **_run_options(args))
    keep = ("gap_max", "gap_mean", "gap_max_unadjusted", "gap_mean_unadjusted", "critical_measured",
            "critical_predicted", "bound_violations")
    out = [{"scheme": r.config["scheme"], "instance_seed": r.config["seed"], **{k: r.metrics[k] for k in keep}}
           for r in rows]
    doc = {"kind": "reweight", "options": options, "signal_mass": args.signal_mass, "points": args.points,
           "s_star": args.s_star, "curves": [{"scheme": r.config["scheme"], "instance_seed": r.config["seed"],
                                               **{k: r.metrics[k] for k in ("alpha", "alpha_eff", "success", "bound")}}
                                              for r in rows]}
    return report(args, doc, out, ["scheme", "instance_seed", *keep])


def cmd_gradient_glm(args) -> int:
    from numerics import gradient

    alphas = _alphas(args.alphas)
    _positive(args.samples, "--samples")
    _positive(args.dim, "--dim")
    D.check_memory(64.0 * args.dim * (args.samples + args.dim) * max(2, len(alphas)),
                   f"--dim {args.dim} with --samples {args.samples}")
    base = {"seed": args.seed, "samples": args.samples, "dim": args.dim, "feature_only": args.feature_only}
    rows = gradient.sweep_glm(args.store, seeds=[args.seed], samples=args.samples, dim=args.dim,
                              feature_only=[args.feature_only], alphas=alphas, **_run_options(args))
    out = [{"alpha": r.config["alpha"], **r.metrics} for r in rows]
    return report(args, {"kind": "gradient-glm", "config": base}, out,
                  ["alpha", "distance", "distance_bound", "slack", "mu", "cor8_alpha_star"])


def cmd_gradient_mlp(args) -> int:
    from numerics import gradient

    alphas = _alphas(args.alphas)
    if args.mode not in ("data", "byzantine"):
        raise InputError(f"--mode {args.mode!r}: expected byzantine or data")
    for name in ("points", "steps"):
        _positive(getattr(args, name), f"--{name}")
    if not args.eta > 0:
        raise InputError(f"--eta {args.eta:g}: expected a positive step size")
    base = {"mode": args.mode, "points": args.points, "seed": args.seed, "steps": args.steps, "eta": args.eta,
            "pretrain": args.pretrain}
    rows = gradient.sweep_mlp(args.store, modes=[(args.mode, args.points)], seeds=[args.seed], steps=args.steps,
                              eta=args.eta, pretrain=args.pretrain, alphas=alphas, **_run_options(args))
    out = [{"alpha": r.config["alpha"], **r.metrics} for r in rows]
    return report(args, {"kind": "gradient-mlp", "config": base}, out,
                  ["alpha", "distance_T", "distance_bound", "C", "max_residual", "parameters"])
