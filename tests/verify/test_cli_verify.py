"""critmass verify, check-instance and counterexample, through the CLI."""

import json
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.instance import VALID_BOUND_OF, bound, params, parse_instance, success, worst_case
from theory.paper import result
from verify import steps
from verify.check import check_instance
from verify.sympy_z3 import exact_value
from tests.strategies import instances

GOOD = {"p0": [["1/2", 0], [0, "1/2"]], "signal": [1, 1], "target": 0, "strategy": "feature-label", "alpha": "3/5"}


def write(tmp_path, doc, name="inst.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_verify_only_selects_a_family(cli_json):
    rows = cli_json("verify", "--only", "thm1.sum", "lemma11.tv-only")
    assert [r["id"] for r in rows] == ["lemma11.tv-only"] + [f"thm1.sum[k={k}]" for k in range(1, 5)]
    assert {tuple(sorted(r)) for r in rows[1:]} == {("expect", "id", "ok", "result", "seconds", "statement", "status")}
    assert rows[0]["status"] == "refuted" and rows[0]["counterexample"]


def test_verify_exits_nonzero_when_a_step_misses_its_expectation(cli, monkeypatch):
    bad = steps.Step("lemma11.tv-only", "lemma11", steps.get("lemma11.tv-only").build, expect="proven")
    monkeypatch.setattr(steps, "STEPS", [bad])
    code, out, _ = cli("verify")
    assert code == 1 and "UNEXPECTED" in out
    code, _, err = cli("verify", "--only", "no-such-step")
    assert code == 2 and "unknown step id" in err and err.count("\n") == 1


def test_check_instance_hand_worked(cli_json, tmp_path):
    # X* = {1}, P0(.|1) = (0, 1): Delta = 1, xi = 1/2. f(1) = 0 iff 3/5 > (2/5)(1/2) for label 1 vs 3/5 + 0:
    # P(1, 0) = alpha = 3/5 > P(1, 1) = (2/5)(1/2) = 1/5, so success 1; bound 1 - (2/3)(1/2)(1) = 2/3.
    doc = cli_json("check-instance", write(tmp_path, GOOD))
    assert doc["success"] == "1" and doc["bound"] == "2/3" and doc["holds"] is True
    assert doc["params"] == {"xi": "1/2", "Delta": "1", "p": "0", "tau": "1/2", "rho": "2"}
    assert doc["bound_float"] == pytest.approx(2 / 3)
    assert doc["epsilon"] == "0" and doc["worst_case"]["success"] == "1" and doc["worst_case"]["tied"] == []


def test_check_instance_names_the_points_tied_on_the_mixture(cli, tmp_path):
    """Row 0 of the mixture is (1/4, 1/4), an exact tie: the text said 'tying points none'. It names point 0 as
    tied on the mixture itself, and the points a firm ties apart from it."""
    tie = {"p0": [["1/2", 0], ["1/4", "1/4"]], "signal": [0, 1], "target": 1, "strategy": "feature-label",
           "alpha": "1/2"}
    path = write(tmp_path, tie)
    code, out, err = cli("check-instance", path)
    first = out.splitlines()[0]
    assert code == 0 and "none" not in first and "tying no point (budget 0)" in first, (out, err)
    assert first.endswith("tied on the mixture itself (no firm's doing): point [0]")
    code, out, err = cli("check-instance", path, "--epsilon", "1/4")
    first = out.splitlines()[0]
    assert "tying points [1] (margins 1/4 of budget 1/2)" in first and first.endswith("point [0]"), out
    code, out, err = cli("check-instance", write(tmp_path, GOOD))  # no tie anywhere: neither phrase
    assert code == 0 and "tying no point (budget 0)" in out and "tied on the mixture" not in out


ISSUE = {"p0": [[0, 0], [0, 1]], "signal": [0, 0], "target": 0, "strategy": "feature-label", "alpha": "1/2"}


def test_check_instance_with_epsilon_under_each_notion(cli_json, cli, tmp_path):
    """The issue's example: xi = 0, alpha = 1/2, eps = 1/4. A TV firm ties x* (moves 1/4 from y* to y)."""
    path = write(tmp_path, ISSUE)
    doc = cli_json("check-instance", path, "--epsilon", "1/4")
    assert doc["notion"] == "tv" and doc["success"] == "1"
    assert doc["worst_case"] == {"success": "0", "success_float": 0.0, "tied": [0], "cost": "1/2", "budget": "1/2"}
    rows = {(b["id"], b["notion"]): b for b in doc["bounds"]}
    assert rows["thm1", "tv"]["value"] == "2/3" and not rows["thm1", "tv"]["valid"]  # printed: refuted here
    assert "refuted" in rows["thm1", "tv"]["refuted"] and rows["thm1", "tv"]["holds"] is False
    assert rows["thm1-corrected", "tv"] | {} == {**rows["thm1-corrected", "tv"], "value": "0", "valid": True,
                                                "holds": True}
    mixture_form = rows["thm1-corrected", "mixture"]  # 1/3 > 0: the mixture form fails against a TV firm
    assert mixture_form["value"] == "1/3" and not mixture_form["holds"] and not mixture_form["valid"]
    assert doc["bound"] == "0" and doc["holds"] is True  # every bound valid here holds
    doc = cli_json("check-instance", path, "--epsilon", "0.25", "--notion", "mixture")
    assert doc["worst_case"]["success"] == "1" and doc["holds"] is True
    assert {(b["id"], b["notion"]): b["valid"] for b in doc["bounds"]} == {
        ("thm1", "mixture"): False, ("thm1-corrected", "mixture"): True, ("thm1-corrected", "tv"): True}
    code, out, err = cli("check-instance", path)
    assert code == 0 and "least success over every 0-optimal firm (tv): 1" in out
    code, out, _ = cli("check-instance", path, "--epsilon", "1/4")
    assert code == 0 and "tying points [0]" in out and "FAILS (not valid here)" in out
    for bad, needle in (("1", "argument --epsilon: '1': expected a number in [0, 1)"), ("x", "argument --epsilon: 'x'")):
        code, _, err = cli("check-instance", path, "--epsilon", bad)
        assert code == 2 and needle in err and err.count("\n") == 1
    # several collectives are checked against the Bayes-optimal firm only: a positive epsilon is refused, not ignored
    two = write(tmp_path, {"p0": [["1/2", "1/2"], [0, 0]], "collectives": [
        {"alpha": "1/10", "signal": [1, 1], "target": 0, "strategy": "feature-label"}]}, "two.json")
    code, out, err = cli("check-instance", two, "--epsilon", "1/4")
    assert code == 2 and out == "" and "--epsilon 1/4" in err and err.count("\n") == 1
    assert cli("check-instance", two, "--epsilon", "0")[0] == 0


def test_check_instance_states_theorem5_hypothesis(cli_json, tmp_path):
    doc = cli_json("check-instance", write(tmp_path, {"p0": [[0, 0, "1/2"], [0, 0, 0], [0, "1/2", 0]],
                                                     "signal": [2, 0, 0], "target": 0, "strategy": "erasure",
                                                     "alpha": "7/10"}))
    assert doc["hypotheses"] == {"g_idempotent": False, "tau_defined": True}
    assert doc["bound"] is None and doc["success"] == "0" and doc["holds"] is True


@pytest.mark.parametrize("doc, message", [
    ({**GOOD, "p0": [[0.5, 0.2], [0.3]]}, "different lengths"),
    ({**GOOD, "p0": [["1/2", "-1/4"], ["1/2", "1/4"]]}, "p0[0][1] = -1/4"),
    ({**GOOD, "p0": [["1/2", "x"], [0, "1/2"]]}, "p0[0][1] = 'x'"),
    ({**GOOD, "p0": [["1/2", "1/4"], [0, "1/2"]]}, "sums to 5/4"),
    ({**GOOD, "signal": [1, 7]}, "signal[1] = 7"),
    ({**GOOD, "alpha": "3/2"}, "alpha = 3/2"),
    ({**GOOD, "strategy": "bribery"}, "strategy = 'bribery'"),
    ('{"p0": [[1]],,}', "malformed JSON"),
    # Numbers are read by theory.numbers.read: a huge decimal exponent is refused at once (Fraction() of it
    # would run for hours), as are a zero denominator, an expression and an integer too long for json.
    ({**GOOD, "alpha": "1e999999999"}, "alpha = '1e999999999'"),
    ({**GOOD, "p0": [["1/2", "1e-999999999"], [0, "1/2"]]}, "p0[0][1] = '1e-999999999'"),
    ({**GOOD, "alpha": "1/0"}, "alpha = '1/0'"),
    ({**GOOD, "alpha": "__import__('os')"}, "alpha = "),
    (json.dumps({**GOOD, "alpha": 0}).replace('"alpha": 0', '"alpha": 1' + "0" * 5000), "unreadable JSON"),
    (json.dumps({**GOOD, "alpha": 0}).replace('"alpha": 0', '"alpha": 1e999999999'), "alpha = inf"),
])
def test_bad_instances_are_one_line_exit_2(cli, tmp_path, doc, message):
    code, out, err = cli("check-instance", write(tmp_path, doc), "--json")
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
    code, _, err = cli("check-instance", tmp_path / "missing.json")
    assert code == 2 and "cannot read" in err


@settings(max_examples=2500, deadline=None, derandomize=True)
@given(instances(max_x=6, min_y=1, max_weight=4, alpha_den=40), st.fractions(0, F(9, 10), max_denominator=10),
       st.sampled_from(["tv", "mixture"]))
def test_every_bound_holds_on_random_instances(inst, epsilon, notion):
    out = check_instance(inst, epsilon, notion)
    assert out["holds"], (inst.to_json(), out)
    assert 0 <= worst_case(inst, epsilon, notion).success <= success(inst) <= 1
    # The compiled bound agrees with the sympy bound evaluated exactly, at any epsilon, printed and corrected.
    values = {**params(inst), "alpha": inst.alpha, "epsilon": epsilon}
    for id in (VALID_BOUND_OF[inst.strategy], VALID_BOUND_OF[inst.strategy].split("-")[0]):
        b = bound(inst, epsilon, notion, id)
        if b is not None:
            assert b == exact_value(result(id, notion).bound, values)


def test_counterexample_feature_only_breaks_theorem1(cli_json, cli, tmp_path):
    doc = cli_json("counterexample", "--strategy", "feature-only", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                   "--epsilon", "0")
    assert doc["status"] == "counterexample"
    inst = parse_instance(doc["instance"])
    thm1 = exact_value(result("thm1").bound, {**params(inst), "alpha": inst.alpha, "epsilon": 0})
    assert success(inst) < thm1
    # ... while check-instance (Theorem 3's bound for feature-only) finds that bound holding on it.
    assert cli_json("check-instance", write(tmp_path, doc["instance"]))["holds"]


def test_a_claim_stated_for_another_strategy_is_framed_as_its_transfer(cli_json, cli, tmp_path):
    """Theorem 1 is stated for feature-label: check-instance --result thm1 refuses a feature-only instance, and
    counterexample says its feature-only instance refutes applying that bound to feature-only, not Theorem 1."""
    stated = result("thm1").strategy.value
    doc = cli_json("counterexample", "--strategy", "feature-only", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                   "--epsilon", "0")
    assert doc["status"] == "counterexample" and stated != "feature-only"
    assert doc["stated_for"] == {"thm1": stated} and doc["out_of_scope"] == ["thm1"]
    code, _, err = cli("check-instance", write(tmp_path, doc["instance"]), "--result", "thm1")
    assert code == 2 and f"bounds the {stated} strategy's success" in err
    code, out, _ = cli("counterexample", "--strategy", "feature-only", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                       "--epsilon", "0")
    scope = [line for line in out.splitlines() if line.startswith("scope:")]
    assert code == 0 and len(scope) == 1
    assert f"thm1 is stated for the {stated} strategy, not feature-only" in scope[0]
    assert "counterexample to applying thm1's bound to the feature-only strategy, not to thm1 as stated" in scope[0]
    # The pair the theorem states: no scope line, and nothing out of scope (Z3 proves none at eps = 0).
    doc = cli_json("counterexample", "--strategy", stated, "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                   "--epsilon", "0")
    assert doc["status"] == "none" and doc["out_of_scope"] == []
    code, out, _ = cli("counterexample", "--strategy", stated, "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                       "--epsilon", "0")
    assert code == 0 and "scope:" not in out


def test_a_stated_results_declared_strategy_frames_the_answer(cli, tmp_path):
    """The scope line comes from the result's declared strategy, for a stated result as for the paper's."""
    toml = (tmp_path / "r.toml")
    toml.write_text((Path(__file__).parent.parent / "workbench" / "tutorial.toml").read_text()
                    .replace('strategy = "feature-label"', 'strategy = "erasure"'))
    code, out, err = cli("counterexample", "--strategy", "feature-label", "--claim", "thm1_share", "--set", "r=1/2",
                         "--max-x", 2, "--max-y", 2, "--results", toml)
    assert code in (0, 1), err
    assert "thm1-share is stated for the erasure strategy, not feature-label" in out


def test_where_that_no_instance_meets_says_so(cli_json, cli):
    """A 'none' under --where conditions that exclude every instance says it is vacuous, in text and JSON."""
    for eps in (["--epsilon", "0"], []):  # the split search and the one-formula one
        args = ("counterexample", "--strategy", "feature-label", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                "--where", "thm1 > 2", *eps)
        doc = cli_json(*args)
        kept = doc["where_kept"]
        assert doc["status"] == "none" and kept["kept"] == 0 and kept["excluded"] == kept["cases"] > 0
        code, out, _ = cli(*args)
        assert code == 0 and f"--where 'thm1 > 2' holds on some instance in 0 of {kept['cases']} cases" in out
        assert "so this 'none' is vacuous" in out and "satisfying --where 'thm1 > 2' has success below" in out
        if not eps:  # docs/verify.md quotes this run's line
            line = next(x for x in out.splitlines() if x.startswith("--where"))
            assert f"`{line}`" in (Path(__file__).parents[2] / "docs" / "verify.md").read_text()
    # A condition that some instances meet: counted, not called vacuous.
    args = ("counterexample", "--strategy", "feature-label", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
            "--epsilon", "0", "--where", "thm1 > 1/2")
    kept = cli_json(*args)["where_kept"]
    assert 0 < kept["kept"] <= kept["cases"] and kept["kept"] + kept["excluded"] == kept["cases"]
    code, out, _ = cli(*args)
    assert f"in {kept['kept']} of {kept['cases']} cases" in out and "vacuous" not in out
    assert "where_kept" not in cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1",
                                        "--max-x", 2, "--max-y", 2, "--epsilon", "0")


def test_counterexample_none_and_non_idempotent_erasure(cli_json):
    doc = cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                   "--alpha", "1/10", "--epsilon", "0")
    assert doc["status"] == "none" and (doc["max_x"], doc["max_y"]) == (2, 2) and doc["epsilon"] == "0"
    doc = cli_json("counterexample", "--strategy", "erasure", "--claim", "thm5", "--max-x", 2, "--max-y", 2,
                   "--any-signal", "--epsilon", "0")
    inst = parse_instance(doc["instance"])
    g = inst.signal
    assert doc["status"] == "counterexample" and any(g[g[x]] != g[x] for x in range(inst.nx))
    assert success(inst) < bound(inst)


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_counterexample_refutes_the_printed_theorem_with_epsilon(cli_json, notion):
    """One command refutes Theorem 1 as printed: epsilon is free since the claim has one; confirmed exactly."""
    doc = cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1", "--max-x", 2, "--max-y", 2,
                   "--notion", notion)
    assert doc["status"] == "counterexample" and doc["notion"] == notion and doc["epsilon_free"]
    inst, eps = parse_instance(doc["instance"]), F(doc["epsilon"])
    assert 0 < eps < F(1, 2)
    worst = worst_case(inst, eps, notion)
    claim = exact_value(result("thm1").bound, {**params(inst), "alpha": inst.alpha, "epsilon": eps})
    assert str(worst.success) == doc["success"] and worst.success < claim == F(doc["claim_value"])


def test_counterexample_mixture_form_against_tv_firms_and_none_for_the_valid_bound(cli_json):
    # The mixture form of the corrected Theorem 1 fails against a TV-optimal firm...
    doc = cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1-corrected[mixture]",
                   "--max-x", 2, "--max-y", 2, "--alpha", "1/2")
    assert doc["status"] == "counterexample"
    inst, eps = parse_instance(doc["instance"]), F(doc["epsilon"])
    assert worst_case(inst, eps, "tv").success < bound(inst, eps, "mixture")
    # ... while Z3 proves that no 2x2 instance and no eps-optimal firm beats the form valid for it.
    for notion in ("tv", "mixture"):
        doc = cli_json("counterexample", "--strategy", "feature-label", "--claim", "thm1-corrected", "--max-x", 2,
                       "--max-y", 2, "--alpha", "1/2", "--notion", notion, "--timeout", "120")
        assert doc["status"] == "none", doc
    doc = cli_json("counterexample", "--strategy", "erasure", "--claim", "thm5-corrected - 1/100", "--max-x", 2,
                   "--max-y", 2, "--alpha", "1/2", "--epsilon", "1/10", "--timeout", "120")
    assert doc["status"] == "none" and doc["epsilon"] == "1/10"


def test_counterexample_inconclusive_and_bad_claims(cli):
    code, out, _ = cli("counterexample", "--strategy", "feature-label", "--claim", "thm1", "--max-x", 3,
                       "--max-y", 3, "--timeout", "0.001", "--json")
    assert code == 1 and json.loads(out)["status"] == "unknown"
    code, _, err = cli("counterexample", "--strategy", "erasure", "--claim", "1 - q", "--max-x", 2, "--max-y", 2)
    assert code == 2 and "unknown name 'q'" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("counterexample", "--strategy", "erasure", "--claim", "thm5", "--max-x", 9, "--max-y", 2)
    assert code == 2 and "--max-x: '9': expected an integer in [1, 6]" in err
    code, _, err = cli("counterexample", "--strategy", "erasure", "--claim", "thm5", "--max-x", 2, "--max-y", 2,
                       "--epsilon", "3/2")
    assert code == 2 and "argument --epsilon: '3/2': expected a number in [0, 1)" in err


def test_bench_baseline_agrees_with_the_instance_checks():
    from verify.bench import random_instances, sympy_check

    for inst in random_instances(60, seed=1):
        ours, (s, b) = check_instance(inst), sympy_check(inst)
        assert ours["success"] == str(s) and ours["bound"] == (None if b is None else str(b))
