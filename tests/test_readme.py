"""The README's Python example runs and prints what its comments say; so do its counterexample commands."""

import contextlib
import io
import json
import re
import shlex
from fractions import Fraction
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example_runs_and_prints_what_it_claims():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("True")
    assert lines[1].startswith("0.0099")
    assert lines[2] == "1 2/3"
    first, last = map(float, lines[3].strip("[]").split())
    assert 0 <= first < last == 1.0


def test_readme_counterexample_commands_answer_what_their_comments_say(cli):
    """Each `critmass counterexample` line of the README gives the status its comment starts with, for a claim
    its results state (nothing out of scope), and an eps > 0 where the comment says so."""
    lines = [line for line in README.read_text().splitlines() if line.startswith("critmass counterexample ")]
    assert lines
    for line in lines:
        command, _, comment = line.partition("#")
        expected = comment.strip().split(":")[0]
        args = [a for a in shlex.split(command)[1:] if a != "[--json]"]
        code, out, err = cli(*args, "--json")
        doc = json.loads(out)
        assert code == 0 and doc["status"] == expected, (line, err)
        assert doc["out_of_scope"] == [] and doc["strategy"] in doc["stated_for"].values(), line
        if "eps > 0" in comment:
            assert Fraction(doc["epsilon"]) > 0, line
