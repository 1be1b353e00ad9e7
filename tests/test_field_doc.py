"""docs/field.md names only what exists, and its tables are what the code computes."""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "field.md").read_text()


def _subparsers(parser):
    import argparse
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def test_every_command_and_flag_exists():
    from critmass.cli import build_parser
    blocks = re.findall(r"```\n(.*?)```", DOC, flags=re.S)
    commands = [" ".join(b.replace("\\\n", " ").split()) for b in blocks if b.lstrip().startswith("critmass ")]
    commands += re.findall(r"`(critmass [^`]+)`", DOC)
    assert len(commands) >= 3
    for line in commands:
        words = shlex.split(line)[1:]
        parser = build_parser()
        while words and words[0] in _subparsers(parser):
            parser = _subparsers(parser)[words.pop(0)]
        flags = {s for a in parser._actions for s in a.option_strings}
        for w in words:
            if w.startswith("--"):
                assert w in flags, (line, w)
    for flag in re.findall(r"`(--[a-z-]+)`", DOC):
        parser = _subparsers(_subparsers(build_parser())["simulate"])["tabular"]
        assert flag in {s for a in parser._actions for s in a.option_strings}, flag


def test_every_named_test_result_step_and_file_exists():
    from critmass.cli import build_parser
    from theory.paper import all_ids
    from verify.steps import STEPS
    commands = set(_subparsers(build_parser()))
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    named = set(re.findall(r"`([^`\s]+)`", DOC))
    for name in named:
        if name.startswith("test_"):
            assert f"def {name}(" in tests, name
        elif re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name) and not name.startswith("--"):
            assert name in all_ids() or name in commands, name
        elif re.fullmatch(r"(multi|bendov|privacy|population|unplanting)\.[a-z-]+", name):
            assert any(s.id == name or s.id.startswith(name + "[") for s in STEPS), name
        elif re.fullmatch(r"(theory|numerics|verify|critmass|tests|docs)/[a-z_]+\.(py|md)", name):
            assert (ROOT / name).is_file(), name


def _rows_until_blank(header: str) -> list[list[str]]:
    lines = DOC[DOC.index(header):].splitlines()
    out = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        out.append([c.strip() for c in line.strip("|").split("|")])
    return out


def test_the_gbj_table_is_their_saved_output_and_ours():
    from critmass.report.stages.field import GBJ_SAVED
    from numerics import collusion
    rows = _rows_until_blank("| strategy | n | their saved bound |")
    table = collusion.car_table(1_100_000, seed=0)
    fix = collusion.parse_fix(table, [f"{k}={v}" for k, v in collusion.GBJ_SIGNAL.items()])
    excellent = collusion.parse_label(table, "Excellent")
    for row in rows:
        strategy = row[0].split(" ")[0]
        n = int(row[1])
        saved = GBJ_SAVED[strategy][n][0]
        assert float(row[2]) == saved
        (got,) = collusion.run(table, fix, excellent, [n], 1_000_000, 100_000, seed=0, strategy=strategy,
                               n_est=2000 if strategy == "unplanting" else None)
        assert float(row[3]) == got["gbj"] == saved
        assert row[5] == f"{got['binomial']:g}"
        assert row[4].split(", ")[1] == f"{got['success']:g}"


def test_the_privacy_table_is_computed():
    from numerics.privacy import rr_exact
    from theory.evaluate import evaluate
    for eps, need, bound in _rows_until_blank("| eps | exact need | bound n* |"):
        e = float(eps)
        assert int(need) == next(n for n in range(1, 5000) if rr_exact(n, e, 3) >= 0.9)
        assert bound == f"{evaluate('privacy-rr-finite', 'n_star', dict(eps_dp=e, K=3, S_star=0.9)):.1f}"


def test_the_population_table_is_computed():
    from critmass.report.stages.field import GAMMA, DELTA, XI, POPULATIONS
    from numerics.population import cost_distribution, fixed_points, tipping_budget, willing
    rows = _rows_until_blank("| costs | fixed points (stability) | tipping budget |")
    assert len(rows) == len(POPULATIONS)
    for (costs, points, budgets), (kind, prm) in zip(rows, POPULATIONS.items()):
        d = cost_distribution(kind, **prm)
        found = fixed_points(willing(d, GAMMA, DELTA, XI))
        want = [(f"{p['alpha']:.4f}".rstrip("0").rstrip(".") if p["alpha"] in (0.0, 1.0) else f"{p['alpha']:.4f}",
                 p["kind"]) for p in found["points"]]
        got = re.findall(r"([0-9.]+) \((stable|unstable)\)", points)
        assert got == want, (kind, got, want)
        tips = sorted([p["alpha"] for p in found["points"] if p["kind"] == "unstable"]
                      + [j["alpha"] for j in found["tipping_jumps"]])
        for j in found["tipping_jumps"]:
            assert f"{j['alpha']:.4f}" in points
        assert budgets.split(", ") == [f"{tipping_budget(d, GAMMA, DELTA, XI, t):.6f}" for t in tips]
