"""Learners that reweight their samples: the collective's effective size and the critical mass it implies.

An extension family of the theory layer (pure sympy): stated through theory.statement on paper.py's
Theorems 1, 3 and 5 as valid for eps > 0 (``thmN-corrected`` under the same notion of eps-optimality), each
derivation lazy (theory.catalog derives and caches it when first asked for).

A firm that minimizes the w-weighted risk on ``P = alpha P* + (1-alpha) P0`` is Bayes-optimal for the
reweighted ``P_w = w P / E_P[w]``. Matching coefficients shows that ``P_w`` is again a mixture,
``alpha_eff P*_w + (1-alpha_eff) P0_w`` with ``P*_w = w P*/E_{P*}[w]`` and ``P0_w = w P0/E_{P0}[w]``, and
solves for ``alpha_eff``. The paper's theorems then hold with ``alpha_eff`` in place of alpha and with
the signal's parameters (xi, Delta, p, tau) taken under the reweighted base ``P0_w``, and their
success measure under ``P*_w``, which is ``P*`` where ``w`` is constant on the collective's support.

>>> from theory.paper import result
>>> result("reweight-jtt").extras["alpha_eff"]
alpha*(\\lambda*e_c - e_c + 1)/(\\lambda*e_P - e_P + 1)
"""

from __future__ import annotations

import functools

import sympy as sp

from theory.parameters import SYMBOLS, parameter
from theory.result import Result
from theory.statement import Statement, state

FAMILY = "reweighting"

S = SYMBOLS
alpha, alpha_eff, S_star = S["alpha"], S["alpha_eff"], S["S_star"]
W_star, W_0 = S["W_star"], S["W_0"]
K, q_ystar, Q_sig, P0_sig = S["K"], S["q_ystar"], S["Q_sig"], S["P0_sig"]
lam, e_c, e_P, e_0 = S["lambda"], S["e_c"], S["e"], S["e_0"]
cvar_level, t_c = S["cvar_level"], S["t_c"]

#: Which of the paper's theorems each scheme's corollaries are derived from, and the corollary they mirror: the
#: form valid for eps > 0 (the printed eps-extensions are refuted, theory.refuted); at eps = 0 it is the printed one.
COROLLARY_OF = {"cor2": "thm1-corrected", "cor4": "thm3-corrected", "cor6": "thm5-corrected"}

#: The schemes, each with the strategies (corollaries) its derivation of E_{P*}[w] covers.
SCHEMES = {
    "mixture": ("cor2", "cor4", "cor6"),
    "inverse-class": ("cor2",),
    "importance": ("cor2", "cor4"),
    "jtt": ("cor2", "cor4", "cor6"),
    "cvar": ("cor2", "cor4", "cor6"),
}

IDS = tuple(i for name, cors in SCHEMES.items() for i in (f"reweight-{name}", *(f"reweight-{name}-{c}" for c in cors)))


def mixture_alpha_eff() -> sp.Expr:
    """Solve ``w P / E_P[w] = a P*_w + (1-a) P0_w`` for ``a`` by matching coefficients of P*(z) and P0(z).

    >>> sp.simplify(mixture_alpha_eff() - alpha * W_star / (alpha * W_star + (1 - alpha) * W_0))
    0
    """
    ps, p0, w, a = sp.symbols("p_star p_0 w a", positive=True)  # P*(z), P0(z), w(z) at one point z
    mean_w = alpha * W_star + (1 - alpha) * W_0  # E_P[w], by linearity of expectation over the mixture
    reweighted = w * (alpha * ps + (1 - alpha) * p0) / mean_w
    as_mixture = a * w * ps / W_star + (1 - a) * w * p0 / W_0
    num = sp.numer(sp.together(reweighted - as_mixture))
    coeffs = sp.Poly(sp.expand(num), ps, p0).as_dict()
    (sol,) = sp.solve(coeffs[(1, 0)], a)
    if sp.simplify(coeffs[(0, 1)].subs(a, sol)) != 0:
        raise ArithmeticError("the reweighted mixture is not a mixture of P*_w and P0_w")
    return sp.factor(sol)


def inverse_alpha_eff() -> sp.Expr:
    """The collective size that a given effective size needs: ``mixture_alpha_eff`` solved for alpha."""
    (sol,) = sp.solve(sp.Eq(mixture_alpha_eff(), alpha_eff), alpha)
    return sp.factor(sol)


def _alpha_eff_from(mean_w_star: sp.Expr, mean_w: sp.Expr) -> sp.Expr:
    """alpha_eff for a scheme given E_{P*}[w] and E_P[w] (E_{P0}[w] follows from the mixture)."""
    base_mean = (mean_w - alpha * mean_w_star) / (1 - alpha)
    return sp.factor(sp.simplify(mixture_alpha_eff().subs({W_star: mean_w_star, W_0: base_mean}, simultaneous=True)))


@functools.cache
def scheme_alpha_eff(name: str) -> sp.Expr:
    """The derived alpha_eff of a scheme, from its weight function's two expectations.

    - inverse-class: w(x, y) = 1/P(y); the collective is all of class y*, P(y*) = alpha + (1-alpha) q;
      E_P[w] sums P(y)/P(y) over the K classes.
    - importance: covariate-shift weights w(x) = Q(x)/P(x) to a target Q, constant on the signal set X*
      that carries the collective; E_P[w] = sum_x Q(x) = 1.
    - jtt: w = lambda on the first stage's errors, 1 elsewhere; error rates e_c on P*, e on P.
    - cvar: w = 1/level on the tail of P-mass ``level`` (highest losses), 0 elsewhere; t_c of the
      collective lies in the tail (needs alpha t_c <= level).
    """
    j = sp.Symbol("j", integer=True, positive=True)
    if name == "mixture":
        return mixture_alpha_eff()
    if name == "inverse-class":
        return _alpha_eff_from(1 / (alpha + (1 - alpha) * q_ystar), sp.summation(sp.Integer(1), (j, 1, K)))
    if name == "importance":
        return _alpha_eff_from(Q_sig / (alpha + (1 - alpha) * P0_sig), sp.Integer(1))
    if name == "jtt":
        return _alpha_eff_from(*JTT_MEANS)
    if name == "cvar":
        return _alpha_eff_from(t_c / cvar_level, cvar_level * (1 / cvar_level))
    raise KeyError(name)


def jtt_in_base_error() -> sp.Expr:
    """JTT's alpha_eff with the overall error written as e = alpha e_c + (1-alpha) e_0; mixture-shaped in alpha."""
    return sp.factor(scheme_alpha_eff("jtt").subs(e_P, alpha * e_c + (1 - alpha) * e_0))


#: JTT's weight means: E_{P*}[w] and E_P[w] for w = lambda on the first stage's errors, 1 elsewhere.
JTT_MEANS = (1 + (lam - 1) * e_c, 1 + (lam - 1) * e_P)


@functools.cache
def jtt_amplification() -> dict[str, sp.Basic]:
    """When JTT amplifies the collective: the sign of alpha_eff - alpha, derived by factoring.

    ``alpha_eff - alpha = alpha (E_{P*}[w] - E_P[w]) / E_P[w]`` (checked), and E_P[w] > 0, so the sign
    is that of ``E_{P*}[w] - E_P[w]``, solved for e_c with lambda > 1 (in e and in the base error e_0).
    Also returns the factor by which a collective that the first stage already gets right (e_c = 0)
    is shrunk.

    >>> jtt_amplification()["amplifies_when"]
    e_P < e_c
    """
    mean_star, mean = JTT_MEANS
    gap = sp.factor(scheme_alpha_eff("jtt") - alpha)
    if sp.simplify(gap - alpha * (mean_star - mean) / mean) != 0:
        raise ArithmeticError("alpha_eff - alpha is not alpha (E_{P*}[w] - E_P[w]) / E_P[w]")
    diff = mean_star - mean
    in_base = alpha * e_c + (1 - alpha) * e_0
    return {
        "gap": gap,
        "amplifies_when": _positive_when(diff),
        "gap_in_base_error": sp.factor(jtt_in_base_error() - alpha),
        "amplifies_when_in_base_error": _positive_when(diff.subs(e_P, in_base)),
        "shrink_factor_learned": sp.simplify(scheme_alpha_eff("jtt").subs(e_c, 0) / alpha),
    }


def _positive_when(expr: sp.Expr) -> sp.Basic:
    """For lambda > 1 and alpha in (0, 1): the condition on e_c under which ``expr > 0``.

    Of the factors of ``expr``, all but one have a sign fixed by the symbols' assumptions (and
    alpha < 1); that one decides.
    """
    lam_minus_1, one_minus_alpha = sp.symbols("lambda_minus_1 one_minus_alpha", positive=True)
    expr = sp.factor(expr.subs(lam, 1 + lam_minus_1))

    def sign_of(f):  # +1, -1, or None; alpha < 1 is not an assumption of the symbol, so try 1 - alpha > 0
        for g in (f, f.subs(alpha, 1 - one_minus_alpha)):
            if g.is_positive or g.is_negative:
                return 1 if g.is_positive else -1
        return None

    factors = sp.Mul.make_args(expr)
    (decisive,) = [f for f in factors if sign_of(f) is None]
    sign = sp.prod([sign_of(f) for f in factors if f is not decisive])
    return sp.solve_univariate_inequality(sign * decisive > 0, e_c, relational=True)


def _model(name: str, extras: dict, hypotheses=(), notes=()) -> Statement:
    return state(
        f"reweight-{name}", f"Effective collective size under {_TITLES[name]}", kind="model",
        source="Extension: reweighting learners (research agenda); derived in theory/reweighting.py",
        statement=_STATEMENTS[name], hypotheses=hypotheses,
        conclusion=functools.partial(_alpha_eff_relation, name), increasing=True, notes=notes,
        extras={"alpha_eff": functools.partial(scheme_alpha_eff, name), **extras})


def _alpha_eff_relation(name: str) -> sp.Basic:
    return sp.Eq(alpha_eff, scheme_alpha_eff(name))


def _reweighted_bound(name: str, theorem: str, notion: str = "tv") -> sp.Expr:
    """The theorem's bound (under ``notion``) at alpha_eff, its normalizer cancelled so that the bound is
    linear-fractional."""
    from theory.catalog import statement
    in_alpha = jtt_in_base_error() if name == "jtt" else scheme_alpha_eff(name)  # JTT: e moves with alpha
    fixed, moving = statement(theorem, notion).bound.subs(alpha, in_alpha).as_independent(alpha, as_Add=True)
    return fixed + sp.factor(sp.cancel(moving))


def _corollary(name: str, cor: str, hypotheses=(), notion: str = "tv") -> Statement:
    from theory.catalog import statement
    theorem = statement(COROLLARY_OF[cor], notion)
    return state(
        f"reweight-{name}-{cor}", f"{theorem.title} under {_TITLES[name]}", kind="corollary",
        source=f"Extension: {theorem.source} with alpha_eff of reweight-{name}",
        statement=(rf"A firm that is $\epsilon$-optimal (notion \texttt{{{theorem.notion}}}) for the reweighted "
                   rf"distribution, with the collective's "
                   rf"effective size $\alpha_{{eff}}$ of reweight-{name}: {theorem.id}'s bound at $\alpha_{{eff}}$ "
                   r"and the critical mass for success $S^*$ it implies. The signal's parameters are those of the "
                   r"reweighted base distribution $P_{0,w} = w P_0 / E_{P_0}[w]$."),
        hypotheses=hypotheses, bound=functools.partial(_reweighted_bound, name, theorem.id, notion), target=S_star,
        derived_from=f"reweight-{name}", increasing=True, notion=theorem.notion)


_TITLES = {
    "mixture": "any reweighting", "inverse-class": "inverse class-frequency weighting",
    "importance": "covariate-shift importance weighting", "jtt": "two-stage error upweighting (JTT)",
    "cvar": "CVaR weighting",
}

_STATEMENTS = {
    "mixture": (r"A firm minimizing the $w$-weighted risk on $P = \alpha P^* + (1-\alpha) P_0$ is Bayes-optimal for "
                r"$P_w \propto w P = \alpha_{eff} P^*_w + (1-\alpha_{eff}) P_{0,w}$, with $\alpha_{eff}$ below."),
    "inverse-class": (r"With $w(x, y) = 1/P(y)$ over $K$ classes and a collective that all carries the label $y^*$ "
                      r"of base frequency $q$, the collective's effective size is below; it tends to $1/K$."),
    "importance": (r"With covariate-shift weights $w(x) = Q(x)/P(x)$ to a target $Q$, constant on the signal set "
                   r"$X^*$ that carries the collective, the collective's effective size is below."),
    "jtt": (r"With a first stage whose error rate is $e_c$ on the collective and $e$ on $P$, and its errors "
            r"upweighted by $\lambda$, the collective's effective size is below."),
    "cvar": (r"With CVaR weights ($1/\beta$ on the highest-loss tail of $P$-mass $\beta$) and a fraction $t_c$ of "
             r"the collective in the tail, the collective's effective size is below."),
}


def _jtt_notes() -> tuple[str, ...]:
    jtt = jtt_amplification()
    return (f"alpha_eff > alpha iff {jtt['amplifies_when']} (for lambda > 1), i.e. iff "
            f"{jtt['amplifies_when_in_base_error']}: the "
            "first stage errs more on the collective than on the base. A small collective whose signal "
            "the first stage has not learned (e_c = 1) is amplified; a large one whose signal it has "
            f"learned (e_c = 0) is shrunk by the factor {jtt['shrink_factor_learned']}.",)


def _jtt_extra(key: str) -> sp.Basic:
    return jtt_amplification()[key]


JTT_EXTRAS = ("gap", "amplifies_when", "gap_in_base_error", "amplifies_when_in_base_error", "shrink_factor_learned")


def statements(notion: str = "tv") -> list[Statement]:
    """Every reweighting result as stated under ``notion`` (the paper's theorems it builds on are read under
    it), in IDS order; the derivations are lazy."""
    found: list[Statement] = []
    for name, cors in SCHEMES.items():
        extras: dict = {}
        hyps: tuple = ()
        notes = ()
        if name == "mixture":
            extras = {"alpha_from_alpha_eff": inverse_alpha_eff}
        if name == "jtt":
            extras = {"alpha_eff_in_base_error": jtt_in_base_error,
                      **{k: functools.partial(_jtt_extra, k) for k in JTT_EXTRAS}}
            notes = _jtt_notes
        if name == "cvar":
            hyps = (sp.Le(alpha * t_c, cvar_level),)
        found.append(_model(name, extras, hyps, notes))
        found += [_corollary(name, cor, hyps, notion) for cor in cors]
    return found


def results(paper=None, notion: str = "tv") -> dict[str, Result]:
    """Every reweighting result, derived under ``notion``, keyed by id."""
    from theory.catalog import result
    return {id: result(id, notion) for id in IDS}


__all__ = ["FAMILY", "IDS", "SCHEMES", "inverse_alpha_eff", "jtt_amplification", "mixture_alpha_eff",
           "parameter", "results", "scheme_alpha_eff", "statements"]
