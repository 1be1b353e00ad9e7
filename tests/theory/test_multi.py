"""Several collectives: exact success against an independent enumeration, the derived bound, strict files."""

import json
import subprocess
import sys
from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import given, settings

from theory import multi
from theory.errors import InputError
from theory.instance import parse_instance, success as single_success
from tests.strategies import instances, multi_instances
from verify.multi import check_multi, search


def brute_force(m: multi.MultiInstance) -> tuple:
    """Success of each collective by enumerating every (source, x, y) contribution to the training mass.

    Independent of theory.multi's tables: each base point (x, y) sends (1 - A) P0(x, y) to itself and
    alpha_k P0(x, y) to where collective k's strategy moves it; the firm takes the unique argmax per x.
    """
    nx, num_labels = m.nx, m.num_labels
    mass = {}
    total = sum(c.alpha for c in m.collectives)
    px = [sum(row) for row in m.p0]

    def erase_label(z):
        row = m.p0[z]
        best = max(row)
        return min(y for y in range(num_labels) if row[y] == best)

    for x in range(nx):
        for y in range(num_labels):
            w = m.p0[x][y]
            mass[(x, y)] = mass.get((x, y), 0) + (1 - total) * w
            for c in m.collectives:
                g = c.signal[x]
                if c.strategy == "feature-label":
                    dest = (g, c.target)
                elif c.strategy == "feature-only":
                    dest = (g, y) if y == c.target else (x, y)
                else:
                    dest = (x, erase_label(g)) if px[g] > 0 else (x, y)
                mass[dest] = mass.get(dest, 0) + c.alpha * w
    f = []
    for x in range(nx):
        cells = [mass.get((x, y), 0) for y in range(num_labels)]
        top = max(cells)
        f.append(cells.index(top) if top > 0 and cells.count(top) == 1 else None)
    out = []
    for c in m.collectives:
        if c.strategy == "erasure":
            out.append(sum((px[x] for x in range(nx) if f[x] is not None and f[x] == f[c.signal[x]]), F(0)))
        else:
            out.append(sum((px[x] for x in range(nx) if f[c.signal[x]] == c.target), F(0)))
    return tuple(out)


def test_two_opposite_collectives_on_one_point_both_fail_exactly():
    p0 = [["1/2", "1/2"], [0, 0]]
    m = multi.make_multi(p0, [("1/10", [1, 1], 0, "feature-label"), ("1/10", [1, 1], 1, "feature-label")])
    assert multi.success(m) == (0, 0)
    assert [single_success(m.alone(k)) for k in range(2)] == [1, 1]  # each alone would win outright
    bigger = multi.make_multi(p0, [("1/10", [1, 1], 0, "feature-label"), ("1/5", [1, 1], 1, "feature-label")])
    assert multi.success(bigger) == (0, 1)


@settings(max_examples=300, deadline=None)
@given(multi_instances())
def test_exact_success_equals_brute_force_enumeration(m):
    assert multi.success(m) == brute_force(m)


@settings(max_examples=150, deadline=None)
@given(instances())
def test_one_collective_is_the_single_collective_instance(inst):
    m = multi.make_multi(inst.p0, [(inst.alpha, inst.signal, inst.target, inst.strategy)])
    assert multi.success(m) == (single_success(inst),)


@settings(max_examples=300, deadline=None)
@given(multi_instances(strategies=("feature-label",)))
def test_derived_bound_never_exceeds_exact_success(m):
    got = multi.success(m)
    for k in range(len(m.collectives)):
        assert got[k] >= multi.bound(m, k), (m, k)


def test_derived_results_reduce_to_the_papers_for_one_collective():
    from theory.paper import result
    from theory.parameters import SYMBOLS
    zero = {multi.alpha_c: 0, multi.alpha_r: 0, multi.c_o: 0}
    thm1 = result("thm1").bound.subs(SYMBOLS["epsilon"], 0)
    assert sp.simplify(multi.MULTI_BOUND.subs(zero) - thm1) == 0
    cor2 = result("cor2").critical_mass.alpha_star.subs(SYMBOLS["epsilon"], 0)
    assert sp.simplify(result("multi-cor2").critical_mass.alpha_star.subs(zero) - cor2) == 0


def test_competition_raises_and_cooperation_lowers_the_critical_mass():
    from theory.evaluate import evaluate
    base = dict(Delta=1, xi=0.01, S_star=0.9, alpha_c=0, alpha_r=0, c_o=0)
    alone = evaluate("multi-cor2", "critical_mass", base)
    competed = evaluate("multi-cor2", "critical_mass", {**base, "alpha_r": 0.05, "c_o": 0.05})
    helped = evaluate("multi-cor2", "critical_mass", {**base, "alpha_c": 0.02})
    assert competed > alone > helped
    # Against a rival that plants 5% of the data on the signal set with another label, own size needs
    # ((1 - 0.05) 0.01 + 0.05) / (0.1 + 0.01) = 0.5409..., against 0.01/0.11 = 0.0909... alone.
    assert competed == pytest.approx((0.95 * 0.01 + 0.05) / 0.11) and alone == pytest.approx(0.01 / 0.11)


def test_search_refutes_the_alone_bound_and_not_the_derived_one():
    found = search("alone", max_x=2, max_y=2, weight=1, alphas=("1/10",))
    assert found["status"] == "counterexample"
    m = multi.parse_multi(found["instance"])
    k = found["collective"]
    assert multi.success(m)[k] == F(found["success"]) < F(found["claim_value"])
    none = search("multi-thm1", max_x=2, max_y=2, weight=2, alphas=("1/10", "1/2"))
    assert none["status"] == "none" and none["checked"] > 1000


@pytest.mark.parametrize("doc, message", [
    ({"p0": [["1/2", "1/2"]], "signal": [0], "target": 0, "strategy": "feature-label", "alpha": "1/2",
      "collectives": []}, "unknown key 'collectives'"),
    ({"p0": [["1/2", "1/2"]], "signal": [0], "target": 0, "strategy": "feature-label", "alpha": "1/2", "beta": 1},
     "unknown key 'beta'"),
])
def test_single_instance_rejects_unknown_keys(doc, message):
    with pytest.raises(InputError, match=message):
        parse_instance(doc)


@pytest.mark.parametrize("change, message", [
    ({"extra": 1}, "unknown key 'extra'"),
    ({"collectives": []}, "non-empty list"),
    ({"collectives": [{"alpha": "1/2", "signal": [0], "target": 0, "strategy": "feature-label", "colour": 1}]},
     r"collectives\[0\]: unknown key 'colour'"),
    ({"collectives": [{"alpha": "1/2", "signal": [0], "target": 0, "strategy": "feature-label"},
                      {"alpha": "2/3", "signal": [0], "target": 1, "strategy": "feature-label"}]}, "sum to 7/6"),
    ({"collectives": [{"alpha": "1/2", "signal": [3], "target": 0, "strategy": "feature-label"}]},
     r"collectives\[0\]: signal\[0\] = 3"),
])
def test_multi_instance_names_the_bad_key_or_value(change, message):
    doc = {"p0": [["1/2", "1/2"]], "collectives": [{"alpha": "1/2", "signal": [0], "target": 0,
                                                   "strategy": "feature-label"}], **change}
    with pytest.raises(InputError, match=message):
        multi.parse_multi(doc)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "critmass", *args], capture_output=True, text=True)


def test_check_instance_reads_several_collectives_and_rejects_unknown_keys(tmp_path):
    two = {"p0": [["1/2", "1/2"], [0, 0]], "collectives": [
        {"alpha": "1/10", "signal": [1, 1], "target": 0, "strategy": "feature-label"},
        {"alpha": "1/10", "signal": [1, 1], "target": 1, "strategy": "feature-label"}]}
    path = tmp_path / "two.json"
    path.write_text(json.dumps(two))
    out = _cli("check-instance", str(path), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [c["success"] for c in doc["collectives"]] == ["0", "0"]
    assert [c["success_alone"] for c in doc["collectives"]] == ["1", "1"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"p0": [["1/2", "1/2"], [0, 0]], "signal": [1, 1], "target": 0,
                               "strategy": "feature-label", "alpha": "1/10", "collectives": []}))
    out = _cli("check-instance", str(bad))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "unknown key 'signal'" in out.stderr
    assert check_multi(multi.parse_multi(two))["holds"]
