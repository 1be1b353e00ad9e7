"""Critical masses beyond linear bounds (theory/derive.py, theory/inverse.py): closed forms with their case
split, certified numeric inverses, and refusals where monotonicity cannot be shown.

Each derived critical mass is checked at random points of the parameters' domains (seeded): the bound at
alpha* equals S* within 1e-12, and just below alpha* it is below S*.
"""

import math
import random
from fractions import Fraction

import pytest
import sympy as sp

from theory import evaluate, result
from theory.catalog import register, unregister
from theory.derive import critical_mass, crossing, nondecreasing
from theory.inverse import crossing_bracket, interval
from theory.parameters import SYMBOLS
from theory.statement import new_parameter, state

a, xi, d, s, eps = (SYMBOLS[n] for n in ("alpha", "xi", "Delta", "S_star", "epsilon"))
SEED = 20230723

QUADRATIC = "1 - Delta*xi*(1 - alpha)^2/alpha^2"              # an alpha^2 term: a quadratic in alpha
LOGARITHMIC = "1 - xi*log(1/alpha) - Delta*xi*(1 - alpha)"     # a log term: solved with LambertW, or numerically
NO_CLOSED_FORM = "alpha^3*xi + alpha/2 + Delta*log(1 + alpha)/4 - 1/4"  # sympy finds no root in closed form

IDS = ("test-quadratic", "test-log", "test-numeric")


@pytest.fixture(scope="module", autouse=True)
def stated():
    register(
        state("test-quadratic", "A bound with an alpha^2 term", "tests/theory/test_derive_nonlinear.py",
              bound=QUADRATIC, target="S_star"),
        state("test-log", "A bound with a log term", "tests/theory/test_derive_nonlinear.py",
              bound=LOGARITHMIC, target="S_star"),
        state("test-numeric", "A bound sympy cannot invert", "tests/theory/test_derive_nonlinear.py",
              bound=NO_CLOSED_FORM, target="S_star"),
        family="tests",
    )
    yield
    unregister(*IDS)


def _points(id: str, count: int, rng: random.Random) -> list[dict]:
    """Random points of the domains at which the target is reached in (0, 1) (reachable, not degenerate)."""
    names = [p.name for p in result(id).parameters if p.name != "alpha"]
    out = []
    while len(out) < count:
        at = {n: rng.uniform(0.05, 0.95) for n in names}
        value = evaluate(id, "critical_mass", at)
        if 1e-3 < value < 1:
            out.append(at)
    return out


def _bound(id: str, alpha: float, at: dict) -> float:
    expr = result(id).bound.subs({SYMBOLS[k]: sp.Float(v, 30) for k, v in at.items()})
    return float(expr.subs(a, sp.Float(alpha, 30)).evalf(30))


@pytest.mark.parametrize("id", ["test-quadratic", "test-log", "test-numeric"])
def test_derived_critical_mass_meets_the_target_at_random_points(id):
    rng = random.Random(SEED)
    for at in _points(id, 12, rng):
        alpha_star = evaluate(id, "critical_mass", at)
        assert abs(_bound(id, alpha_star, at) - at["S_star"]) <= 1e-12, (id, at, alpha_star)
        below = alpha_star * (1 - 1e-6)
        assert _bound(id, below, at) < at["S_star"], (id, at, alpha_star)


def test_how_each_was_derived():
    quad = result("test-quadratic").critical_mass
    assert quad.method == "closed form" and isinstance(quad.alpha_star, sp.Piecewise)
    assert len(quad.alpha_star.args) == 3 and quad.alpha_star.args[-1][0] == crossing(s)  # two roots, a fallback
    assert "derivative" in quad.monotonicity
    numeric = result("test-numeric").critical_mass
    assert numeric.method == "numeric inverse" and numeric.alpha_star == crossing(s)
    assert "no closed form" in numeric.reason


def test_closed_form_of_the_quadratic_is_the_known_root():
    # (1 - a)/a = sqrt((1 - S)/(Delta xi)) gives a = sqrt(Delta xi)/(sqrt(Delta xi) + sqrt(1 - S)).
    rng = random.Random(SEED + 1)
    for at in _points("test-quadratic", 8, rng):
        dx = at["Delta"] * at["xi"]
        expected = math.sqrt(dx) / (math.sqrt(dx) + math.sqrt(1 - at["S_star"]))
        assert evaluate("test-quadratic", "critical_mass", at) == pytest.approx(expected, rel=1e-12)


def test_unreachable_and_vectorized():
    at = dict(Delta=[0.5, 0.5], xi=[0.2, 0.2], S_star=[0.5, 0.9999])
    out = evaluate("test-log", "critical_mass", at)
    assert out.shape == (2,) and 0 < out[0] < 1
    at = dict(Delta=1.0, xi=0.5, S_star=0.95)
    assert evaluate("test-numeric", "critical_mass", at) == math.inf  # the bound at alpha = 1 is 0.92 < 0.95


def test_certified_bracket():
    expr = a**3 + a
    lo, hi = crossing_bracket(expr, sp.Rational(1, 2), {})
    assert interval(expr - sp.Rational(1, 2), {a: lo}).b < 0 <= interval(expr - sp.Rational(1, 2), {a: hi}).a
    assert hi - lo <= Fraction(1, 2**70)


def test_monotonicity_is_proven_or_refused_naming_the_factor():
    assert "derivative" in nondecreasing(1 - xi * sp.log(1 / a))
    with pytest.raises(ValueError, match="the sign of 1 - 2\\*alpha"):
        nondecreasing(a * (1 - a))
    with pytest.raises(ValueError, match="non-decreasing"):
        critical_mass(4 * a * (1 - a), s)


def test_a_non_monotone_stated_bound_is_kept_with_the_refusal():
    register(state("test-hump", "Not monotone", "tests", bound="4*alpha*(1 - alpha)", target="S_star"),
             family="tests")
    r = result("test-hump")
    assert r.critical_mass is None and any("critical mass not derived" in n for n in r.notes)


def test_new_parameter_enters_the_monotonicity_proof():
    new_parameter("share_t", latex="r_t", domain="(0, 1]", meaning="a share")
    cm = critical_mass(sp.sympify(1, strict=True) - (1 - SYMBOLS["share_t"] * a) / (SYMBOLS["share_t"] * a) * d * xi, s)
    assert cm.method == "closed form"
    assert sp.simplify(cm.alpha_star - d * xi / (SYMBOLS["share_t"] * (1 - s + d * xi))) == 0
