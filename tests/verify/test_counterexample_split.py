"""The split counterexample search (verify/encode.py): soundness of the cases, verdicts, budget, progress."""

import json
import random
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
    for x in range(nx):
        z = g[x]
        vals[f"tau_{x}"] = F(0) if mass[x] == 0 else mass[x] * max(
            abs(inst.p0[x][y] / mass[x] - inst.p0[z][y] / mass[z]) for y in range(num_labels))
    return vals


def _holds(constraints, vals) -> bool:
    subs = [(z3.Real(k), z3.RealVal(f"{v.numerator}/{v.denominator}")) for k, v in vals.items()]
    return all(z3.is_true(z3.simplify(z3.substitute(c, *subs))) for c in constraints)


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
            assert any(_holds(encode.build(strategy, case, nx, num_labels, expr, (), None, exact=False)[0].constraints, vals)
                       for case in cases if case.g == tuple(g)), (inst, strategy)
            checked += 1


@pytest.mark.parametrize("strategy,claim", [("feature-label", "thm1"), ("erasure", "thm5")])
def test_split_search_proves_theorems_1_and_5_at_3x2(strategy, claim):
    doc = search(strategy, claim, 3, 2, epsilon=0, progress=False)
    assert doc["status"] == "none" and doc["engine"] == "split"
    c = doc["covered"]
    assert c["settled"] == c["cases"] > 0 and c["unknown"] == c["not_reached"] == 0


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
