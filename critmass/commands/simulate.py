"""``critmass simulate KIND``: simulations through the sweep store, one kind per sub-command.

Kinds come from the modules in KIND_MODULES, each exposing ``register(kind_subparsers)``; a kind's parser
takes ``--store FILE``, ``--shard I/N``, ``--quiet`` and ``--json`` (``add_common``), runs its grid through
``sweep`` (numerics.sweep: one configuration batch committed at a time) and reports through ``report``.
"""

from __future__ import annotations

import importlib

from critmass.output import emit_json, table

#: Modules that add kinds to ``critmass simulate``, in --help order.
KIND_MODULES = ("critmass.commands.sim_core", "critmass.commands.sim_learners")


def register(sub) -> None:
    p = sub.add_parser("simulate", help="run a simulation sweep into a resumable store",
                       description="Run a simulation over a grid of configurations. Every finished configuration "
                                   "is written at once to the SQLite store given by --store (with its seed, "
                                   "package versions and git commit): a kill loses at most the configurations in "
                                   "flight, rerunning the same command skips what is done, several processes on one "
                                   "store split the grid, and --shard I/N computes one of N disjoint parts (join "
                                   "the stores with critmass store merge). Ctrl-C stops after the configurations in "
                                   "flight are saved. Prints a summary table, or one JSON document with --json.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    kinds.required = True
    for name in KIND_MODULES:
        importlib.import_module(name).register(kinds)


def add_common(parser) -> None:
    """The options every kind takes: --store FILE, --shard I/N, --quiet and --json."""
    add_sweep_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")


def add_sweep_options(parser, shard: bool = True) -> None:
    """--store FILE, --shard I/N and --quiet: the options of every command that sweeps into a store."""
    parser.add_argument("--store", required=True, metavar="FILE",
                        help="SQLite sweep store to write rows to and resume from (created if missing)")
    if shard:
        parser.add_argument("--shard", metavar="I/N",
                            help="compute only part I of N of the grid (a deterministic split; every part gets the "
                                 "same options); join the parts' stores with critmass store merge")
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr (there is none when stderr "
                                                             "is not a terminal)")


def sweep(args, kind: str, configs: list[dict], compute, batch_size: int = 1) -> list:
    """The rows of ``configs`` through numerics.sweep.run on ``args.store``, with the command's --shard and
    --quiet; a batch is ``batch_size`` consecutive configurations of the grid."""
    from numerics.sweep import Shard, run

    shard = Shard.parse(getattr(args, "shard", None))
    return run(args.store, kind, configs, compute, batch_size=batch_size, shard=shard,
               progress=False if args.quiet else None, desc=kind)


def report(args, doc: dict, rows: list[dict], columns: list[str]) -> int:
    """Print the summary: ``doc`` with its ``rows`` as JSON, or the rows as a table."""
    if args.json:
        emit_json({**doc, "rows": rows})
        return 0
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else v
    print(table([{k: fmt(v) for k, v in r.items()} for r in rows], columns))
    return 0
