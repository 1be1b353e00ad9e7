"""Exact instance checks: the least success over every eps-optimal firm against each applicable bound, or
against the bound of any result that states the instance's strategy (a stated one, verify.stated).

verify/ layer over theory/instance.py (the exact reference): it adds the theorems' hypotheses, so that an
instance outside a theorem (an erasure map that is not idempotent) is reported as such, not as a violation,
and theory.refuted's verdicts, so that a refuted bound failing is reported as a known refutation.

>>> from theory.instance import make_instance
>>> out = check_instance(make_instance([["1/2", 0], [0, "1/2"]], [1, 1], 0, "feature-label", "3/5"))
>>> out["success"], out["bound"], out["holds"]
('1', '2/3', True)
>>> out = check_instance(make_instance([[0, 0], ["1/2", "1/2"]], [0, 0], 0, "feature-label", "1/2"), "1/4")
>>> out["worst_case"]["success"], [(b["id"], b["notion"], b["value"], b["holds"]) for b in out["bounds"]][1:]
('0', [('thm1-corrected', 'tv', '0', True), ('thm1-corrected', 'mixture', '1/3', False)])
"""

from __future__ import annotations

from fractions import Fraction

from theory import exactint, notions
from theory.errors import InputError
from theory.instance import BOUND_OF, VALID_BOUND_OF, Instance, WorstCase, margin_budget, worst_case
from theory.refuted import refuted_at
from theory.strategy import Strategy


def hypotheses(inst: Instance, prm: dict | None = None) -> dict[str, bool]:
    """The hypotheses of the instance's theorem beyond what parse_instance validates (``prm``: its params)."""
    prm = exactint.params(inst) if prm is None else prm
    if inst.strategy == Strategy.FEATURE_ONLY:
        return {"p_positive": prm["p"] > 0}
    if inst.strategy == Strategy.ERASURE:
        g = inst.signal
        return {"g_idempotent": all(g[g[x]] == g[x] for x in range(inst.nx)), "tau_defined": prm["tau"] is not None}
    return {}


def _text(v: Fraction | None) -> str | None:
    return None if v is None else str(v)


def epsilon_value(value) -> Fraction:
    """An epsilon as an exact Fraction in [0, 1) ("1/4", "0.25", 0), read by theory.numbers.read (never
    evaluated, and bounded: "1e999999999" is refused at once): InputError otherwise."""
    from theory.numbers import read

    if isinstance(value, Fraction):
        eps = value
    elif isinstance(value, int) and not isinstance(value, bool):
        eps = Fraction(value)
    else:
        eps = read(str(value))
    if eps is None:
        raise InputError(f"epsilon = {value!r}: expected a number or a fraction a/b in [0, 1)")
    if not 0 <= eps < 1:
        raise InputError(f"epsilon = {eps}: expected a suboptimality in [0, 1)")
    return eps


def core(inst: Instance, epsilon: Fraction = Fraction(0), notion: str = notions.DEFAULT
         ) -> tuple[Fraction, dict, Fraction | None]:
    """Success, parameters and the strategy's valid bound (None where undefined) of one instance, in integer
    arithmetic on a common denominator (theory.exactint; identical to theory.instance's Fraction reference)."""
    return exactint.core(inst, epsilon, notion)


def applicable_bounds(inst: Instance, epsilon: Fraction, notion: str, prm: dict | None = None) -> list[dict]:
    """Every bound that speaks about the instance's strategy: the printed theorem and the corrected one in both
    notions' forms, each with its value, and whether it is valid for a firm of ``notion`` at ``epsilon``.

    A form is invalid where theory.refuted records it refuted for such a firm (the printed theorem for
    0 < eps < 1/2; the mixture form for a tv firm), or where the theorem's hypotheses fail.
    """
    prm = exactint.params(inst) if prm is None else prm
    hyp_ok = all(hypotheses(inst, prm).values())
    out = []
    forms = [(BOUND_OF[inst.strategy], notion), (VALID_BOUND_OF[inst.strategy], notion),
             (VALID_BOUND_OF[inst.strategy], next(n for n in notions.NOTIONS if n != notion))]
    for id, form in forms:
        value = exactint.bound(inst, prm, epsilon, form, id) if hyp_ok else None
        refutation = refuted_at(id, notion, {"epsilon": float(epsilon)}, form)  # e.g. the mixture form, tv firm
        out.append({"id": id, "notion": form, "value": _text(value),
                    "value_float": None if value is None else float(value),
                    "valid": value is not None and refutation is None,
                    "refuted": None if refutation is None else refutation.message()})
    return out


def check_instance(inst: Instance, epsilon=0, notion: str = notions.DEFAULT, result: str | None = None,
                   fixed: dict | None = None) -> dict:
    """The instance's exact success against every eps-optimal firm, and each applicable bound.

    Returns {"success", "success_float" (the Bayes-optimal firm's), "epsilon", "notion", "worst_case" (the
    least success over all firms that are epsilon-optimal under ``notion``, the points such a firm ties, the
    margin they cost and the budget), "bound", "bound_float" (the strategy's valid bound under ``notion``),
    "bounds" (every applicable bound: value, "holds" against the worst case, "valid", "refuted"), "params",
    "hypotheses", "holds"}. A bound is null where a hypothesis of its theorem fails; "holds" is true when
    every valid bound is at most the worst-case success (nothing is claimed where none is valid).

    ``result`` checks that result's bound instead (any result that states the instance's strategy, e.g. one
    from a results file; verify.stated.instance_bound, its parameters the instance does not determine from
    ``fixed``), against the same worst case.
    """
    epsilon, notion = epsilon_value(epsilon), notions.check(notion)
    s, prm, b_valid = core(inst, epsilon, notion)
    hyp = hypotheses(inst, prm)
    # epsilon = 0: the only 0-optimal firm is the Bayes-optimal one (ties already count against the collective);
    # epsilon > 0: theory.instance's exact knapsack over the points a firm can tie (Fractions).
    worst = (WorstCase(s, (), Fraction(0), margin_budget(0, notion), epsilon, notion) if epsilon == 0
             else worst_case(inst, epsilon, notion))
    if result is None:
        rows = applicable_bounds(inst, epsilon, notion, prm)
        b = b_valid if all(hyp.values()) else None
    else:
        b = _stated_bound(inst, result, fixed or {}, prm, epsilon, notion) if all(hyp.values()) else None
        refutation = refuted_at(result, notion, {"epsilon": float(epsilon)})
        rows = [{"id": result, "notion": _notion_of(result, notion), "value": _text(b),
                 "value_float": None if b is None else float(b), "valid": b is not None and refutation is None,
                 "refuted": None if refutation is None else refutation.message()}]
    for r in rows:
        r["holds"] = r["value"] is None or worst.success >= Fraction(r["value"])
    return {"success": str(s), "success_float": float(s), "epsilon": str(epsilon), "notion": notion,
            "worst_case": {"success": str(worst.success), "success_float": float(worst.success),
                           "tied": list(worst.tied), "cost": str(worst.cost), "budget": str(worst.budget)},
            "bound": _text(b), "bound_float": None if b is None else float(b), "bounds": rows,
            "params": {k: _text(v) for k, v in prm.items()}, "hypotheses": hyp,
            "holds": all(r["holds"] for r in rows if r["valid"])}


def _notion_of(id: str, notion: str) -> str | None:
    from theory.catalog import result
    return result(id, notion).notion


def _stated_bound(inst: Instance, id: str, fixed: dict, prm: dict, epsilon: Fraction,
                  notion: str) -> Fraction | None:
    from theory.catalog import result
    from verify.stated import instance_bound
    from verify.sympy_z3 import exact_value

    strategy = result(id, notion).strategy
    if strategy != inst.strategy:
        raise InputError(f"--result {id} bounds the {strategy} strategy's success; the instance plays {inst.strategy}")
    expr = instance_bound(id, fixed, epsilon, notion)
    names = {s.name for s in expr.free_symbols}
    values = {**prm, "alpha": inst.alpha}
    if any(values.get(n) is None for n in names) or ("p" in names and values["p"] == 0):
        return None
    return exact_value(expr, values, f"{id}'s bound")
