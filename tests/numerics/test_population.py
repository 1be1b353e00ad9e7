"""Populations with a distribution of costs: every fixed point found, none missed, and the closed forms agree."""

import numpy as np
import pytest

from numerics.population import cost_distribution, fixed_points, thm1_success, tipping_budget, willing
from theory.errors import InputError
from theory.evaluate import evaluate

GAMMA, DELTA, XI = 0.2, 1.0, 0.05
POPULATIONS = {
    "uniform": dict(c_max=0.9),
    "exponential": dict(mean=0.3),
    "lognormal": dict(median=0.4, sigma=0.6),
    "lognormal-mixture": dict(weights=[0.6, 0.4], medians=[0.1, 0.79], sigmas=[0.3, 0.005]),
}


def _fine_sign_changes(G, n=1_000_001):
    a = np.linspace(0.0, 1.0, n)
    h = G(a) - a
    s = np.sign(h)
    return a, np.flatnonzero(s[1:] * s[:-1] < 0), np.flatnonzero(h == 0)


@pytest.mark.parametrize("kind", POPULATIONS)
def test_every_fixed_point_is_found_and_none_is_missed_on_a_fine_grid(kind):
    G = willing(cost_distribution(kind, **POPULATIONS[kind]), GAMMA, DELTA, XI)
    found = fixed_points(G)
    pts = [p["alpha"] for p in found["points"]]
    for x in pts:  # each is a fixed point
        assert abs(G(np.array([x]))[0] - x) < 1e-9
    a, flips, zeros = _fine_sign_changes(G)
    crossings = [x for x in pts if x not in (0.0, 1.0)]
    # every sign change of G - alpha on a grid of 10^6 cells has a found point inside it, and vice versa
    assert len(flips) == len(crossings), (kind, len(flips), crossings)
    for i in flips:
        assert any(a[i] - 1e-9 <= x <= a[i + 1] + 1e-9 for x in crossings)
    for i in zeros:
        assert any(abs(a[i] - x) < 1e-9 for x in pts)
    assert found["certificate"]["excluded_cells"] > 4000 and not found["tipping_jumps"]


def test_a_bimodal_population_has_five_equilibria_alternating_in_stability():
    G = willing(cost_distribution("lognormal-mixture", **POPULATIONS["lognormal-mixture"]), GAMMA, DELTA, XI)
    kinds = [p["kind"] for p in fixed_points(G)["points"]]
    assert kinds == ["stable", "unstable", "stable", "unstable", "stable"]


def test_uniform_costs_match_the_closed_form():
    v = dict(gamma=GAMMA, c_max=0.9, Delta=DELTA, xi=XI)
    G = willing(cost_distribution("uniform", c_max=0.9), GAMMA, DELTA, XI)
    pts = fixed_points(G)["points"]
    assert [p["kind"] for p in pts] == ["stable", "unstable", "stable"]
    assert pts[1]["alpha"] == pytest.approx(evaluate("population-uniform", "tipping", v), abs=1e-12)
    assert pts[2]["alpha"] == pytest.approx(evaluate("population-uniform", "stable_size", v), abs=1e-12)
    budget = tipping_budget(cost_distribution("uniform", c_max=0.9), GAMMA, DELTA, XI, pts[1]["alpha"])
    assert budget == pytest.approx(evaluate("population-uniform", "investment", v), rel=1e-9)
    # With c_max = 0.5 the larger root exceeds 1: G reaches its cap first and alpha = 1 is the stable size.
    v5 = {**v, "c_max": 0.5}
    assert evaluate("population-uniform", "stable", v5) > 1 and evaluate("population-uniform", "stable_size", v5) == 1
    top = fixed_points(willing(cost_distribution("uniform", c_max=0.5), GAMMA, DELTA, XI))["points"][-1]
    assert top["alpha"] == 1.0 and top["kind"] == "stable"


def test_one_cost_for_everyone_is_the_founding_papers_section_6():
    c = 0.4
    G = willing(cost_distribution("point", c=c), GAMMA, DELTA, XI)
    found = fixed_points(G)
    (jump,) = found["tipping_jumps"]
    crit = evaluate("participation", "critical_mass", dict(c=c, gamma=GAMMA, Delta=DELTA, xi=XI, epsilon=0))
    assert jump["alpha"] == pytest.approx(crit, abs=1e-9)
    assert [p["alpha"] for p in found["points"]] == [0.0, 1.0]
    paper = evaluate("participation", "investment", dict(c=c, gamma=GAMMA, Delta=DELTA, xi=XI, epsilon=0))
    ours = tipping_budget(cost_distribution("point", c=c), GAMMA, DELTA, XI, crit)
    assert ours == pytest.approx((1 - GAMMA) * paper, rel=1e-9)


def test_bad_populations_are_refused():
    with pytest.raises(InputError, match="c_max = -1"):
        cost_distribution("uniform", c_max=-1)
    with pytest.raises(InputError, match="expected one of"):
        cost_distribution("pareto", alpha=2)
    with pytest.raises(InputError, match="decreases"):
        fixed_points(lambda a: 1 - np.asarray(a))
    assert thm1_success(0.0, DELTA, XI) == 0
