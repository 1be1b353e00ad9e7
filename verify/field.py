"""Proof steps for issue 14's results (several collectives, finite-sample unplanting, privacy, populations).

Registered into verify.steps.STEPS with its ``@step`` decorator (verify/steps.py imports this module last), so
``critmass verify`` runs them with the founding paper's steps. Each step is ``hypotheses => conclusion`` over
the reals, proven by Z3 as the unsatisfiability of its negation; finite forms over k points or labels where
the statement sums over a set.
"""

from __future__ import annotations

import sympy as sp

from theory.parameters import SYMBOLS
from verify.steps import KS, indicator, reals, step, unit

S = SYMBOLS
alpha, alpha_c, alpha_r, c_o, xi, Delta = (S[n] for n in ("alpha", "alpha_c", "alpha_r", "c_o", "xi", "Delta"))


# ---- theory/multi.py: one of several collectives ------------------------------------------------------------

def _own():
    """alpha + alpha_c: the planting mass of the collective and its cooperators."""
    return alpha + alpha_c


@step("multi.point", "multi-thm1", ks=(2, 3, 4),
      note="k = |Y|, label 0 = y*. At a signal point x: own planting mass (alpha + alpha_c) s, base p_y scaled by "
           "1 - A, the other collectives' mass o_y. If (alpha + alpha_c) s > (1-A) Delta_x P0(x) + sum_{y != y*} o_y, "
           "y* is the unique argmax (every rival loses).")
def _(k):
    s, d = sp.symbols("s d", real=True)
    p, o = reals("p", k), reals("o", k)
    total = alpha + alpha_c + alpha_r
    mass = sum(p)
    hyps = [s > 0, d >= 0, total <= 1, *(v >= 0 for v in p + o),
            *(p[y] - p[0] <= d * mass for y in range(1, k)),
            _own() * s > (1 - total) * d * mass + sum(o[1:])]
    target = _own() * s + (1 - total) * p[0] + o[0]
    return hyps, sp.And(*(target > (1 - total) * p[y] + o[y] for y in range(1, k)))


@step("multi.indicator", "multi-thm1",
      note="Weighted by s = P*(x): s 1[(alpha+alpha_c) s > (1-A) q d + C] >= s - ((1-A) q d + C)/(alpha + alpha_c).")
def _():
    s, q, d, c = sp.symbols("s q d C", real=True)
    total = alpha + alpha_c + alpha_r
    hyps = [s > 0, *unit(q, d), c >= 0, total <= 1]
    r = (1 - total) * q * d + c
    return hyps, sp.Ge(s * indicator(_own() * s > r), s - r / _own())


@step("multi.sum", "multi-thm1", ks=KS,
      note="Summing multi.indicator over the signal set x_1..x_k (sum of s = 1, sum of q = xi, d_i <= Delta, sum "
           "of C_i <= c_o) gives multi-thm1's bound.")
def _(k):
    from theory.multi import MULTI_BOUND
    s, q, d, cc, w = reals("s", k), reals("q", k), reals("d", k), reals("C", k), reals("w", k)
    total = alpha + alpha_c + alpha_r
    hyps = [*(si > 0 for si in s), sp.Eq(sum(s), 1), *unit(*q, *d), *(di <= Delta for di in d), sp.Eq(xi, sum(q)),
            *(ci >= 0 for ci in cc), sum(cc) <= c_o, total <= 1,
            *(wi >= si - ((1 - total) * qi * di + ci) / _own() for wi, si, qi, di, ci in zip(w, s, q, d, cc))]
    return hyps, sp.Ge(sum(w), MULTI_BOUND)


@step("multi.head-to-head", "multi-head-to-head",
      note="At a fresh point x* (no base mass) the mixture's two cells are c_1 = alpha P*_1(x*) and c_2 = alpha_r "
           "P*_2(x*) with P*_1(x*) = P*_2(x*) = 1: label 1 is the unique nonzero argmax iff alpha > alpha_r.")
def _():
    c1, c2 = sp.symbols("c_1 c_2", real=True)
    return [alpha + alpha_r <= 1, sp.Eq(c1, alpha * 1), sp.Eq(c2, alpha_r * 1)], \
        sp.Equivalent(sp.And(c1 > c2, c1 > 0), alpha > alpha_r)


# ---- theory/population.py: stability of the two interior equilibria ------------------------------------------

@step("population.stability", "population-uniform",
      note="G(alpha) = (1-gamma) S(alpha)/c_max has G'(alpha) = P/alpha^2 with P = (1-gamma) Delta xi / c_max, the "
           "product of the two roots r_u < r_s of the quadratic: G'(r_u) = r_s/r_u > 1 (tipping point) and "
           "G'(r_s) = r_u/r_s < 1 (stable).")
def _():
    ru, rs, P = sp.symbols("r_u r_s P", real=True)
    return [ru > 0, rs > ru, sp.Eq(P, ru * rs)], sp.And(P / ru ** 2 > 1, P / rs ** 2 < 1)


# ---- theory/collusion.py: the binomial unplanting bound --------------------------------------------------------

@step("unplanting.events", "binomial-unplanting",
      note="Per signal: a Clopper-Pearson limit and a quantile for each of c, m_hat and m (6 events), plus the mass "
           "of the certified set and the test points: 2 + 6|X*|, the count of GBJ's delta~.")
def _():
    from theory.collusion import results
    from theory.finite import X_star
    xs = X_star.symbol
    return [xs >= 1], sp.Eq(3 * 2 * xs + 2, results()["binomial-unplanting"].extras["events"])


@step("unplanting.observed-implies-deterministic", "binomial-unplanting",
      note="Quantiles are monotone in p and the Clopper-Pearson limits hold: a >= a', b >= b', h' >= h. The observed "
           "a' + b' > h' then gives the fixed a + b > h (a, b: lower quantiles of the planted and the others' y^ "
           "counts; h: upper quantile of the others' y* count).")
def _():
    a, a1, b, b1, h, h1 = sp.symbols("a a' b b' h h'", real=True)
    return [a >= a1, b >= b1, h1 >= h, a1 + b1 > h1], sp.Gt(a + b, h)


@step("unplanting.deterministic-implies-beaten", "binomial-unplanting",
      note="On the quantile events the planted y^ points (c >= a) and the others' y^ points (B_hat >= b) outnumber "
           "the others' y* points (B_star <= h); the collective puts none on y*, so y* is strictly beaten at x~.")
def _():
    c, bh, bs, a, b, h = sp.symbols("c B_hat B_star a b h", real=True)
    return [c >= a, bh >= b, bs <= h, bs >= 0, a + b > h], sp.Gt(c + bh, bs)


# ---- theory/privacy.py ------------------------------------------------------------------------------------------

@step("privacy.kappa-positive", "privacy-rr-bayes",
      note="With e = exp(eps_DP) > 1 and K >= 2, kappa = (e - 1)/(e + K - 1) > 0 and the keep probability "
           "q = e/(e + K - 1) exceeds each other label's (1 - q)/(K - 1).")
def _():
    e, k = sp.symbols("e K", real=True)
    q = e / (e + k - 1)
    return [e > 1, k >= 2], sp.And((e - 1) / (e + k - 1) > 0, q > (1 - q) / (k - 1))


@step("privacy.order", "privacy-rr-bayes", ks=(2, 3, 4),
      note="k = |Y| labels at one x: P~_y = kappa P_y + r P(x) with kappa > 0 preserves every strict order and every "
           "tie between labels, so the unique argmax (or its absence) is the same on P~ as on P.")
def _(k):
    kappa, r = sp.symbols("kappa r", real=True)
    P = reals("P", k)
    px = sum(P)
    noisy = [kappa * p + r * px for p in P]
    claims = [sp.And(sp.Equivalent(P[a] > P[b], noisy[a] > noisy[b]), sp.Equivalent(sp.Eq(P[a], P[b]),
                                                                                   sp.Eq(noisy[a], noisy[b])))
              for a in range(k) for b in range(k) if a < b]
    return [kappa > 0, r >= 0, *(p >= 0 for p in P)], sp.And(*claims)


@step("privacy.hoeffding-union", "privacy-rr-finite",
      note="If each of the K - 1 rivals ties or beats y* with probability at most t, the plurality is y* with "
           "probability at least 1 - (K - 1) t (finite form over k rivals).", ks=(1, 2, 3))
def _(k):
    t = sp.Symbol("t", real=True)
    f = reals("f", k)  # P(rival j ties or beats y*)
    fail = sp.Symbol("F", real=True)  # P(some rival ties or beats y*) <= sum f_j (union bound)
    return [*(fj <= t for fj in f), *(fj >= 0 for fj in f), fail <= sum(f), fail >= 0], sp.Ge(1 - fail, 1 - k * t)


# ---- theory/bendov.py: the JTT window --------------------------------------------------------------------------

@step("bendov.window", "bendov-jtt-window",
      note="Two labels at a signal point: the collective's cell alpha s (s = P*(x) > 0), the base rival's (1-alpha) "
           "r s. ERM predicts y* iff alpha s > (1-alpha) r s; JTT weights the cells ERM gets wrong by lambda and "
           "predicts y* iff its weighted cell wins strictly. That is exactly r/lambda < t < r or t > lambda r, "
           "t = alpha/(1-alpha); at t = r ERM ties, every cell is an error, and JTT ties too.")
def _():
    s, r, lam, t = sp.symbols("s r lambda t", real=True)
    col, riv = alpha * s, (1 - alpha) * r * s
    erm_win, erm_lose = col > riv, col < riv
    w_col = sp.Piecewise((1, erm_win), (lam, True))       # the collective's cell is an error unless ERM picks y*
    w_riv = sp.Piecewise((lam, sp.Not(erm_lose)), (1, True))  # the rival's cell is an error unless ERM picks it
    jtt = w_col * col > w_riv * riv
    hyps = [s > 0, r >= 0, lam > 1, alpha < 1, sp.Eq(t * (1 - alpha), alpha)]
    return hyps, sp.Equivalent(jtt, sp.Or(sp.And(t * lam > r, t < r), t > lam * r))
