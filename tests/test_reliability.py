"""docs/reliability.md against tests/reliability.py: the same cases, and each row's command still gives the
recorded exit code and message (a sample by default; every row under -m slow)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import reliability as rel  # noqa: E402

DOC = rel.parse_doc(rel.DOC.read_text())
CASES = {c.id: c for c in rel.cases()}
#: Cheap rows (no JAX compile, no derivation) run on every test run; one per kind of fault and command family.
SAMPLE = ("exact-seed-negative", "exact-alphas-overflow", "check-instance-binary", "instance-huge-exponent",
          "store-show-foreign", "shard-reversed", "corpus-label-superscript", "checkpoint-hidden-size-text",
          "tabular-csv-ragged", "counterexample-max-x")


def test_the_document_lists_every_case_and_no_other():
    assert sorted(DOC) == sorted(CASES)
    assert len(DOC) >= 100


def test_the_document_reports_no_traceback_silent_answer_hang_or_changed_file():
    text = rel.DOC.read_text()
    assert f"**{len(CASES)} bad inputs: 0 tracebacks, 0 silent answers (exit 0), 0 hangs, 0 with files changed, " \
           f"0 unclear messages.**" in text
    for code, message in DOC.values():
        assert code in ("1", "2") and not re.search(r"\*\*(TRACEBACK|SILENT|HANG|CHANGED|UNCLEAR)", message)


def _check(case_id: str) -> None:
    out = rel.run_case(CASES[case_id], limit=300)
    code, message = DOC[case_id]
    assert (str(out.code), rel.normalized(out.message)) == (code, rel.normalized(message))
    assert out.ok, (out.traceback, out.changed, out.lines)


@pytest.mark.parametrize("case_id", SAMPLE)
def test_a_sample_of_rows_still_holds(case_id):
    _check(case_id)


@pytest.mark.slow
@pytest.mark.parametrize("case_id", sorted(set(CASES) - set(SAMPLE)))
def test_every_row_still_holds(case_id):
    _check(case_id)
