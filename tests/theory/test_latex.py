"""LaTeX output: every result rendered from sympy, and the standalone document compiles."""

import shutil
import subprocess

import pytest
import sympy as sp

from theory import result, results
from theory.latex import critical_mass_table, document, render

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not on the PATH")


def test_each_result_renders_its_derived_formula():
    for r in results().values():
        text = render(r)
        assert text.startswith(r"\begin{result}") and text.endswith(r"\end{result}")
        if r.critical_mass is not None:
            assert sp.latex(r.critical_mass.alpha_star, order="none") in text
    assert "Theorem 1" in render(result("thm1")) and "Claim B.2" in render(result("claim-b2"))


def test_table_marks_unreachable_cells():
    table = critical_mass_table(S_star=0.9, xis=(1e-3,), Deltas=(1.0,), epsilons=(0.0, 0.2))
    assert "0.0099" in table and "unreachable" in table


@needs_pdflatex
def test_document_compiles_and_first_page_is_not_blank(tmp_path, cli):
    tex = tmp_path / "theory.tex"
    code, out, err = cli("latex", "-o", tex)
    assert code == 0 and tex.read_text() == document()
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    pdf = tmp_path / "theory.pdf"
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
        page = next(tmp_path.glob("page*.pgm")).read_bytes()
        pixels = page.split(b"\n", 3)[3]  # after the P5 header: magic, size, maxval
        dark = sum(1 for b in pixels if b < 128)
        assert 0.002 < dark / len(pixels) < 0.5
