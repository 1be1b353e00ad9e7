"""LaTeX output: every result rendered from sympy, and the standalone document compiles."""

import re
import shutil
import subprocess

import pytest
import sympy as sp

from theory import result, results
from theory.latex import critical_mass_table, document, render, tex
from theory.finite import FINITE_RESULTS
from theory.parameters import PARAMETERS

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not on the PATH")


def test_each_result_renders_its_derived_formula():
    for r in results().values():
        text = render(r)
        assert text.startswith(r"\begin{result}") and text.endswith(r"\end{result}")
        if r.critical_mass is not None:
            assert tex(r.critical_mass.alpha_star) in text
    assert "Theorem 1" in render(result("thm1")) and "Claim B.2" in render(result("claim-b2"))


def nests(text: str) -> bool:
    """Braces and parentheses close in the order they open (escaped \\{ \\} and \\left( \\right) aside).

    sympy misparses a symbol named ``P(E_1)`` into ``P(E_{1)}``: balanced braces, crossed with a parenthesis.
    """
    text = re.sub(r"\\[{}|]|\\left[(\[.]|\\right[)\].]", "", text)
    stack = []
    for ch in text:
        if ch in "({":
            stack.append(ch)
        elif ch in ")}":
            if not stack or stack.pop() != {")": "(", "}": "{"}[ch]:
                return False
    return not stack


def test_nesting_check_catches_sympys_misparse():
    assert not nests(sp.latex(sp.Symbol("P(E_1)")))
    assert nests("P(E_1) + \\{x\\} + f(g_{1}(x))")


def test_every_result_and_parameter_has_well_nested_latex():
    for r in results().values():
        assert nests(render(r)), r.id
        for h in r.hypotheses:
            assert nests(tex(h)), (r.id, h)
        for step in (r.critical_mass.steps if r.critical_mass else ()):
            assert nests(step), (r.id, step)
    for p in [*PARAMETERS.values(), *(q for r in FINITE_RESULTS.values() for q in r.parameters)]:
        assert nests(p.tex), p.name
    assert r"P(E_1) > P(E_2)" in render(result("lemma11")).replace("+ ", "")  # the explicit names are used


def test_table_marks_unreachable_cells():
    table = critical_mass_table(S_star=0.9, xis=(1e-3,), Deltas=(1.0,), epsilons=(0.0, 0.2))
    assert "0.0099" in table and "unreachable" in table


@needs_pdflatex
def test_document_compiles_and_first_page_is_not_blank(tmp_path, cli):
    tex = tmp_path / "theory.tex"
    code, out, err = cli("latex", "-o", tex)
    assert code == 0 and tex.read_text() == document()
    assert all(render(r) in document() for r in results().values())  # so every result's LaTeX is compiled
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
