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
from theory.latex import document, fragment, tex
from theory.notions import DEFAULT, DEFINITIONS, NOTIONS
from theory.paper import IDS, all_ids, extension_results, families, result, results
from theory.refuted import recorded, refuted_at

CRITICAL_MASS_OF = {"thm1": "cor2", "thm3": "cor4", "thm5": "cor6", "thm7": "cor8", "thm1-corrected": "cor2-corrected",
                    "thm3-corrected": "cor4-corrected", "thm5-corrected": "cor6-corrected"}
NOTION_HELP = (f"what epsilon-optimal means in every result with an epsilon (default {DEFAULT}): tv = "
               f"{DEFINITIONS['tv']}; mixture = {DEFINITIONS['mixture']}")


def register(sub) -> None:
    p = sub.add_parser("results", help="list every result of the theory",
                       description="List every result: id, title, source, kind, its formula as LaTeX, its bound and "
                                   "critical mass as sympy strings, and for corollaries whether the derived formula "
                                   "equals the printed one.")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.add_argument("--family", choices=[*families(), "all"], default="paper",
                   help="which results: the founding paper's (default), an extension family's, or all")
    p.add_argument("--notion", choices=NOTIONS, default=DEFAULT, help=NOTION_HELP)
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
        p.add_argument("--notion", choices=NOTIONS, default=DEFAULT, help=NOTION_HELP)
        p.add_argument("--printed", action="store_true",
                       help="evaluate the formula even where verify/ refutes it (the printed Theorems 1, 3, 5 and "
                            "Corollaries 2, 4, 6 for 0 < epsilon < 1/2); the output then says refuted and why. "
                            "Without it such a request fails with one line naming the valid result")
        p.add_argument("--json", action="store_true",
                       help='print {"id", "notion", "value", "params", "refuted", "why"?, ...} as JSON')
        p.set_defaults(func=func)

    p = sub.add_parser("latex", help="write results as LaTeX: fragments to \\input into a paper, or a document",
                       description="With result IDs: write those results as a fragment to \\input into a paper "
                                   "that loads amsmath, amssymb and amsthm (each result in an amsthm environment "
                                   "with its source), or as a document with --standalone. Without IDs: a standalone "
                                   "document of every result (notion tv; a result that verify/ refutes is labelled "
                                   "so, with the valid one to use) and a table of Corollary 2's critical mass over a "
                                   "grid of xi, Delta and epsilon from the form valid for epsilon > 0 "
                                   "(cor2-corrected, notion tv).")
    p.add_argument("ids", nargs="*", metavar="ID", help="result ids (see `critmass results --family all`)")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .tex file to write")
    p.add_argument("--standalone", action="store_true", help="with IDs: a whole document rather than a fragment")
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
        "id": r.id, "title": r.title, "source": r.source, "kind": r.kind, "notion": r.notion,
        "statement": r.statement,
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
    # Where verify/ refutes it: under which notion of firm, for which form, the evidence and what to use.
    row["refutations"] = [
        {"where": ref.where_text(), "firms": list(ref.firms), "form": ref.form, "steps": list(ref.steps),
         "use": ref.use, "use_notion": ref.use_notion, "applies": r.notion is not None and ref.applies(r.notion),
         "why": ref.why, "message": ref.message()} for ref in recorded(r.id)]
    return row


def cmd_results(args) -> int:
    chosen = all_ids() if args.family == "all" else families()[args.family]
    everything = {**results(args.notion), **(extension_results(args.notion) if args.family != "paper" else {})}
    rows = [describe(everything[i]) for i in chosen]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        row["formula"] = row["bound"] or row["critical_mass"] or row["conclusion"]
        row["derived=printed"] = row.get("derived_equals_printed", "")
        row["notion"] = row["notion"] or ""
        row["refuted"] = "; ".join(f"REFUTED for {f['where']}" if f["applies"] else
                                   f"{f['form']} form refuted vs {'/'.join(f['firms'])} firms"
                                   for f in row["refutations"])
    print(table(rows, ["id", "kind", "source", "notion", "derived=printed", "refuted", "formula"]))
    return 0


def _evaluate(id: str, what: str, values: dict, args) -> tuple[float, dict]:
    """The value, and the JSON fields that say whether it is refuted (only reachable with --printed)."""
    value = evaluate(id, what, values, args.notion, printed=args.printed)
    refutation = refuted_at(id, args.notion, values)
    if refutation is None:
        return value, {"refuted": False}
    return value, {"refuted": True, "why": refutation.message() + "; printed on request (--printed)",
                   "use": refutation.use}


def _named(id: str, doc: dict) -> str:
    return f"{id} ({doc['notion']})" if doc["notion"] else id


def _refuted_tail(doc: dict) -> str:
    return f"  [REFUTED: {doc['why']}]" if doc["refuted"] else ""


def cmd_bound(args) -> int:
    if not _has(args.id, "bound"):
        raise InputError(f"{args.id} bounds no success; ids with a bound: {' '.join(i for i in all_ids() if _has(i, 'bound'))}")
    values = parse_values(args.values)
    value, verdict = _evaluate(args.id, "bound", values, args)
    doc = {"id": args.id, "notion": result(args.id, args.notion).notion, "value": value, "params": values, **verdict}
    if args.json:
        emit_json(doc)
    else:
        print(f"{_named(args.id, doc)}: S(alpha) >= {value:.6g}{_refuted_tail(doc)}")
    return 0


def cmd_critical_mass(args) -> int:
    id = CRITICAL_MASS_OF.get(args.id, args.id)
    if not _has(id, "critical_mass"):
        raise InputError(f"{id} bounds no critical mass; ids with one: "
                         f"{' '.join(i for i in all_ids() if _has(i, 'critical_mass'))}")
    values = parse_values(args.values)
    value, verdict = _evaluate(id, "critical_mass", values, args)
    status = "unreachable" if value == float("inf") else "ok"
    doc = {"id": id, "notion": result(id, args.notion).notion, "value": value, "params": values, "status": status,
           **verdict}
    if id == "participation" and status == "ok":
        extra = {k: v for k, v in values.items() if k in {p.name for p in required(id, "investment", args.notion)}}
        doc["investment"] = evaluate(id, "investment", extra, args.notion)
        doc["join_level"] = values["c"] / (1 - values["gamma"])
    if args.json:
        emit_json(doc)
    elif status == "unreachable":
        print(f"{_named(id, doc)}: the target is unreachable for any alpha in (0, 1] at these values "
              f"(needs {result(id, args.notion).critical_mass.reachable}){_refuted_tail(doc)}")
    else:
        print(f"{_named(id, doc)}: alpha* <= {value:.6g}" + (f"; investment B = {doc['investment']:.6g}" if "investment" in doc else "")
              + _refuted_tail(doc))
    return 0


def cmd_latex(args) -> int:
    if not 0 < args.s_star < 1:
        raise InputError(f"--s-star={args.s_star:g} is outside its domain (0, 1)")
    if args.ids:
        text = fragment(args.ids, standalone=args.standalone)
    elif args.standalone:
        raise InputError("--standalone needs result IDs (without IDs the document is standalone already)")
    else:
        text = document(args.s_star)
    try:
        args.output.write_text(text)
    except OSError as e:
        raise InputError(f"cannot write {args.output}: {e.strerror}") from None
    print(args.output)
    return 0
