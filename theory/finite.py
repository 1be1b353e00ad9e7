"""Finite-sample lower bounds on planting success (feature-label), as Results with their proof steps.

Sits beside theory/paper.py: ``gbj`` is the bound of Gauthier, Bach & Jordan (ICML 2025) as issue 4 states
it; ``binomial`` is the tighter bound derived here (exact binomial tails and 2|X*| fewer union-bound events).
Binomial quantiles and Clopper-Pearson limits are kept as undefined sympy functions: their numeric evaluation
lives in numerics/bounds.py. Every proof step is listed in ``BINOMIAL_STEPS`` (name, hypotheses, conclusion).

>>> gbj, binomial = results().values()
>>> sp.simplify(events(gbj) - events(binomial))
2*|X^*|
>>> binomial.kind, len(BINOMIAL_STEPS), set(STEP_CHECKS) == {s[0] for s in BINOMIAL_STEPS}
('theorem', 7, True)
"""

from __future__ import annotations

import sympy as sp

from theory.notions import DEFINITIONS_TEX, budget
from theory.parameters import Parameter, parameter, register
from theory.result import Result
from theory.statement import Statement, state

_POS_INT = sp.Interval(1, sp.oo)


def _local(name, latex, domain, meaning, is_int=False, tex=None, **assumptions) -> Parameter:
    # The symbol is named by its LaTeX, printed verbatim (``tex`` where that differs), since sympy misparses "|X^*|".
    symbol = sp.Symbol(latex, real=True, integer=is_int or None, **assumptions)
    p = Parameter(name, symbol, domain, meaning, is_int, tex or latex)
    register(p)
    return p


N = _local("N", "N", _POS_INT, "samples the platform trains on", True, positive=True)
n = _local("n", "n", _POS_INT, "collective size (n = alpha N of the N samples)", True, positive=True)
N_test = _local("N_test", "N_{test}", _POS_INT, "held-out test points", True, positive=True)
X_star = _local("X_star", "|X^*|", _POS_INT, "number of possible signals x~ = g(x)", True, positive=True)
Y = _local("Y", "|Y|", sp.Interval(2, sp.oo), "number of labels", True, positive=True)
delta = _local("delta", "delta", sp.Interval.open(0, 1), "failure probability of the bound", tex=r"\delta",
               positive=True)
P_hat = _local("P_hat", r"\hat P(\tilde x)", sp.Interval(0, 1), "collective's frequency of x~ among its g(x_i)",
               nonnegative=True)
Delta_hat = _local("Delta_hat", r"\hat\Delta_{\tilde x}", sp.Interval(-1, 1),
                   "max_{y != y*} P^(x~, y) - P^(x~, y*) on the collective's own data")
F_cert = _local("F_cert", r"\hat F", sp.Interval(0, 1), "fraction of the collective's points on certified x~",
                nonnegative=True)
c = _local("c", "c", sp.Interval(0, sp.oo), "collective points with g(x_i) = x~", True, nonnegative=True)
m = _local("m", "m", sp.Interval(0, sp.oo), "collective points equal to (x~, y), untransformed", True,
           nonnegative=True)
k = _local("k", "k", sp.Interval(0, sp.oo), "collective points on certified x~", True, nonnegative=True)
p_, q_, d_ = sp.symbols("p q d", positive=True)

SUCCESS = sp.Function("S_test")
#: Binomial quantiles Q_lo(k; p, d) = binom.ppf(d), Q_hi = binom.ppf(1 - d), and Clopper-Pearson limits.
Q_lo, Q_hi, CP_lo, CP_hi = (sp.Function(name) for name in ("Q_lo", "Q_hi", "CP_lo", "CP_hi"))


def radius(d, size):
    """R(delta, k) = sqrt(ln(1/delta) / (2k)), Hoeffding's deviation."""
    return sp.sqrt(sp.log(1 / d) / (2 * size))


def events(result: Result) -> sp.Expr:
    """How many events the result's union bound takes."""
    return result.extras["events"]


def _gbj(notion: str = "tv") -> Statement:
    """GBJ's bound; the certification margin of a signal value is Lemma 11's under ``notion``.

    GBJ certify each signal value x~ by a margin in joint mass that survives any eps-optimal firm, one point at a
    time (a per-point use of Lemma 11, which is sound: it is only the paper's summing of one eps-term over all
    points that fails). As issue 4 states it the margin is eps/(1-eps), Lemma 11's coupled form (notion
    mixture); for a TV-eps-optimal firm (Definition 2, notion tv) one point needs 2 eps (verify/: lemma11.tv-2eps;
    eps/(1-eps) is refuted there, lemma11.tv-only).
    """
    count = 2 + 2 * X_star.symbol + 2 * X_star.symbol * Y.symbol
    d = delta.symbol / count
    Nn, nn = N.symbol, n.symbol
    condition = ((nn / Nn) * (P_hat.symbol - 2 * radius(d, nn))
                 - ((Nn - nn) / Nn) * (Delta_hat.symbol + 2 * radius(d, nn) + 2 * radius(d, Nn - nn))
                 - budget(notion))
    bound = F_cert.symbol - radius(d, nn) - radius(d, N_test.symbol)
    return state(
        id="gbj", title="Finite-sample planting success (Gauthier, Bach & Jordan)", kind="theorem",
        source="Gauthier, Bach & Jordan, ICML 2025 (as stated in issue 4)",
        statement=(r"With $\tilde\delta = \delta/(2 + 2|X^*| + 2|X^*||Y|)$, with probability $\geq 1-\delta$ the test "
                   r"success is at least $\hat F - R(\tilde\delta, n) - R(\tilde\delta, N_{test})$, where $\hat F$ is "
                   r"the fraction of collective points whose $\tilde x = g(x)$ satisfies the condition $> 0$. The firm "
                   r"is " + DEFINITIONS_TEX[notion] + r"; the condition's $\epsilon$-margin is Lemma 11's under "
                   r"that notion."),
        parameters=(N, n, N_test, X_star, Y, delta, P_hat, Delta_hat, F_cert, parameter("epsilon")),
        hypotheses=(sp.Lt(n.symbol, N.symbol),), conclusion=sp.Ge(SUCCESS(n.symbol), bound), bound=bound,
        extras={"events": count, "condition": condition}, notion=notion,
    )


def _binomial() -> Statement:
    count = 2 + 2 * X_star.symbol * Y.symbol
    d = delta.symbol / count
    Nn, nn, nt = N.symbol, n.symbol, N_test.symbol
    condition = sp.Gt(Q_lo(nn, CP_lo(c.symbol, nn, d), d), Q_hi(Nn - nn, CP_hi(m.symbol, nn, d), d))
    bound = Q_lo(nt, CP_lo(k.symbol, nn, d), d) / nt
    return state(
        id="binomial", title="Finite-sample planting success, exact binomial tails", kind="theorem",
        source="critmass, theory/finite.py (derived from the proof skeleton of Gauthier, Bach & Jordan)",
        statement=(r"With $d = \delta/(2 + 2|X^*||Y|)$, with probability $\geq 1-\delta$ the test success of the "
                   r"plug-in classifier under the feature-label strategy is at least "
                   r"$Q_{lo}(N_{test}; CP_{lo}(k; n, d), d)/N_{test}$, where $k$ counts the collective points on "
                   r"the $\tilde x$ with $Q_{lo}(n; CP_{lo}(c(\tilde x); n, d), d) > Q_{hi}(N-n; CP_{hi}(m(\tilde x, y); "
                   r"n, d), d)$ for every $y \neq y^*$."),
        parameters=(N, n, N_test, X_star, Y, delta, c, m, k),
        hypotheses=(sp.Lt(n.symbol, N.symbol),), conclusion=sp.Ge(SUCCESS(n.symbol), bound), bound=bound,
        extras={"events": count, "condition": condition},
        notes=tuple(f"{name}: {text}" for name, _, _, text in _STEPS),
    )


# Each step: name, hypotheses, conclusion (sympy, over the symbols above), and what it says.
_STEPS = (
    ("quantile-monotone", (sp.Le(p_, q_),), sp.Le(Q_lo(n.symbol, p_, d_), Q_lo(n.symbol, q_, d_)),
     "Bin(n, p) is stochastically increasing in p, so both quantiles are non-decreasing in p"),
    ("cp-valid", (), sp.Ge(q_, CP_lo(c.symbol, n.symbol, d_)),
     "for c ~ Bin(n, q): P(q < CP_lo(c)) <= d and P(q > CP_hi(c)) <= d (Clopper-Pearson); here q = P(g(x) = x~) "
     "and, for m, q = P0(x~, y)"),
    ("counts-in-quantiles", (), sp.Ge(c.symbol, Q_lo(n.symbol, q_, d_)),
     "c(x~) >= Q_lo(n; q(x~), d) and B(x~, y) <= Q_hi(N - n; P0(x~, y), d), each failing with probability <= d; "
     "B counts the N - n other points on (x~, y)"),
    ("observed-implies-deterministic", (), sp.true,
     "on those events the observed condition implies Q_lo(n; q(x~), d) > Q_hi(N - n; P0(x~, y), d): x~ lies in "
     "the fixed set A* where this holds, by quantile-monotone and cp-valid"),
    ("deterministic-implies-planted", (), sp.true,
     "for x~ in A*: count(x~, y*) >= c(x~) > B(x~, y) = count(x~, y) for y != y*, so the plug-in predicts y* "
     "(collective points carry only y*, so the rivals' counts are the others' counts)"),
    ("mass-of-fixed-set", (), sp.Ge(q_, CP_lo(k.symbol, n.symbol, d_)),
     "A* is fixed, so the collective's count on A* is Bin(n, P(g(x) in A*)); CP_lo of it bounds that mass, and "
     "the count on A* is at least k, the count on the observed certified set"),
    ("test-points", (), sp.Ge(SUCCESS(n.symbol), Q_lo(N_test.symbol, q_, d_) / N_test.symbol),
     "given f, N_test S_test ~ Bin(N_test, s) with s >= P(g(x) in A*); quantile-monotone; the union bound over "
     "2|X*| + 2|X*|(|Y| - 1) + 2 = 2 + 2|X*||Y| events gives probability >= 1 - delta"),
)

BINOMIAL_STEPS = tuple((name, hyp, concl) for name, hyp, concl, _ in _STEPS)

#: How each step is checked: "z3: ..." (verify/steps.py, first-order), "exact: ..." (Fractions on a finite grid,
#: tests/theory/test_finite_exact.py) or "cited: ..." (a published theorem, not re-proven here).
STEP_CHECKS = {
    "quantile-monotone": "exact: n <= 12, p < q on a grid of tenths, six levels d (not first-order)",
    "cp-valid": "cited: Clopper & Pearson (1934), exact binomial confidence limits",
    "counts-in-quantiles": "exact: P(X < Q_lo) < d and P(X > Q_hi) <= d on the same grid; the rest is cp-valid",
    "observed-implies-deterministic": "z3: binomial.observed-implies-deterministic (given quantile-monotone, cp-valid)",
    "deterministic-implies-planted": "z3: binomial.deterministic-implies-planted[k=2..4] (|Y| <= 4)",
    "mass-of-fixed-set": "cited: cp-valid applied to the count on the fixed set A*",
    "test-points": "z3: binomial.events (the event count); the quantile step as in quantile-monotone",
}
STATED = (_gbj(), _binomial())  # under the default notion, tv

#: As an extension family (``critmass results --family finite``).
FAMILY = "finite"
IDS = tuple(st.id for st in STATED)


def statements(notion: str = "tv") -> list[Statement]:
    """The finite-sample results as stated under ``notion`` (theory.catalog derives them)."""
    return list(STATED) if notion == "tv" else [_gbj(notion), STATED[1]]


def results(base=None, notion: str = "tv") -> dict[str, Result]:
    """The finite-sample results, derived under ``notion``, keyed by id."""
    from theory.catalog import result
    return {id: result(id, notion) for id in IDS}


def __getattr__(name: str):
    # GBJ, BINOMIAL and FINITE_RESULTS are the derived Results, built on first use through the catalog.
    if name in ("GBJ", "BINOMIAL"):
        from theory.catalog import result
        return result(name.lower())
    if name == "FINITE_RESULTS":
        return results()
    raise AttributeError(name)
