"""The theory commands of the CLI: JSON shapes, values, help, and one-line errors with exit code 2."""

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from theory import IDS, InputError, evaluate


def test_results_json_lists_every_result_with_derivation_status(cli_json):
    rows = cli_json("results")
    assert [r["id"] for r in rows] == list(IDS)
    by_id = {r["id"]: r for r in rows}
    for id in ("cor2", "cor4", "cor6", "cor8", "prop9"):
        assert by_id[id]["derived_equals_printed"] is True
    assert "derived_equals_printed" not in by_id["thm1"]
    assert by_id["thm1"]["bound"] and by_id["cor2"]["critical_mass"]
    assert {"id", "title", "source", "kind", "latex", "bound", "critical_mass"} <= set(by_id["thm1"])
    assert by_id["thm1"]["parameters"]["alpha"] == "(0, 1]"


def test_bound_json(cli_json):
    doc = cli_json("bound", "thm1", "--set", "alpha=1/100", "Delta=1", "xi=0.001", "epsilon=0")
    assert doc["id"] == "thm1"
    assert doc["value"] == pytest.approx(0.901, rel=1e-14)
    assert doc["params"] == {"alpha": 0.01, "Delta": 1.0, "xi": 0.001, "epsilon": 0.0}


def test_critical_mass_json_and_theorem_alias(cli_json):
    doc = cli_json("critical-mass", "cor2", "--set", "Delta=1", "xi=0.001", "S_star=0.9", "epsilon=0")
    assert doc["value"] == pytest.approx(0.001 / 0.101, rel=1e-14) and doc["status"] == "ok"
    assert cli_json("critical-mass", "thm1", "--set", "Delta=1", "xi=0.001", "S_star=0.9", "epsilon=0")["id"] == "cor2"


def test_critical_mass_unreachable_is_null_with_status(cli_json):
    doc = cli_json("critical-mass", "cor2-corrected", "--set", "Delta=1", "xi=0.001", "S_star=0.9", "epsilon=0.2")
    assert doc["value"] is None and doc["status"] == "unreachable" and doc["notion"] == "tv"


def test_participation_reports_investment(cli_json):
    vals = dict(c=0.3, gamma=0.5, Delta=1, xi=0.01, epsilon=0)
    doc = cli_json("critical-mass", "participation", "--set", *[f"{k}={v}" for k, v in vals.items()])
    assert doc["value"] == pytest.approx(evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.01, epsilon=0, S_star=0.6)))
    assert doc["join_level"] == pytest.approx(0.6)
    assert doc["investment"] == pytest.approx(evaluate("participation", "investment", vals))
    assert doc["investment"] > 0


@pytest.mark.parametrize("args, fragment", [
    (["bound", "thm9"], "unknown result id 'thm9'"),
    (["bound", "cor2"], "cor2 bounds no success"),
    (["critical-mass", "thm10"], "thm10 bounds no critical mass"),
    (["bound", "thm1", "--set", "alpha=2", "Delta=1", "xi=0", "epsilon=0"], "alpha=2 is outside its domain (0, 1]"),
    (["bound", "thm1", "--set", "alpha=x"], "alpha='x' is not a number"),
    (["bound", "thm1", "--set", "alpha=1e309"], "alpha='1e309' is not a number"),
    (["bound", "thm1", "--set", "alpha"], "not of the form NAME=VALUE"),
    (["bound", "thm1", "--set", "alpha=0.1", "alpha=0.2"], "set twice"),
    (["bound", "thm1", "--set", "alpha=0.1"], "missing parameters Delta epsilon xi"),
    (["bound", "thm1", "--set", "alpha=0.1", "Delta=1", "xi=0", "epsilon=0", "foo=1"], "unknown parameter 'foo'"),
    (["latex", "-o", "/nonexistent-dir/x.tex"], "cannot write"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 2
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_help_describes_every_option():
    for args in (["--help"], ["bound", "--help"], ["critical-mass", "--help"], ["results", "--help"], ["latex", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "critmass", *args], capture_output=True, text=True)
        assert proc.returncode == 0
        assert "usage: critmass" in proc.stdout
    bound_help = subprocess.run([sys.executable, "-m", "critmass", "bound", "--help"], capture_output=True, text=True).stdout
    for option in ("--set", "--json", "NAME=VALUE"):
        assert option in bound_help


def test_unknown_command_exits_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "critmass", "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


#: A value inside every parameter's domain (and every result's hypotheses) for the sweep below; epsilon > 0.
TYPICAL = {"alpha": "1/2", "epsilon": "1/10", "xi": "1/100", "Delta": "1/2", "p": "1/2", "rho": "2", "tau": "1/100",
           "S_star": "9/10", "mu": "1", "beta": "1", "U": "1", "eta": "1/10", "T": "3", "c": "1/10", "gamma": "1/2",
           "g_P0": "1", "g_Pprime": "2", "g_lb": "1", "grad_u": "1", "C": "1", "dist0": "1", "W_star": "2", "W_0": "1",
           "K": "3", "q_ystar": "1/3", "Q_sig": "1/2", "P0_sig": "1/100", "lambda": "3", "e_c": "1/2", "e": "1/4",
           "e_0": "1/4", "cvar_level": "1/2", "t_c": "1/2", "n": "100", "N_test": "1000", "X_star": "2", "Y": "2",
           "delta": "1/20", "F_cert": "9/10", "alpha_c": "1/10", "alpha_r": "1/10", "c_o": "1/20", "eps_dp": "1",
           "n_c": "100"}


def _expected(id, what, notion):
    """What `critmass bound|critical-mass ID` must do at TYPICAL: a value, a refusal naming the valid result, or an
    error saying the result has no such quantity / keeps it symbolic."""
    from theory.evaluate import required
    from theory.paper import result
    from theory.refuted import refuted_at
    r = result(id, notion)
    if (r.bound if what == "bound" else r.critical_mass) is None:
        return "none", None, None
    try:
        names = [p.name for p in required(id, what, notion)]
    except InputError:
        return "symbolic", None, None
    values = {n: TYPICAL[n] for n in names}
    ref = refuted_at(id, notion, {n: float(Fraction(v)) for n, v in values.items()})
    return ("refuted" if ref else "value"), values, ref


@pytest.mark.parametrize("notion", ["tv", "mixture"])
def test_every_result_through_bound_and_critical_mass_at_positive_epsilon(cli, notion):
    """No command prints a refuted bound without --printed: every id, both commands, epsilon = 1/10."""
    from theory.paper import all_ids, result
    seen = set()
    for id in all_ids():
        for command, what in (("bound", "bound"), ("critical-mass", "critical_mass")):
            kind, values, ref = _expected(id, what, notion)
            args = [command, id, "--notion", notion, "--json"] + (["--set", *(f"{k}={v}" for k, v in values.items())]
                                                                  if values else [])
            code, out, err = cli(*args)
            seen.add(kind)
            if kind in ("none", "symbolic"):
                assert code == 2 and err.count("\n") == 1, (id, command, err)
                continue
            if kind == "refuted":
                assert code == 2 and out == "" and err.count("\n") == 1 and f"use {ref.use}" in err, (id, err)
                assert "refuted for 0 < epsilon < 1/2" in err and ref.steps[0] in err
                assert "add --printed" in err and "printed=True" not in err  # the command line's terms, not the API's
                code, out, err = cli(*args, "--printed")
                doc = json.loads(out)
                assert code == 0 and doc["refuted"] is True and ref.steps[0] in doc["why"] and doc["use"] == ref.use
                continue
            assert code == 0, (id, command, err)
            doc = json.loads(out)
            floats = {k: float(Fraction(v)) for k, v in values.items()}
            assert doc["refuted"] is False and doc["notion"] == result(id, notion).notion
            want = evaluate(id, what, floats, notion)
            assert doc["value"] == (None if want == float("inf") else pytest.approx(want, rel=1e-12)), (id, command)
    assert {"refuted", "value", "none"} <= seen


def test_printed_text_output_says_refuted(cli):
    code, out, _ = cli("bound", "thm1", "--set", "alpha=1/2", "Delta=1", "xi=1/2", "epsilon=1/4", "--printed")
    assert code == 0 and out.startswith("thm1 (tv): S(alpha) >= 0.166667") and "[REFUTED: thm1 is refuted" in out
    code, out, err = cli("bound", "thm1", "--set", "alpha=1/2", "Delta=1", "xi=1/2", "epsilon=1/4")
    assert code == 2 and out == "" and "use thm1-corrected" in err and err.count("\n") == 1
    code, out, _ = cli("critical-mass", "cor2", "--set", "Delta=1", "xi=0.001", "S_star=0.9", "epsilon=0.05", "--printed")
    assert code == 0 and "alpha* <= 0.0206746" in out and "REFUTED" in out
    code, out, _ = cli("critical-mass", "cor2-corrected", "--notion", "mixture", "--set", "Delta=1", "xi=0.001",
                       "S_star=0.9", "epsilon=0.05")
    assert code == 0 and out.strip() == "cor2-corrected (mixture): alpha* <= 0.531006"


def test_results_json_carries_notion_and_refutations(cli_json):
    rows = {r["id"]: r for r in cli_json("results")}
    thm1 = rows["thm1"]
    assert thm1["notion"] == "tv" and thm1["refutations"][0]["applies"] is True
    assert thm1["refutations"][0]["steps"][0] == "thm1.eps.model" and thm1["refutations"][0]["use"] == "thm1-corrected"
    corrected = rows["thm1-corrected"]
    assert corrected["bound"] == "-Delta*xi*(1 - alpha)/alpha + 1 - 2*epsilon/alpha"
    assert [(f["form"], f["applies"]) for f in corrected["refutations"]] == [("mixture", False)]
    assert rows["thm7"]["notion"] is None and rows["thm7"]["refutations"] == []
    mixture = {r["id"]: r for r in cli_json("results", "--notion", "mixture")}
    assert mixture["thm1-corrected"]["notion"] == "mixture"
    assert mixture["thm1-corrected"]["bound"] == "-Delta*xi*(1 - alpha)/alpha + 1 - epsilon/(alpha*(1 - epsilon))"
    assert mixture["thm1-corrected"]["statement"].count("notion \\texttt{mixture}") == 1


def test_typed_numbers_are_decided_exactly(cli, cli_json):
    """eps = 0.16 and S* = 0.68 as typed make cor2-corrected's reachability 1 - 2 eps >= S* an equality: alpha* = 1
    (their floats say 1 - 2 eps < S*); the same by the full path (--printed) and, once cached, the fast one.
    eps = 1/2 - 10**-20 is in the refuted range 0 < eps < 1/2, though its float is 1/2."""
    at = ["--set", "Delta=1", "xi=0.3", "epsilon=0.16", "S_star=0.68"]
    assert 1 - 2 * 0.16 < 0.68 and 1 - 2 * Fraction("0.16") == Fraction("0.68")
    for extra in (["--printed"], [], []):
        doc = cli_json("critical-mass", "cor2-corrected", *at, *extra)
        assert (doc["value"], doc["status"]) == (1.0, "ok"), extra
    code, out, err = cli("critical-mass", "cor2", "--set", "Delta=1", "xi=0.3", "S_star=0.1", "epsilon=1/2-10**-20")
    assert code == 2 and "refuted for 0 < epsilon < 1/2" in err, (out, err)
