"""The Result type: one theorem, corollary, lemma, claim or model, as sympy objects.

Sits between parameters.py (symbols) and paper.py (the founding paper's results).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from theory.parameters import ALPHA_STAR, Parameter, of_symbol
from theory.strategy import Strategy

KINDS = ("theorem", "corollary", "proposition", "lemma", "claim", "model")


@dataclass(frozen=True)
class CriticalMass:
    """An upper bound on the critical mass, derived by solving ``bound(alpha) >= target`` for alpha.

    ``alpha_star`` is valid exactly where ``reachable`` holds and ``degenerate`` does not.
    Where ``degenerate`` holds the bound does not depend on alpha, and every alpha > 0 reaches
    the target (critical mass 0); where ``reachable`` fails no alpha in (0, 1] reaches it.
    """

    alpha_star: sp.Expr
    reachable: sp.Basic
    degenerate: sp.Basic
    target: sp.Expr
    steps: tuple[str, ...] = ()
    #: "closed form" (``alpha_star`` is a formula, or a Piecewise over the candidate roots), or "numeric
    #: inverse" (``alpha_star`` contains ``crossing(target)``: found per point by a certified bisection).
    method: str = "closed form"
    reason: str = ""            # why no closed form, where method is "numeric inverse"
    monotonicity: str = ""      # how the bound was shown non-decreasing in alpha
    bound: sp.Expr | None = None  # the bound whose crossing of ``target`` alpha_star is

    def as_piecewise(self) -> sp.Piecewise:
        """The whole case split: the formula, 0 when degenerate, infinity when unreachable."""
        return sp.Piecewise(
            (sp.oo, sp.Not(self.reachable)),
            (sp.S.Zero, self.degenerate),
            (self.alpha_star, True),
        )


@dataclass(frozen=True)
class Result:
    """One result of the theory.

    Attributes:
      id: short identifier used on the command line (``thm1``, ``cor2``, ...).
      title: human-readable name.
      kind: one of KINDS.
      source: where it is stated, e.g. ``"Section 3.1, Theorem 1"``.
      statement: one-paragraph prose statement; inline math in ``$...$``.
      parameters: the parameters it is stated in, with their domains.
      hypotheses: sympy relations assumed beyond the parameter domains.
      conclusion: the claim as a sympy relation (or a Boolean of relations).
      bound: where the result bounds the success S(alpha) from below, that bound.
      critical_mass: where it bounds the critical mass, the derived bound.
      printed: for corollaries, the formula as printed in the paper.
      derived_from: id of the result this one is derived from.
      increasing_in_alpha: whether ``bound`` is non-decreasing in alpha on the domain.
      notion: for a result with an epsilon, the notion of eps-optimality it is read under (theory.notions:
        "tv" or "mixture"); None for a result without one.
    """

    id: str
    title: str
    kind: str
    source: str
    statement: str
    parameters: tuple[Parameter, ...]
    hypotheses: tuple[sp.Basic, ...]
    conclusion: sp.Basic
    bound: sp.Expr | None = None
    critical_mass: CriticalMass | None = None
    printed: sp.Expr | None = None
    derived_from: str | None = None
    increasing_in_alpha: bool = False
    notes: tuple[str, ...] = ()
    extras: dict[str, sp.Expr] = field(default_factory=dict)
    strategy: Strategy | None = None  # the strategy whose success ``bound`` bounds on discrete instances
    collective: sp.Expr | None = None  # the instance's collective size in the parameters (alpha if None)
    family: str = ""                # which family registered it (theory.catalog)
    notion: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} of {self.id} is not one of {KINDS}")
        names = {p.symbol for p in self.parameters}
        for expr in (self.bound, self.printed, self.conclusion):
            if expr is not None:
                stray = expr.free_symbols - names - {ALPHA_STAR}
                if stray:
                    raise ValueError(f"{self.id}: symbols {stray} are not among its parameters")

    def derived_equals_printed(self) -> bool | None:
        """For a result with a printed formula: does the derived critical mass simplify to it?"""
        if self.printed is None or self.critical_mass is None:
            return None
        return sp.simplify(self.critical_mass.alpha_star - self.printed) == 0


def params_of(*exprs: sp.Basic) -> tuple[Parameter, ...]:
    """The parameters occurring in some expressions, in a stable order (alpha first)."""
    syms = set().union(*(e.free_symbols for e in exprs if e is not None))
    found = [of_symbol(s) for s in syms if _is_parameter(s)]
    return tuple(sorted(found, key=lambda p: (p.name != "alpha", p.name.lower())))


def _is_parameter(s: sp.Basic) -> bool:
    try:
        of_symbol(s)
        return True
    except KeyError:
        return False
