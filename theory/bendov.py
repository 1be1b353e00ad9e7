"""Ben-Dov, Fawkes, Samadi & Sanyal (ICML 2024): a reweighting learner strengthens small collectives and weakens
large ones. Their claims, stated so that they can be checked exactly, next to critmass's reweighting family.

Source: "The Role of Learning Algorithms in Collective Action", ICML 2024 (PMLR 235, arXiv 2405.06582). Its
text beyond the abstract could not be retrieved here; what is used of it: (a) the *effective collective size*
alpha_eff of a distributionally robust (reweighting) learner, the collective's share of the reweighted
training distribution; (b) the claim that DRO "can significantly affect the success of a collective of the
same size compared to ERM, by strengthening small collectives and weakening large collectives" (the authors'
group page, is.mpg.de/hml); (c) two-stage reweighting in the style of JTT (Liu et al. 2021): train ERM,
upweight its errors by lambda, retrain. The results below are **derived here** from (a)-(c):

- ``bendov-alpha-eff``: alpha_eff = alpha E_{P*}[w] / E_P[w], the collective's share of P_w = w P / E_P[w];
  it equals theory.reweighting's reweight-mixture (tested symbolically).
- ``bendov-jtt-window``: at a signal point x* where the base has no mass on y* (a feature-label collective with
  P*(x*) > 0), let t = alpha/(1 - alpha), r = max_{y != y*} P0(x*, y)/P*(x*) and r2 the second-largest such
  ratio. ERM (the Bayes-optimal first stage) predicts y* iff t > r. The JTT firm (errors of the first stage
  weighted lambda > 1) predicts y* iff t is in (max(r/lambda, r2), r) or t > lambda r. So it plants where ERM
  does not (t in (r/lambda, r): small collectives strengthened) and un-learns what ERM learned
  (t in [r, lambda r]: large collectives weakened): its success is not monotone in alpha.

``jtt_success`` computes the JTT firm's success exactly on any discrete instance (Fractions), so the window
and the alpha_eff reading (success = ERM's success at alpha_eff) can be checked on exact instances
(tests/learners/test_bendov.py): the window is exact; reading success off alpha_eff is not.

>>> from fractions import Fraction as F
>>> from theory.instance import make_instance
>>> inst = make_instance([["1/2", "1/4"], [0, "1/4"]], [1, 1], 0, "feature-label", "1/10")
>>> jtt_success(inst, 4), jtt_success(inst.with_alpha("3/10"), 4)  # ERM: 0 and 1
(Fraction(1, 1), Fraction(0, 1))
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from theory import instance as single
from theory.parameters import SUCCESS, SYMBOLS, parameter
from theory.result import Result
from theory.statement import Statement, state
from theory.strategy import Strategy

FAMILY = "bendov"
IDS = ("bendov-alpha-eff", "bendov-jtt-window")

alpha, lam, r_b, W_star, W_0 = (SYMBOLS[n] for n in ("alpha", "lambda", "r_b", "W_star", "W_0"))


def first_stage_errors(inst: single.Instance) -> tuple[tuple[bool, ...], ...]:
    """Cells (x, y) that the first stage (ERM = Bayes-optimal on the mixture) gets wrong: y != f(x); every cell
    of a point where f(x) is not a unique argmax."""
    f = single.predictions(inst)
    return tuple(tuple(f[x] is None or f[x] != y for y in range(inst.num_labels)) for x in range(inst.nx))


def jtt_table(inst: single.Instance, lam) -> single.Table:
    """w P: the mixture with the first stage's errors weighted ``lam`` (the normalizer E_P[w] changes no argmax)."""
    lam = Fraction(lam)
    errs = first_stage_errors(inst)
    return tuple(tuple((lam if e else 1) * v for v, e in zip(row, er))
                 for row, er in zip(single.mixture(inst), errs))


def jtt_success(inst: single.Instance, lam) -> Fraction:
    """The JTT firm's exact success: planting (f(g(x)) = y*) or erasure, with ties against the collective."""
    f = tuple(single.unique_argmax(row) for row in jtt_table(inst, lam))
    mass, g = single.marginal(inst.p0), inst.signal
    if inst.strategy == Strategy.ERASURE:
        return sum((mass[x] for x in range(inst.nx) if f[x] is not None and f[x] == f[g[x]]), Fraction(0))
    return sum((mass[x] for x in range(inst.nx) if f[g[x]] == inst.target), Fraction(0))


def jtt_alpha_eff(inst: single.Instance, lam) -> Fraction:
    """alpha_eff = alpha E_{P*}[w] / E_P[w] for the JTT weights (bendov-alpha-eff)."""
    lam = Fraction(lam)
    errs = first_stage_errors(inst)
    star, mix = single.collective_table(inst), single.mixture(inst)
    w_star = sum(((lam if e else 1) * v for row, er in zip(star, errs) for v, e in zip(row, er)), Fraction(0))
    w_mix = sum(((lam if e else 1) * v for row, er in zip(mix, errs) for v, e in zip(row, er)), Fraction(0))
    return inst.alpha * w_star / w_mix


def window(t: Fraction, r: Fraction, r2: Fraction, lam) -> bool:
    """bendov-jtt-window's prediction at one signal point: does the JTT firm predict y* there?"""
    lam = Fraction(lam)
    return (max(r / lam, r2) < t < r) or t > lam * r


def window_success(inst: single.Instance, lam) -> Fraction:
    """The window summed over the signal set, weighted by P*: needs P0(x*, y*) = 0 on X* (feature-label)."""
    star = single.collective_table(inst)
    t = inst.alpha / (1 - inst.alpha) if inst.alpha < 1 else None
    total = Fraction(0)
    for x in sorted(set(inst.signal)):
        s = star[x][inst.target]
        if s == 0:
            continue
        if inst.p0[x][inst.target] != 0:
            raise ValueError(f"window needs P0(x*, y*) = 0 on the signal set; x = {x} has {inst.p0[x][inst.target]}")
        ratios = sorted((inst.p0[x][y] / s for y in range(inst.num_labels) if y != inst.target), reverse=True)
        r, r2 = ratios[0], (ratios[1] if len(ratios) > 1 else Fraction(0))
        if t is None or window(t, r, r2, lam):
            total += s
    return total


def statements() -> list[Statement]:
    """Ben-Dov et al.'s results as stated (theory.catalog derives them)."""
    mixture = alpha * W_star / (alpha * W_star + (1 - alpha) * W_0)
    eff = state(
        id="bendov-alpha-eff", title="Effective collective size of a reweighting learner (Ben-Dov et al.)", kind="model",
        source="Ben-Dov, Fawkes, Samadi & Sanyal, ICML 2024, Section 4 (alpha_eff); the printed formula was not "
               "retrieved: derived here as the collective's share of the reweighted distribution",
        statement=(r"A learner that trains on $P_w = wP/E_P[w]$ sees the collective with weight "
                   r"$\alpha_{eff} = \alpha E_{P^*}[w]/E_P[w]$, written below with $E_P[w] = \alpha E_{P^*}[w] + "
                   r"(1-\alpha) E_{P_0}[w]$; it is theory.reweighting's reweight-mixture."),
        parameters=(parameter("alpha"), parameter("alpha_eff"), parameter("W_star"), parameter("W_0")),
        hypotheses=(), conclusion=sp.Eq(SYMBOLS["alpha_eff"], mixture), increasing=True,
        extras={"alpha_eff": mixture},
    )
    t = alpha / (1 - alpha)
    jtt = sp.Piecewise((1, sp.And(t > r_b / lam, t < r_b)), (1, t > lam * r_b), (0, True))
    win = state(
        id="bendov-jtt-window", title="Two-stage upweighting strengthens small collectives and weakens large ones",
        kind="claim",
        source="Claim of Ben-Dov et al., ICML 2024 (DRO strengthens small and weakens large collectives); the window "
               "is derived here (theory/bendov.py; Z3 step bendov.window; exact check tests/learners/test_bendov.py)",
        statement=(r"At a signal point without base mass on $y^*$, with $t = \alpha/(1-\alpha)$ and $r_b$ the base "
                   r"rival's mass over the collective's, ERM predicts $y^*$ iff $t > r_b$; the JTT firm (first-stage "
                   r"errors weighted $\lambda > 1$) iff $r_b/\lambda < t < r_b$ or $t > \lambda r_b$ (with two labels; "
                   r"with more, the lower end is $\max(r_b/\lambda, r_2)$, $r_2$ the second rival's ratio). Its "
                   r"success at the point is below; it falls from 1 to 0 as $\alpha$ crosses ERM's threshold."),
        parameters=(parameter("alpha"), parameter("lambda"), parameter("r_b")),
        hypotheses=(sp.Gt(lam, 1), sp.Lt(alpha, 1)), conclusion=sp.Eq(SUCCESS(alpha), jtt), bound=None,
        extras={"success": jtt, "erm_success": sp.Piecewise((1, t > r_b), (0, True))},
        notes=("critmass's reweighting family reads success off ERM at alpha_eff; on exact instances that reading "
               "misses the window (tests/learners/test_bendov.py), because what moves a decision is the weight "
               "ratio at the point, lambda or 1/lambda, not the global alpha_eff.",),
    )
    return [eff, win]

def results(paper=None) -> dict[str, Result]:
    """The Ben-Dov et al. results, derived, keyed by id (theory.catalog derives each when first asked for)."""
    from theory.catalog import result
    return {id: result(id) for id in IDS}

