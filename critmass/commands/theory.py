"""Commands over theory/: results, bound, critical-mass, latex."""

from __future__ import annotations

import argparse
import functools
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

from critmass import domains as D
from critmass.output import emit_json, table
from theory.errors import InputError
from theory.numbers import FUNCTION_NAMES
from theory.notions import DEFAULT, DEFINITIONS, NOTIONS

# theory's modules (and sympy with them) are imported where they are used: ``bound`` and ``critical-mass``
# first ask theory.fast, which answers a result evaluated before without sympy (never where it is refuted).

NOTION_HELP = (f"what epsilon-optimal means in every result with an epsilon (default {DEFAULT}): tv = "
               f"{DEFINITIONS['tv']}; mixture = {DEFINITIONS['mixture']}")


def register(sub) -> None:
    p = sub.add_parser("results", help="list every result of the theory",
                       description="List every result: id, title, source, kind, its formula as LaTeX, its bound and "
                                   "critical mass as sympy strings, and for corollaries whether the derived formula "
                                   "equals the printed one.")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.add_argument("--family", default="paper", metavar="FAMILY",
                   help="which results: the founding paper's (default), an extension family's, a loaded results "
                        "file's (its family, 'user' unless it names one), or all; see critmass results --family all")
    p.add_argument("--notion", choices=NOTIONS, default=DEFAULT, help=NOTION_HELP)
    p.set_defaults(func=cmd_results)

    for name, helptext, func in [
        ("bound", "evaluate a theorem's lower bound on the success S(alpha)", cmd_bound),
        ("critical-mass", "evaluate a derived upper bound on the critical mass alpha*", cmd_critical_mass),
    ]:
        p = sub.add_parser(name, help=helptext, description=functools.partial(_describe, name, helptext))
        p.add_argument("id", help="result id, one of the IDs listed above, or an extension family's id")
        p.add_argument("--set", dest="values", action="extend", nargs="+", default=[], metavar="NAME=VALUES",
                       help="parameter values (repeatable); names: alpha epsilon xi Delta p tau rho S_star mu beta U "
                            "eta T c gamma g_P0 g_Pprime g_lb grad_u C dist0 and a stated result's own; a value is a "
                            "number (0.01, 1/100, 1e-2, 10**-2, or arithmetic on numbers with + - * / ** and "
                            f"{FUNCTION_NAMES}), several separated by commas (xi=0.001,0.01,0.1): "
                            "lists are taken in step, one row per position (or every combination with --grid)")
        p.add_argument("--grid", action="store_true",
                       help="every combination of the --set lists (a table, one row per combination)")
        p.add_argument("--notion", choices=NOTIONS, default=DEFAULT, help=NOTION_HELP)
        p.add_argument("--printed", action="store_true",
                       help="evaluate the formula even where verify/ refutes it (the printed Theorems 1, 3, 5 and "
                            "Corollaries 2, 4, 6 for 0 < epsilon < 1/2); the output then says refuted and why. "
                            "Without it such a request fails with one line naming the valid result")
        p.add_argument("--json", action="store_true",
                       help='print {"id", "notion", "value", "params", "refuted", "why"?, ...} as JSON; with lists, '
                            '{"id", "notion", "rows": [...]}, each row with "refuted"')
        p.add_argument("--csv", action="store_true", help="print the rows as CSV (a header, then one line per row)")
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
    p.add_argument("--s-star", type=D.real(0, 1, True, True), default=0.9, help="target success of the critical-mass table (default 0.9)")
    p.set_defaults(func=cmd_latex)


def _describe(name: str, helptext: str) -> str:
    """The help text of ``bound``/``critical-mass``: it lists the ids that have one (from their statements,
    so that showing help derives nothing)."""
    from theory.catalog import statement
    from theory.paper import IDS, families

    def has(id):
        st = statement(id)
        if name == "bound":
            return st.bound is not None
        return st.critical_mass_of is not None or st.critical_mass is not None or st.target is not None

    ids = [i for i in IDS if has(i)]
    more = "; ".join(f"the {fam} family's (critmass results --family {fam})" for fam in families() if fam != "paper")
    return f"{helptext[0].upper()}{helptext[1:]}. IDs: {' '.join(ids)}; and {more}."


def _has(id: str, what: str, notion: str = DEFAULT) -> bool:
    from theory.paper import result
    r = result(id, notion)
    return r.bound is not None if what == "bound" else r.critical_mass is not None


def parse_values(items: list[str]) -> dict[str, list[Fraction]]:
    """``["alpha=0.1", "xi=1/1000,1e-2"]`` as a dict of value lists, each value the exact number typed (0.1 is
    1/10); malformed items raise InputError.

    Each value is read by theory.expr's restricted parser (numbers and arithmetic on them only). The values
    stay exact: theory.evaluate and theory.fast decide reachability, refuted ranges and hypotheses on them
    (eps = 0.05 and S* = 0.9 make cor2-corrected's 1 - 2 eps >= S* an equality, which their floats do not).
    """
    from theory.numbers import read, split_top
    values: dict[str, list[Fraction]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InputError(f"--set {item!r} is not of the form NAME=VALUE")
        if name in values:
            raise InputError(f"parameter {name!r} is set twice")
        parts = split_top(text)
        if not text.strip() or any(not part.strip() for part in parts):
            raise InputError(f"{name}={text!r}: expected a number, or numbers separated by commas")
        # read exactly and bounded (theory.numbers, else theory.expr), and finite as a float: never inf, never
        # an OverflowError from 2**4000 or 1e309
        values[name] = [_number(read, name, part.strip()) for part in parts]
        for value, part in zip(values[name], parts):
            D.finite(value, f"{name}={part.strip()!r}")
    return values


def _number(read, name: str, text: str):
    """Plain arithmetic without sympy (theory.numbers); anything else through theory.expr, which reads
    functions (sqrt(2)/2) or refuses the text in one line. The value remembers the text (theory.numbers.Typed),
    so that a domain error names it as typed."""
    from theory.numbers import Typed
    value = read(text)
    if value is None:
        from theory.expr import number
        value = number(text, what=f"{name}={text!r}")
    return Typed(value, text)


def points(values: dict[str, list[Fraction]], grid: bool) -> dict[str, np.ndarray]:
    """The evaluation points: lists in step (each of one length, or of length 1), or every combination; each
    an array of the exact values (dtype object, Fractions)."""
    if grid:
        mesh = np.meshgrid(*(_exact_array(v) for v in values.values()), indexing="ij")
        return {k: m.ravel() for k, m in zip(values, mesh)}
    lengths = {len(v) for v in values.values()} - {1}
    if len(lengths) > 1:
        shown = " ".join(f"{k}:{len(v)}" for k, v in values.items() if len(v) > 1)
        raise InputError(f"--set lists of different lengths ({shown}); give lists of one length, or --grid for "
                         "every combination")
    n = max(lengths, default=1)
    return {k: _exact_array(v * n if len(v) == 1 else v) for k, v in values.items()}


def _exact_array(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _single(values: dict[str, list[float]], grid: bool) -> bool:
    return all(len(v) == 1 for v in values.values())


def emit_rows(args, id: str, rows: list[dict], columns: list[str], notion: str | None = None,
              why: str | None = None) -> None:
    """A table of rows, or JSON ``{"id", "notion", "rows"}``, or CSV; ``why``: the refutation of the rows
    marked refuted (printed only with --printed)."""
    if args.csv:
        import csv
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif args.json:
        emit_json({"id": id, "notion": notion, "rows": rows, **({"why": why} if why else {})})
    else:
        fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else ("" if v is None else v)
        print(table([{k: fmt(v) for k, v in r.items()} for r in rows], columns))
        if why:
            print(f"REFUTED where marked: {why}")


def describe(r) -> dict:
    from theory.latex import tex
    from theory.refuted import recorded
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
        row["critical_mass_method"] = cm.method
        if cm.reason:
            row["critical_mass_reason"] = cm.reason
        if cm.monotonicity:
            row["monotonicity"] = cm.monotonicity
    if r.strategy is not None:
        row["strategy"] = r.strategy.value
    row["family"] = r.family
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
    from theory.paper import all_ids, families, result
    known = families()
    if args.family != "all" and args.family not in known:
        raise InputError(f"--family {args.family!r}: expected one of {' '.join([*known, 'all'])}")
    chosen = all_ids() if args.family == "all" else families()[args.family]
    rows = [describe(result(i, args.notion)) for i in chosen]
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


def _verdict(id: str, notion: str, at: dict) -> tuple[dict, np.ndarray | None]:
    """The JSON fields that say whether the values are where verify/ refutes the result (reachable only with
    --printed: without it the evaluation refuses), and which rows are."""
    from theory.refuted import refuted_at

    refutation = refuted_at(id, notion, at)
    if refutation is None:
        return {"refuted": False}, None
    n = len(next(iter(at.values()))) if at else 1
    marked = np.array([refuted_at(id, notion, {k: v[i] for k, v in at.items()}) is not None for i in range(n)])
    return {"refuted": True, "why": refutation.message() + "; printed on request (--printed)",
            "use": refutation.use}, marked


def _named(id: str, notion: str | None) -> str:
    return f"{id} ({notion})" if notion else id


def _refuted_tail(verdict: dict) -> str:
    return f"  [REFUTED: {verdict['why']}]" if verdict["refuted"] else ""


def cmd_bound(args) -> int:
    values = parse_values(args.values)
    at = points(values, args.grid)
    answered = None if args.printed else _cached(args.id, "bound", at, args.notion)
    if answered is None:
        from theory.evaluate import evaluate
        from theory.paper import all_ids, result
        if not _has(args.id, "bound", args.notion):
            raise InputError(f"{args.id} bounds no success; ids with a bound: "
                             f"{' '.join(i for i in all_ids() if _has(i, 'bound', args.notion))}")
        value = evaluate(args.id, "bound", at, args.notion, printed=args.printed)
        notion = result(args.id, args.notion).notion
        verdict, marked = _verdict(args.id, args.notion, at)
    else:
        _, value, notion = answered
        verdict, marked = {"refuted": False}, None
    if _single(values, args.grid) and not args.csv:
        params = {k: float(v[0]) for k, v in at.items()}
        value = float(np.ravel(value)[0])
        if args.json:
            emit_json({"id": args.id, "notion": notion, "value": value, "params": params, **verdict})
        else:
            print(f"{_named(args.id, notion)}: S(alpha) >= {value:.6g}{_refuted_tail(verdict)}")
        return 0
    value = np.broadcast_to(value, next(iter(at.values())).shape) if at else np.atleast_1d(value)
    rows = [{**{k: float(v[i]) for k, v in at.items()}, "bound": float(value[i]),
             **({"refuted": bool(marked[i])} if marked is not None else {})} for i in range(len(value))]
    emit_rows(args, args.id, rows, [*at, "bound", *(["refuted"] if marked is not None else [])], notion,
              verdict.get("why"))
    return 0


def _cached(id: str, what: str, at: dict, notion: str = DEFAULT):
    """(id, value, the result's notion) from theory.fast, or None: then the full path answers (and writes the
    entry). Never where theory.refuted records the result refuted (the entry knows where)."""
    from theory.fast import evaluate as cached
    return cached(id, what, at, notion)


def critical_mass_id(id: str, notion: str = DEFAULT) -> str:
    """The result whose critical mass ``critical-mass ID`` evaluates: ID itself where it has one, else the
    corollary stated from ID's bound at the level S_star (thm1 -> cor2)."""
    from theory.catalog import corollary_of
    from theory.paper import result
    if result(id, notion).critical_mass is not None:
        return id
    return corollary_of(id) or id


def cmd_critical_mass(args) -> int:
    values = parse_values(args.values)
    at = points(values, args.grid)
    answered = None if args.id == "participation" or args.printed else \
        _cached(args.id, "critical_mass", at, args.notion)
    if answered is not None:
        id, value, notion = answered
        verdict, marked = {"refuted": False}, None
    else:
        from theory.paper import result
        id, value = _critical_mass_full(args.id, at, args.notion, args.printed)
        notion = result(id, args.notion).notion
        verdict, marked = _verdict(id, args.notion, at)
    out = np.atleast_1d(value)
    n = max(len(out), 1)
    out = np.broadcast_to(out, (n,))
    rows = []
    for i in range(n):
        row = {k: float(v[i]) for k, v in at.items()}
        row["critical_mass"] = None if out[i] == np.inf else float(out[i])
        row["status"] = "unreachable" if out[i] == np.inf else "ok"
        if id == "participation" and row["status"] == "ok":
            from theory.evaluate import evaluate, required
            extra = {k: row[k] for k in at if k in {p.name for p in required(id, "investment", args.notion)}}
            row["investment"] = evaluate(id, "investment", extra, args.notion)
            row["join_level"] = row["c"] / (1 - row["gamma"])
        if marked is not None:
            row["refuted"] = bool(marked[i])
        rows.append(row)
    if _single(values, args.grid) and not args.csv:
        row = rows[0]
        doc = {"id": id, "notion": notion, "value": float(out[0]), "params": {k: row[k] for k in at},
               "status": row["status"], **{k: row[k] for k in ("investment", "join_level") if k in row}, **verdict}
        if args.json:
            emit_json(doc)
        elif doc["status"] == "unreachable":
            print(f"{_named(id, notion)}: the target is unreachable for any alpha in (0, 1] at these values "
                  f"({_unreachable_because(id, args.notion)}){_refuted_tail(verdict)}")
        else:
            print(f"{_named(id, notion)}: alpha* <= {doc['value']:.6g}"
                  + (f"; investment B = {doc['investment']:.6g}" if "investment" in doc else "")
                  + _refuted_tail(verdict))
        return 0
    columns = [*at, "critical_mass", "status", *(["investment", "join_level"] if id == "participation" else []),
               *(["refuted"] if marked is not None else [])]
    emit_rows(args, id, rows, columns, notion, verdict.get("why"))
    return 0


def _unreachable_because(id: str, notion: str) -> str:
    """Why no alpha reaches the target, in the parameters' names: the bound at alpha = 1 is below it (the
    condition that failed, unless sympy folded it to false for every value: then the bound at alpha = 1)."""
    import sympy as sp

    from theory.paper import result
    from theory.parameters import SYMBOLS, of_symbol

    cm = result(id, notion).critical_mass
    named = {}
    for s in cm.reachable.free_symbols | cm.target.free_symbols | (cm.bound.free_symbols if cm.bound is not None
                                                                    else set()):
        try:
            named[s] = sp.Symbol(of_symbol(s).name)
        except KeyError:
            pass
    if cm.reachable is not sp.false:
        return f"needs {cm.reachable.xreplace(named)}"
    at_one = sp.simplify(cm.bound.subs(SYMBOLS["alpha"], 1)) if cm.bound is not None else None
    if at_one is None:
        return "the critical mass is unreachable for every value"
    return f"the bound at alpha = 1 is {at_one.xreplace(named)}, below {cm.target.xreplace(named)} for every value"


def _critical_mass_full(asked: str, at: dict, notion: str = DEFAULT, printed: bool = False):
    """(id, value) by the full path: the corollary of a theorem (thm1 -> cor2), derived, evaluated."""
    from theory.evaluate import evaluate
    from theory.fast import remember_alias
    from theory.paper import all_ids, result

    id = critical_mass_id(asked, notion)
    if not _has(id, "critical_mass", notion):
        refused = [n for n in result(id, notion).notes if n.startswith("critical mass not derived")]
        if refused:
            raise InputError(f"{id}: {refused[0]}")
        raise InputError(f"{id} bounds no critical mass; ids with one: "
                         f"{' '.join(i for i in all_ids() if _has(i, 'critical_mass', notion))}")
    value = evaluate(id, "critical_mass", at, notion, printed=printed)
    if id != asked:
        from theory.catalog import cacheable
        if cacheable(asked):
            remember_alias(asked, "critical_mass", id, notion)
    return id, value


def cmd_latex(args) -> int:
    from theory.latex import document, fragment
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
