"""The theory commands of the CLI: JSON shapes, values, help, and one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from theory import IDS, evaluate


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
    doc = cli_json("critical-mass", "cor2", "--set", "Delta=1", "xi=0.001", "S_star=0.9", "epsilon=0.2")
    assert doc["value"] is None and doc["status"] == "unreachable"


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
