"""docs/numerics.md names only files, tests and functions that exist."""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "docs" / "numerics.md").read_text()


def test_named_files_exist():
    paths = set(re.findall(r"\b((?:numerics|tests|theory|docs)/[\w/]+\.(?:py|md))", TEXT))
    assert paths and [p for p in paths if not (ROOT / p).exists()] == []


def test_named_tests_exist():
    names = set(re.findall(r"`(test_\w+)`", TEXT))
    source = "".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert names and [n for n in names if f"def {n}(" not in source] == []


def test_named_functions_exist():
    dotted = set(re.findall(r"`(numerics\.\w+\.\w+)", TEXT))
    missing = [d for d in dotted if not hasattr(importlib.import_module(d.rsplit(".", 1)[0]), d.rsplit(".", 1)[1])]
    assert dotted and missing == []
    exact = importlib.import_module("numerics.exact")
    for name in ("success_grid", "success_intervals", "random_block", "random_summary", "BLOCK", "success_one"):
        assert f"`{name}`" in TEXT and hasattr(exact, name)
