"""docs/sweeps.md and docs/learners.md name commands, flags and row counts: each is checked against the code."""

import re
import shlex
from pathlib import Path

import pytest

from critmass.cli import build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _command_lines(text: str) -> list[str]:
    lines = []
    for block in re.findall(r"```\n(.*?)```", text, flags=re.S):
        lines += [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("critmass ")]
    return lines


@pytest.mark.parametrize("line", _command_lines((DOCS / "sweeps.md").read_text()))
def test_every_command_of_docs_sweeps_parses(line):
    line = re.sub(r"\[[^\]]*\]", "", line)  # [optional parts] are shown as such
    args = build_parser().parse_args(shlex.split(line)[1:])  # argparse exits 2 on an unknown command or flag
    assert callable(args.func)


def test_docs_sweeps_names_only_flags_that_exist():
    text = (DOCS / "sweeps.md").read_text()
    parser = build_parser()
    help_text = ""
    for cmd in (["simulate", "finite"], ["experiment"], ["store", "export"], ["store", "show"], ["report"]):
        sub = parser
        for name in cmd:
            sub = next(a for a in sub._actions if a.dest in ("command", "kind", "action")).choices[name]
        help_text += sub.format_help()
    for flag in set(re.findall(r"`(--[a-z-]+)", text)):
        assert flag in help_text, flag


def test_learners_doc_row_counts_match_the_sweep_definitions(monkeypatch, tmp_path):
    from numerics import gradient, learners, reweight, sweep

    counts = {}

    def count(store, kind, configs, compute, **options):
        counts[kind] = counts.get(kind, 0) + len(list(configs))
        return []

    monkeypatch.setattr(sweep, "run", count)
    reweight.sweep(None)
    gradient.sweep(None)
    learners.sweep(None)
    text = " ".join((DOCS / "learners.md").read_text().split())
    for kind, n in counts.items():
        assert f"{n} `{kind}`" in text, (kind, n)
    assert len(counts) == 5
