"""Which results verify/ refutes, where, under which notion of eps-optimality, and what to use instead.

One registry for every output: theory.evaluate refuses to evaluate a refuted result on its refuted range
unless asked for the printed formula, and the CLI, the LaTeX, the report and the guide read their labels
from here. Each entry names the verify/ steps whose Z3 counterexample is the evidence (a test runs them and
checks that the counterexample lies in the recorded range).

>>> [r.result for r in refutations("thm1", "tv")]
['thm1']
>>> refuted_at("thm1", "tv", {"epsilon": 0.0}) is None, refuted_at("cor2", "mixture", {"epsilon": 0.05}).use
(True, 'cor2-corrected')
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from theory import notions
from theory.errors import InputError
from theory.parameters import SYMBOLS

_eps = SYMBOLS["epsilon"]

#: Where a printed eps-term is refuted. At eps >= 1/2 both eps/(1-eps) and 2 eps are >= 1, every bound built
#: on them is <= 0 and the statement is vacuously true; below, Z3 and exact instances refute it.
SMALL_EPS = sp.And(sp.Gt(_eps, 0), sp.Lt(_eps, sp.Rational(1, 2)))


@dataclass(frozen=True)
class Refutation:
    """A result (or one notion's form of it) that is false on a range of its parameters.

    Attributes:
      result: the result id (theory.paper).
      where: the range, a sympy condition on the result's parameters, on which it is refuted.
      firms: the notions of eps-optimal firm against which it fails.
      form: None when the result's formula is refuted whatever notion it is read under; a notion when only
        the formula written for that notion is refuted (used for the firms in ``firms``).
      steps: verify/ step ids whose counterexamples refute it (status "refuted", expected so).
      use: the id of the valid result to use instead; ``use_notion`` the notion to read it under (None: any).
      why: one sentence.
    """

    result: str
    where: sp.Basic
    firms: tuple[str, ...]
    form: str | None
    steps: tuple[str, ...]
    use: str
    use_notion: str | None
    why: str

    def applies(self, notion: str, form: str | None = None) -> bool:
        """Whether the result's formula for ``form`` (default: ``notion``) is refuted for firms of ``notion``."""
        return notion in self.firms and self.form in (None, notion if form is None else form)

    def where_text(self) -> str:
        """The range as text, e.g. ``0 < epsilon < 1/2``."""
        return "0 < epsilon < 1/2" if self.where == SMALL_EPS else str(self.where)

    def message(self) -> str:
        """One line: what is refuted where, the evidence and what to use."""
        what = self.result if self.form is None else f"{self.result} in its {self.form} form"
        firms = " and ".join(self.firms)
        use = self.use + (f" (notion {self.use_notion})" if self.use_notion else "")
        return (f"{what} is refuted for {self.where_text()} against {firms}-eps-optimal firms "
                f"(verify: {', '.join(self.steps)}); use {use}")


class RefutedError(InputError):
    """Asked to evaluate a result where it is refuted; ``refutation`` says where, why and what to use."""

    def __init__(self, refutation: Refutation):
        super().__init__(refutation.message() + "; or pass printed=True for the paper's formula")
        self.refutation = refutation


def _printed(thm: str, cor: str, n: int, steps: tuple[str, ...]) -> list[Refutation]:
    why = (f"Theorem {n}'s printed eps-term eps/(1-eps) is Lemma 11's margin at one point, but the firm can spend its "
           f"budget on many points, each carrying only alpha times its share of the collective")
    return [Refutation(thm, SMALL_EPS, notions.NOTIONS, None, steps, f"{thm}-corrected", None, why),
            Refutation(cor, SMALL_EPS, notions.NOTIONS, None, steps, f"{cor}-corrected", None,
                       f"derived from {thm}, which is refuted there")]


def _mixture_form(thm: str, cor: str) -> list[Refutation]:
    step = f"{thm}.mixture-under-tv"
    why = ("a TV-eps-optimal firm can lower the margins by 2 eps in total, more than the coupling's eps/(1-eps) "
           "for eps < 1/2")
    return [Refutation(f"{thm}-corrected", SMALL_EPS, ("tv",), "mixture", (step,), f"{thm}-corrected", "tv", why),
            Refutation(f"{cor}-corrected", SMALL_EPS, ("tv",), "mixture", (step,), f"{cor}-corrected", "tv",
                       f"derived from {thm}-corrected's mixture form")]


REFUTED: tuple[Refutation, ...] = (
    *_printed("thm1", "cor2", 1, ("thm1.eps.model", "thm1.eps.chain[k=1]", "thm1.eps.tv-model")),
    *_printed("thm3", "cor4", 3, ("thm3.eps.model", "thm3.eps.tv-model")),
    *_printed("thm5", "cor6", 5, ("thm5.eps.model", "thm5.eps.tv-model")),
    *_mixture_form("thm1", "cor2"),
    *_mixture_form("thm3", "cor4"),
    *_mixture_form("thm5", "cor6"),
    Refutation("lemma11", SMALL_EPS, ("tv",), "mixture", ("lemma11.tv-only",), "lemma11", "tv",
               "the paper assumes only TV(P, P') <= eps, which does not give the coupling P' = (1-eps) P + eps Q "
               "its proof uses; with TV alone the margin must be 2 eps (lemma11.tv-2eps)"),
)


def refutations(id: str, notion: str = notions.DEFAULT, form: str | None = None) -> list[Refutation]:
    """The entries that refute result ``id`` for firms of ``notion``, its formula written for ``form`` (default:
    the same notion); empty where it is valid everywhere."""
    notions.check(notion)
    return [r for r in REFUTED if r.result == id and r.applies(notion, form)]


def recorded(id: str) -> list[Refutation]:
    """Every entry about result ``id``, whichever notion (for listings: a mixture form refuted for tv firms)."""
    return [r for r in REFUTED if r.result == id]


@functools.cache
def _where_fn(where: sp.Basic):
    """The range's parameters and the range as a function of their exact values (theory.evaluate)."""
    from theory.evaluate import exact_condition
    from theory.parameters import of_symbol
    params = tuple(of_symbol(s) for s in sorted(where.free_symbols, key=str))
    return params, exact_condition(where, params)


def refuted_at(id: str, notion: str, values: dict, form: str | None = None) -> Refutation | None:
    """The first entry that refutes ``id`` (for firms of ``notion``, formula of ``form``) at ``values``, or None.

    ``values`` maps parameter names to numbers or numpy arrays; the result counts as refuted there when any
    entry of an array lies in the range. A parameter the range needs but ``values`` lacks counts as in range.
    Decided exactly on the values given (a float's exact binary value, a Fraction as it is): a typed
    epsilon = 1/2 - 10**-20 is in 0 < epsilon < 1/2, though its nearest float is 1/2.
    """
    from theory.fast import decide, exact_points
    from theory.numbers import Inexact
    from theory.statement import _written

    for r in refutations(id, notion, form):
        params, holds = _where_fn(r.where)
        args = [values.get(p.name) for p in params]
        if any(a is None for a in args):
            return r
        try:
            points = exact_points(args, [_written(p.name) for p in params])
        except Inexact:
            return r  # a value without an exact value (nan) counts as in range: never an unlabelled answer
        if decide(holds, points).any():
            return r
    return None
