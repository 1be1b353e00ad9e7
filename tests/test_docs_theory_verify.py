"""docs/theory.md and docs/verify.md name commands, flags, proof steps, results and tests: each must exist."""

import argparse
import re
from pathlib import Path

import pytest

from critmass.cli import build_parser
from theory.paper import all_ids
from verify.steps import STEPS

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "docs" / "theory.md", ROOT / "docs" / "verify.md"]
STEP_ID = re.compile(r"^(?:lemma11|tv|thm\d+|claim-b\d|cor\d|prop9|binomial)\.[A-Za-z0-9.\-]+(?:\[(?:k|k=\d)\])?$")


def _spans(text: str) -> list[str]:
    """Inline code spans, and the lines of fenced code blocks."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return inline + [line for b in blocks for line in b.splitlines()]


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _check_command(words: list[str]):
    """`critmass CMD [SUB] ... --flag ...`: the command exists and accepts every flag."""
    parser = build_parser()
    for w in words:
        if w.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", w):
            break
        sub = _subparser(parser, w)
        if sub is None:
            break
        parser = sub
    assert parser is not build_parser(), words
    flags = {o for a in parser._actions for o in a.option_strings}
    for w in words:
        flag = w.split("=")[0].rstrip(",")
        if re.fullmatch(r"--[a-z][a-z-]*", flag):
            assert flag in flags, (" ".join(words), flag, parser.prog)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_commands_flags_steps_results_and_tests_exist(doc):
    text = doc.read_text()
    step_ids = {s.id for s in STEPS}
    families = {s.id.split("[")[0] for s in STEPS}
    checked = {"command": 0, "step": 0, "test": 0}
    for span in _spans(text):
        words = span.split()
        if words and words[0] == "critmass" and len(words) > 1:
            _check_command(words[1:])
            checked["command"] += 1
        if STEP_ID.match(span):
            base = span.split("[")[0]
            assert span in step_ids or (span.endswith("[k]") and base in families) or base in families, span
            checked["step"] += 1
    for path, name in re.findall(r"(tests/[\w/]+\.py)::(\w+)", text):
        source = (ROOT / path).read_text()
        assert re.search(rf"def {name}\(", source), (path, name)
        checked["test"] += 1
    for name in re.findall(r"`(test_\w+)`", text):  # bare test names next to a named file
        assert any(re.search(rf"def {name}\(", p.read_text()) for p in (ROOT / "tests").rglob("test_*.py")), name
    for id in re.findall(r"`((?:thm|cor)\d+(?:-corrected)?)(?:\[\w+\])?`", text):
        assert id in all_ids(), id
    assert all(checked.values()), checked
