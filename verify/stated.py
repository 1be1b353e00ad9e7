"""Stated results in verify/: their proof steps for Z3, and their bounds on discrete instances.

verify/ layer over theory.catalog (theory <- verify). A result stated through theory.statement (from Python
or a results file) gets what a built-in one gets here: its steps run with ``critmass verify`` beside
Appendix B's, and its bound is checked on instances (``check-instance --result``) and searched for
counterexamples (``counterexample --claim ID``) wherever it states the strategy whose success it bounds.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from theory import notions
from theory.errors import InputError
from theory.parameters import SYMBOLS
from verify.sympy_z3 import name_of

#: The parameters an instance determines (theory.instance.params) and its collective size.
INSTANCE_PARAMETERS = ("alpha", "xi", "Delta", "p", "tau", "rho")


def steps() -> list:
    """The steps of every registered statement as verify.steps.Step objects, ids ``RESULT.STEP``."""
    from theory.catalog import stated_steps
    from verify.steps import Step

    return [Step(f"{rid}.{s.id}", rid, _builder(s), s.expect, s.note) for rid, s in stated_steps()]


def _builder(s):
    return lambda: (list(s.hypotheses), s.conclusion)


def with_strategy() -> list[str]:
    """Ids of every result (built-in or stated) that bounds a strategy's success on instances."""
    from theory.catalog import all_ids, statement

    return [i for i in all_ids() if statement(i).strategy is not None]


def instance_bound(id: str, fixed: dict[str, Fraction] | None = None, epsilon: Fraction | None = Fraction(0),
                   notion: str = notions.DEFAULT) -> sp.Expr:
    """Result ``id``'s bound, read under ``notion``, in the instance's terms: a sympy expression in alpha (the
    instance's collective size), xi, Delta, p, tau and rho, and epsilon where ``epsilon`` is None.

    Its other parameters take their values from ``fixed``; ``epsilon`` fixes the firm's (the Bayes-optimal
    firm's 0 by default), None leaves it free (a counterexample search over every eps). Where the result
    states ``collective`` (the instance's collective size as an expression in its parameters), its alpha is
    solved from ``collective = alpha``. Raises InputError naming a parameter with no value, or a result that
    bounds no strategy's success.

    >>> instance_bound("thm1")
    -Delta*xi*(1 - alpha)/alpha + 1
    >>> instance_bound("thm1-corrected", epsilon=None)
    -Delta*xi*(1 - alpha)/alpha + 1 - 2*epsilon/alpha
    """
    from theory.catalog import result

    r = result(id, notion)
    if r.strategy is None or r.bound is None:
        raise InputError(f"{id} bounds no strategy's success on discrete instances; results that do: "
                         f"{' '.join(with_strategy())}")
    fixed = dict(fixed or {})
    if "epsilon" in fixed:
        raise InputError("--set epsilon: the firm's epsilon is given with --epsilon")
    free = {SYMBOLS[n] for n in INSTANCE_PARAMETERS} | ({SYMBOLS["epsilon"]} if epsilon is None else set())
    values = {} if epsilon is None else {SYMBOLS["epsilon"]: _rational(epsilon)}
    for name, v in fixed.items():
        if name not in SYMBOLS:
            raise InputError(f"--set {name}: unknown parameter")
        if name in INSTANCE_PARAMETERS:
            raise InputError(f"--set {name}: the instance determines {name}; set only the result's other parameters")
        values[SYMBOLS[name]] = _rational(v)
    bound = r.bound
    alpha = SYMBOLS["alpha"]
    _guard(id, "bound", bound, values)
    if r.collective is not None:
        _guard(id, "collective", r.collective, values)
        acting = sp.Symbol("alpha_instance", positive=True)
        roots = sp.solve(sp.Eq(r.collective.xreplace(values), acting), alpha)
        if len(roots) != 1:
            raise InputError(f"{id}: cannot solve its collective {r.collective} = (the instance's alpha) for alpha "
                             "at these values")
        bound = bound.xreplace(values).subs(alpha, roots[0]).subs(acting, alpha)
    bound = sp.sympify(bound.xreplace(values), strict=True)
    missing = sorted(name_of(s) for s in bound.free_symbols if s not in free)
    if missing:
        raise InputError(f"{id}: no value for {' '.join(missing)}; give it with --set NAME=VALUE")
    return bound


def collective_domain(id: str, fixed: dict[str, Fraction] | None = None,
                      notion: str = notions.DEFAULT) -> tuple[sp.Basic, ...]:
    """Where result ``id`` states its ``collective``: its own alpha (the nominal size, solved from
    ``collective = alpha`` of the instance, as ``instance_bound`` does) kept in (0, 1], alpha's domain, as
    conditions on the instance's alpha; () where it states none. A search for counterexamples adds them, so
    that it never returns an instance whose nominal size lies outside the stated domain.

    >>> collective_domain("thm1")
    ()
    """
    from theory.catalog import result

    r = result(id, notion)
    if r.collective is None:
        return ()
    values = {SYMBOLS[k]: _rational(v) for k, v in (fixed or {}).items() if k in SYMBOLS}
    _guard(id, "collective", r.collective, values)
    alpha, acting = SYMBOLS["alpha"], sp.Symbol("alpha_instance", positive=True)
    roots = sp.solve(sp.Eq(r.collective.xreplace(values), acting), alpha)
    if len(roots) != 1:
        raise InputError(f"{id}: cannot solve its collective {r.collective} = (the instance's alpha) for alpha "
                         "at these values")
    nominal = roots[0].subs(acting, alpha)
    return tuple(c for c in (sp.StrictGreaterThan(nominal, 0), sp.LessThan(nominal, 1)) if c is not sp.true)


def _guard(id: str, what: str, expr: sp.Basic, values: dict) -> None:
    """Refuse (theory.expr.Beyond, one line) a part of ``expr`` beyond 2**MAX_BITS at the values given, before
    sympy substitutes them: its evalf of exp(exp(exp(64))) (in Min, Max or a comparison) never returns."""
    from theory.expr import Beyond, beyond, guard
    if not values:
        return
    try:
        guard(expr, values)
    except Beyond as e:
        shown = " ".join(f"{name_of(s)}={v}" for s, v in sorted(values.items(), key=lambda kv: name_of(kv[0])))
        raise e.restated(beyond(f"{id}'s {what}", expr, shown, e, "critmass evaluates exactly only "
                                f"{what}s whose parts are of at most that magnitude")) from None


def _rational(v) -> sp.Rational:
    f = Fraction(v)
    return sp.Rational(f.numerator, f.denominator)


def name(id: str) -> str:
    """How a result's bound is written in a claim: its id with '-' and '.' as '_' (``thm1-corrected`` ->
    ``thm1_corrected``)."""
    return id.replace("-", "_").replace(".", "_")


def claim_names(fixed: dict | None = None, notion: str = notions.DEFAULT) -> tuple[dict[str, sp.Basic], dict[str, str]]:
    """The names a claim may use: the instance's parameters and epsilon, and each result with a strategy by
    ``name`` standing for its bound in the instance's terms, read under ``notion`` (``name__tv``,
    ``name__mixture``: under that notion whatever ``notion``), epsilon left free; and, for results whose bound
    needs a value not given, the reason (to name in an error when the claim uses it)."""
    names: dict[str, sp.Basic] = {n: SYMBOLS[n] for n in (*INSTANCE_PARAMETERS, "epsilon")}
    missing: dict[str, str] = {}
    for id in with_strategy():
        for form in (notion, *notions.NOTIONS):
            key = name(id) if form == notion and name(id) not in names else f"{name(id)}__{form}"
            try:
                names[key] = instance_bound(id, fixed, None, form)
            except InputError as e:
                missing[key] = str(e)
    return names, missing


def acting_alpha(id: str, alpha, fixed: dict | None = None) -> Fraction:
    """The instance's collective size for a nominal ``alpha``: the result's ``collective`` at the values
    (alpha itself where it states none), exactly."""
    from theory.catalog import result
    from verify.sympy_z3 import exact_value

    r = result(id)
    alpha = Fraction(alpha)
    if r.collective is None:
        return alpha
    values = {**{k: Fraction(v) for k, v in (fixed or {}).items()}, "alpha": alpha}
    out = exact_value(r.collective, values)
    if not 0 < out <= 1:
        raise InputError(f"{id}: its collective {r.collective} is {out} at alpha={alpha}; expected a size in (0, 1]")
    return out
