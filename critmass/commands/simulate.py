"""``critmass simulate KIND``: simulations through the sweep store, one kind per sub-command.

Kinds come from the modules in KIND_MODULES, each exposing ``register(kind_subparsers)``; a kind's parser
takes ``--store FILE`` and ``--json`` (``add_common``) and its handler reports through ``report``.
"""

from __future__ import annotations

import importlib

from critmass.output import emit_json, table
from theory.errors import InputError

#: Modules that add kinds to ``critmass simulate``, in --help order.
KIND_MODULES = ("critmass.commands.sim_core", "critmass.commands.sim_learners")


def register(sub) -> None:
    p = sub.add_parser("simulate", help="run a simulation sweep into a resumable store",
                       description="Run a simulation over a grid of configurations. Every finished configuration "
                                   "is written at once to the SQLite store given by --store (with its seed, "
                                   "package versions and git commit); rerunning the same command skips what is "
                                   "done. Prints a summary table, or one JSON document with --json.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    kinds.required = True
    for name in KIND_MODULES:
        importlib.import_module(name).register(kinds)


def add_common(parser) -> None:
    """The options every kind takes: --store FILE and --json."""
    parser.add_argument("--store", required=True, metavar="FILE",
                        help="SQLite sweep store to write rows to and resume from (created if missing)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")


def parse_floats(text: str, name: str) -> list[float]:
    """``"0.01,0.1,1/2"`` as floats; a malformed item raises InputError naming it."""
    from fractions import Fraction

    out = []
    for item in text.split(","):
        try:
            out.append(float(Fraction(item.strip())))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"{name} item {item.strip()!r} is not a number; expected a decimal or a/b") from None
    return out


def report(args, doc: dict, rows: list[dict], columns: list[str]) -> int:
    """Print the summary: ``doc`` with its ``rows`` as JSON, or the rows as a table."""
    if args.json:
        emit_json({**doc, "rows": rows})
        return 0
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else v
    print(table([{k: fmt(v) for k, v in r.items()} for r in rows], columns))
    return 0
