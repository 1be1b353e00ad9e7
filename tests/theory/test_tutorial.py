"""docs/workbench.md runs as written: its results file is tests/workbench/tutorial.toml, each console block
prints exactly what it shows, each Python block runs (in order, in one namespace), and every flag it names
exists on the command it names."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from critmass.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "workbench.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC.read_text()) if lang == kind]


def test_the_tutorial_shows_its_results_file():
    (toml,) = blocks("toml")
    assert toml == (ROOT / "tests" / "workbench" / "tutorial.toml").read_text()


def _run(args: list[str]) -> tuple[int, str]:
    """The command in a fresh process, as a reader runs it (Z3's models depend on what ran before it): its
    stderr (a sweep's summary line, written before the table) and then its stdout, as a terminal shows them."""
    out = subprocess.run([sys.executable, "-m", "critmass", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    return out.returncode, out.stderr + out.stdout


def test_console_blocks_print_what_they_show(monkeypatch):
    monkeypatch.chdir(ROOT)
    Path("/tmp/critmass-tutorial.db").unlink(missing_ok=True)
    commands = 0
    for block in blocks("console"):
        lines = block.rstrip("\n").split("\n")
        starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
        for i, start in enumerate(starts):
            args = shlex.split(lines[start][2:])
            assert args[0] == "critmass"
            expected = "\n".join(lines[start + 1:starts[i + 1] if i + 1 < len(starts) else len(lines)])
            code, printed = _run(args[1:])
            assert code == 0 and printed.rstrip("\n") == expected, (lines[start], printed)
            commands += 1
    assert commands >= 6
    Path("/tmp/critmass-tutorial.db").unlink(missing_ok=True)


def test_python_blocks_run_in_order(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for block in blocks("python"):
        exec(compile(block, str(DOC), "exec"), namespace)  # the doc's own code, as a reader would run it
    printed = capsys.readouterr().out
    assert "critical mass not derived" in printed and "sign of" in printed


def test_every_flag_the_tutorial_names_exists():
    text = DOC.read_text()
    spans = re.findall(r"`(critmass [^`]+)`", text) + [line[2:] for b in blocks("console")
                                                        for line in b.splitlines() if line.startswith("$ ")]
    parser = build_parser()
    checked = 0
    for span in spans:
        words = shlex.split(span)[1:]
        sub = parser
        for word in words:
            if word.startswith("-"):
                break
            choices = next((a.choices for a in sub._actions if hasattr(a, "choices") and isinstance(a.choices, dict)),
                           None)
            if not choices or word not in choices:
                break
            sub = choices[word]
        known = {opt for a in sub._actions for opt in a.option_strings}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in known, (span, word)
                checked += 1
    assert checked >= 15


def test_numbers_in_the_prose_are_the_code_s():
    from tests.theory.test_expr import HOSTILE
    from theory.numbers import MAX_EXPONENT
    text = DOC.read_text()
    assert f"proves it for {len(HOSTILE)} hostile strings" in text
    assert f"exponent of at most {MAX_EXPONENT}" in text
    assert "commit ca5d623" in text
    from critmass.bench_startup import BASELINE, NAME
    assert BASELINE == "ca5d623" and '--only "cold start"' in text and "cold start" in NAME


@pytest.mark.parametrize("name", ["CRITMASS_RESULTS", "CRITMASS_CACHE_DIR", "CRITMASS_CACHE", "XDG_CACHE_HOME"])
def test_environment_variables_the_tutorial_names_are_read(name):
    assert name in DOC.read_text()
    sources = (ROOT / "theory" / "sources.py").read_text()
    assert f'"{name}"' in sources or f"ENVIRONMENT = \"{name}\"" in sources
