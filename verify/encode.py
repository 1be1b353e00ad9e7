"""The counterexample search split into small Z3 queries, one per combination of discrete choices.

verify/ layer (theory <- verify). verify/counterexample.py's one-formula encoding leaves the signal map, the
firm's decisions and the parameters' maxima and minima to Z3 as booleans and disjunctions; beyond 2 x 2 Z3
does not finish. Here every discrete choice is a separate *case*, and each case is a conjunction of
polynomial constraints over the joint table:

- the signal map g, one per class under relabelling X (``counterexample.signal_maps``);
- the firm's decisions: for planting, at each signal point z whether f(z) = y* or which label y beats y*;
  for erasure, at each point the unique argmax or the pair of tied labels (and, at each signal point with
  mass, its erasure label; a signal point without mass carries no mass in its preimage either);
- alpha enters through gamma = alpha / (1 - alpha) > 0: the mixture divided by 1 - alpha is gamma P* + P0,
  with the same argmaxes and ties, so the decisions are bilinear in (gamma, P0) instead of products with
  both alpha and 1 - alpha, and a claim is multiplied out by its denominator where that is positive.

Success is then linear in the table. The parameters are first *relaxed* to one-sided bounds (Delta above
every gap, p below every conditional, tau above every deviation): every instance satisfies its relaxed
case, so an unsat relaxed case has no counterexample. A sat relaxed case is turned into an instance and
confirmed with exact arithmetic (theory.instance); only if it is not confirmed is the case re-run with the
exact definitions (the maximum or minimum attained at a chosen point). The union of the cases is every
instance up to the given size (zero rows and columns embed the smaller ones), so all cases unsat is a
proof that there is no counterexample. Each query has a deterministic resource limit (rlimit): a case
that exhausts it is 'unknown', never settled.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
import z3

from theory.parameters import SYMBOLS
from theory.strategy import Strategy
from verify import polynomials
from verify.polynomials import Any, Atom, Poly

T = 0  # the target label, by symmetry
#: The parameters a claim of the split search may use (eps = 0; rho and epsilon go to the one-formula encoding).
SYMBOL_NAMES = frozenset({"alpha", "xi", "Delta", "p", "tau"})


@dataclass(frozen=True)
class Case:
    """One combination of discrete choices.

    Attributes:
      g: the signal map.
      decisions: planting, per signal point (sorted): "hit" (f(z) = y*) or the label y that beats y*
        ("beat", y), or ("empty",) with one label; erasure, per point: ("top", y) or ("tie", y, y2).
      alive: erasure, the signal points with mass (the others have none in their preimage).
      labels: erasure, the erasure label of each alive signal point, (z, y) pairs.
      image_of: an earlier case that a relabelling of X preserving g maps this one to (``cases``), or None.
    """

    g: tuple[int, ...]
    decisions: tuple
    alive: tuple[int, ...] = ()
    labels: tuple[tuple[int, int], ...] = ()
    image_of: "Case | None" = None

    def describe(self) -> str:
        out = f"g={list(self.g)} f={list(self.decisions)}"
        return out + (f" erasure labels={dict(self.labels)}" if self.labels else "")


def _planting_choices(num_labels: int) -> list[tuple]:
    return ["hit"] + ([("beat", y) for y in range(1, num_labels)] if num_labels > 1 else [("empty",)])


def _erasure_choices(num_labels: int) -> list[tuple]:
    if num_labels == 1:
        return [("top", 0), ("tie",)]
    return [("top", y) for y in range(num_labels)] + [("tie", y, w) for y in range(num_labels) for w in range(y + 1, num_labels)]


def automorphisms(g: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The relabellings pi of X that commute with g (pi(g(x)) = g(pi(x))), the identity first: each maps an
    instance with signal map g to an isomorphic one with the same g (same success and parameters).

    >>> automorphisms((0, 0, 0))
    [(0, 1, 2), (0, 2, 1)]
    """
    return [pi for pi in itertools.permutations(range(len(g))) if all(pi[g[x]] == g[pi[x]] for x in range(len(g)))]


def _key(strategy: Strategy, num_labels: int, g, d, alive=(), labels=()) -> tuple:
    """A case's position in ``cases``' order within its signal map and number of alive points."""
    choices = _erasure_choices(num_labels) if strategy == Strategy.ERASURE else _planting_choices(num_labels)
    return alive, tuple(labels), tuple(choices.index(c) for c in d)


def _relabelled(strategy: Strategy, num_labels: int, case: "Case", pi) -> tuple:
    """The key of ``case`` with X relabelled by ``pi`` (an automorphism of its g)."""
    image = sorted(set(case.g))
    if strategy != Strategy.ERASURE:
        at = {pi[z]: c for z, c in zip(image, case.decisions)}
        return _key(strategy, num_labels, case.g, [at[z] for z in image])
    d = [None] * len(case.g)
    for x, c in enumerate(case.decisions):
        d[pi[x]] = c
    label = {pi[z]: y for z, y in case.labels}
    alive = tuple(sorted(label))
    return _key(strategy, num_labels, case.g, d, alive, [label[z] for z in alive])


def cases(strategy: Strategy, nx: int, num_labels: int, maps):
    """Every case for the signal maps ``maps`` (each g once per relabelling class), lazily: at 6 x 6 there are
    billions (``count_cases``), so the search walks them and never holds the list.

    A case that an automorphism of g (``automorphisms``) maps to one earlier in this order is yielded with
    ``image_of`` set to that earlier case: it has a counterexample exactly when that one does, and need not
    be solved again.
    """
    for g in maps:
        image, auts = sorted(set(g)), automorphisms(tuple(g))[1:]

        def tagged(case):
            if not auts:
                return case
            key = _key(strategy, num_labels, case.g, case.decisions, case.alive, [y for _, y in case.labels])
            best = min((_relabelled(strategy, num_labels, case, pi) for pi in auts), default=key)
            if best >= key:
                return case
            choices = _erasure_choices(num_labels) if strategy == Strategy.ERASURE else _planting_choices(num_labels)
            alive, labels, d = best
            return Case(case.g, case.decisions, case.alive, case.labels,
                        Case(case.g, tuple(choices[i] for i in d), alive, tuple(zip(alive, labels))))

        if strategy != Strategy.ERASURE:
            for d in itertools.product(_planting_choices(num_labels), repeat=len(image)):
                yield tagged(Case(tuple(g), d))
            continue
        for k in range(len(image), 0, -1):
            for alive in itertools.combinations(image, k):
                for labels in itertools.product(range(num_labels), repeat=len(alive)):
                    for d in itertools.product(_erasure_choices(num_labels), repeat=nx):
                        yield tagged(Case(tuple(g), d, alive, tuple(zip(alive, labels))))


def count_cases(strategy: Strategy, nx: int, num_labels: int, maps) -> int:
    """How many cases ``cases`` yields, without enumerating them."""
    total = 0
    for g in maps:
        k = len(set(g))
        if strategy != Strategy.ERASURE:
            total += len(_planting_choices(num_labels)) ** k
        else:
            total += sum(math.comb(k, a) * num_labels ** a for a in range(1, k + 1)) * len(_erasure_choices(num_labels)) ** nx
    return total


def _rational(v: Fraction) -> z3.ArithRef:
    return z3.RealVal(f"{v.numerator}/{v.denominator}")


@dataclass
class Query:
    """The constraints of one case, relaxed or exact, and the variables to read a model back.

    ``constraints`` holds verify.polynomials atoms (a polynomial against 0), ``Any`` disjunctions and, for a
    claim that stays a quotient, Z3 terms; ``terms()`` gives them all as Z3 terms.
    """

    constraints: list
    table: list  # [nx][num_labels] Z3 reals p0_x_y
    gamma: z3.ArithRef | None  # the free collective size, as gamma = alpha/(1-alpha) or alpha itself
    form: str = "gamma"

    def terms(self, extra=()) -> list:
        return polynomials.to_z3([*self.constraints, *extra])


def _positive_symbols(used: set[str]) -> dict:
    """Each parameter as a sympy symbol with its domain, to decide the sign of a claim's denominator."""
    dom = {"alpha": dict(positive=True), "gamma": dict(positive=True), "xi": dict(nonnegative=True),
           "Delta": dict(nonnegative=True), "p": dict(positive=True), "tau": dict(nonnegative=True),
           "rho": dict(positive=True), "epsilon": dict(nonnegative=True), "S": dict(nonnegative=True)}
    return {n: sp.Symbol(n, real=True, **dom.get(n, {})) for n in used}


@functools.lru_cache(maxsize=256)
def _numerator(rel: sp.Basic, alpha: Fraction | None, form: str, reciprocal_p: bool):
    """(numerator, operator) of ``rel`` (lhs - rhs against 0) with alpha written in ``form`` ("gamma":
    alpha = gamma/(1+gamma); "alpha": itself) and p as 1/q if ``reciprocal_p``: multiplied by the denominator
    where sympy proves that positive or negative, the quotient itself otherwise."""
    names = {s.name for s in rel.free_symbols}
    sym = _positive_symbols(names | {"gamma", "q"})
    expr = (rel.lhs - rel.rhs).subs({s: sym[s.name] for s in rel.free_symbols})
    if "alpha" in names:
        if alpha is not None:
            from theory.expr import Beyond, beyond, guard
            try:  # before sympy substitutes it: its evalf of exp(exp(exp(64))) (in Min, Max) never returns
                guard(expr, {sym["alpha"]: alpha})
            except Beyond as e:
                raise e.restated(beyond("the claim", rel, f"alpha={alpha}", e, "the search takes only "
                                        "claims whose parts are of at most that magnitude")) from None
            expr = expr.subs(sym["alpha"], sp.Rational(alpha.numerator, alpha.denominator))
        elif form == "gamma":
            expr = expr.subs(sym["alpha"], sym["gamma"] / (1 + sym["gamma"]))
    if reciprocal_p and "p" in names:
        expr = expr.subs(sym["p"], 1 / sym["q"])
    num, den = sp.fraction(sp.together(expr))
    if den.is_positive:
        return sp.expand(num), type(rel)
    if den.is_negative:
        return sp.expand(-num), type(rel)
    return expr, type(rel)


def _atoms(rel: sp.Basic) -> list:
    """The relations of a condition (an And/Or/Not of relations, or one relation)."""
    if isinstance(rel, (sp.And, sp.Or, sp.Not)):
        return [a for arg in rel.args for a in _atoms(arg)]
    return [] if rel in (sp.true, sp.false) else [rel]


def _degree(expr: sp.Expr) -> int:
    return sp.Poly(expr, *sorted(expr.free_symbols, key=str)).total_degree() if expr.is_polynomial() else 99


@functools.lru_cache(maxsize=256)
def forms(rels, alpha: Fraction | None) -> tuple[str, bool]:
    """How to write alpha ("gamma" or "alpha") and p (itself or 1/q) so that the claim and conditions multiply
    out to the lowest total degree (Z3's nonlinear solvers are much faster at degree 2 than at 3)."""
    best = None
    for form in (("gamma", "alpha") if alpha is None else ("alpha",)):
        for recip in (False, True):
            deg = sum(_degree(_numerator(a, alpha, form, recip)[0]) for r in rels for a in _atoms(r))
            if best is None or deg < best[0]:
                best = (deg, form, recip)
    return best[1], best[2]


def relation(rel: sp.Basic, alpha: Fraction | None, env: dict, form: str = "gamma",
             reciprocal_p: bool = False) -> list:
    """A sympy relation over the parameters (and ``S``, success) as constraints (``_numerator``): atoms
    (polynomials of ``env``'s ``Poly`` values against 0), an ``Any`` for a disjunction, or a Z3 term where
    the relation is not polynomial after clearing its denominator."""
    if rel in (sp.true, sp.false):
        return [] if rel == sp.true else [Poly.const(0) > 0]
    if isinstance(rel, sp.And):
        return [c for a in rel.args for c in relation(a, alpha, env, form, reciprocal_p)]
    if isinstance(rel, sp.Not) and not isinstance(rel.args[0], (sp.And, sp.Or, sp.Not)):
        return relation(rel.args[0].negated, alpha, env, form, reciprocal_p)
    if isinstance(rel, sp.Or):
        options = [relation(a, alpha, env, form, reciprocal_p) for a in rel.args]
        if all(isinstance(c, Atom) for o in options for c in o):
            return [Any(tuple(tuple(o) for o in options))]
    else:
        expr, op = _numerator(rel, alpha, form, reciprocal_p)
        try:
            out = _poly(expr, env)
        except ValueError:
            pass
        else:
            return [{sp.StrictLessThan: out < 0, sp.LessThan: out <= 0, sp.StrictGreaterThan: out > 0,
                     sp.GreaterThan: out >= 0, sp.Eq: out.eq(0), sp.Ne: out.ne(0)}[op]]
    return [_z3_relation(rel, alpha, env, form, reciprocal_p)]


def _poly(expr: sp.Expr, env: dict) -> Poly:
    """A sympy polynomial over ``env``'s names as a ``Poly``; ValueError where it is not one."""
    if isinstance(expr, sp.Symbol):
        return env[expr.name]
    if isinstance(expr, sp.Rational):
        return Poly.const(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sp.Add):
        return sum((_poly(a, env) for a in expr.args), Poly())
    if isinstance(expr, sp.Mul):
        out = Poly.const(1)
        for a in expr.args:
            out = out * _poly(a, env)
        return out
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp >= 0:
        out, base = Poly.const(1), _poly(expr.base, env)
        for _ in range(int(expr.exp)):
            out = out * base
        return out
    raise ValueError(f"{expr} is not a polynomial")


def _z3_relation(rel: sp.Basic, alpha: Fraction | None, env: dict, form: str, reciprocal_p: bool) -> z3.BoolRef:
    """A relation that is no conjunction of polynomial atoms, as one Z3 term."""
    from verify.sympy_z3 import to_z3

    if isinstance(rel, (sp.And, sp.Or, sp.Not)):
        parts = [_z3_relation(a, alpha, env, form, reciprocal_p) for a in rel.args]
        return {sp.And: z3.And, sp.Or: z3.Or, sp.Not: lambda p: z3.Not(p)}[type(rel)](*parts)
    expr, op = _numerator(rel, alpha, form, reciprocal_p)
    out, zero = to_z3(expr, {k: _z3_term(v) for k, v in env.items()}), z3.RealVal(0)
    return {sp.StrictLessThan: out < zero, sp.LessThan: out <= zero, sp.StrictGreaterThan: out > zero,
            sp.GreaterThan: out >= zero, sp.Eq: out == zero, sp.Ne: out != zero}[op]


def _z3_term(p: Poly) -> z3.ArithRef:
    terms = [_rational(c) * z3.Product(*[z3.Real(v) for v in m]) if m else _rational(c) for m, c in p.terms.items()]
    return z3.Sum(*terms) if len(terms) > 1 else terms[0] if terms else z3.RealVal(0)


def build(strategy: Strategy, case: Case, nx: int, num_labels: int, claim: sp.Expr, where: tuple, alpha: Fraction | None,
          exact: bool) -> tuple[Query, list[list]]:
    """The constraints of ``case``: an instance in the case with success < claim and every ``where``.

    Returns the query and, when ``exact``, the list of alternatives still to split (each a list of
    constraint sets, one of which must hold): the points where Delta and p are attained.
    """
    g, t = case.g, T
    j = [[Poly.var(f"p0_{x}_{y}") for y in range(num_labels)] for x in range(nx)]
    m = [sum(r, Poly()) for r in j]
    cs: list = [v >= 0 for r in j for v in r] + [sum(m, Poly()).eq(1)]
    S_sym = sp.Symbol("S", real=True, nonnegative=True)
    rels = (sp.StrictLessThan(S_sym, claim), *where)
    form, recip = forms(rels, alpha)
    if alpha is None and form == "gamma":  # the mixture divided by 1 - alpha: gamma P* + P0
        gamma = Poly.var("gamma")
        A, B = gamma, Poly.const(1)
        cs.append(gamma > 0)
    elif alpha is None:
        gamma = Poly.var("alpha")
        A, B = gamma, 1 - gamma
        cs += [gamma > 0, gamma < 1]
    elif alpha == 1:
        gamma, A, B = None, Poly.const(1), Poly.const(0)
    else:
        gamma, A, B = None, Poly.const(alpha), Poly.const(1 - alpha)
    image = sorted(set(g))
    star = [[Poly()] * num_labels for _ in range(nx)]
    if strategy == Strategy.FEATURE_LABEL:
        for x in range(nx):
            star[g[x]][t] = star[g[x]][t] + m[x]
    elif strategy == Strategy.FEATURE_ONLY:
        for x in range(nx):
            star[g[x]][t] = star[g[x]][t] + j[x][t]
            for y in range(num_labels):
                if y != t:
                    star[x][y] = star[x][y] + j[x][y]
    else:
        label = dict(case.labels)
        for z in image:
            if z in label:
                cs.append(m[z] > 0)
                L = label[z]
                cs += [j[z][L] > j[z][w] for w in range(L)] + [j[z][L] >= j[z][w] for w in range(L + 1, num_labels)]
            else:  # a signal point without mass: nothing maps onto it with mass
                cs += [v.eq(0) for x in range(nx) if g[x] == z for v in j[x]]
        for x in range(nx):
            if g[x] in label:
                star[x][label[g[x]]] = m[x]
    mix = [[A * star[x][y] + B * j[x][y] for y in range(num_labels)] for x in range(nx)]
    if strategy == Strategy.ERASURE:
        f = {}
        for x, d in enumerate(case.decisions):
            row = mix[x]
            if d[0] == "top":
                y = d[1]
                cs += [row[y] > 0] + [row[y] > row[w] for w in range(num_labels) if w != y]
                f[x] = y
            elif num_labels == 1:
                cs.append(row[0] <= 0)
            else:
                y, w2 = d[1], d[2]
                cs += [row[y].eq(row[w2])] + [row[y] >= row[w] for w in range(num_labels) if w not in (y, w2)]
        hit = [x in f and g[x] in f and f[x] == f[g[x]] for x in range(nx)]
    else:
        ok = {}
        for z, d in zip(image, case.decisions):
            row = mix[z]
            if d == "hit":
                cs += [row[t] > 0] + [row[t] > row[w] for w in range(num_labels) if w != t]
            elif d[0] == "beat":
                cs.append(row[d[1]] >= row[t])
            else:
                cs.append(row[t] <= 0)
            ok[z] = d == "hit"
        hit = [ok[g[x]] for x in range(nx)]
    S = sum((m[x] for x in range(nx) if hit[x]), Poly())

    used = {s.name for e in (claim, *where) for s in e.free_symbols}
    env = {"S": S, "xi": sum((m[z] for z in image), Poly())}
    if gamma is not None:
        env[form] = gamma
    split: list[list] = []
    if "Delta" in used:
        D = env["Delta"] = Poly.var("Delta")
        cs.append(D >= 0)
        cs += [D * m[z] >= j[z][y] - j[z][t] for z in image for y in range(num_labels) if y != t]
        if exact:
            split.append([[D.eq(0), *[j[z][y] <= j[z][t] for z in image for y in range(num_labels)]]]
                         + [[m[z] > 0, (D * m[z]).eq(j[z][y] - j[z][t])] for z in image for y in range(num_labels) if y != t])
    if "p" in used and recip:  # q = 1/p: q P0(y*, x) >= P0(x)
        q = env["q"] = Poly.var("q")
        cs.append(q > 0)
        cs += [q * j[x][t] >= m[x] for x in range(nx)]
        if exact:
            split.append([[m[x] > 0, (q * j[x][t]).eq(m[x])] for x in range(nx)])
    elif "p" in used:
        p = env["p"] = Poly.var("p")
        cs.append(p > 0)
        cs += [p * m[x] <= j[x][t] for x in range(nx)]
        if exact:
            split.append([[m[x] > 0, (p * m[x]).eq(j[x][t])] for x in range(nx)])
    if "tau" in used:
        # tau = sum_x tau_x, tau_x >= P0(x) |P0(y|x) - P0(y|g(x))| for every y, with the signal points'
        # conditionals c_z_y (c_z_y P0(z) = P0(z, y)) as variables: no division by P0(z), so that the paper's
        # proof of Theorem 5 is a sum of the constraints times bounds (verify.polynomials).
        cond = {}
        for z in image:
            cond[z] = [Poly.var(f"c_{z}_{y}") for y in range(num_labels)]
            cs += [c >= 0 for c in cond[z]] + [sum(cond[z], Poly()).eq(1)]
            cs += [(cond[z][y] * m[z]).eq(j[z][y]) for y in range(num_labels)]
            if strategy == Strategy.ERASURE and z in label:  # the erasure label is P0(.|z)'s argmax, also in c
                L, c = label[z], cond[z]
                cs += [c[L] > c[w] for w in range(L)] + [c[L] >= c[w] for w in range(L + 1, num_labels)]
        tau_x = [Poly.var(f"tau_{x}") for x in range(nx)]
        env["tau"] = sum(tau_x, Poly())
        for x in range(nx):
            z = g[x]
            cs.append(tau_x[x] >= 0)
            if strategy != Strategy.ERASURE:
                cs.append(Any(((m[x].eq(0),), (m[z] > 0,))))  # tau is defined
            devs = [j[x][y] - m[x] * cond[z][y] for y in range(num_labels)]  # P0(x) (P0(y|x) - P0(y|g(x)))
            cs += [c for d in devs for c in (tau_x[x] >= d, tau_x[x] >= -d)]
            if exact:
                cs.append(Any(((m[x].eq(0), tau_x[x].eq(0)),
                               *[(m[z] > 0, tau_x[x].eq(s * d)) for d in devs for s in (1, -1)])))
    if not used <= SYMBOL_NAMES:
        raise ValueError(f"the split search encodes {sorted(SYMBOL_NAMES)}, not {sorted(used - SYMBOL_NAMES)}")
    cs += [c for r in rels for c in relation(r, alpha, env, form, recip)]
    table = [[z3.Real(f"p0_{x}_{y}") for y in range(num_labels)] for x in range(nx)]
    return Query(cs, table, None if gamma is None else z3.Real(form), form), split


def _instance(model, query: Query, case: Case, strategy: Strategy, alpha: Fraction | None):
    from theory.instance import make_instance
    from verify import z3util

    p0 = [[z3util.to_fraction(model.eval(v, model_completion=True))[0] for v in row] for row in query.table]
    if alpha is None:
        value = z3util.to_fraction(model.eval(query.gamma, model_completion=True))[0]
        alpha = value / (1 + value) if query.form == "gamma" else value
    return make_instance(p0, case.g, T, strategy, alpha)


def _alternatives(split: list[list]):
    """Every way of choosing one alternative from each split (their product)."""
    return itertools.product(*split) if split else [()]


def settle(strategy: Strategy, case: Case, nx: int, num_labels: int, claim: sp.Expr, where: tuple, alpha: Fraction | None,
           rlimit: int, confirm, deadline: float | None = None) -> tuple[str, dict | None, str]:
    """One case: ("unsat", None, ""), ("sat", confirmed result, "") or ("unknown", None, reason).

    The relaxed query first; a model of it that ``confirm`` (instance -> result dict) does not confirm sends
    the case to the exact query, split where the parameters' maxima and minima are attained. ``deadline``
    (time.monotonic) bounds the wall-clock time: a query cut by it is unknown.
    """
    from verify import z3util

    def check(constraints):  # the linear relaxation first (refutes the paper's cases in milliseconds), then nlsat
        if polynomials.refute_linear(constraints, rlimit, deadline)[0] == "unsat":
            return "unsat", None, ""
        return z3util.check_portfolio(polynomials.to_z3(constraints), rlimit, deadline)

    q, _ = build(strategy, case, nx, num_labels, claim, where, alpha, exact=False)
    status, model, reason = check(q.constraints)
    if status != "sat":
        return status, None, reason
    try:
        found = confirm(_instance(model, q, case, strategy, alpha))
        if found["status"] == "counterexample":
            return "sat", found, ""
    except z3util.NonRationalValue:
        pass
    q, split = build(strategy, case, nx, num_labels, claim, where, alpha, exact=True)
    reasons = []
    for choice in _alternatives(split):
        status, model, reason = check(q.constraints + [c for cs in choice for c in cs])
        if status == "unknown":
            reasons.append(reason)
        elif status == "sat":
            try:
                found = confirm(_instance(model, q, case, strategy, alpha))
            except z3util.NonRationalValue as e:
                reasons.append(str(e))
                continue
            return "sat", found, ""
    return ("unknown", None, "; ".join(reasons)) if reasons else ("unsat", None, "")
