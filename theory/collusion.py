"""Gauthier, Bach & Jordan's feature-only and unplanting bounds, and critmass's binomial versions of them.

Sits beside theory/finite.py (GBJ's feature-label planting bound ``gbj`` and the tighter ``binomial``), with the
same finite-sample parameters. Source of GBJ's statements: "Statistical Collusion by Collectives on Learning
Platforms" (Gauthier, Bach & Jordan, ICML 2025, arXiv 2502.04879), Appendix B's algorithms, of which only
Algorithm 1 (feature-label planting) could be read here; the feature-only and unplanting bounds are taken from
their code, github.com/GauthierE/statistical-collusion at commit 722bfe4, ``src/utils.py`` (classes
SignalPlantingFO and SignalUnplanting; their notebooks fix N = 10^6, N_test = 10^5, delta = 0.05, eps = 0):

- **feature-only** (planting without changing labels): the collective's points with label y* move to g(x),
  the others to a fixed point x0 off the signal set. Same delta~ = delta/(2 + 2|X*| + 2|X*||Y|) and condition as
  planting, with P^ the collective's frequency of (x~, y*) after the move;
- **unplanting** (the classifier should *not* predict y* on the signal): the first n_est collective points
  estimate y^(x~) = argmax_{y != y*} P^(x~, y); the other n - n_est plant (g(x), y^(g(x))) and the estimation
  points are not submitted. delta~ = delta/(2 + 6|X*|); Delta^_x~ = P^_{n-n_est}(x~, y*) - P^_{n_est}(x~, y^);
  the condition's deviations are R(n) + R(n - n_est) + 2R(N - n) on the others' side; the bound counts the
  n - n_est planting points on certified x~ and divides by n, so it is at most (n - n_est)/n - R(n) - R(N_test).
  Their code counts |X*| as the *sum* of the free columns' cardinalities here (the product in planting): equal
  for their experiment, where one column is free; with two or more free columns it undercounts the union bound.

The binomial versions are **derived here** (the proof skeleton of theory/finite.py's BINOMIAL; steps in
verify/field.py): exact binomial tails in place of Hoeffding, Clopper-Pearson limits for what the collective
estimates from its own data.

>>> R = results()
>>> sorted(R), R["gbj-unplanting"].extras["events"]
(['binomial-feature-only', 'binomial-unplanting', 'gbj-feature-only', 'gbj-unplanting'], 6*|X^*| + 2)
"""

from __future__ import annotations

import sympy as sp

from theory.finite import (CP_hi, CP_lo, Delta_hat, F_cert, N, N_test, P_hat, Q_hi, Q_lo, SUCCESS, X_star, Y, _local,
                           _POS_INT, c, delta, k, m, n, radius)
from theory.notions import budget
from theory.parameters import parameter
from theory.result import Result
from theory.statement import Statement, state

FAMILY = "collusion"
IDS = ("gbj-feature-only", "gbj-unplanting", "binomial-feature-only", "binomial-unplanting")

n_est = _local("n_est", "n_{est}", _POS_INT, "collective points that estimate y^ (unplanting); not submitted", True,
               positive=True)
m_hat = _local("m_hat", r"m_{\hat y}", sp.Interval(0, sp.oo), "collective points on (x~, y^(x~)), untransformed",
               True, nonnegative=True)

SOURCE_CODE = "github.com/GauthierE/statistical-collusion @ 722bfe4, src/utils.py"


def _gbj_feature_only(notion: str = "tv") -> Statement:
    count = 2 + 2 * X_star.symbol + 2 * X_star.symbol * Y.symbol
    d = delta.symbol / count
    Nn, nn = N.symbol, n.symbol
    condition = ((nn / Nn) * (P_hat.symbol - 2 * radius(d, nn))
                 - ((Nn - nn) / Nn) * (Delta_hat.symbol + 2 * radius(d, nn) + 2 * radius(d, Nn - nn))
                 - budget(notion))  # Lemma 11's per-point margin under the notion (theory.finite._gbj)
    bound = F_cert.symbol - radius(d, nn) - radius(d, N_test.symbol)
    return state(
        id="gbj-feature-only", title="Finite-sample feature-only planting success (Gauthier, Bach & Jordan)",
        kind="theorem", source=f"Gauthier, Bach & Jordan, ICML 2025; formula from {SOURCE_CODE}, SignalPlantingFO",
        statement=(r"The collective moves its points with label $y^*$ to $(g(x), y^*)$ and the others to a point "
                   r"$x_0$ off the signal set, labels unchanged. With $\tilde\delta = \delta/(2 + 2|X^*| + "
                   r"2|X^*||Y|)$, $\hat P$ the collective's frequency of $(\tilde x, y^*)$ after the move and "
                   r"$\hat\Delta_{\tilde x}$ its raw gap, the test success is at least $\hat F - R(\tilde\delta, n) - "
                   r"R(\tilde\delta, N_{test})$ with probability $\geq 1 - \delta$, $\hat F$ the fraction of "
                   r"collective points whose $g(x)$ satisfies the condition $> 0$."),
        parameters=(N, n, N_test, X_star, Y, delta, P_hat, Delta_hat, F_cert, parameter("epsilon")),
        hypotheses=(sp.Lt(n.symbol, N.symbol),), conclusion=sp.Ge(SUCCESS(n.symbol), bound), bound=bound,
        extras={"events": count, "condition": condition}, notion=notion,
    )


def _gbj_unplanting(notion: str = "tv") -> Statement:
    count = 2 + 6 * X_star.symbol
    d = delta.symbol / count
    Nn, nn, ne = N.symbol, n.symbol, n_est.symbol
    condition = ((nn / Nn) * (P_hat.symbol - 2 * radius(d, nn))
                 - ((Nn - nn) / Nn) * (Delta_hat.symbol + radius(d, nn) + radius(d, nn - ne) + 2 * radius(d, Nn - nn))
                 - budget(notion))  # Lemma 11's per-point margin under the notion (theory.finite._gbj)
    bound = F_cert.symbol - radius(d, nn) - radius(d, N_test.symbol)
    return state(
        id="gbj-unplanting", title="Finite-sample signal unplanting success (Gauthier, Bach & Jordan)", kind="theorem",
        source=f"Gauthier, Bach & Jordan, ICML 2025; formula from {SOURCE_CODE}, SignalUnplanting",
        statement=(r"The collective's first $n_{est}$ points estimate $\hat y(\tilde x) = \arg\max_{y \neq y^*} "
                   r"\hat P(\tilde x, y)$; the other $n - n_{est}$ submit $(g(x), \hat y(g(x)))$. With "
                   r"$\tilde\delta = \delta/(2 + 6|X^*|)$, $\hat\Delta_{\tilde x} = \hat P_{n - n_{est}}(\tilde x, "
                   r"y^*) - \hat P_{n_{est}}(\tilde x, \hat y)$ and $\hat P$ the planting points' frequency of "
                   r"$\tilde x$, the success $P(f(g(x)) \neq y^*)$ is at least $\hat F - R(\tilde\delta, n) - "
                   r"R(\tilde\delta, N_{test})$ with probability $\geq 1-\delta$; $\hat F$ counts the planting points "
                   r"on certified $\tilde x$ over $n$, so $\hat F \leq (n - n_{est})/n$."),
        parameters=(N, n, n_est, N_test, X_star, delta, P_hat, Delta_hat, F_cert, parameter("epsilon")),
        hypotheses=(sp.Lt(n_est.symbol, n.symbol), sp.Lt(n.symbol, N.symbol), sp.Le(F_cert.symbol, (nn - ne) / nn)),
        conclusion=sp.Ge(SUCCESS(n.symbol), bound), bound=bound,
        extras={"events": count, "condition": condition, "saturated": (nn - ne) / nn - radius(d, nn)
                - radius(d, N_test.symbol)},
        notes=("GBJ's code sets |X*| to the sum of the free columns' cardinalities in delta~ (the product in "
               "planting); with one free column, as in their experiment, the two agree.",),
        notion=notion,
    )


def _binomial_feature_only() -> Statement:
    count = 2 + 2 * X_star.symbol * Y.symbol
    d = delta.symbol / count
    Nn, nn, nt = N.symbol, n.symbol, N_test.symbol
    condition = sp.Gt(Q_lo(nn, CP_lo(c.symbol, nn, d), d), Q_hi(Nn - nn, CP_hi(m.symbol, nn, d), d))
    bound = Q_lo(nt, CP_lo(k.symbol, nn, d), d) / nt
    return state(
        id="binomial-feature-only", title="Finite-sample feature-only planting success, exact binomial tails",
        kind="theorem", source="Derived here (theory/collusion.py) from theory/finite.py's binomial bound",
        statement=(r"As binomial, with $c(\tilde x)$ the collective's points with label $y^*$ and $g(x) = \tilde "
                   r"x$ (the only ones the feature-only move puts on the signal set, given $x_0$'s image is off it) "
                   r"and $k$ the collective's points whose $g(x)$ is certified: with probability $\geq 1-\delta$ the "
                   r"test success is at least $Q_{lo}(N_{test}; CP_{lo}(k; n, d), d)/N_{test}$, $d = \delta/(2 + "
                   r"2|X^*||Y|)$."),
        parameters=(N, n, N_test, X_star, Y, delta, c, m, k),
        hypotheses=(sp.Lt(n.symbol, N.symbol),), conclusion=sp.Ge(SUCCESS(n.symbol), bound), bound=bound,
        extras={"events": count, "condition": condition},
        notes=("c(x~) ~ Bin(n, P0(g(x) = x~, y = y*)); the collective's points with other labels move to x0's image, "
               "off the signal set, so a rival label's count at x~ is the others' B(x~, y) alone, as in planting.",),
    )


def _binomial_unplanting() -> Statement:
    count = 2 + 6 * X_star.symbol
    d = delta.symbol / count
    Nn, nn, ne, nt = N.symbol, n.symbol, n_est.symbol, N_test.symbol
    plant = nn - ne
    condition = sp.Gt(Q_lo(plant, CP_lo(c.symbol, plant, d), d) + Q_lo(Nn - nn, CP_lo(m_hat.symbol, plant, d), d),
                      Q_hi(Nn - nn, CP_hi(m.symbol, plant, d), d))
    bound = Q_lo(nt, CP_lo(k.symbol, plant, d), d) / nt
    return state(
        id="binomial-unplanting", title="Finite-sample signal unplanting success, exact binomial tails", kind="theorem",
        source="Derived here (theory/collusion.py); steps in verify/field.py (unplanting.*)",
        statement=(r"Given the estimation points (so $\hat y$ is fixed), count on the $n - n_{est}$ planting points "
                   r"$c(\tilde x)$ with $g(x) = \tilde x$, $m$ on $(\tilde x, y^*)$ and $m_{\hat y}$ on $(\tilde x, "
                   r"\hat y(\tilde x))$, untransformed. Where $Q_{lo}(n - n_{est}; CP_{lo}(c)) + Q_{lo}(N - n; "
                   r"CP_{lo}(m_{\hat y})) > Q_{hi}(N - n; CP_{hi}(m))$, the submitted $\hat y$ points and the others' "
                   r"$\hat y$ points outnumber the others' $y^*$ points, so $f(\tilde x) \neq y^*$. With probability "
                   r"$\geq 1-\delta$ the success $P(f(g(x)) \neq y^*)$ is at least $Q_{lo}(N_{test}; CP_{lo}(k; "
                   r"n - n_{est}, d), d)/N_{test}$, $k$ the planting points on certified $\tilde x$, $d = \delta/(2 + "
                   r"6|X^*|)$."),
        parameters=(N, n, n_est, N_test, X_star, delta, c, m, m_hat, k),
        hypotheses=(sp.Lt(n_est.symbol, n.symbol), sp.Lt(n.symbol, N.symbol)),
        conclusion=sp.Ge(SUCCESS(n.symbol), bound), bound=bound, extras={"events": count, "condition": condition},
        notes=("Events: per x~, a Clopper-Pearson limit and a quantile for each of c, m_hat and m (6|X*|), plus the "
               "mass of the certified set and the test points (2): the same count as GBJ's.",
               "The estimation points are independent of the planting points and of the others, so given them y^ "
               "is fixed and the certified set's deterministic counterpart A* is fixed (as in binomial).",),
    )


def statements(notion: str = "tv") -> list[Statement]:
    """GBJ's feature-only and unplanting bounds and the binomial versions, as stated; GBJ's certification margin
    is Lemma 11's under ``notion`` (eps/(1-eps) as GBJ print it is the mixture form; 2 eps against a TV firm)."""
    return [_gbj_feature_only(notion), _gbj_unplanting(notion), _binomial_feature_only(), _binomial_unplanting()]


def results(paper=None, notion: str = "tv") -> dict[str, Result]:
    """The collusion results, derived under ``notion``, keyed by id (theory.catalog derives each when first
    asked for)."""
    from theory.catalog import result
    return {id: result(id, notion) for id in IDS}
