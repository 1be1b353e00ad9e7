"""Who joins: a population with a distribution of participation costs, and the collective sizes it sustains.

Extends Section 6 of the founding paper (Hardt et al., ICML 2023), where everyone pays the same cost c: an
individual with cost c joins iff S(alpha) - c > gamma S(alpha), i.e. iff c < (1 - gamma) S(alpha). With costs
distributed by a CDF F over the population, the share willing to join a collective of size alpha is
G(alpha) = F((1 - gamma) S(alpha)), and the sizes at which joining is an equilibrium are the fixed points

    alpha = G(alpha) = F((1 - gamma) S(alpha)).

A fixed point with G'(alpha) < 1 is stable (best-response dynamics alpha_{t+1} = G(alpha_t) return to it), one
with G'(alpha) > 1 is unstable: a tipping point. A principal who recruits the cheapest individuals first and
pays each the shortfall F^{-1}(a) - (1 - gamma) S(a) while the collective has size a spends

    B(alpha_u) = int_0^{alpha_u} (F^{-1}(a) - (1 - gamma) S(a))_+ da

to carry it past the tipping point alpha_u, after which it grows by itself to the next stable size. With one
cost c for everyone (F a point mass) this is (1 - gamma) times the paper's B(alpha_crit) (Figure 7), which
measures the shortfall in units of success instead of cost. S is Theorem 1's bound at epsilon = 0 clipped at
0 (the success individuals can count on): S(alpha) = max(0, 1 - (1 - alpha) Delta xi / alpha).

**Derived here** (the founding paper leaves the population question open). For costs uniform on [0, c_max]
the fixed points solve a quadratic, given in closed form below; for other distributions numerics/population.py
finds every fixed point numerically and certifies that none is missed.

>>> r = uniform_roots()
>>> sp.simplify(r["tipping"] * r["stable"] - (1 - gamma) * Delta * xi / c_max)
0
"""

from __future__ import annotations

import functools

import sympy as sp

from theory.parameters import SYMBOLS
from theory.result import Result, params_of
from theory.statement import Statement, state

S = SYMBOLS
alpha, gamma, Delta, xi, c_max, c = (S[n] for n in ("alpha", "gamma", "Delta", "xi", "c_max", "c"))

FAMILY = "population"
IDS = ("population-uniform", "population-budget")

#: The success individuals count on: Theorem 1's bound at epsilon = 0 where it is positive.
SUCCESS = 1 - (1 - alpha) * Delta * xi / alpha
#: Where that bound crosses 0: below it S counts as 0.
SUCCESS_ZERO = Delta * xi / (1 + Delta * xi)


def uniform_roots() -> dict[str, sp.Expr]:
    """The interior fixed points for costs uniform on [0, c_max], where G(alpha) = (1-gamma) S(alpha) / c_max < 1.

    alpha = (1-gamma) S(alpha) / c_max is, times c_max alpha, the quadratic
    c_max alpha^2 - (1-gamma)(1 + Delta xi) alpha + (1-gamma) Delta xi = 0. Its smaller root is the tipping
    point (G' > 1 there), its larger the stable size (G' < 1); both exist iff the discriminant is >= 0.
    """
    quad = sp.expand(c_max * alpha ** 2 - (1 - gamma) * (1 + Delta * xi) * alpha + (1 - gamma) * Delta * xi)
    check = sp.simplify(sp.expand(c_max * alpha * ((1 - gamma) * SUCCESS / c_max - alpha)) + quad)
    if check != 0:
        raise ArithmeticError(f"the uniform fixed-point equation is not the quadratic: {check}")
    a2, a1, a0 = sp.Poly(quad, alpha).all_coeffs()
    disc = sp.factor(a1 ** 2 - 4 * a2 * a0)
    lo, hi = ((-a1 - sp.sqrt(disc)) / (2 * a2), (-a1 + sp.sqrt(disc)) / (2 * a2))
    slope = sp.diff((1 - gamma) * SUCCESS / c_max, alpha)
    return {"quadratic": quad, "discriminant": disc, "tipping": sp.simplify(lo), "stable": sp.simplify(hi),
            "slope": sp.simplify(slope)}


@functools.cache
def uniform_parts() -> dict[str, sp.Expr]:
    """uniform_roots and the principal's budget to the tipping point (recruiting cheapest-first)."""
    roots = uniform_roots()
    a = sp.Dummy("a", positive=True)
    tip = roots["tipping"]
    # Budget: below the zero of S the recruit's whole cost a c_max is paid; above it, the shortfall.
    zero = SUCCESS_ZERO
    shortfall = a * c_max - (1 - gamma) * SUCCESS.subs(alpha, a)
    budget = sp.simplify(sp.integrate(a * c_max, (a, 0, zero)) + sp.integrate(shortfall, (a, zero, tip)))
    return {**roots, "budget": budget}


def _uniform_part(key: str):
    return uniform_parts()[key]


def _uniform() -> Statement:
    part = lambda key: functools.partial(_uniform_part, key)  # noqa: E731 - a lazy field of the statement
    return state(
        id="population-uniform", title="Equilibrium collective sizes with costs uniform on [0, c_max]",
        kind="model",
        source="Derived here (theory/population.py), extending Section 6 of the founding paper to a distribution "
               "of costs; verified in verify/field.py and against numerics/population.py",
        statement=(r"Costs uniform on $[0, c_{max}]$ and $S(\alpha) = \max(0, 1 - (1-\alpha)\Delta\xi/\alpha)$: "
                   r"$\alpha = 0$ is a stable equilibrium, and where the discriminant below is $\geq 0$ (and "
                   r"$(1-\gamma) S \leq c_{max}$ there) the population has a tipping point $\alpha_u$ and a stable "
                   r"size $\alpha_s$, the roots of the quadratic below; their product is "
                   r"$(1-\gamma)\Delta\xi/c_{max}$. A principal recruiting cheapest-first pays $B(\alpha_u)$ to tip it."),
        hypotheses=lambda: (sp.Ge(uniform_parts()["discriminant"], 0),),
        conclusion=lambda: sp.Eq(uniform_parts()["quadratic"], 0),
        extras={"tipping": part("tipping"), "stable": part("stable"),
                "stable_size": lambda: sp.Min(uniform_parts()["stable"], 1),
                "discriminant": part("discriminant"), "slope": part("slope"), "investment": part("budget")},
        notes=("Where the larger root exceeds 1, G reaches its cap 1 first and the stable size is alpha = 1 "
               "(stable_size = min(stable, 1)).",
               "G'(alpha) = (1-gamma) Delta xi / (c_max alpha^2) on the interior, > 1 at the smaller root and < 1 "
               "at the larger: the product of the roots is (1-gamma) Delta xi / c_max, so G' = r_s/r_u at the "
               "tipping point and r_u/r_s at the stable one.",),
    )


@functools.cache
def budget_parts() -> dict[str, sp.Expr]:
    """One cost c for everyone: the budget to tip equals (1 - gamma) times the paper's B(alpha_crit)."""
    from theory.derive import critical_mass, shortfall_area

    level = c / (1 - gamma)
    crit = critical_mass(SUCCESS, level).alpha_star
    paper_b = shortfall_area(SUCCESS, level, crit)
    a = sp.Dummy("a", positive=True)
    zero = SUCCESS_ZERO
    ours = sp.simplify(sp.integrate(c, (a, 0, zero))
                       + sp.integrate(c - (1 - gamma) * SUCCESS.subs(alpha, a), (a, zero, crit)))
    ratio = sp.simplify(ours / paper_b)
    if sp.simplify(ratio - (1 - gamma)) != 0:
        raise ArithmeticError(f"the population budget at one cost is not (1-gamma) B: ratio {ratio}")
    return {"investment": ours, "tipping": crit, "paper_investment": paper_b}


def _budget() -> Statement:
    return state(
        id="population-budget", title="Budget to tip a population of equal costs", kind="model",
        source="Derived here (theory/population.py): Section 6 of the founding paper, in units of cost",
        statement=(r"With one cost $c$ for everyone, recruiting cheapest-first to the tipping point "
                   r"$\alpha_{crit}$ (where $(1-\gamma) S = c$) costs $(1-\gamma) B(\alpha_{crit})$, with $B$ the "
                   r"paper's area between the level $c/(1-\gamma)$ and $\max(S, 0)$."),
        hypotheses=(sp.Lt(c / (1 - gamma), 1),),
        conclusion=lambda: sp.Eq(budget_parts()["investment"], (1 - gamma) * budget_parts()["paper_investment"]),
        extras={k: functools.partial(_budget_part, k) for k in ("investment", "tipping", "paper_investment")},
    )


def _budget_part(key: str):
    return budget_parts()[key]


def statements() -> list[Statement]:
    """The population results as stated (theory.catalog derives them)."""
    return [_uniform(), _budget()]

def results(paper=None) -> dict[str, Result]:
    """The population results, derived, keyed by id (theory.catalog derives each when first asked for)."""
    from theory.catalog import result
    return {id: result(id) for id in IDS}
