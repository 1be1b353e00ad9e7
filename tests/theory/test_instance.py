"""The exact instance reference: validation, a hand-worked example, and the paper's bounds holding."""

import json
from fractions import Fraction as F

import pytest
from hypothesis import given, settings

from theory.errors import InputError
from theory.instance import bound, load_instance, make_instance, params, parse_instance, success
from tests.strategies import instances

GOOD = {"p0": [["1/4", "1/4"], ["1/8", "3/8"], [0, 0]], "signal": [2, 2, 2], "target": 1,
        "strategy": "feature-label", "alpha": "1/10"}


def test_hand_worked_feature_label():
    # X* = {2}, which has no mass under P0: the collective alone decides f(2), so any alpha > 0 succeeds.
    inst = parse_instance(GOOD)
    assert success(inst) == 1
    assert params(inst) == {"xi": 0, "Delta": 0, "p": F(1, 2), "tau": None, "rho": None}
    assert bound(inst) == 1


def test_hand_worked_feature_only_needs_alpha():
    # Signal set {1}: P0(.|1) = (3/4, 1/4) against target 1. Feature-only moves x=0's target mass 1/4 to x=1.
    doc = {"p0": [["1/4", "1/4"], ["3/8", "1/8"]], "signal": [1, 1], "target": 1, "strategy": "feature-only"}
    # Mixture at x=1: label 0: (1-a) 3/8 + a 3/8 = 3/8; label 1: (1-a)/8 + a (1/4 + 1/8) = 1/8 + a/4.
    # Unique argmax 1 iff 1/8 + a/4 > 3/8 iff a > 1; at a = 1 it is a tie, which counts against.
    assert success(parse_instance({**doc, "alpha": 1})) == 0
    # x=0 under feature-only at a = 1: label 0 keeps 1/4, label 1 moved away: f(0)=0; success is about f(1).
    doc["p0"] = [["1/4", "1/2"], ["1/8", "1/8"]]
    # x=1: label 0: 1/8; label 1: (1-a)/8 + a (1/2 + 1/8) = 1/8 + a/2 > 1/8 for every a > 0.
    assert success(parse_instance({**doc, "alpha": "1/100"})) == 1


def test_erasure_counts_only_unique_equal_predictions():
    doc = {"p0": [["1/4", "1/4"], ["1/2", 0]], "signal": [1, 1], "target": 0, "strategy": "erasure",
           "alpha": "1/2"}
    inst = parse_instance(doc)
    # The collective relabels both points to argmax P0(.|1) = 0; f(0) = 0 at alpha 1/2 (3/8 vs 1/8).
    assert success(inst) == 1
    assert params(inst)["tau"] == F(1, 2) * F(1, 2)


@pytest.mark.parametrize("change, message", [
    ({"p0": [[0.5, 0.2], [0.3]]}, "different lengths"),
    ({"p0": [["1/2", "-1/4"], ["1/2", "1/4"]]}, r"p0\[0\]\[1\] = -1/4"),
    ({"p0": [["1/2", "x"], [0, "1/2"]]}, r"p0\[0\]\[1\] = 'x'"),
    ({"p0": [["1/2", "1/4"], [0, "1/2"]]}, "sums to 5/4"),
    ({"signal": [2, 7, 0]}, r"signal\[1\] = 7"),
    ({"alpha": "3/2"}, "alpha = 3/2"),
    ({"alpha": 0}, "alpha = 0"),
    ({"strategy": "bribery"}, "strategy = 'bribery'"),
    ({"target": 2}, "target = 2"),
    ({"alpha": "1e999999999"}, r"alpha = '1e999999999'"),
    ({"alpha": "2**-3 + 1/0"}, r"alpha = '2\*\*-3 \+ 1/0'"),
    ({"alpha": float("nan")}, "alpha = nan"),
])
def test_bad_instances_name_the_bad_value(change, message):
    with pytest.raises(InputError, match=message):
        parse_instance({**GOOD, **change})


def test_numbers_are_read_exactly_and_bounded():
    # Text goes through theory.numbers.read: decimals and powers exactly, nothing evaluated, nothing expanded.
    doc = {**GOOD, "alpha": "1.25e-1", "p0": [["2**-2", "0.25"], ["1/8", "3/8"], [0, 0]]}
    inst = parse_instance(doc)
    assert inst.alpha == F(1, 8) and inst.p0[0] == (F(1, 4), F(1, 4))


def test_load_reports_malformed_json_with_position(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"p0": [[1]],\n "signal": [0],,}')
    with pytest.raises(InputError, match="line 2"):
        load_instance(path)
    path.write_text(json.dumps(GOOD))
    assert load_instance(path) == parse_instance(GOOD)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_success_is_a_probability_and_the_paper_bound_holds(inst):
    s, b = success(inst), bound(inst)
    assert 0 <= s <= 1
    if b is not None:
        assert s >= b


def test_theorem5_needs_an_idempotent_summary_map():
    """Finding: with g(g(x)) != g(x) the erasure bound of Theorem 5 fails (its proof uses f(g(x)) = y*(x)).

    x0 and x2 swap roles: g(0) = 2, g(2) = 0, so the collective relabels each to the other's majority label.
    """
    inst = make_instance([[0, 0, F(1, 2)], [0, 0, 0], [0, F(1, 2), 0]], [2, 0, 0], 0, "erasure", F(7, 10))
    assert params(inst)["tau"] == 1
    assert success(inst) == 0 < bound(inst) == F(1, 7)
