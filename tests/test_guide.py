"""docs/results.md is what `critmass guide` generates now, and every command, flag, report section and test it
names exists: commands parse with the CLI's own parser, sections are the report's stages, tests are in tests/."""

import ast
import re
import shlex
from pathlib import Path

import pytest

from critmass.cli import build_parser
from critmass.guide import find_tests, render
from critmass.report.stages import stages

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "results.md"


def test_docs_results_md_is_up_to_date():
    assert DOC.read_text() == render(), "docs/results.md is stale: run `critmass guide -o docs/results.md`"


def test_tests_are_found_by_the_ids_they_name():
    found = find_tests(["thm1", "no-such-result"])
    assert "tests/test_guide.py::test_tests_are_found_by_the_ids_they_name" in found["thm1"]
    assert "no-such-result" in found  # this very test names it too


def test_every_library_function_the_guide_names_exists():
    import importlib

    from critmass.guide import LIBRARY

    for names in LIBRARY.values():
        for name in names:
            module, _, attr = name.rpartition(".")
            assert callable(getattr(importlib.import_module(module), attr)), name
            assert f"`{name}`" in DOC.read_text()


def commands(text: str) -> list[str]:
    return sorted(set(re.findall(r"`(critmass [^`]+)`", text)))


def parses(command: str) -> bool:
    """Whether the CLI parser accepts ``command`` (placeholders FILE, DIR filled in) as a whole."""
    argv = [a.replace("FILE", "x.json").replace("DIR", "out").replace("COLUMN=VALUE", "color=red")
            for a in shlex.split(command)[1:]]
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def test_every_command_and_flag_the_guide_names_exists(capsys):
    named = commands(DOC.read_text())
    assert len(named) > 20
    bad = [c for c in named if not parses(c)]
    capsys.readouterr()
    assert not bad, f"docs/results.md names commands the CLI rejects: {bad}"


def test_the_command_check_rejects_what_does_not_exist(capsys):
    # the two claims issue 17 found in the old guide: a flag simulate finite never had, and a made-up kind
    assert not parses("critmass simulate finite --store FILE --instance FILE --strategy feature-only")
    assert not parses("critmass simulate no-such-kind --store FILE")
    assert parses("critmass simulate finite --store FILE --instance FILE")
    capsys.readouterr()


def test_every_report_section_the_guide_names_is_a_stage():
    titles = {s.title for s in stages()}
    named = set(re.findall(r"report section \*([^*]+)\*", DOC.read_text()))
    assert named and named <= titles, named - titles


def test_every_test_the_guide_names_exists():
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", DOC.read_text()))
    assert named
    for path, name in named:
        tree = ast.parse((ROOT / path).read_text())
        assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, f"{path}::{name}"


@pytest.mark.parametrize("id", ["prop9"])
def test_no_command_is_claimed_for_a_result_nothing_evaluates(id):
    # Proposition 9 has a critical mass (so `critical-mass`) but no simulation evaluates it
    section = DOC.read_text().split(f"### `{id}`")[1].split("### ")[0]
    assert "simulate gradient-glm" not in section
