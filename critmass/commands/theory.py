"""Commands over theory/: results, bound, critical-mass, latex."""

from __future__ import annotations

import argparse
import functools
from fractions import Fraction
from pathlib import Path

import sympy as sp

from critmass.output import emit_json, table
from theory.errors import InputError
from theory.evaluate import evaluate, required
from theory.latex import document, tex
from theory.paper import IDS, all_ids, extension_results, families, result, results

CRITICAL_MASS_OF = {"thm1": "cor2", "thm3": "cor4", "thm5": "cor6", "thm7": "cor8"}


def register(sub) -> None:
    p = sub.add_parser("results", help="list every result of the theory",
                       description="List every result: id, title, source, kind, its formula as LaTeX, its bound and "
                                   "critical mass as sympy strings, and for corollaries whether the derived formula "
                                   "equals the printed one.")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.add_argument("--family", choices=[*families(), "all"], default="paper",
                   help="which results: the founding paper's (default), an extension family's, or all")
    p.set_defaults(func=cmd_results)

    for name, helptext, func in [
        ("bound", "evaluate a theorem's lower bound on the success S(alpha)", cmd_bound),
        ("critical-mass", "evaluate a derived upper bound on the critical mass alpha*", cmd_critical_mass),
    ]:
        p = sub.add_parser(name, help=helptext, description=functools.partial(_describe, name, helptext))
        p.add_argument("id", help="result id, one of the IDs listed above, or an extension family's id")
        p.add_argument("--set", dest="values", action="extend", nargs="+", default=[], metavar="NAME=VALUE",
                       help="a parameter value (repeatable); names: alpha epsilon xi Delta p tau rho S_star mu beta U "
                            "eta T c gamma g_P0 g_Pprime g_lb grad_u C dist0; values are decimals or fractions a/b")
        p.add_argument("--json", action="store_true", help='print {"id", "value", "params", ...} as JSON')
        p.set_defaults(func=func)

    p = sub.add_parser("latex", help="write a standalone LaTeX document of the theory",
                       description="Write a standalone LaTeX document: every result as derived, and a table of "
                                   "Corollary 2's critical mass over a grid of xi, Delta and epsilon.")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .tex file to write")
    p.add_argument("--s-star", type=float, default=0.9, help="target success of the critical-mass table (default 0.9)")
    p.set_defaults(func=cmd_latex)


def _describe(name: str, helptext: str) -> str:
    """The help text of ``bound``/``critical-mass``: it lists the ids that have one, so it derives every result."""
    ids = [i for i in IDS if _has(i, "bound" if name == "bound" else "critical_mass")]
    more = "; ".join(f"the {fam} family's (critmass results --family {fam})" for fam in families() if fam != "paper")
    return f"{helptext[0].upper()}{helptext[1:]}. IDs: {' '.join(ids)}; and {more}."


def _has(id: str, what: str) -> bool:
    r = result(id)
    return r.bound is not None if what == "bound" else r.critical_mass is not None


def parse_values(items: list[str]) -> dict[str, float]:
    """``["alpha=0.1", "xi=1/1000"]`` as a dict of floats; malformed items raise InputError."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InputError(f"--set {item!r} is not of the form NAME=VALUE")
        if name in values:
            raise InputError(f"parameter {name!r} is set twice")
        try:
            values[name] = float(Fraction(text.strip()))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"{name}={text!r} is not a number; expected a decimal or a fraction a/b") from None
    return values


def describe(r) -> dict:
    cm = r.critical_mass
    row = {
        "id": r.id, "title": r.title, "source": r.source, "kind": r.kind,
        "parameters": {p.name: p.domain_str() for p in r.parameters},
        "hypotheses": [str(h) for h in r.hypotheses],
        "conclusion": str(r.conclusion),
        "latex": tex(r.conclusion),
        "bound": None if r.bound is None else str(r.bound),
        "critical_mass": None if cm is None else str(cm.alpha_star),
        "derived_from": r.derived_from,
    }
    if cm is not None:
        row["reachable_when"] = str(cm.reachable)
        row["critical_mass_latex"] = tex(cm.alpha_star)
    if r.printed is not None:
        row["printed"] = str(r.printed)
        row["derived_equals_printed"] = r.derived_equals_printed()
    for name, expr in r.extras.items():
        row[name] = str(expr)
    if r.notes:
        row["notes"] = list(r.notes)
    return row


def cmd_results(args) -> int:
    chosen = all_ids() if args.family == "all" else families()[args.family]
    everything = {**results(), **(extension_results() if args.family != "paper" else {})}
    rows = [describe(everything[i]) for i in chosen]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        row["formula"] = row["bound"] or row["critical_mass"] or row["conclusion"]
        row["derived=printed"] = row.get("derived_equals_printed", "")
    print(table(rows, ["id", "kind", "source", "derived=printed", "formula"]))
    return 0


def cmd_bound(args) -> int:
    if not _has(args.id, "bound"):
        raise InputError(f"{args.id} bounds no success; ids with a bound: {' '.join(i for i in all_ids() if _has(i, 'bound'))}")
    values = parse_values(args.values)
    value = evaluate(args.id, "bound", values)
    doc = {"id": args.id, "value": value, "params": values}
    if args.json:
        emit_json(doc)
    else:
        print(f"{args.id}: S(alpha) >= {value:.6g}")
    return 0


def cmd_critical_mass(args) -> int:
    id = CRITICAL_MASS_OF.get(args.id, args.id)
    if not _has(id, "critical_mass"):
        raise InputError(f"{id} bounds no critical mass; ids with one: "
                         f"{' '.join(i for i in all_ids() if _has(i, 'critical_mass'))}")
    values = parse_values(args.values)
    value = evaluate(id, "critical_mass", values)
    status = "unreachable" if value == float("inf") else "ok"
    doc = {"id": id, "value": value, "params": values, "status": status}
    if id == "participation" and status == "ok":
        extra = {k: v for k, v in values.items() if k in {p.name for p in required(id, "investment")}}
        doc["investment"] = evaluate(id, "investment", extra)
        doc["join_level"] = values["c"] / (1 - values["gamma"])
    if args.json:
        emit_json(doc)
    elif status == "unreachable":
        print(f"{id}: the target is unreachable for any alpha in (0, 1] at these values "
              f"(needs {result(id).critical_mass.reachable})")
    else:
        print(f"{id}: alpha* <= {value:.6g}" + (f"; investment B = {doc['investment']:.6g}" if "investment" in doc else ""))
    return 0


def cmd_latex(args) -> int:
    if not 0 < args.s_star < 1:
        raise InputError(f"--s-star={args.s_star:g} is outside its domain (0, 1)")
    try:
        args.output.write_text(document(args.s_star))
    except OSError as e:
        raise InputError(f"cannot write {args.output}: {e.strerror}") from None
    print(args.output)
    return 0
