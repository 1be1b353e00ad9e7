"""docs/results.md is what `critmass guide` generates now: the guide cannot drift from the code."""

from pathlib import Path

from critmass.guide import render, find_tests

DOC = Path(__file__).resolve().parent.parent / "docs" / "results.md"


def test_docs_results_md_is_up_to_date():
    assert DOC.read_text() == render(), "docs/results.md is stale: run `critmass guide -o docs/results.md`"


def test_tests_are_found_by_the_ids_they_name():
    found = find_tests(["thm1", "no-such-result"])
    assert "tests/test_guide.py::test_tests_are_found_by_the_ids_they_name" in found["thm1"]
    assert "no-such-result" in found  # this very test names it too
