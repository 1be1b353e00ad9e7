"""A counterexample finder: is there a small discrete instance on which a claimed success bound fails?

verify/ layer (theory <- verify). The instance's joint table (and alpha, if free) are Z3 reals, the signal
map and the firm's decisions are Z3 booleans, and success, xi, Delta, p, tau and rho are encoded exactly as
theory/instance.py defines them (a prediction counts only as a unique argmax). Where the claim speaks of
epsilon the firm is any epsilon-optimal one, encoded literally: a table P' with TV(P, P') <= eps (notion tv,
Definition 2) or P' = (1-eps) P + eps Q (notion mixture), the decisions being P''s unique argmaxes. A model
is turned into Fractions and confirmed by theory.instance (``worst_case``, an independent exact computation)
before it is reported.

By symmetry the target label is y* = 0; a zero-mass row or column embeds every smaller instance, so K
feature values and M labels cover all sizes up to K x M.
"""

from __future__ import annotations

import itertools
import re
import time
from fractions import Fraction

import sympy as sp
import z3

from theory import notions
from theory.errors import InputError
from theory.expr import parse
from theory.instance import STRATEGIES, make_instance, params, worst_case
from theory.parameters import SYMBOLS
from theory.strategy import Strategy, parse_strategy
from verify import z3util
from verify.sympy_z3 import exact_value, to_z3

CLAIM_SYMBOLS = ("alpha", "xi", "Delta", "p", "tau", "rho", "epsilon")


def _with_names(text: str, names: dict) -> str:
    """The claim with each result id written as its name in ``names``: ``thm1-corrected`` -> ``thm1_corrected``,
    ``thm1-corrected[mixture]`` -> ``thm1_corrected__mixture`` (a textual substitution of known ids only; the
    text is then read by theory.expr's restricted parser, never evaluated)."""
    from verify.stated import name, with_strategy

    ids = sorted(with_strategy(), key=len, reverse=True)
    if not ids:
        return text
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(i) for i in ids) + r")(?![\w-])(?:\[(\w+)\])?")

    def sub(m: re.Match) -> str:
        key = name(m.group(1)) + (f"__{m.group(2)}" if m.group(2) else "")
        if m.group(2) and key not in names:
            raise InputError(f"{m.group(0)}: notion {m.group(2)!r} is not one of {' '.join(notions.NOTIONS)}")
        return key

    return pattern.sub(sub, text)


def _results_in(text: str) -> set[str]:
    """The ids of results with a strategy that ``text`` names (as ``_with_names`` finds them)."""
    from verify.stated import with_strategy

    ids = sorted(with_strategy(), key=len, reverse=True)
    if not ids:
        return set()
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(i) for i in ids) + r")(?![\w-])")
    by_name = {i.replace("-", "_").replace(".", "_"): i for i in ids}
    names = re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
                       + r")(?:__\w+)?(?![\w-])")
    return {m.group(1) for m in pattern.finditer(text)} | {by_name[m.group(1)] for m in names.finditer(text)}


def parse_claim(text: str, notion: str = notions.DEFAULT, what: str = "--claim", fixed: dict | None = None,
                relation: bool = False) -> sp.Basic:
    """A claimed lower bound: an expression in alpha xi Delta p tau rho epsilon, where a result that bounds a
    strategy's success stands for its bound read under ``notion``: thm1/thm3/thm5 the printed theorems',
    thm1-corrected/... the valid ones, a stated result's id (or that id with '-' written '_'), and
    ``ID[mixture]`` the result under that notion's form whatever ``notion``. Parameters of a stated result that
    an instance does not determine take their values from ``fixed``. Read by theory.expr's restricted parser,
    never evaluated.

    >>> sp.simplify(parse_claim("thm5 + 1/100") - parse_claim("1 - 2*(1 - alpha)/alpha*tau - epsilon/(1-epsilon)"))
    1/100
    >>> parse_claim("thm1-corrected[mixture] - thm1-corrected").subs(SYMBOLS["epsilon"], sp.Rational(1, 4))
    1/(6*alpha)
    """
    from verify.stated import claim_names

    notions.check(notion)
    names, missing = claim_names(fixed, notion)
    label = "--where" if relation else what
    try:
        return parse(_with_names(text, names), names, relation=relation, what=f"{label} {text!r}")
    except InputError as e:
        for key, reason in missing.items():
            if re.search(rf"\b{re.escape(key)}\b", _with_names(text, {**names, **missing})):
                raise InputError(f"{label} {text!r}: {reason}") from None
        if str(e).startswith(f"{label} {text!r}"):
            raise
        raise InputError(f"{label} {text!r}: {e}") from None


def signal_maps(nx: int, idempotent: bool):
    """Every map g: X -> X (idempotent ones only, if asked), one per class under relabelling X.

    >>> list(signal_maps(2, idempotent=False))
    [(0, 0), (0, 1), (1, 0)]
    """
    seen = set()
    for g in itertools.product(range(nx), repeat=nx):
        if idempotent and any(g[g[x]] != g[x] for x in range(nx)):
            continue
        canon = min(tuple(pi.index(g[pi[i]]) for i in range(nx)) for pi in itertools.permutations(range(nx)))
        if canon not in seen:
            seen.add(canon)
            yield g


def encode(strategy: Strategy, claim: sp.Expr, nx: int, num_labels: int, alpha=None, idempotent: bool = True,
           where: tuple[sp.Basic, ...] = (), epsilon=None, notion: str = notions.DEFAULT):
    """The Z3 formula 'an |X| x |Y| instance and an epsilon-optimal firm (under ``notion``) whose success is
    below the claim (and every ``where`` holds)', and its variables; the signal map is free (booleans
    ``g_x_z``: g(x) = z). ``epsilon``: a Fraction to fix it, None to leave it free in [0, 1)."""
    t = 0
    j = [[z3.Real(f"p0_{x}_{y}") for y in range(num_labels)] for x in range(nx)]
    m = [z3.Sum(*j[x]) for x in range(nx)]
    cond = [[z3.Real(f"c_{x}_{y}") for y in range(num_labels)] for x in range(nx)]
    G = [[z3.Bool(f"g_{x}_{z}") for z in range(nx)] for x in range(nx)]
    a = z3.Real("alpha") if alpha is None else z3.RealVal(f"{alpha.numerator}/{alpha.denominator}")
    F = []
    cs = [a > 0, a < 1 if alpha is None else z3.BoolVal(True), z3.Sum(*[v for r in j for v in r]) == 1]
    cs += [v >= 0 for r in j for v in r]
    for x in range(nx):
        cs.append(z3.PbEq([(G[x][z], 1) for z in range(nx)], 1))  # g is a map: one image per x
        cs += [z3.Implies(m[x] > 0, cond[x][y] * m[x] == j[x][y]) for y in range(num_labels)]
        cs += [z3.Implies(m[x] == 0, cond[x][y] == 0) for y in range(num_labels)]
    if strategy == Strategy.ERASURE and idempotent:
        cs += [z3.Implies(G[x][z], G[z][z]) for x in range(nx) for z in range(nx)]

    def at_g(x, rows):  # rows[g(x)]
        return [z3.Sum(*[z3.If(G[x][z], rows[z][y], 0) for z in range(nx)]) for y in range(len(rows[0]))]

    in_image = [z3.Or(*[G[x][z] for x in range(nx)]) for z in range(nx)]
    # P*, the collective's table, as in theory.instance.collective_table.
    star = [[z3.RealVal(0)] * num_labels for _ in range(nx)]
    if strategy == Strategy.FEATURE_LABEL:
        for z in range(nx):
            star[z][t] = z3.Sum(*[z3.If(G[x][z], m[x], 0) for x in range(nx)])
    elif strategy == Strategy.FEATURE_ONLY:
        for z in range(nx):
            star[z] = [z3.Sum(*[z3.If(G[x][z], j[x][t], 0) for x in range(nx)]) if y == t else j[z][y]
                       for y in range(num_labels)]
    else:
        label = [[z3.And(*[cond[z][y] > cond[z][w] for w in range(y)],
                         *[cond[z][y] >= cond[z][w] for w in range(y + 1, num_labels)]) for y in range(num_labels)]
                 for z in range(nx)]  # argmax P0(.|z), lowest index among ties
        gl = [[z3.Or(*[z3.And(G[x][z], label[z][y]) for z in range(nx)]) for y in range(num_labels)] for x in range(nx)]
        star = [[z3.If(gl[x][y], m[x], 0) for y in range(num_labels)] for x in range(nx)]
        cs += [z3.Implies(z3.And(m[x] > 0, G[x][z]), m[z] > 0) for x in range(nx) for z in range(nx)]
    mix = [[a * star[x][y] + (1 - a) * j[x][y] for y in range(num_labels)] for x in range(nx)]
    odds = None
    if epsilon is not None:
        e = z3.RealVal(f"{epsilon.numerator}/{epsilon.denominator}")
    elif notion == "mixture":
        # Free epsilon under mixture: search over its odds E = eps/(1-eps) >= 0, so that the budget (E) and the
        # claims' eps/(1-eps) terms are linear in it; eps = E/(1+E) is read back from the model.
        odds = z3.Real(ODDS)
        e = odds / (1 + odds)
        cs.append(odds >= 0)
        claim, where = _in_odds(claim), tuple(_in_odds(w) for w in where)
    else:
        e = z3.Real("epsilon")
    cs += [e >= 0, e < 1]
    # f(x) = y iff y is the unique argmax of P(x, .) (and positive) and the firm does not tie x.
    F = [[z3.And(mix[x][y] > 0, *[mix[x][y] > mix[x][w] for w in range(num_labels) if w != y]) for y in range(num_labels)]
         for x in range(nx)]
    if epsilon != 0:
        tie, firm_cs = _ties(mix, e, notion, odds)
        cs += firm_cs
        F = [[z3.And(F[x][y], z3.Not(tie[x])) for y in range(num_labels)] for x in range(nx)]
    fg = [[z3.Or(*[z3.And(G[x][z], F[z][y]) for z in range(nx)]) for y in range(num_labels)] for x in range(nx)]
    if strategy == Strategy.ERASURE:
        hit = [z3.Or(*[z3.And(F[x][y], fg[x][y]) for y in range(num_labels)]) for x in range(nx)]
    else:
        hit = [fg[x][t] for x in range(nx)]
    S = z3.Sum(*[z3.If(hit[x], m[x], 0) for x in range(nx)])

    xi, Delta, p, tau = z3.Reals("xi Delta p tau")
    cs.append(xi == z3.Sum(*[z3.If(in_image[z], m[z], 0) for z in range(nx)]))
    gaps = [(z3.And(in_image[z], m[z] > 0), cond[z][y] - cond[z][t]) for z in range(nx) for y in range(num_labels)]
    cs += [Delta >= 0, *[z3.Implies(w, Delta >= gap) for w, gap in gaps],
           z3.Or(z3.And(Delta == 0, *[z3.Not(w) for w, _ in gaps]), *[z3.And(w, Delta == gap) for w, gap in gaps])]
    cs += [z3.Implies(m[x] > 0, p <= cond[x][t]) for x in range(nx)]
    cs.append(z3.Or(*[z3.And(m[x] > 0, p == cond[x][t]) for x in range(nx)]))
    used = {s.name for e in (claim, *where) for s in e.free_symbols}
    if "tau" in used:
        tx = [z3.Real(f"tau_{x}") for x in range(nx)]
        for x in range(nx):
            cg = at_g(x, cond)
            diffs = [z3.If(cond[x][y] >= cg[y], cond[x][y] - cg[y], cg[y] - cond[x][y]) for y in range(num_labels)]
            cs += [tx[x] >= d for d in diffs] + [z3.Or(*[tx[x] == d for d in diffs])]
            cs += [z3.Implies(z3.And(m[x] > 0, G[x][z]), m[z] > 0) for z in range(nx)]  # tau defined
        cs.append(tau == z3.Sum(*[m[x] * tx[x] for x in range(nx)]))
    if "p" in used:
        cs.append(p > 0)  # Theorem 3 (and any claim dividing by p) needs it
    rho = z3.Real("rho")
    if "rho" in used:  # max over images with preimage mass of P0(g^-1(z)) / P0(z); defined only where P0(z) > 0
        pre = [z3.Sum(*[z3.If(G[x][z], m[x], 0) for x in range(nx)]) for z in range(nx)]
        counted = [z3.And(in_image[z], pre[z] > 0) for z in range(nx)]
        cs += [z3.Implies(counted[z], z3.And(m[z] > 0, rho * m[z] >= pre[z])) for z in range(nx)]
        cs.append(z3.Or(*[z3.And(counted[z], rho * m[z] == pre[z]) for z in range(nx)]))
    env = {"alpha": a, "xi": xi, "Delta": Delta, "p": p, "tau": tau, "rho": rho, "epsilon": e, ODDS: odds}
    cs.append(S < to_z3(claim, env))
    cs += [to_z3(w, env) for w in where]
    return z3.And(*cs), {"p0": j, "signal": G, "alpha": a, "epsilon": e}


ODDS = "epsilon_odds"


def _in_odds(rel: sp.Basic) -> sp.Basic:
    """A claim or condition with eps written as E/(1+E), E = eps/(1-eps) (so eps/(1-eps) becomes E)."""
    eps, odds = SYMBOLS["epsilon"], sp.Symbol(ODDS, nonnegative=True)
    return sp.simplify(rel.subs(eps, odds / (1 + odds))) if eps in rel.free_symbols else rel


def _ties(mix, e, notion: str, odds=None):
    """An e-optimal firm (under ``notion``) as the set of points it ties, booleans ``tie_x``, with its budget.

    Exact, not a relaxation: a firm that makes a point fail pays at least what tying it costs and ties no
    fewer points, and tying a set of points is possible exactly when their margins M_x (top minus runner-up
    of P(x, .)) sum to at most 2 e (tv; verify/: tv.flip-cost, tv.tie) or e/(1-e) (mixture). With one label
    a point can only be emptied, at TV cost P(x, 0) (tv), and never under mixture.
    """
    nx, num_labels = len(mix), len(mix[0])
    tie = [z3.Bool(f"tie_{x}") for x in range(nx)]
    cost = [z3.Real(f"margin_{x}") for x in range(nx)]
    cs = []
    for x in range(nx):
        row = mix[x]
        if num_labels == 1:
            cs.append(cost[x] == 2 * row[0])
            if notion == "mixture":
                cs.append(z3.Not(tie[x]))
            continue
        for y in range(num_labels):
            leads = [row[y] - row[w] for w in range(num_labels) if w != y]
            top = z3.And(*[d >= 0 for d in leads])  # y is a (maybe tied) argmax: cost = its lead, 0 if tied
            cs.append(z3.Implies(top, z3.And(*[cost[x] <= d for d in leads], z3.Or(*[cost[x] == d for d in leads]))))
    total = z3.Sum(*[z3.If(tie[x], cost[x], 0) for x in range(nx)])
    if notions.check(notion) == "tv":
        cs.append(total <= 2 * e)
    else:
        cs.append(total <= odds if odds is not None else (1 - e) * total <= e)
    return tie, cs


def _instance(model, vars, strategy, alpha, epsilon):
    vals, inexact = z3util.model_values(model)
    if inexact:
        raise z3util.NonRationalValue(f"Z3's model has irrational values for {', '.join(inexact)}")
    j, G = vars["p0"], vars["signal"]
    p0 = [[vals.get(v.decl().name(), Fraction(0)) for v in row] for row in j]
    signal = [next(z for z in range(len(G)) if z3.is_true(model.eval(G[x][z], model_completion=True)))
              for x in range(len(G))]
    a = alpha if alpha is not None else vals["alpha"]
    if epsilon is not None:
        eps = epsilon
    elif ODDS in vals:
        eps = vals[ODDS] / (1 + vals[ODDS])
    else:
        eps = vals.get("epsilon", Fraction(0))
    return make_instance(p0, signal, 0, strategy, a), eps


#: Z3's deterministic work limit per query of the search (one case of verify/encode.py, or one signal map of
#: the one-formula encoding): a query that exhausts it is unknown, never settled.
CASE_RLIMIT = 20_000_000
#: The default wall-clock budget of a whole search, in seconds (``--timeout``).
TIMEOUT_S = 600.0


def search(strategy: Strategy, claim: str, max_x: int, max_y: int, alpha=None, idempotent: bool = True,
           where: tuple[str, ...] = (), timeout_s: float | None = TIMEOUT_S, rlimit: int = CASE_RLIMIT, epsilon=None,
           notion: str = notions.DEFAULT, fixed: dict | None = None, progress: bool | None = None) -> dict:
    """Look for an instance of at most max_x feature values and max_y labels, and an epsilon-optimal firm
    (under ``notion``), whose success is below the claim.

    ``epsilon`` fixes epsilon; left None it is free in [0, 1) where the claim or a ``where`` mentions it (a
    result id with an epsilon does), and 0 (the Bayes-optimal firm) otherwise. At epsilon = 0, and for claims
    without rho, the search is split into cases (verify/encode.py: signal map up to relabelling, the firm's
    decisions, the erasure labels); otherwise it falls back to the one-formula encoding (``encode``), one
    query per signal map ("engine" says which). Every query has the deterministic limit ``rlimit``;
    ``timeout_s`` bounds the whole search in wall-clock time (None: no bound). ``progress``: a progress bar
    on stderr (None: only when stderr is a terminal).
    Returns {"status": "counterexample", "instance", "epsilon", "success", "claim_value", "params", ...},
    {"status": "none", "covered", ...} (Z3 proved there is none: every case unsat) or {"status": "unknown",
    "reason", "covered": {"cases", "settled", "unknown", "not_reached"}} (inconclusive).
    ``where`` holds extra conditions on the parameters, e.g. "thm1 < 1" to ask for a non-trivial bound;
    with ``where``, a "none" carries "where_kept": {"cases", "kept" (cases in which some instance meets the
    conditions), "excluded", "unknown", "not_reached"}, so that a "none" under conditions no instance meets
    reads as the vacuous answer it is. ``fixed`` gives values to the parameters of a stated result that an
    instance does not determine. Every answer carries ``scope`` of the claim ("stated_for", "out_of_scope").
    """
    from verify import encode as split

    strategy = parse_strategy(strategy, STRATEGIES, "--strategy")
    for name, v in (("--max-x", max_x), ("--max-y", max_y)):
        if not 1 <= v <= 6:
            raise InputError(f"{name} = {v}: expected an integer in 1..6")
    if timeout_s is not None and not 0 < timeout_s < float("inf"):
        raise InputError(f"--timeout = {timeout_s}: expected a positive number of seconds")
    if alpha is not None:
        alpha = _alpha(alpha)
    notions.check(notion)
    expr = parse_claim(claim, notion, fixed=fixed)
    conds = tuple(parse_condition(w, notion, fixed) for w in where)
    # A stated result whose collective is not alpha itself (e.g. r*alpha) holds for its own alpha in (0, 1]:
    # the instance's collective size is kept where that nominal size stays in its domain.
    from verify.stated import collective_domain
    conds += tuple(c for i in sorted(set().union(*(_results_in(t) for t in (claim, *where))))
                   for c in collective_domain(i, fixed, notion))
    if epsilon is not None:
        epsilon = _epsilon(epsilon)
    elif SYMBOLS["epsilon"] not in set().union(expr.free_symbols, *(c.free_symbols for c in conds)):
        epsilon = Fraction(0)
    at0 = {SYMBOLS["epsilon"]: 0}
    names = {s.name for e in (expr, *conds) for s in e.subs(at0).free_symbols}
    engine = "split" if epsilon == 0 and names <= split.SYMBOL_NAMES else "one-formula"
    head = {"strategy": strategy.value, "claim": str(expr), "where": [str(c) for c in conds], "max_x": max_x,
            "max_y": max_y, "alpha": None if alpha is None else str(alpha), "notion": notion,
            "epsilon": None if epsilon is None else str(epsilon), "epsilon_free": epsilon is None, "engine": engine,
            **scope(strategy, claim, notion)}
    maps = list(signal_maps(max_x, idempotent and strategy == Strategy.ERASURE))
    plan = (strategy, engine, max_x, max_y, maps, alpha, idempotent, epsilon, notion, rlimit)

    start = time.perf_counter()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    todo, total, settle = _settler(expr, conds, *plan)
    walked = _walk(todo, total, settle, engine, deadline, f"counterexample {strategy} {max_x}x{max_y}", progress)
    if walked["found"] is not None:
        found = walked["found"]
        return {**head, **found, "alpha": found["instance"]["alpha"], "case": walked["case"],
                "seconds": time.perf_counter() - start}
    done, unknown = walked["done"], walked["unknown"]
    covered = {"cases": total, "settled": done - len(unknown), "unknown": len(unknown), "not_reached": total - done}
    if unknown or done < total:
        why = []
        if done < total:
            why.append(f"the {timeout_s:g} s budget ran out after {done} of {total} cases")
        if unknown:
            why.append(f"{len(unknown)} cases unknown ({unknown[0]}{' ...' if len(unknown) > 1 else ''})")
        return {"status": "unknown", "reason": "; ".join(why), "covered": covered, "unknown_cases": unknown,
                **head, "seconds": time.perf_counter() - start}
    doc = {"status": "none", "covered": covered, **head}
    if where:
        # 'none' under conditions that no instance meets says nothing: count the cases in which some instance
        # meets them (the same cases, the claim replaced by one that every instance breaks: success <= 1 < 2).
        todo, total, settle = _settler(sp.Integer(2), conds, *plan)
        kept = _walk(todo, total, settle, engine, deadline, f"--where {strategy} {max_x}x{max_y}", progress,
                     count=True)
        doc["where_kept"] = {"cases": total, "kept": kept["sat"], "excluded": kept["done"] - kept["sat"]
                             - len(kept["unknown"]), "unknown": len(kept["unknown"]),
                             "not_reached": total - kept["done"]}
    return {**doc, "seconds": time.perf_counter() - start}


def scope(strategy: Strategy, claim: str, notion: str = notions.DEFAULT) -> dict:
    """Which strategy each result named in ``claim`` is stated for ("stated_for": id -> strategy), and those
    stated for another strategy than the one searched ("out_of_scope"): a counterexample there refutes applying
    that result's bound to ``strategy``, not the result as stated (check-instance --result refuses such a pair).

    >>> scope(Strategy.FEATURE_ONLY, "thm1 + thm3")
    {'stated_for': {'thm1': 'feature-label', 'thm3': 'feature-only'}, 'out_of_scope': ['thm1']}
    """
    from theory.catalog import result

    stated = {i: result(i, notion).strategy.value for i in sorted(_results_in(claim))}
    return {"stated_for": stated, "out_of_scope": [i for i, s in stated.items() if s != strategy.value]}


def _settler(expr: sp.Expr, conds: tuple, strategy: Strategy, engine: str, max_x: int, max_y: int, maps: list,
             alpha, idempotent: bool, epsilon, notion: str, rlimit: int):
    """The cases of a search for an instance whose success is below ``expr`` where ``conds`` hold, their count,
    and the function settling one case: (status, confirmed result or None, reason)."""
    from verify import encode as split

    if engine == "split":
        at0 = {SYMBOLS["epsilon"]: 0}
        e0, c0 = expr.subs(at0), tuple(c.subs(at0) for c in conds)

        def settle(case, deadline):
            return split.settle(strategy, case, max_x, max_y, e0, c0, alpha, rlimit,
                                lambda inst: confirm(inst, expr, conds, Fraction(0), notion), deadline)
        return split.cases(strategy, max_x, max_y, maps), split.count_cases(strategy, max_x, max_y, maps), settle

    formula, vars = encode(strategy, expr, max_x, max_y, alpha, idempotent, conds, epsilon, notion)

    def settle(g, deadline):
        fixed = [vars["signal"][x][z] == (g[x] == z) for x in range(max_x) for z in range(max_x)]
        left = None if deadline is None else max(1, int((deadline - time.monotonic()) * 1000))
        status, _, model, reason = z3util.check(z3.And(formula, *fixed), left, rlimit)
        if status != "sat":
            return status, None, reason
        try:
            inst, eps = _instance(model, vars, strategy, alpha, epsilon)
        except z3util.NonRationalValue as e:
            return "unknown", None, str(e)
        return "sat", confirm(inst, expr, conds, eps, notion), ""
    return maps, len(maps), settle


def _walk(todo, total: int, settle, engine: str, deadline, desc: str, progress, count: bool = False) -> dict:
    """Settle the cases in turn until the deadline: {"found" (the first confirmed result, unless ``count``),
    "case" (its name), "done", "sat" (cases with one), "unknown" (["name: reason"])}. A case isomorphic to one
    settled before (``image_of``) is settled as that one was."""
    import sys

    from tqdm import tqdm

    unknown: list[str] = []
    verdict: dict[str, str] = {}
    done = sat = 0
    bar = tqdm(todo, total=total, desc=desc, unit="case", file=sys.stderr, leave=False,
               disable=None if progress is None else not progress)
    try:
        for case in bar:
            if deadline is not None and deadline - time.monotonic() <= 0:
                break
            name = case.describe() if engine == "split" else f"g={list(case)}"
            if engine == "split" and case.image_of is not None:  # isomorphic to a case settled before
                rep = case.image_of.describe()
                status, found, reason = verdict[rep], None, f"as {rep}"
            else:
                status, found, reason = settle(case, deadline)
            if count and status == "sat" and found is not None and found["status"] != "counterexample":
                status, reason = "unknown", "a model that exact arithmetic does not confirm"
            verdict[name] = status
            done += 1
            if status == "sat":
                sat += 1
                if not count:
                    return {"found": found, "case": name, "done": done, "sat": sat, "unknown": unknown}
            if status == "unknown":
                unknown.append(f"{name}: {reason}")
                bar.set_postfix(unknown=len(unknown))
    finally:
        bar.close()
    return {"found": None, "case": None, "done": done, "sat": sat, "unknown": unknown}


def _alpha(value) -> Fraction:
    from theory.numbers import read
    a = value if isinstance(value, Fraction) else read(str(value))  # never Fraction(text): '1e999999999' hangs it
    if a is None:
        raise InputError(f"--alpha {value!r}: expected a number or a fraction a/b")
    if not 0 < a <= 1:
        raise InputError(f"--alpha = {a}: expected a collective size in (0, 1]")
    return a


def _epsilon(value) -> Fraction:
    from theory.numbers import read
    e = value if isinstance(value, Fraction) else read(str(value))  # never Fraction(text), as for --alpha
    if e is None:
        raise InputError(f"--epsilon {value!r}: expected a number or a fraction a/b")
    if not 0 <= e < 1:
        raise InputError(f"--epsilon = {e}: expected a suboptimality in [0, 1)")
    return e


def parse_condition(text: str, notion: str = notions.DEFAULT, fixed: dict | None = None) -> sp.Basic:
    """A condition such as "thm1 < 1" or "0 < xi <= 1/10 and Delta > 0" on the parameters (names as in
    ``parse_claim``)."""
    return parse_claim(text, notion, fixed=fixed, relation=True)


def _holds(condition: sp.Basic, values: dict) -> bool:
    """Whether a relation (or an And/Or/Not of relations) holds at exact values."""
    if isinstance(condition, (sp.And, sp.Or)):
        parts = [_holds(c, values) for c in condition.args]
        return all(parts) if isinstance(condition, sp.And) else any(parts)
    if isinstance(condition, sp.Not):
        return not _holds(condition.args[0], values)
    if condition in (sp.true, sp.false):
        return bool(condition)
    left, right = (exact_value(condition.lhs, values, "the condition's left side"),
                   exact_value(condition.rhs, values, "the condition's right side"))
    return bool(type(condition)(sp.Rational(left.numerator, left.denominator),
                                sp.Rational(right.numerator, right.denominator)))


def confirm(inst, expr: sp.Expr, where=(), epsilon=Fraction(0), notion: str = notions.DEFAULT) -> dict:
    """Check a found instance exactly with theory.instance: the least success over every epsilon-optimal
    firm (``worst_case``, at epsilon = 0 the Bayes-optimal firm's) < claim, or report it unconfirmed."""
    worst, prm = worst_case(inst, epsilon, notion), params(inst)
    values = {**prm, "alpha": inst.alpha, "epsilon": epsilon}
    value = exact_value(expr, values, "the claim")
    ok = worst.success < value and all(_holds(w, values) for w in where)
    return {"status": "counterexample" if ok else "unconfirmed", "instance": inst.to_json(),
            "epsilon": str(epsilon), "success": str(worst.success), "tied": list(worst.tied),
            "claim_value": str(value), "params": {k: None if v is None else str(v) for k, v in prm.items()}}
