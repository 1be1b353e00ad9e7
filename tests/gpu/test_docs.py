"""docs/gpu.md and docs/experiments.md against the code: every command parses, every named test, file and function
exists, and the measured tables are the ones computed from the committed results."""

import importlib
import json
import re
import shlex
from pathlib import Path

import pytest

from critmass.cli import build_parser
from gpu import rarity
from gpu.run_paper import parser as run_paper_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "gpu.md", ROOT / "docs" / "experiments.md"]


def commands(text: str, prefix: str) -> list[list[str]]:
    """Every command line starting with ``prefix`` in code blocks and inline code (continuations joined)."""
    found = []
    for block in re.findall(r"```\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith(prefix):
                found.append(line.split("#")[0])
    # Inline code names a command ("`critmass figures`") or gives one in full (with flags): the latter are checked.
    found += [m for m in re.findall(r"`([^`\n]+)`", text) if m.startswith(prefix) and "--" in m]
    # Synopses: "[--json]" marks an optional flag (checked as given); "..." elides arguments (not checkable).
    return [shlex.split(re.sub(r"\[(--[\w-]+)\]", r"\1", c))[len(prefix.split()):] for c in found if "..." not in c]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_critmass_command_in_the_docs_parses(doc):
    cmds = commands(doc.read_text(), "critmass ")
    assert cmds, f"{doc.name} names no critmass command"
    for argv in cmds:
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"{doc.name}: `critmass {' '.join(argv)}` does not parse")


def test_the_gpu_script_commands_in_the_docs_parse():
    cmds = [c for doc in DOCS for c in commands(doc.read_text(), "python -m gpu.run_paper")]
    assert cmds
    for argv in cmds:
        try:
            run_paper_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"`python -m gpu.run_paper {' '.join(argv)}` does not parse")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_tests_files_and_functions_exist(doc):
    text = doc.read_text()
    subcommands = build_parser()._subparsers._group_actions[0].choices
    for name in re.findall(r"`critmass (\w+)", text):
        assert name in subcommands, f"{doc.name} names `critmass {name}`"
    for path, name in re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", text):
        assert (ROOT / path).exists(), f"{doc.name} names {path}"
        if name:
            assert f"def {name}(" in (ROOT / path).read_text(), f"{doc.name} names {path}::{name}"
    for path in re.findall(r"`((?:gpu|critmass)/[\w/]+\.py)`", text):
        assert (ROOT / path).exists(), f"{doc.name} names {path}"
    for module, attr in re.findall(r"`(gpu\.\w+)\.(\w+)`", text):
        mod = importlib.import_module(module)
        assert hasattr(mod, attr), f"{doc.name} names {module}.{attr}"


RESULTS = sorted((ROOT / "docs" / "figures").glob("rarity_*.json"))


def test_rarity_tables_in_the_docs_are_the_computed_ones():
    assert len(RESULTS) >= 2  # SST-2 and the resume corpus
    text = (ROOT / "docs" / "experiments.md").read_text()
    for path in RESULTS:
        doc = json.loads(path.read_text())
        (result,) = doc["rarity"]
        assert rarity.markdown(result) in text, f"the table of {path.name} is not in docs/experiments.md"
        assert len([lv for lv in result["levels"] if lv["alpha50_status"] == "in-grid" and lv["alpha50"] > 0]) >= 5


def test_encoder_sweep_table_in_the_docs_is_the_computed_one():
    from gpu.experiments import KIND, markdown_curve
    from numerics.store import Row

    path = ROOT / "docs" / "figures" / "encoder_resume_minilm_rows.json"
    stored = json.loads(path.read_text())
    rows = [Row(KIND, r["config"], r["config"]["seed"], r["metrics"], {}, None, 0.0, "") for r in stored]
    assert markdown_curve(rows) in (ROOT / "docs" / "experiments.md").read_text()
    positive = {(r.config["alpha"], r.config["seed"]) for r in rows if r.config["alpha"] > 0}
    assert len({a for a, _ in positive}) >= 6 and len({s for _, s in positive}) >= 3 and len(positive) >= 18
    assert {r.config["model"] for r in rows} == {"minilm"} and {r.config["strategy"] for r in rows} == {1}
