"""The one door to Z3: a seeded, budgeted solver factory, proofs by refutation, exact model values.

Bottom of the verify layer (theory <- verify): every query in verify/ goes through ``new_solver``, so each
one runs with pinned random seeds and a deterministic resource limit (Z3's rlimit, a count of its own work):
the same query gets the same status on a quiet machine and on a loaded one. A wall-clock timeout is added
only where a caller asks for one (the counterexample search bounds its time); the proof steps have none.
``unknown`` (an exhausted rlimit, a timeout, an incomplete theory) is a failure, never a pass.

>>> x = z3.Real("x")
>>> prove(x * x >= 0).status
'proven'
>>> out = prove(x > 1, [x > 0])
>>> out.status, out.counterexample["x"] <= 1
('refuted', True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import z3

SEED = 0
#: No wall-clock limit by default: a status must not depend on how busy the machine is.
TIMEOUT_MS: int | None = None
#: Z3's deterministic work counter, per query; the same query exhausts it at the same point on every machine.
#: The costliest proof step (thm1.eps.corrected[k=4]) uses about 18 million, roughly 5 s on one core.
RLIMIT = 100_000_000

STATUSES = ("proven", "refuted", "unknown")


class NonRationalValue(ValueError):
    """A model assigned an irrational algebraic number where an exact rational was required."""


@dataclass(frozen=True)
class Outcome:
    """The result of one query.

    Attributes:
      status: "proven" (negation unsat), "refuted" (a counterexample) or "unknown" (a failure).
      seconds: wall-clock time of the check.
      counterexample: where refuted, the model as {name: Fraction}.
      approximate: names whose model value is an irrational algebraic number, given as a rational
        approximation (``APPROX_DIGITS`` decimals) rather than exactly.
      reason: Z3's reason where unknown.
    """

    status: str
    seconds: float
    counterexample: dict[str, Fraction] = field(default_factory=dict)
    approximate: tuple[str, ...] = ()
    reason: str = ""


APPROX_DIGITS = 20


def new_solver(timeout_ms: int | None = TIMEOUT_MS, rlimit: int = RLIMIT, logic: str | None = None,
               ctx: z3.Context | None = None) -> z3.Solver:
    """A solver with pinned seeds and a resource limit (and a wall-clock timeout only if ``timeout_ms`` is
    given): the only way verify/ makes one. ``ctx``: the Z3 context (default: Z3's main context)."""
    z3.set_param("smt.random_seed", SEED)
    z3.set_param("sat.random_seed", SEED)
    s = z3.SolverFor(logic, ctx=ctx) if logic else z3.Solver(ctx=ctx)
    s.set("random_seed", SEED)
    if timeout_ms is not None:
        s.set("timeout", int(timeout_ms))
    s.set("rlimit", int(rlimit))
    return s


#: The tactic for conjunctions of polynomial constraints (verify/encode.py's cases): Z3's nlsat after simplifying.
NLSAT = ("simplify", "propagate-values", "solve-eqs", "simplify", "qfnra-nlsat")


def fresh_context() -> z3.Context:
    """A new Z3 context for one query: every query in verify/ runs in its own (``check``, ``check_portfolio``,
    verify.polynomials.refute_linear). Z3's search depends on the order in which its context created terms,
    so in a shared context the same query could settle in one process and exhaust its rlimit in another,
    after other work; in a fresh context its outcome and rlimit use depend on the query alone."""
    return z3.Context()


def check_portfolio(constraints, rlimit: int = RLIMIT, deadline: float | None = None
                    ) -> tuple[str, z3.ModelRef | None, str]:
    """Satisfiability of a conjunction: nlsat first, then Z3's default solver (incremental linearization), each
    seeded and bounded by ``rlimit`` (deterministic) and, if given, by a wall-clock ``deadline``
    (time.monotonic(); it can only turn an answer into "unknown").
    Returns ("sat" | "unsat" | "unknown", model or None, reason)."""
    reasons = []
    for make in (lambda ctx: z3.Then(*NLSAT, ctx=ctx).solver(), lambda ctx: new_solver(None, rlimit, ctx=ctx)):
        z3.set_param("smt.random_seed", SEED)
        z3.set_param("sat.random_seed", SEED)
        ctx = fresh_context()  # as in ``check``: the search does not depend on history
        s = make(ctx)
        s.set("rlimit", int(rlimit))
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                reasons.append("time budget spent")
                break
            s.set("timeout", max(1, int(left * 1000)))
        s.add(*[c.translate(ctx) for c in constraints])
        answer = s.check()
        if answer == z3.sat:
            return "sat", s.model().translate(constraints[0].ctx if constraints else z3.main_ctx()), ""
        if answer == z3.unsat:
            return "unsat", None, ""
        reasons.append(s.reason_unknown())
    return "unknown", None, "; ".join(reasons)


def to_fraction(value: z3.ExprRef, approximate: bool = False) -> tuple[Fraction, bool]:
    """A Z3 numeral as an exact Fraction; returns (value, exact).

    An irrational algebraic number raises NonRationalValue unless ``approximate``, in which case its
    decimal approximation (APPROX_DIGITS digits) comes back with exact = False.

    >>> to_fraction(z3.RealVal("3/7"))
    (Fraction(3, 7), True)
    """
    if z3.is_int_value(value):
        return Fraction(value.as_long()), True
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long()), True
    if z3.is_algebraic_value(value):
        if not approximate:
            raise NonRationalValue(f"model value {value} is an irrational algebraic number")
        text = value.as_decimal(APPROX_DIGITS).rstrip("?")
        return Fraction(text), False
    if z3.is_true(value) or z3.is_false(value):
        return Fraction(int(z3.is_true(value))), True
    raise NonRationalValue(f"model value {value} is not a number")


def model_values(model: z3.ModelRef, approximate: bool = True) -> tuple[dict[str, Fraction], tuple[str, ...]]:
    """Every constant of a model as {name: Fraction}, and the names that are only approximations."""
    values, inexact = {}, []
    for decl in model.decls():
        if decl.arity() != 0:
            continue
        v, exact = to_fraction(model[decl], approximate)
        values[decl.name()] = v
        if not exact:
            inexact.append(decl.name())
    return dict(sorted(values.items())), tuple(sorted(inexact))


def check(formula: z3.BoolRef, timeout_ms: int | None = TIMEOUT_MS, rlimit: int = RLIMIT) -> tuple[str, float, z3.ModelRef | None, str]:
    """Satisfiability of one formula: ("sat" | "unsat" | "unknown", seconds, model or None, reason).

    The query runs in a fresh Z3 context holding only ``formula`` (the model is translated back to the
    formula's context): Z3's search depends on the order in which its context created terms, so in a shared
    context the same query could settle in one process and exhaust its rlimit in another, after other work."""
    ctx = fresh_context()
    s = new_solver(timeout_ms, rlimit, ctx=ctx)
    s.add(formula.translate(ctx))
    start = time.perf_counter()
    answer = s.check()
    seconds = time.perf_counter() - start
    if answer == z3.sat:
        return "sat", seconds, s.model().translate(formula.ctx), ""
    if answer == z3.unsat:
        return "unsat", seconds, None, ""
    return "unknown", seconds, None, s.reason_unknown()


def prove(formula: z3.BoolRef, hypotheses=(), timeout_ms: int | None = TIMEOUT_MS, rlimit: int = RLIMIT) -> Outcome:
    """Prove ``hypotheses => formula`` for all values of its constants, by unsat of the negation."""
    status, seconds, model, reason = check(z3.And(*hypotheses, z3.Not(formula)), timeout_ms, rlimit)
    if status == "unsat":
        return Outcome("proven", seconds)
    if status == "sat":
        values, inexact = model_values(model)
        return Outcome("refuted", seconds, values, inexact)
    return Outcome("unknown", seconds, reason=reason)
