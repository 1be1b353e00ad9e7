"""Commands over verify/: verify (the proof steps), check-instance, counterexample."""

from __future__ import annotations

import shlex

from critmass import domains as D
from critmass.output import emit_json, table
from theory.errors import InputError
from theory.numbers import FUNCTION_NAMES
from theory.notions import DEFAULT, DEFINITIONS, NOTIONS
from theory.strategy import DISCRETE, Strategy, names

EXIT_FAILED = 1


def register(sub) -> None:
    p = sub.add_parser("verify", help="prove every proof step of Appendix B with Z3",
                       description="Prove every proof step of the paper's Appendix B with Z3 (negation unsat). "
                                   "A step the paper gets wrong is expected to be refuted and reported with Z3's "
                                   "counterexample. Exit 0 only when every step has its expected status; "
                                   "'unknown' (timeout, resource limit) always fails.")
    p.add_argument("--json", action="store_true",
                   help='print a list of {"id", "result", "statement", "status", "expect", "ok", "seconds", '
                        '"notion"?, "counterexample"?}')
    p.add_argument("--only", nargs="+", metavar="ID", default=[],
                   help="run only these steps (an id such as thm1.sum selects all its k = 1..4 forms)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("check-instance", help="check the bounds on one discrete instance, exactly, for every "
                                              "epsilon-optimal firm",
                       description="Read a discrete instance (JSON: p0, signal, target, strategy, alpha) and "
                                   "report, in exact arithmetic, the least success over every firm that is "
                                   "epsilon-optimal under the notion (epsilon = 0: the Bayes-optimal firm; ties "
                                   "count against the collective), the points such a firm ties, the bound of "
                                   "every applicable result (Theorem 1, 3 or 5 by strategy, as printed and "
                                   "corrected, in both notions' forms) with whether it is valid there and whether "
                                   "it holds, and the parameters xi Delta p tau rho. "
                                   "An instance with several collectives (JSON: p0, collectives: a list of "
                                   "{alpha, signal, target, strategy}) reports each collective's exact success, "
                                   "its success alone and multi-thm1's bound (epsilon = 0 only). Unknown keys are "
                                   "an error.")
    p.add_argument("file", help="the instance's JSON file")
    p.add_argument("--epsilon", default="0", metavar="E", type=D.fraction(0, 1, False, True),
                   help="the firm's suboptimality in [0, 1), a decimal or a fraction a/b (default 0)")
    p.add_argument("--notion", choices=NOTIONS, default=DEFAULT,
                   help=f"what epsilon-optimal means: tv = {DEFINITIONS['tv']}; mixture = {DEFINITIONS['mixture']} "
                        f"(default {DEFAULT})")
    p.add_argument("--result", metavar="ID",
                   help="check this result's bound instead (any result that states the instance's strategy, e.g. "
                        "one from a --results file)")
    p.add_argument("--set", dest="values", action="extend", nargs="+", default=[], metavar="NAME=VALUE",
                   help="a value for a parameter of --result that the instance does not determine (repeatable)")
    p.add_argument("--json", action="store_true",
                   help='print {"success", "epsilon", "notion", "worst_case", "bound", "bounds", "params", '
                        '"hypotheses", "holds", ...}')
    p.set_defaults(func=cmd_check_instance)

    p = sub.add_parser("counterexample", help="search small instances on which a claimed bound fails",
                       description="Search all instances with at most K feature values and M labels (target "
                                   "label 0, by symmetry), and every epsilon-optimal firm on them, for one whose "
                                   "exact success is below the claimed bound. Z3 reals for the probabilities, "
                                   "booleans for the signal map, the decisions and the points the firm ties. "
                                   "epsilon is free in [0, 1) when the claim mentions it (a result id with an "
                                   "epsilon does) unless --epsilon fixes it, and 0 otherwise. A found instance is "
                                   "confirmed with exact arithmetic; 'none' means Z3 proved that there is none up "
                                   "to that size. Exit 1 when the search is inconclusive.")
    p.add_argument("--strategy", choices=names(DISCRETE), help="the collective's strategy (required unless --collectives)")
    p.add_argument("--collectives", type=int, metavar="K",
                   help="search instances with K = 2 or 3 feature-label collectives instead (verify/multi.py: every "
                        "table in multiples of 1/--weight, every signal map and target, sizes from --alphas; "
                        "exhaustive over that finite family); --claim is then 'alone' (Theorem 1 for each "
                        "collective as if alone) or 'multi-thm1', and --max-x <= 3, 2 <= --max-y <= 3")
    p.add_argument("--weight", type=int, default=4, metavar="W",
                   help="with --collectives: the table's masses are multiples of 1/W (1..6, default 4)")
    p.add_argument("--alphas", nargs="+", default=["1/10", "1/5", "3/10", "2/5", "1/2"], metavar="A",
                   help="with --collectives: the collective sizes tried (default 1/10 1/5 3/10 2/5 1/2)")
    p.add_argument("--claim", required=True, metavar="EXPR",
                   help="claimed lower bound on success: an expression in alpha xi Delta p tau rho epsilon "
                        f"(numbers, + - * / **, {FUNCTION_NAMES}; never evaluated as code), where a result "
                        "that bounds a strategy's success stands for its bound under --notion: thm1 thm3 thm5 the "
                        "printed theorems', thm1-corrected thm3-corrected thm5-corrected the valid ones, a stated "
                        "result's id (or the id with '-' written '_'); ID[mixture] is the mixture form whatever "
                        "--notion; e.g. 'thm5 + 1/100'")
    p.add_argument("--epsilon", metavar="E", type=D.fraction(0, 1, False, True),
                   help="fix the firm's suboptimality (a/b or decimal in [0, 1))")
    p.add_argument("--notion", choices=NOTIONS, default=DEFAULT,
                   help=f"what epsilon-optimal means for the firm (default {DEFAULT}): tv = {DEFINITIONS['tv']}; "
                        f"mixture = {DEFINITIONS['mixture']}")
    p.add_argument("--max-x", type=D.integer(1, 6), required=True, metavar="K", help="number of feature values (1..6)")
    p.add_argument("--max-y", type=D.integer(1, 6), required=True, metavar="M", help="number of labels (1..6)")
    p.add_argument("--alpha", metavar="A", type=D.fraction(0, 1, True), help="fix the collective size (a/b or decimal); free in (0, 1) if absent")
    p.add_argument("--where", nargs="+", default=[], metavar="COND",
                   help="extra conditions on the parameters, e.g. 'thm1 > 0' 'thm1 < 99/100'")
    p.add_argument("--set", dest="values", action="extend", nargs="+", default=[], metavar="NAME=VALUE",
                   help="a value for a parameter of a stated result in the claim that an instance does not "
                        "determine (repeatable)")
    p.add_argument("--any-signal", action="store_true",
                   help="for erasure, allow signal maps that are not idempotent (Theorem 5 needs g(g(x)) = g(x))")
    p.add_argument("--timeout", type=D.real(0, 10**6, True), default=600.0, metavar="SECONDS",
                   help="wall-clock budget of the whole search (default 600); when it runs out the search stops "
                        "and exits 1 as inconclusive, saying how many cases it settled. Each case's Z3 query is "
                        "bounded by a deterministic resource limit as well")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr (it is off when stderr is not "
                                                        "a terminal)")
    p.add_argument("--json", action="store_true",
                   help='print {"status": "counterexample"|"none"|"unknown", "instance"?, "success"?, ...}')
    p.set_defaults(func=cmd_counterexample)


def fixed_values(items: list[str]) -> dict:
    """``--set NAME=VALUE`` items as exact Fractions (one value each), read by theory.expr's parser."""
    from theory.expr import number

    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise InputError(f"--set {item!r} is not of the form NAME=VALUE")
        if name in out:
            raise InputError(f"parameter {name!r} is set twice")
        out[name] = number(text.strip(), what=f"{name}={text.strip()!r}")
    return out


def cmd_verify(args) -> int:
    from verify.steps import run

    rows = run(args.only)
    if args.json:
        emit_json(rows)
    else:
        for r in rows:
            r["flag"] = "" if r["ok"] else "UNEXPECTED"
            r["counterexample "] = ", ".join(f"{k}={v}" for k, v in r.get("counterexample", {}).items())
            r.setdefault("notion", "")
        print(table(rows, ["id", "result", "notion", "status", "expect", "seconds", "flag", "counterexample "]))
        proven = sum(r["status"] == "proven" for r in rows)
        refuted = sum(r["status"] == "refuted" and r["ok"] for r in rows)
        print(f"{sum(r['ok'] for r in rows)}/{len(rows)} steps as expected ({proven} proven, {refuted} refuted as "
              f"expected: findings), {sum(r['seconds'] for r in rows):.2f} s in Z3")
    return 0 if all(r["ok"] for r in rows) else EXIT_FAILED


def cmd_check_instance(args) -> int:
    from theory.multi import MultiInstance, load_any
    from verify.check import check_instance

    from verify.check import epsilon_value

    fixed = fixed_values(args.values)  # the cheap input first: a bad value is reported before any file is read
    epsilon = epsilon_value(args.epsilon)
    inst = load_any(args.file)
    if isinstance(inst, MultiInstance):
        if epsilon != 0:
            raise InputError(f"--epsilon {args.epsilon}: an instance with several collectives is checked against the "
                             f"Bayes-optimal firm only; expected epsilon 0")
        if args.result or fixed:
            raise InputError("--result and --set take an instance of one collective")
        from verify.multi import report_multi
        return report_multi(inst, args.json)
    doc = check_instance(inst, epsilon, args.notion, args.result, fixed)
    if args.json:
        emit_json(doc)
        return 0
    worst = doc["worst_case"]
    prm = " ".join(f"{k}={v}" for k, v in doc["params"].items())
    hyp = " ".join(f"{k}={v}" for k, v in doc["hypotheses"].items())
    ties = (f"tying points {worst['tied']} (margins {worst['cost']} of budget {worst['budget']})" if worst["tied"]
            else f"tying no point (budget {worst['budget']})")
    tied = _tied_on_mixture(inst)
    print(f"success {doc['success']} ({doc['success_float']:.6g}) for the Bayes-optimal firm; least success over "
          f"every {doc['epsilon']}-optimal firm ({doc['notion']}): {worst['success']} ({worst['success_float']:.6g}), "
          f"{ties}" + (f"; tied on the mixture itself (no firm's doing): point{'s' if len(tied) > 1 else ''} "
                       f"{tied}" if tied else ""))
    rows = [{**b, "value": b["value"] if b["value"] is not None else "n/a", "notion": b["notion"] or "",
             "status": ("holds" if b["holds"] else "FAILS") + ("" if b["valid"] else " (not valid here)"),
             "why": b["refuted"] or ""} for b in doc["bounds"]]
    print(table(rows, ["id", "notion", "value", "status", "why"]))
    print(f"every valid bound holds: {doc['holds']}; params {prm}" + (f"; hypotheses {hyp}" if hyp else ""))
    return 0


def _tied_on_mixture(inst) -> list[int]:
    """The points whose mixture row has two top labels or more, an exact tie (exact integers, theory.exactint)."""
    from theory.exactint import mixture, scaled

    return [x for x, row in enumerate(mixture(inst, scaled(inst))) if max(row) > 0 and row.count(max(row)) > 1]


def cmd_counterexample(args) -> int:
    from verify.counterexample import search

    if args.collectives is not None:
        return _counterexample_multi(args)
    if args.strategy is None:
        raise InputError(f"counterexample: expected --strategy (one of {', '.join(names(DISCRETE))}) or --collectives K")

    doc = search(args.strategy, args.claim, args.max_x, args.max_y, alpha=args.alpha,
                 idempotent=not args.any_signal, where=tuple(args.where), timeout_s=args.timeout,
                 epsilon=args.epsilon, notion=args.notion, fixed=fixed_values(args.values),
                 progress=False if args.quiet else None)
    if args.json:
        emit_json(doc)
        return 0 if doc["status"] in ("counterexample", "none") else EXIT_FAILED
    where = "--where " + " ".join(shlex.quote(w) for w in args.where)
    if doc["status"] in ("counterexample", "unconfirmed"):
        firm = "" if doc["epsilon"] == "0" else \
            f" against a {doc['epsilon']}-optimal firm ({doc['notion']}) tying points {doc['tied']}"
        print(f"{doc['status']}: success {doc['success']} < claim {doc['claim_value']}{firm}; params {doc['params']}")
        print(doc["instance"])
    elif doc["status"] == "none":
        among = ""
        if doc["where"]:
            among = f" satisfying {where}" if args.where else ""
            if len(doc["where"]) > len(args.where):
                among += (" and" if among else "") + " in the collective domain of the claim's results"
        print(f"none: no instance with at most {args.max_x} feature values and {args.max_y} labels{among} "
              f"has success below {doc['claim']} ({doc['seconds']:.2f} s)")
        if "where_kept" in doc:
            print(_where_kept(doc["where_kept"], where))
    else:
        c = doc["covered"]
        print(f"inconclusive: covered {c['settled']} of {c['cases']} cases ({c['unknown']} unknown, "
              f"{c['not_reached']} not reached): {doc['reason']}")
    if doc["out_of_scope"]:
        print(_scope_note(doc))
    return 0 if doc["status"] in ("counterexample", "none") else EXIT_FAILED


def _scope_note(doc: dict) -> str:
    """The line saying which results of the claim are stated for another strategy than the one searched, and
    what the answer is then about (from each result's declared strategy, ``doc["stated_for"]``)."""
    searched, ids = doc["strategy"], doc["out_of_scope"]
    stated = "; ".join(f"{i} is stated for the {doc['stated_for'][i]} strategy" for i in ids)
    names = " and ".join(ids)
    about = {"counterexample": f"this {searched} instance is a counterexample to applying {names}'s bound to the "
                               f"{searched} strategy, not to {names} as stated",
             "unconfirmed": f"this {searched} instance was not confirmed; it concerns applying {names}'s bound to "
                            f"the {searched} strategy",
             "none": f"this 'none' says that {names}'s bound, applied to the {searched} strategy, holds up to this "
                     f"size; it is not a check of {names} as stated"}.get(
        doc["status"], f"the search concerns applying {names}'s bound to the {searched} strategy")
    return (f"scope: {stated}, not {searched}: {about} (check-instance --result {ids[0]} refuses a {searched} "
            f"instance for the same reason)")


def _where_kept(kept: dict, where: str) -> str:
    """The line saying in how many cases some instance meets the --where conditions (a 'none' where none does
    is vacuous)."""
    line = f"{where} holds on some instance in {kept['kept']} of {kept['cases']} cases"
    rest = [f"{kept[k]} {k.replace('_', ' ')}" for k in ("unknown", "not_reached") if kept[k]]
    if rest:
        return line + f" ({', '.join(rest)}: the count is a lower bound)"
    if kept["kept"] == 0:
        return line + ": the conditions exclude every instance, so this 'none' is vacuous"
    return line


def _counterexample_multi(args) -> int:
    """``counterexample --collectives K``: verify.multi's exhaustive search over several collectives."""
    from verify.multi import search

    if args.strategy not in (None, Strategy.FEATURE_LABEL):
        raise InputError(f"--strategy {args.strategy} with --collectives: the search over several collectives covers "
                         f"feature-label collectives only")
    for flag, value in (("--epsilon", args.epsilon), ("--alpha", args.alpha)):
        if value is not None:
            raise InputError(f"{flag} {value} with --collectives: not supported (sizes come from --alphas, the firm is "
                             f"Bayes-optimal)")
    if args.where or args.any_signal:
        raise InputError("--where and --any-signal apply to one collective; not with --collectives")
    doc = search(args.claim, args.max_x, args.max_y, args.collectives, args.weight, tuple(args.alphas))
    if args.json:
        emit_json(doc)
    elif doc["status"] == "counterexample":
        print(f"counterexample: collective {doc['collective']} has success {doc['success']} < claim "
              f"{doc['claim_value']} ({doc['checked']} instances checked)")
        print(doc["instance"])
    else:
        print(f"none: no instance of the family {doc['family']} violates {doc['claim']} ({doc['checked']} instances, "
              f"exhaustive, {doc['seconds']:.2f} s)")
    return 0
