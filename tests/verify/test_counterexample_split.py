"""The split counterexample search (verify/encode.py): soundness of the cases, verdicts, budget, progress."""

import json
import math
import random
import time
import subprocess
import sys
from fractions import Fraction as F

import pytest
import sympy as sp
import z3

from theory import instance as ref
from theory.instance import make_instance
from theory.parameters import SYMBOLS
from verify import encode
from verify.counterexample import parse_claim, search, signal_maps
from verify.polynomials import linear_relaxation


def _values(inst, query_form: str, recip: bool) -> dict:
    """The instance's own values for every variable of a relaxed query (Delta, p or q, tau_x at their true values)."""
    nx, num_labels, g = inst.nx, inst.num_labels, inst.signal
    prm, mass = ref.params(inst), ref.marginal(inst.p0)
    vals = {f"p0_{x}_{y}": inst.p0[x][y] for x in range(nx) for y in range(num_labels)}
    a = inst.alpha
    vals["gamma" if query_form == "gamma" else "alpha"] = a / (1 - a) if query_form == "gamma" else a
    vals["Delta"] = prm["Delta"]
    if prm["p"] > 0:
        vals["q" if recip else "p"] = 1 / prm["p"] if recip else prm["p"]
    for z in set(g):  # the signal points' conditionals (any distribution where P0(z) = 0)
        for y in range(num_labels):
            vals[f"c_{z}_{y}"] = inst.p0[z][y] / mass[z] if mass[z] > 0 else F(int(y == 0))
    for x in range(nx):
        z = g[x]
        vals[f"tau_{x}"] = F(0) if mass[x] == 0 else mass[x] * max(
            abs(inst.p0[x][y] / mass[x] - inst.p0[z][y] / mass[z]) for y in range(num_labels))
    return vals


def _holds(constraints, vals) -> bool:
    subs = [(z3.Real(k), z3.RealVal(f"{v.numerator}/{v.denominator}")) for k, v in vals.items()]
    return all(z3.is_true(z3.simplify(z3.substitute(c, *subs))) for c in constraints)


def _atom_holds(atom, vals) -> bool:
    value = sum((F(c) * math.prod((vals[v] for v in m), start=F(1)) for m, c in atom.poly.terms.items()), F(0))
    return {">=": value >= 0, ">": value > 0, "==": value == 0, "!=": value != 0}[atom.op]


def _relabel(inst, pi):
    """The instance with X relabelled by pi (an automorphism of its signal map)."""
    p0, g = [None] * inst.nx, [None] * inst.nx
    for x in range(inst.nx):
        p0[pi[x]], g[pi[x]] = list(inst.p0[x]), pi[inst.signal[x]]
    return make_instance(p0, g, 0, inst.strategy, inst.alpha)


@pytest.mark.parametrize("strategy,claim", [("feature-label", "thm1 + 2"), ("feature-only", "thm3 + 2"),
                                            ("erasure", "thm5 + 2")])
def test_every_instance_lies_in_a_relaxed_case(strategy, claim):
    """Soundness of 'none': every random instance (with a claim it violates) satisfies some case's constraints."""
    expr = parse_claim(claim).subs(SYMBOLS["epsilon"], 0)
    rng = random.Random(3)
    for nx, num_labels in ((2, 2), (3, 2), (2, 3)):
        maps = list(signal_maps(nx, strategy == "erasure"))
        cases = list(encode.cases(strategy, nx, num_labels, maps))
        assert len(cases) == encode.count_cases(strategy, nx, num_labels, maps)
        checked = 0
        while checked < 12:
            w = [rng.choice([0, 1, 2, 3]) for _ in range(nx * num_labels)]
            g = rng.choice(maps)
            if not any(w):
                continue
            p0 = [[F(w[x * num_labels + y], sum(w)) for y in range(num_labels)] for x in range(nx)]
            mass = [sum(r) for r in p0]
            if any(mass[x] > 0 and mass[g[x]] == 0 for x in range(nx)) or min(
                    (p0[x][0] / mass[x] for x in range(nx) if mass[x] > 0)) == 0:
                continue  # tau or p undefined: outside the theorems (and outside their claims)
            inst = make_instance(p0, g, 0, strategy, F(rng.randint(1, 9), 10))
            if not ref.success(inst) < ref.bound(inst) + 2:
                continue  # only instances on which the claim fails must lie in some case
            form, recip = encode.forms((sp.StrictLessThan(sp.Symbol("S"), expr),), None)
            vals = _values(inst, form, recip)
            holding = [case for case in cases if case.g == tuple(g) and _holds(
                encode.build(strategy, case, nx, num_labels, expr, (), None, exact=False)[0].terms(), vals)]
            assert holding, (inst, strategy)
            for case in holding:
                # the linear relaxation holds at the instance's own values (monomials at their products) ...
                q, _ = encode.build(strategy, case, nx, num_labels, expr, (), None, exact=False)
                assert all(_atom_holds(a, vals) for a in linear_relaxation(q.constraints)), (inst, case)
                # ... and a case left to an earlier one by symmetry: a relabelled instance lies in that one
                if case.image_of is not None:
                    assert any(_holds(encode.build(strategy, case.image_of, nx, num_labels, expr, (), None, exact=False)[0]
                                      .terms(), _values(_relabel(inst, pi), form, recip))
                               for pi in encode.automorphisms(tuple(g))), (inst, case)
            checked += 1


@pytest.mark.parametrize("strategy,claim", [("feature-label", "thm1"), ("feature-only", "thm3"), ("erasure", "thm5")])
def test_split_search_proves_theorems_1_3_5_at_3x2_within_a_minute(strategy, claim):
    # Issue 15: 'none' within 60 s each. The budget is the search's own --timeout: past it the search stops
    # inconclusive, so 'none' here means every case was settled inside the minute (a few seconds when quiet).
    doc = search(strategy, claim, 3, 2, epsilon=0, progress=False, timeout_s=60)
    assert doc["status"] == "none" and doc["engine"] == "split", doc.get("reason")
    c = doc["covered"]
    assert c["settled"] == c["cases"] > 0 and c["unknown"] == c["not_reached"] == 0 and doc["seconds"] < 60


@pytest.mark.slow  # 4 x 2: 162, 162 and 10044 cases (2466 up to symmetry); minutes on a loaded machine
@pytest.mark.parametrize("strategy,claim", [("feature-label", "thm1"), ("feature-only", "thm3"), ("erasure", "thm5")])
def test_split_search_proves_theorems_1_3_5_at_4x2_within_ten_minutes(strategy, claim):
    doc = search(strategy, claim, 4, 2, epsilon=0, progress=False, timeout_s=600)
    assert doc["status"] == "none" and doc["engine"] == "split", doc.get("reason")
    c = doc["covered"]
    assert c["settled"] == c["cases"] and c["unknown"] == c["not_reached"] == 0 and doc["seconds"] < 600


def test_symmetric_cases_point_to_an_earlier_representative():
    for strategy, nx in (("erasure", 3), ("erasure", 4), ("feature-label", 4)):
        maps = list(signal_maps(nx, strategy == "erasure"))
        seen = set()
        images = 0
        for case in encode.cases(strategy, nx, 2, maps):
            if case.image_of is None:
                seen.add(case.describe())
                continue
            images += 1
            rep = case.image_of
            assert rep.image_of is None and rep.describe() in seen and rep.g == case.g  # settled before it
            assert any(encode._relabelled(strategy, 2, case, pi) == encode._key(
                strategy, 2, rep.g, rep.decisions, rep.alive, [y for _, y in rep.labels])
                for pi in encode.automorphisms(case.g))
        assert images > 0


def test_linear_relaxation_is_only_a_refutation():
    from verify.polynomials import Poly, refute_linear

    a, b = Poly.var("a"), Poly.var("b")
    assert refute_linear([a >= 0, b >= 0, a * b > 1, a + b <= 1])[0] == "unsat"  # 4ab <= (a + b)^2
    # a x = 1 with x = a: satisfiable (a = 1); the relaxation must not claim otherwise
    assert refute_linear([a >= 0, (a * a).eq(1), a <= 1])[0] == "sat"
    # unsat, but not by products of degree 1: the relaxation proves nothing (sat), never a wrong 'unsat'
    assert refute_linear([(a * a * a * a).eq(-1)])[0] == "sat"


def test_linear_relaxation_runs_each_stage_in_a_fresh_context(monkeypatch):
    """refute_linear's queries live in their own Z3 contexts (z3util.fresh_context), never in main_ctx(): so
    the same query does the same work (Z3's rlimit count) whatever terms the process made before."""
    import z3

    from verify import z3util
    from verify.polynomials import Poly, refute_linear

    made = []

    def recording(*args, **kwargs):
        made.append(z3util_new_solver(*args, **kwargs))
        return made[-1]

    z3util_new_solver = z3util.new_solver
    monkeypatch.setattr(z3util, "new_solver", recording)
    a, b = Poly.var("a"), Poly.var("b")
    query = [a >= 0, b >= 0, a * b > 1, a + b <= 1]

    def work():
        made.clear()
        assert refute_linear(query)[0] == "unsat"
        assert made and all(s.ctx is not z3.main_ctx() for s in made)
        assert len({id(s.ctx) for s in made}) == len(made)  # one context per stage
        return [s.statistics().get_key_value("rlimit count") for s in made]

    first = work()
    xs = z3.Reals(" ".join(f"pad{i}" for i in range(200)))  # terms in the main context, and a query over them
    s = z3.Solver()
    s.add(z3.Sum(*[x * x for x in xs]) < 1, *[x + 1 > 2 * y for x, y in zip(xs, xs[1:])])
    assert s.check() in (z3.sat, z3.unknown)
    assert work() == first


def test_split_search_finds_confirmed_counterexamples():
    # Theorem 1's bound is not one for the feature-only strategy: found in the relaxed query, confirmed exactly.
    doc = search("feature-only", "thm1", 2, 2, epsilon=0, progress=False)
    assert doc["status"] == "counterexample" and doc["engine"] == "split"
    inst = ref.parse_instance(doc["instance"])
    assert ref.success(inst) < F(doc["claim_value"]) and F(doc["success"]) == ref.success(inst)
    # A claim increasing in Delta: the relaxed model (Delta too large) is not confirmed; the exact split finds one.
    doc = search("feature-label", "Delta/2", 2, 2, epsilon=0, progress=False)
    inst = ref.parse_instance(doc["instance"])
    assert doc["status"] == "counterexample"
    assert ref.success(inst) < ref.params(inst)["Delta"] / 2


def test_budget_ends_inconclusive_with_what_it_covered(cli):
    code, out, err = cli("counterexample", "--strategy", "erasure", "--claim", "thm5", "--epsilon", "0",
                         "--max-x", 6, "--max-y", 6, "--timeout", "2", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "unknown" and "budget ran out" in doc["reason"]
    c = doc["covered"]
    assert c["settled"] + c["unknown"] + c["not_reached"] == c["cases"] and c["not_reached"] > 10**9
    assert doc["seconds"] < 30  # a budget of 2 s: the cases are walked lazily, never listed (6 x 6 has billions)
    code, out, _ = cli("counterexample", "--strategy", "erasure", "--claim", "thm5", "--epsilon", "0",
                       "--max-x", 4, "--max-y", 3, "--timeout", "1")
    assert code == 1 and out.startswith("inconclusive: covered ")
    code, _, err = cli("counterexample", "--strategy", "erasure", "--claim", "thm5", "--max-x", 2, "--max-y", 2,
                       "--timeout", "0")
    assert code == 2 and "--timeout: '0'" in err and "(0, " in err


def test_progress_bar_on_stderr_only_when_asked(capsys):
    search("feature-label", "thm1", 2, 2, epsilon=0, progress=True)
    assert "counterexample feature-label 2x2" in capsys.readouterr().err
    search("feature-label", "thm1", 2, 2, epsilon=0, progress=False)
    assert capsys.readouterr().err == ""
    run = subprocess.run([sys.executable, "-m", "critmass", "counterexample", "--strategy", "feature-label",
                          "--claim", "thm1", "--epsilon", "0", "--max-x", "2", "--max-y", "2"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("none:") and run.stderr == ""  # not a terminal: no bar


def test_epsilon_above_zero_falls_back_to_one_formula():
    doc = search("feature-label", "thm1-corrected", 2, 2, alpha="1/2", epsilon="1/10", progress=False)
    assert doc["engine"] == "one-formula" and doc["status"] == "none"


def test_several_collectives_from_the_command_line(cli_json, cli):
    doc = cli_json("counterexample", "--collectives", 2, "--claim", "alone", "--max-x", 2, "--max-y", 2,
                   "--weight", 1, "--alphas", "1/10")
    assert doc["status"] == "counterexample"
    from theory import multi
    from verify.multi import claim_value

    m = multi.parse_multi(doc["instance"])
    assert multi.success(m)[doc["collective"]] == F(doc["success"]) < claim_value("alone", m, doc["collective"])
    doc = cli_json("counterexample", "--collectives", 2, "--claim", "multi-thm1", "--max-x", 2, "--max-y", 2,
                   "--weight", 2, "--alphas", "1/10", "1/5")
    assert doc["status"] == "none" and doc["checked"] > 0
    code, _, err = cli("counterexample", "--collectives", 2, "--strategy", "erasure", "--claim", "alone",
                       "--max-x", 2, "--max-y", 2)
    assert code == 2 and "feature-label collectives only" in err


def test_a_stated_collective_keeps_the_nominal_size_in_its_domain(cli_json):
    # thm1-share-wrong states collective = r*alpha: with r = 1/2 an instance's collective above 1/2 would be a
    # nominal size above 1, outside the result's domain; the search adds 'nominal <= 1' by itself.
    from pathlib import Path

    tutorial = Path(__file__).resolve().parent.parent / "workbench" / "tutorial.toml"
    doc = cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1_share_wrong", "--set", "r=1/2",
                   "--max-x", 2, "--max-y", 2, "--results", str(tutorial))
    assert doc["status"] == "counterexample" and "2*alpha <= 1" in doc["where"]
    inst = ref.parse_instance(doc["instance"])
    nominal = inst.alpha / F(1, 2)
    assert 0 < nominal <= 1
    assert ref.success(inst) < F(doc["claim_value"]) == 1 - (1 - nominal) / nominal * ref.params(inst)["Delta"] * \
        ref.params(inst)["xi"]
    doc = cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1", "--epsilon", 0,
                   "--max-x", 2, "--max-y", 2)
    assert doc["where"] == []  # results without a collective add nothing
