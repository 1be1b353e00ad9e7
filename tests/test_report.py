"""`critmass report --quick`: files, results.json against direct library calls, every printed number traced to
results.json, every figure checked, the PDF compiled with no overfull box; the package has no import cycle."""

import ast
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from critmass.report import style
from critmass.report.stages import stage, stages
from critmass.report.trace import printed_numbers, untraced
from numerics.participation import investment, join_level, self_sustaining
from theory.evaluate import evaluate
from theory.instance import bound, parse_instance, success

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                                    reason="pdflatex is not on the PATH (CI installs it)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from critmass.cli import main

    out = tmp_path_factory.mktemp("report")
    saved = os.environ.pop("CRITMASS_DATA", None)  # the default report, with no corpus
    try:
        assert main(["report", "--quick", "-o", str(out)]) == 0
    finally:
        if saved is not None:
            os.environ["CRITMASS_DATA"] = saved
    return out, json.loads((out / "results.json").read_text())


def test_files_exist_and_every_stage_ran(report):
    out, doc = report
    assert list(doc["sections"]) == [s.key for s in stages()]
    assert (out / "report.tex").stat().st_size > 5_000
    for section in doc["sections"].values():
        for name in section["_figures"]:
            assert (out / "figures" / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"  # vector
            assert (out / "figures" / f"{name}.png").stat().st_size > 1_000
    assert doc["git_commit"] is None or len(doc["git_commit"]) == 40
    assert doc["versions"]["sympy"] and doc["quick"] is True


def test_every_number_printed_in_the_report_is_in_results_json(report):
    out, doc = report
    text = (out / "report.tex").read_text()
    assert len(printed_numbers(text)) > 300
    assert untraced(text, doc) == []
    # the check catches a number typed into prose, and one off in its last printed digit
    tampered = text.replace(r"\section{Verification}", r"\section{Verification} A signal set of $0.12345$ values.")
    assert untraced(tampered, doc) == ["0.12345"]
    exact = doc["sections"]["exact"]
    assert f"a signal set of ${exact['signals']}$ rare feature values" in text
    n = len(exact["alphas"])
    assert untraced(text.replace(f"at ${n}$ collective sizes", "at $987654321$ collective sizes", 1), doc) == ["987654321"]
    # each section is read against its own part of results.json: the verify section's step count is not exact's
    steps = len(doc["sections"]["verify"]["steps"])
    moved = text.replace(r"\label{sec:exact}", r"\label{sec:exact} $%d$ steps." % steps)
    assert str(steps) in untraced(moved, doc) or str(steps) in map(str, _exact_numbers(exact))


def _exact_numbers(section):
    from critmass.report.trace import _leaves
    numbers, strings = [], set()
    _leaves(section, numbers, strings)
    return [int(v) for v in numbers if float(v).is_integer()] + sorted(strings)


def test_every_figure_has_one_legend_entry_per_visible_curve_and_readable_text(report):
    _, doc = report
    checked = 0
    for st in stages():
        for plot in st.figures(doc["sections"][st.key]):
            fig = plot.draw(doc["sections"][st.key])
            assert style.problems(fig) == [], plot.name
            checked += 1
            style.pyplot().close(fig)
    assert checked >= 12


def test_the_figure_check_catches_what_misleads():
    plt = style.pyplot()
    fig, ax = style.subplots()
    x = np.linspace(0.1, 1, 20)
    for k in range(4):  # four curves under one legend entry
        ax.plot(x, x ** (k + 1), "C0:", label="corrected" if k == 0 else None)
    ax.plot(x, x - 5, label="invisible bound")  # nowhere inside the axes
    ax.plot([0.2, 0.9, 0.4], [0.1, 0.2, 0.3], label="zigzag")  # a line across a non-monotone x
    ax.plot([0.1, 0.2, 0.3], [np.nan, 0.5, np.nan], label="one point")  # a line with one point draws nothing
    ax.set_ylim(0, 1)
    ax.legend(fontsize=5)
    found = "\n".join(style.problems(fig))
    plt.close(fig)
    assert found.count("has no legend entry") == 3
    assert "'invisible bound' shows nothing inside the axes" in found
    assert "'zigzag' is a line across a non-monotone x" in found
    assert "'one point' shows nothing inside the axes" in found
    assert "'corrected' is 5.0 pt" in found
    fig, ax = style.subplots()  # a figure legend wider than the figure: cut off when saved
    for k in range(3):
        ax.plot(x, x + k, label=f"a label long enough that three of them side by side overflow {k}")
    style.figure_legend(fig, [ax], ncol=3)
    found = style.problems(fig)
    plt.close(fig)
    assert found == ["the legend with 'a label long enough that three of them side by side overflow 0' reaches "
                     "outside the figure (cut off when saved)"]


def test_exact_numbers_agree_with_the_library(report):
    _, doc = report
    exact = doc["sections"]["exact"]
    alphas = [Fraction(a) for a in exact["alphas"]]
    for strategy, curve in exact["curves"].items():
        inst = parse_instance(curve["instance"])
        assert inst.strategy == strategy and len(set(inst.signal)) == exact["signals"]
        for i in (0, len(alphas) // 2, len(alphas) - 1):
            at = inst.with_alpha(alphas[i])
            assert Fraction(curve["success"][i]) == success(at)
            b = bound(at)
            assert curve["bound"][i] == (None if b is None else str(b))
    part = exact["participation"]
    s = [float(Fraction(v)) for v in exact["curves"][part["curve"]]["success"]]
    level = join_level(part["c"], part["gamma"])
    a_crit = self_sustaining([float(a) for a in alphas], s, level)
    assert part["alpha_crit"] == a_crit
    assert part["investment"] == investment([float(a) for a in alphas], s, level, a_crit)


def test_figure1_numbers_are_theorem1_and_its_correction(report):
    _, doc = report
    fig1 = doc["sections"]["theory"]["fig1"]
    alphas = np.array(fig1["alphas"])
    curve = next(c for c in fig1["curves"] if c["id"] == "thm1-corrected" and c["xi"] == 1e-3)
    want = evaluate("thm1-corrected", "bound", dict(alpha=alphas, xi=1e-3, Delta=1.0, epsilon=curve["epsilon"]),
                    notion=curve["notion"])
    np.testing.assert_allclose(curve["bound"], want, rtol=0, atol=1e-15)
    assert curve["epsilon"] > 0 and curve["notion"] == "tv"
    assert all(c["epsilon"] == 0 for c in fig1["curves"] if c["id"] == "thm1")  # the printed one only where it holds
    assert all(doc["sections"]["theory"]["corollary_checks"].values())


def test_each_epsilon_result_is_labelled_valid_or_refuted_under_each_notion(report):
    """Issue 12 in the report: theory.refuted's verdict per result and notion, and no refuted formula evaluated on
    its refuted range (Figure 1, the Corollary 2 table)."""
    from theory.latex import decimal_of
    from theory.refuted import refutations, refuted_at

    out, doc = report
    theory = doc["sections"]["theory"]
    rows = {r["id"]: r["cells"] for r in theory["validity"]}
    assert {"thm1", "cor2", "thm1-corrected", "cor2-corrected", "thm3-corrected", "lemma11"} <= set(rows)
    for id, cells in rows.items():
        for c in cells:
            assert c["valid"] == (not refutations(id, c["firms"], c["form"])), (id, c)
    assert not any(c["valid"] for c in rows["thm1"])
    assert [c["valid"] for c in rows["cor2-corrected"]] == [True, True, False]  # its mixture form fails tv firms
    section = (out / "report.tex").read_text().split("Which results hold under which notion")[1].split(r"\section")[0]
    assert section.count(r"\textbf{refuted}") == sum(not c["valid"] for cells in rows.values() for c in cells)
    for c in theory["fig1"]["curves"]:
        assert refuted_at(c["id"], c["notion"] or "tv", {"epsilon": c["epsilon"]}) is None, c["id"]
    cm = theory["critical_mass"]["rows"]
    assert {(r["id"], r["notion"]) for r in cm if r["epsilon"] > 0} == {("cor2-corrected", "tv")}
    assert {r["id"] for r in cm if r["epsilon"] == 0} == {"cor2"}
    for r in cm:
        assert refuted_at(r["id"], "tv", {"epsilon": r["epsilon"]}) is None
        want = evaluate(r["id"], "critical_mass", {k: decimal_of(r[k]) for k in ("xi", "Delta", "epsilon", "S_star")},
                        notion="tv")  # the grid's values as the decimals the table prints (a tie at eps = 0.05)
        assert (r["alpha_star"] if r["alpha_star"] is not None else float("inf")) == float(want)


def _png_size_and_spread(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, len(set(raw[:200_000]))


def test_png_figures_are_nonempty_images_of_the_expected_size(report):
    out, doc = report
    pngs = [out / f for f in doc["files"] if f.endswith(".png")] if "files" in doc else \
        sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= 7
    for png in pngs:
        width, height, distinct = _png_size_and_spread(png)
        assert (width, height) == (style.FIGSIZE[0] * style.DPI, style.FIGSIZE[1] * style.DPI)
        assert distinct > 20, f"{png.name} looks blank"


@needs_pdflatex
def test_pdf_compiles_with_no_overfull_box_and_its_first_page_is_not_blank(report, tmp_path):
    out, _ = report
    log = (out / "report.log").read_text(errors="replace")
    assert re.findall(r"^Overfull \\[hv]box.*$", log, flags=re.M) == []
    assert (out / "report.pdf").stat().st_size > 20_000
    assert r"\usepackage[T1]{fontenc}" in (out / "report.tex").read_text()
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(out / "report.pdf"),
                        str(tmp_path / "page")], check=True)
        page = next(tmp_path.glob("page*.pgm")).read_bytes()
        pixels = page.split(b"\n", 3)[3]
        assert 0.002 < sum(1 for b in pixels if b < 128) / len(pixels) < 0.5


def test_without_a_corpus_the_text_section_says_what_is_missing_and_how_to_add_it(report):
    out, doc = report
    text = doc["sections"]["text"]
    assert text["missing"] is not None and text["sources"] == []
    tex = (out / "report.tex").read_text()
    assert "No trained model on a real corpus in this report:" in tex and "CRITMASS" in tex
    from tests.test_guide import parses
    assert parses(text["missing"]["command"].replace(" DIR", " FILE"))


def test_without_a_rarity_store_the_rarity_section_gives_the_commands_that_add_one(report):
    out, doc = report
    rarity = doc["sections"]["rarity"]
    assert rarity["results"] == [] and rarity["_figures"] == []
    tex = (out / "report.tex").read_text()
    section = tex.split(r"\label{sec:rarity}")[1].split(r"\section")[0]
    assert "No rarity experiment in this report." in section
    from tests.test_guide import parses
    for command in rarity["commands"]:
        assert parses(command), command
        assert command.split()[-1] in section.replace(r"\allowbreak{}", "").replace(r"\_", "_")


def test_bad_output_store_and_stage_are_one_line_errors(tmp_path, cli):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = cli("report", "--quick", "-o", target)
    assert code == 2 and "is a file" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("report", "--quick", "-o", tmp_path / "r", "--store", tmp_path / "missing.sqlite")
    assert code == 2 and "missing.sqlite" in err
    code, out, err = cli("report", "--quick", "-o", tmp_path / "r", "--stage", "nope")
    assert code == 2 and "unknown stage" in err and "theory" in err


def test_verify_and_finite_numbers_agree_with_the_library(report):
    from numerics.finite import simulate
    from verify import steps
    from verify.check import check_instance

    from critmass.report.stages.verify import random_instances

    _, doc = report
    ver = doc["sections"]["verify"]
    assert {r["id"] for r in ver["steps"]} == {s.id for s in steps.STEPS}
    # every status is the expected one, or the report says which is not (a Z3 query past its time budget on a
    # loaded machine is "unknown", a failure, never a pass)
    bad = [r["id"] for r in ver["steps"] if not r["ok"]]
    assert all(r["status"] == "unknown" for r in ver["steps"] if not r["ok"])
    if bad:
        from critmass.report.tex import text
        assert "Steps whose status differs from its expectation: " + text(", ".join(bad)) in \
            (report[0] / "report.tex").read_text()
    ic = ver["instance_checks"]
    insts = random_instances(np.random.default_rng(ic["seed"]), ic["count"], ic["max_x"], ic["max_y"])
    assert sum(check_instance(i)["bound"] is not None for i in insts) == ic["with_bound"]
    assert ic["violated"] == 0

    fin = doc["sections"]["finite"]
    curve = fin["curves"]["feature-label"]
    inst = parse_instance(curve["instance"])
    out = simulate(inst, fin["alphas"][:2], fin["n_samples"], fin["n_test"], fin["seeds"], fin["seed"])
    np.testing.assert_allclose(out["success_test"].mean(axis=1), curve["mean"][:2], rtol=0, atol=1e-12)
    assert all(h["gbj"] >= 1 - fin["delta"] and h["binomial"] >= 1 - fin["delta"] for h in curve["holds"])


def _imports(path: Path, package: str) -> set[str]:
    """The critmass modules a file imports, at any depth of the file (function-level imports too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in out if m.startswith(package)}


def test_the_report_package_has_no_import_cycle():
    root = Path(__file__).resolve().parent.parent
    files = {}
    for path in (root / "critmass").rglob("*.py"):
        rel = path.relative_to(root).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        files[name] = path
    graph = {m: {i for i in _imports(p, "critmass") if i in files} for m, p in files.items()}
    assert "critmass.report.stages.text" in graph and "critmass.report.run" in graph
    state: dict = {}

    def visit(m, trail):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", f"import cycle: {' -> '.join(trail + [m])}"
        state[m] = "open"
        for n in sorted(graph[m]):
            visit(n, trail + [m])
        state[m] = "done"

    for m in sorted(graph):
        visit(m, [])


def test_a_stage_is_a_module_the_registry_finds():
    found = {s.key: s for s in stages()}
    assert list(found) == ["theory", "exact", "verify", "finite", "reweighting", "gradient", "collusion", "multi",
                           "bendov", "privacy", "population", "text", "rarity"]
    assert stage("exact").title == "Exact success on discrete instances"
    for s in stages():
        assert s.results and s.summary and callable(s.compute) and callable(s.write)


def test_printed_numbers_reads_math_as_printed_and_skips_markup_and_references():
    tex = (r"\begin{document} Theorem 7 and Corollary 8 hold at $1.2 \times 10^{-4}$ and $10^{-3}$, in $3$ of "
           r"$40$ runs. {\renewcommand{\arraystretch}{1.4}\begin{tabular}{lrr} $\tfrac{7}{9}$ \\[2pt] \end{tabular}}"
           r"\includegraphics[width=0.5\linewidth]{figures/fig1_theorem1.pdf}")
    assert printed_numbers(tex) == ["1.2e-4", "1e-3", "3", "40", "7", "9"]
    doc = {"a": 0.000123, "b": 0.001, "runs": {"hit": 3, "of": 40}, "frac": "7/9"}
    assert untraced(tex, doc) == []
    assert untraced(tex, {**doc, "a": 0.000126}) == ["1.2e-4"]  # 1.26e-4 prints as 1.3e-4
    # a commit hash that starts with digits prints a number: traced through the commit as printed
    commit = r"at git commit \texttt{895476267841}"
    assert untraced(commit, {"git_commit": "895476267841e5ef"}) == ["895476267841"]
    assert untraced(commit, {"git_commit": "895476267841e5ef", "git_commit_printed": "895476267841"}) == []


def test_field_sections_agree_with_the_library(report):
    """Issue 14's sections (critmass/report/stages/field.py): every number checked against a direct library call."""
    from critmass.report.stages.field import GBJ_SAVED, demo_multi
    from numerics.population import cost_distribution, fixed_points, willing
    from theory import multi
    from theory.bendov import jtt_success
    from theory.instance import make_instance

    _, doc = report
    sec = doc["sections"]
    col = sec["collusion"]
    for strategy, saved in GBJ_SAVED.items():
        got = {r["n"]: r["gbj"] for r in col["runs"][strategy]}
        for n, (value, _) in saved.items():
            assert got[n] == value  # their saved output, to the last bit
    m = sec["multi"]
    grid = [Fraction(a) for a in m["grid"]]
    for i, j in ((0, 0), (3, 7), (len(grid) - 1, 2)):
        inst = demo_multi(grid[i], grid[j])
        assert Fraction(m["success_1"][i][j]) == multi.success(inst)[0]
        assert Fraction(m["bound_1"][i][j]) == multi.bound(inst, 0) <= multi.success(inst)[0]
    assert m["tie"]["success"] == ["0", "0"] and m["search"]["alone"]["status"] == "counterexample"
    assert m["search"]["multi-thm1"]["status"] == "none"
    b = sec["bendov"]
    for k in (0, len(b["alphas"]) // 3, len(b["alphas"]) - 1):
        inst = make_instance(b["p0"], [1, 1], 0, "feature-label", b["alphas"][k])
        assert Fraction(b["jtt"][k]) == jtt_success(inst, b["lambda"])
    assert b["window_wrong"] == 0 < b["alpha_eff_wrong"] and b["strengthened"] > 0 < b["weakened"]
    pop = sec["population"]["populations"]
    for kind, d in pop.items():
        found = fixed_points(willing(cost_distribution(kind, **d["params"]), 0.2, 1.0, 0.05), grid=1025)
        assert [round(p["alpha"], 9) for p in found["points"]] == [round(p["alpha"], 9) for p in d["points"]]
    priv = sec["privacy"]
    assert [r["n_exact"] for r in priv["rr"]] == sorted((r["n_exact"] for r in priv["rr"]), reverse=True)
    assert all(r["n_exact"] <= r["n_bound"] + 1 for r in priv["rr"])
