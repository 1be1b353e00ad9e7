"""LaTeX output: every result rendered from sympy, and the standalone document compiles."""

import re
import shutil
import subprocess

import pytest
import sympy as sp

from theory.evaluate import evaluate

from theory import result, results
from theory.latex import critical_mass_table, document, fragment, reading_cost, render, tex, text, tidy
from theory.finite import FINITE_RESULTS
from theory.parameters import PARAMETERS

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not on the PATH")


def test_each_result_renders_its_derived_formula():
    for r in results().values():
        text = render(r)
        assert text.startswith(r"\begin{critmassresult}") and text.endswith(r"\end{critmassresult}")
        if r.critical_mass is not None:
            assert tex(tidy(r.critical_mass.alpha_star)) in text
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


def test_table_marks_unreachable_cells_and_uses_the_corrected_corollary_for_eps_above_0():
    table = critical_mass_table(S_star=0.9, xis=(1e-3,), Deltas=(1.0,), epsilons=(0.0, 0.2))
    assert "0.0099" in table and "unreachable" in table and r"\toprule" in table
    from theory.latex import critical_mass_rows
    rows = critical_mass_rows(0.9, (1e-3,), (1.0,), (0.0, 0.01))
    assert [r["id"] for r in rows] == ["cor2", "cor2-corrected"]
    assert rows[1]["alpha_star"] == pytest.approx(evaluate("cor2-corrected", "critical_mass",
                                                            dict(xi=1e-3, Delta=1.0, epsilon=0.01, S_star=0.9)))


def test_prose_is_escaped_and_plain_relations_are_set_as_math():
    assert text("corrected for eps > 0") == r"corrected for $\epsilon > 0$"
    assert text("50% of x_1 & y") == r"50\% of x\_1 \& y"
    assert text(r"keeps $\alpha > 0$ as it is") == r"keeps $\alpha > 0$ as it is"
    for r in results().values():
        assert "eps >" not in render(r) and "Hypotheses: True" not in render(r)


def test_corollaries_say_what_is_solved_and_print_hypotheses_only_when_there_are_some():
    cor2 = render(result("cor2"))
    assert r"by solving the bound $\geq S^{*}$ for $\alpha$" in cor2
    cor8 = render(result("cor8"))
    assert "Hypotheses" not in cor8 and "valid where" not in cor8  # Corollary 8 has none: reachable is True
    assert "Hypotheses: " in render(result("thm10"))


def test_tidy_keeps_the_formula_and_shortens_the_corrected_corollaries():
    for id in ("cor2-corrected", "cor4-corrected", "cor6-corrected"):
        cm = result(id).critical_mass.alpha_star
        short = tidy(cm)
        assert sp.simplify(short - cm) == 0
        assert reading_cost(short) <= reading_cost(cm)  # never longer (notion tv's form is short as derived)
        assert not re.search(r"(^|[({])\s*-", tex(short).replace(r"\left", "")), tex(short)  # no leading minus
    inv = result("participation").extras["investment"]
    values = {s: v for s, v in zip(sorted(inv.free_symbols, key=str), (0.5, 0.3, 0.01, 0.5, 0.01))}
    assert float(tidy(inv).subs(values)) == pytest.approx(float(inv.subs(values)), rel=1e-12)
    assert tex(tidy(inv)).count(r"\log") == 1


@needs_pdflatex
def test_document_compiles_and_first_page_is_not_blank(tmp_path, cli):
    tex = tmp_path / "theory.tex"
    code, out, err = cli("latex", "-o", tex)
    assert code == 0 and tex.read_text() == document()
    assert all(render(r) in document() for r in results().values())  # so every result's LaTeX is compiled
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overfull" not in (tmp_path / "theory.log").read_text(errors="replace")
    pdf = tmp_path / "theory.pdf"
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
        page = next(tmp_path.glob("page*.pgm")).read_bytes()
        pixels = page.split(b"\n", 3)[3]  # after the P5 header: magic, size, maxval
        dark = sum(1 for b in pixels if b < 128)
        assert 0.002 < dark / len(pixels) < 0.5


@needs_pdflatex
def test_a_fragment_inputs_into_a_minimal_article_and_compiles_with_no_overfull_box(tmp_path, cli):
    code, out, err = cli("latex", "thm1", "cor2", "-o", tmp_path / "frag.tex")
    assert code == 0 and (tmp_path / "frag.tex").read_text() == fragment(["thm1", "cor2"])
    assert r"\documentclass" not in (tmp_path / "frag.tex").read_text()
    (tmp_path / "paper.tex").write_text(
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb,amsthm}\n\\begin{document}\nOur results.\n"
        "\\input{frag.tex}\n\\input{frag.tex}\n\\end{document}\n")  # twice: the environment is defined once
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert "Overfull" not in log
    assert "Theorem 1" in subprocess.run(["pdftotext", "paper.pdf", "-"], cwd=tmp_path, capture_output=True,
                                         text=True).stdout if shutil.which("pdftotext") else True


@needs_pdflatex
def test_standalone_fragment_compiles_and_unknown_ids_are_one_line_errors(tmp_path, cli):
    code, out, err = cli("latex", "cor4-corrected", "--standalone", "-o", tmp_path / "one.tex")
    assert code == 0
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "one.tex"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "Overfull" not in (tmp_path / "one.log").read_text(errors="replace")
    code, out, err = cli("latex", "thm1", "nope", "-o", tmp_path / "bad.tex")
    assert code == 2 and "nope" in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "bad.tex").exists()


def _every_result():
    from theory.paper import extension_results

    return {**results(), **extension_results()}


def test_every_parameter_of_every_result_prints_as_its_own_latex_name():
    """An extension's own parameters (theory/finite.py, theory/collusion.py) too: sympy alone prints the symbol
    ``|X^*|`` as ``|X^{*|}`` (balanced braces, so only this check sees it) and ``delta`` as text."""
    everything = _every_result()
    for r in everything.values():
        for p in r.parameters:
            assert tex(p.symbol) == p.tex, (r.id, p.name, tex(p.symbol), p.tex)
    gbj = render(everything["gbj"])
    assert "|X^*| |Y|" in gbj and "{*|}" not in gbj and r"{\delta}" in gbj
    assert sp.latex(sp.Symbol("|X^*|")) == "|X^{*|}"  # what the names above guard against


@needs_pdflatex
def test_every_parameter_name_and_every_extension_result_compiles(tmp_path):
    everything = _every_result()
    params = {p.name: p for r in everything.values() for p in r.parameters} | dict(PARAMETERS)
    rows = "\n".join(rf"{text(name)} & ${p.tex}$ \\" for name, p in sorted(params.items()))
    body = (r"\begin{tabular}{ll}" "\n" + rows + "\n" r"\end{tabular}" "\n\n"
            + "\n\n".join(render(r) for i, r in everything.items() if i not in results()))
    (tmp_path / "names.tex").write_text(fragment(["thm1"], standalone=True).replace(
        r"\end{document}", body + "\n" r"\end{document}"))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "names.tex"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert len(params) > len(PARAMETERS)  # the extensions' own parameters are among them
