"""Collective action against a differentially private learner: what privacy costs the collective.

Solanki, Bhange, Aivodji & Creager ("Crowding out the noise: algorithmic collective action under differential
privacy", arXiv 2505.05707, 2025) bound the collective's success under DP-SGD as a function of its size and
the privacy level; their statements could not be retrieved here beyond the abstract, so the results below are
**derived here** for two noisy learners, each with the argument it rests on:

- ``privacy-rr-bayes``: labels randomized by K-ary randomized response at level eps_DP (kept with probability
  q = e^eps/(e^eps + K - 1), else replaced by one of the K - 1 others uniformly; eps_DP-label-DP). The noisy
  joint is P~(x, y) = kappa P(x, y) + (1 - q)/(K - 1) P(x) with kappa = (e^eps - 1)/(e^eps + K - 1) > 0, an
  increasing affine map of P(x, .) at each x, so the Bayes-optimal classifier, its ties and every success are
  those of the noiseless firm: with infinite data privacy costs the collective nothing.
- ``privacy-rr-finite``: with finite data it does. A fresh signal point planted by n collective points (no
  base mass) is predicted y* unless some rival label gets at least as many noisy labels; by Hoeffding on each
  rival's count difference (steps in [-1, 1], mean kappa) and a union bound, success at the point has
  probability >= 1 - (K - 1) exp(-n kappa^2 / 2), so n = 2 ln((K-1)/(1-S*)) / kappa^2 members suffice. As
  eps -> 0, kappa ~ eps/K: the critical size grows like 1/eps^2.
- ``privacy-group``: any (eps, delta)-DP training (DP-SGD included) limits every group of n records by group
  privacy (Dwork & Roth 2014, Section 2.3: (n eps, n e^{(n-1) eps} delta)). Success is an average of event
  probabilities, so S <= e^{n eps} S_0 + n e^{(n-1) eps} delta, S_0 the success without the collective: with
  pure DP the collective needs n >= ln(S*/S_0)/eps members: a critical size that grows like 1/eps.

>>> sp.simplify(KAPPA.subs(eps_dp, sp.log(3)).subs(K, 2))
1/2
"""

from __future__ import annotations

import sympy as sp

from theory.parameters import SYMBOLS, parameter
import functools

from theory.result import Result
from theory.statement import Statement, state

FAMILY = "privacy"
IDS = ("privacy-rr-bayes", "privacy-rr-finite", "privacy-group")

S = SYMBOLS
eps_dp, delta_dp, K, n_c, S_star, S_0, alpha = (S[n] for n in ("eps_dp", "delta_dp", "K", "n_c", "S_star", "S_0",
                                                               "alpha"))

#: Probability that randomized response keeps a label, and the slope of the noisy joint in the clean one.
KEEP = sp.exp(eps_dp) / (sp.exp(eps_dp) + K - 1)
KAPPA = (sp.exp(eps_dp) - 1) / (sp.exp(eps_dp) + K - 1)


def noisy_joint_slope() -> sp.Expr:
    """kappa, derived: P~(x, y) = q P(x, y) + (1 - q)/(K - 1) (P(x) - P(x, y)); its coefficient of P(x, y)."""
    pxy, px = sp.symbols("P_xy P_x", nonnegative=True)
    noisy = KEEP * pxy + (1 - KEEP) / (K - 1) * (px - pxy)
    slope = sp.simplify(sp.diff(noisy, pxy))
    if sp.simplify(slope - KAPPA) != 0:
        raise ArithmeticError(f"randomized response's slope is {slope}, not kappa")
    return slope


def _checked_kappa() -> sp.Expr:
    """KAPPA, after checking that it is randomized response's slope (noisy_joint_slope)."""
    noisy_joint_slope()
    return KAPPA


def _rr_bayes() -> Statement:
    s_eps, s_clean = sp.Function("S_{eps}"), sp.Function("S")
    return state(
        id="privacy-rr-bayes", title="Label randomized response leaves the Bayes-optimal firm unchanged",
        kind="theorem", source="Derived here (theory/privacy.py; steps verify/field.py privacy.order), the setting of "
                               "Solanki et al. 2025 with label-DP randomized response",
        statement=(r"If every training label is replaced by K-ary randomized response at level "
                   r"$\varepsilon_{\mathrm{DP}}$, the noisy distribution is $\tilde P(x, y) = \kappa P(x, y) + "
                   r"\frac{1-q}{K-1} P(x)$ with $\kappa$ below, $q$ the keep probability. For "
                   r"$\varepsilon_{\mathrm{DP}} > 0$, $\kappa > 0$, so the Bayes-optimal classifier on $\tilde P$, "
                   r"its ties, and every collective's success equal those on $P$, for every $\alpha$: the infinite-data "
                   r"critical mass does not depend on the privacy level."),
        parameters=(parameter("alpha"), parameter("eps_dp"), parameter("K")), hypotheses=(),
        conclusion=sp.Eq(s_eps(alpha), s_clean(alpha)),
        extras={"kappa": _checked_kappa, "keep": KEEP},
    )


#: P(the plurality at x* is not y*) <= (K-1) exp(-n kappa^2 / 2) (Hoeffding, a union bound over the rivals).
RR_BOUND = 1 - (K - 1) * sp.exp(-n_c * KAPPA ** 2 / 2)


@functools.cache
def rr_members_needed() -> dict[str, sp.Expr]:
    """n* solving RR_BOUND = S* (checked against sympy's solve), and the limit of n* eps^2 as eps -> 0."""
    n_star = sp.simplify(2 * sp.log((K - 1) / (1 - S_star)) / KAPPA ** 2)
    (solved,) = sp.solve(sp.Eq(RR_BOUND, S_star), n_c)
    if sp.simplify(solved - n_star) != 0:
        raise ArithmeticError(f"solving the bound for n gives {solved}, not {n_star}")
    return {"n_star": n_star, "n_star_times_eps2_at_0": sp.limit(n_star * eps_dp ** 2, eps_dp, 0)}


def _rr_finite() -> Statement:
    bound = RR_BOUND
    return state(
        id="privacy-rr-finite", title="Members needed to plant a fresh signal through randomized response",
        kind="theorem", source="Derived here (theory/privacy.py): Hoeffding and a union bound over the K - 1 rivals",
        statement=(r"$n$ collective members plant $(x^*, y^*)$ at a point $x^*$ without base mass; the platform "
                   r"sees their labels through K-ary randomized response and predicts the plurality label at "
                   r"$x^*$ (a tie counts against the collective). The prediction is $y^*$ with probability at least "
                   r"the bound below, so $n^*$ below members reach success probability $S^*$; as "
                   r"$\varepsilon_{\mathrm{DP}} \to 0$, $n^* \varepsilon_{\mathrm{DP}}^2 \to 2K^2\ln((K-1)/(1-S^*))$."),
        parameters=(parameter("n_c"), parameter("eps_dp"), parameter("K")), hypotheses=(),
        conclusion=sp.Ge(sp.Function("S")(n_c), bound), bound=bound,
        extras={"n_star": lambda: rr_members_needed()["n_star"],
                "n_star_times_eps2_at_0": lambda: rr_members_needed()["n_star_times_eps2_at_0"], "kappa": KAPPA},
    )


def _group() -> Statement:
    upper = sp.exp(n_c * eps_dp) * S_0 + n_c * sp.exp((n_c - 1) * eps_dp) * delta_dp
    needed = sp.log(S_star / S_0) / eps_dp
    return state(
        id="privacy-group", title="Group privacy caps what a collective of n can do against a DP learner",
        kind="theorem", source="Derived here from group privacy (Dwork & Roth 2014, Section 2.3); the setting of "
                               "Solanki et al. 2025 (DP-SGD)",
        statement=(r"If the platform's training is $(\varepsilon_{\mathrm{DP}}, \delta_{\mathrm{DP}})$-DP with "
                   r"respect to changing one record, a collective of $n$ members that changes its own records reaches "
                   r"success at most $e^{n\varepsilon} S_0 + n e^{(n-1)\varepsilon}\delta$, where $S_0$ is the success "
                   r"with the members' original records. With $\delta = 0$ it needs $n \geq \ln(S^*/S_0)/"
                   r"\varepsilon_{\mathrm{DP}}$ members for success $S^*$."),
        parameters=(parameter("n_c"), parameter("eps_dp"), parameter("delta_dp"), parameter("S_0"),
                    parameter("S_star")),
        hypotheses=(), conclusion=sp.Le(sp.Function("S")(n_c), upper),
        extras={"upper": upper, "n_needed": needed},
    )


def statements() -> list[Statement]:
    """The privacy results as stated (theory.catalog derives them)."""
    return [_rr_bayes(), _rr_finite(), _group()]

def results(paper=None) -> dict[str, Result]:
    """The privacy results, derived, keyed by id (theory.catalog derives each when first asked for)."""
    from theory.catalog import result
    return {id: result(id) for id in IDS}

