"""Finite-sample plug-in simulations and the two finite-sample bounds: validity, tightness, seeds, devices."""

import os
import subprocess
import sys
import textwrap
from fractions import Fraction as F

import numpy as np
import pytest

from numerics.bounds import binomial_bound, gbj_bound
from numerics.finite import simulate
from theory.errors import InputError
from theory.finite import BINOMIAL, GBJ, events
from theory.instance import make_instance, success

# 4 ordinary feature values, 3 labels, and a trigger value x = 4 that carries some rival mass (label 1).
P0 = [["1/10", "1/10", "1/20"], ["1/20", "1/10", "1/10"], ["1/10", "1/20", "1/10"], ["1/10", "1/10", "1/20"],
      [0, "1/50", "1/100"]]
P0 = [[F(v) / sum(F(w) for r in P0 for w in r) for v in row] for row in P0]
TRIGGER = make_instance(P0, [4] * 5, 0, "feature-label", 1)
FRESH = make_instance([["1/4", "1/4"], ["3/8", "1/8"], [0, 0]], [2, 2, 2], 1, "feature-label", 1)


def test_plug_in_converges_to_the_exact_bayes_success():
    # Far from the critical mass the plug-in on N = 4000 samples is the Bayes classifier in every seed.
    for alpha in (0.005, 0.3):
        want = float(success(TRIGGER.with_alpha(F(alpha))))
        out = simulate(TRIGGER, [alpha], 4000, 500, 32, seed=5)
        assert np.all(out["success_pop"] == want), (alpha, want)
    assert float(success(TRIGGER.with_alpha(F(5, 1000)))) == 0 < float(success(TRIGGER.with_alpha(F(3, 10))))


def test_seeds_reproduce_and_differ():
    a = simulate(TRIGGER, [0.05], 300, 300, 16, seed=1)
    b = simulate(TRIGGER, [0.05], 300, 300, 16, seed=1)
    c = simulate(TRIGGER, [0.05], 300, 300, 16, seed=2)
    assert np.array_equal(a["success_test"], b["success_test"])
    assert not np.array_equal(a["m"], c["m"])
    assert np.all(a["c"].sum(axis=-1) == 15) and np.all(a["m"].sum(axis=(-2, -1)) == 15)


@pytest.mark.parametrize("inst", [TRIGGER, FRESH])
def test_both_bounds_hold_in_at_least_1_minus_delta_of_seeds(inst):
    delta, n_samples, n_test = 0.1, 3000, 1000
    alphas = [0.02, 0.08, 0.2, 0.5]
    out = simulate(inst, alphas, n_samples, n_test, 200, seed=3)
    for i in range(len(alphas)):
        s, n = out["success_test"][i], int(out["n"][i])
        for fn in (gbj_bound, binomial_bound):
            b = fn(out["c"][i], out["m"][i], n, n_samples, n_test, inst.target, len(set(inst.signal)), delta)
            assert np.mean(s >= b) >= 1 - delta, (fn.__name__, alphas[i])


def _smallest_certified(out, inst, fn, level, n_samples, delta=0.05):
    """Smallest collective (on the grid of ``out``) whose median bound over seeds reaches ``level``."""
    for i, n in enumerate(out["n"]):
        b = fn(out["c"][i], out["m"][i], int(n), n_samples, 20_000, inst.target, 1, delta)
        if np.median(b) >= level:
            return int(n)
    return None


def test_binomial_bound_certifies_with_a_quarter_of_the_collective():
    out = simulate(FRESH, np.geomspace(0.002, 0.5, 24), 20_000, 100, 4, seed=0)   # the bounds read c and m only
    gbj = _smallest_certified(out, FRESH, gbj_bound, 0.9, 20_000)
    ours = _smallest_certified(out, FRESH, binomial_bound, 0.9, 20_000)
    assert gbj is not None and ours is not None and 4 * ours <= gbj, (ours, gbj)


def test_symbolic_results_count_fewer_events():
    assert events(GBJ).subs({s: 3 for s in events(GBJ).free_symbols}) == 26
    assert events(BINOMIAL).subs({s: 3 for s in events(BINOMIAL).free_symbols}) == 20
    assert BINOMIAL.notes and "union bound" in BINOMIAL.notes[-1]


def test_bounds_refuse_bad_sizes():
    c, m = np.ones((1, 2)), np.ones((1, 2, 2))
    with pytest.raises(InputError, match="n = 0"):
        gbj_bound(c, m, 0, 10, 10, 0, 1, 0.05)
    with pytest.raises(InputError, match="delta = 1.5"):
        binomial_bound(c, m, 2, 10, 10, 0, 1, 1.5)


def test_seed_axis_is_sharded_over_two_devices_with_equal_results():
    script = textwrap.dedent("""
        import jax, numpy as np
        from theory.instance import make_instance
        from numerics.finite import simulate
        inst = make_instance([["1/4", "1/4"], ["3/8", "1/8"]], [1, 1], 1, "feature-label", 1)
        out = simulate(inst, [0.1, 0.4], 200, 100, 8, seed=4)
        print(jax.device_count(), out["success_test"].sum(), out["m"].sum())
    """)
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    two = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    inst = make_instance([["1/4", "1/4"], ["3/8", "1/8"]], [1, 1], 1, "feature-label", 1)
    one = simulate(inst, [0.1, 0.4], 200, 100, 8, seed=4)  # this process: one device
    assert two.stdout.split() == ["2", str(one["success_test"].sum()), str(one["m"].sum())]


def _plug_in_by_draws(inst, n, n_samples, n_test, seeds, rng):
    """The reference: N explicit iid draws per seed, the first n moved by feature-label, the plug-in on counts."""
    p0 = np.array([[float(v) for v in row] for row in inst.p0])
    nx, num_labels = p0.shape
    out = []
    for _ in range(seeds):
        cells = rng.choice(nx * num_labels, size=n_samples, p=p0.ravel() / p0.sum())
        x, y = cells // num_labels, cells % num_labels
        x[:n], y[:n] = np.asarray(inst.signal)[x[:n]], inst.target
        counts = np.bincount(x * num_labels + y, minlength=nx * num_labels).reshape(nx, num_labels)
        best = counts.max(axis=1)
        unique = (counts == best[:, None]).sum(axis=1) == 1
        good = (unique & (counts.argmax(axis=1) == inst.target))[np.asarray(inst.signal)]
        out.append(np.mean(good[rng.choice(nx, size=n_test, p=p0.sum(axis=1) / p0.sum())]))
    return np.array(out)


def test_counts_have_the_law_of_explicit_draws():
    # The engine samples counts (multinomials); the reference draws every point. Same law: the means of success
    # and of the collective's counts agree within sampling error (4000 seeds each, fixed seeds: deterministic).
    seeds, n_samples, n_test, alpha = 4000, 200, 100, 0.02
    out = simulate(TRIGGER, [alpha], n_samples, n_test, seeds, seed=11)
    ref = _plug_in_by_draws(TRIGGER, int(out["n"][0]), n_samples, n_test, seeds, np.random.default_rng(11))
    s = out["success_test"][0]
    se = np.sqrt(s.var() / seeds + ref.var() / seeds)
    assert 0.05 < s.mean() < 0.95 and abs(s.mean() - ref.mean()) < 4 * se, (s.mean(), ref.mean(), se)
    p = np.array([[float(v) for v in row] for row in TRIGGER.p0]).ravel()
    m = out["m"][0].reshape(seeds, -1)                                # Bin(n, p_k) per cell
    n = out["n"][0]
    assert np.all(m.sum(axis=1) == n)
    assert np.all(np.abs(m.mean(axis=0) - n * p) < 5 * np.sqrt(n * p * (1 - p) / seeds) + 1e-12)
    assert np.allclose(m.var(axis=0), n * p * (1 - p), rtol=0.15, atol=1e-9)


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_gbj_bound_certifies_with_the_notions_margin_as_theory_states_it(notion):
    # One seed, one trigger x~ = 1 holding all n collective points; the condition at eps = 0 is v0 > 0. At an eps
    # with eps/(1-eps) < v0 < 2 eps the mixture margin certifies x~ and the tv margin does not (so this can fail).
    from theory.finite import results
    from theory.parameters import parameter
    n, n_samples, n_test, delta = 2000, 10_000, 10_000, 0.05
    c, m = np.array([[0.0, n]]), np.array([[[300.0, 200.0], [float(n), 0.0]]])
    cond = results(notion=notion)["gbj"].extras["condition"]
    values = {"N": n_samples, "n": n, "|X^*|": 1, "|Y|": 2, "delta": delta, r"\hat P(\tilde x)": 1.0,
              r"\hat\Delta_{\tilde x}": -1.0}
    cond = cond.subs({s: values[s.name] for s in cond.free_symbols if s.name in values})
    eps_symbol = parameter("epsilon").symbol
    v0 = float(cond.subs(eps_symbol, 0))
    assert 0 < v0 < 1
    eps = (v0 / 2 + v0 / (1 + v0)) / 2                     # strictly between the two notions' thresholds
    at_eps = float(cond.subs(eps_symbol, eps))
    got = gbj_bound(c, m, n, n_samples, n_test, 0, 1, delta, epsilon=eps, notion=notion)[0]
    certified = gbj_bound(c, m, n, n_samples, n_test, 0, 1, delta)[0]      # eps = 0: x~ certified, F^ = 1
    assert (at_eps > 0) == (notion == "mixture")
    assert got == pytest.approx(certified if at_eps > 0 else certified - 1.0, abs=1e-12)
