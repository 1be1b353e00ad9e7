"""`critmass report --quick`: the files, results.json against direct library calls, figures, the PDF."""

import json
import os
import shutil
import struct
import subprocess
import zlib
from fractions import Fraction

import numpy as np
import pytest

from critmass.report import DPI, FIGSIZE
from numerics.participation import investment, join_level, self_sustaining
from theory.evaluate import evaluate
from theory.instance import bound, parse_instance, success


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from critmass.cli import main

    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--quick", "-o", str(out)]) == 0
    return out, json.loads((out / "results.json").read_text())


def test_files_exist_and_every_section_ran(report):
    out, doc = report
    assert (out / "report.tex").stat().st_size > 5_000
    for section in doc["sections"].values():
        for name in section["figures"]:
            assert (out / "figures" / f"{name}.pdf").stat().st_size > 1_000
            assert f"figures/{name}.png" in doc["files"]
    assert doc["git_commit"] is None or len(doc["git_commit"]) == 40
    assert doc["versions"]["sympy"] and doc["quick"] is True


def test_exact_numbers_agree_with_the_library(report):
    _, doc = report
    exact = doc["sections"]["exact"]
    alphas = [Fraction(a) for a in exact["alphas"]]
    for strategy, curve in exact["curves"].items():
        inst = parse_instance(curve["instance"])
        assert inst.strategy == strategy
        for i in (0, len(alphas) // 2, len(alphas) - 1):
            at = inst.with_alpha(alphas[i])
            assert Fraction(curve["success"][i]) == success(at)
            b = bound(at)
            assert curve["bound"][i] == (None if b is None else str(b))
            if b is not None:
                assert success(at) >= b
    part = exact["participation"]
    s = [float(Fraction(v)) for v in exact["curves"][part["curve"]]["success"]]
    level = join_level(part["c"], part["gamma"])
    a_crit = self_sustaining([float(a) for a in alphas], s, level)
    assert part["alpha_crit"] == a_crit
    assert part["investment"] == investment([float(a) for a in alphas], s, level, a_crit)


def test_figure1_numbers_are_theorem1(report):
    _, doc = report
    fig1 = doc["sections"]["theory"]["fig1"]
    alphas = np.array(fig1["alphas"])
    got = np.array(fig1["curves"]["xi=0.001,epsilon=0.05"])
    want = np.maximum(evaluate("thm1", "bound", dict(alpha=alphas, xi=1e-3, Delta=1.0, epsilon=0.05), printed=True), 0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)  # the printed (refuted) curve, labelled so
    valid = np.maximum(evaluate("thm1-corrected", "bound", dict(alpha=alphas, xi=1e-3, Delta=1.0, epsilon=0.05)), 0)
    np.testing.assert_allclose(fig1["curves"]["corrected,xi=0.001,epsilon=0.05"], valid, rtol=0, atol=1e-15)
    assert all(doc["sections"]["theory"]["corollary_checks"].values())


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
    pngs = [out / f for f in doc["files"] if f.endswith(".png")]
    assert len(pngs) >= 3
    for png in pngs:
        width, height, distinct = _png_size_and_spread(png)
        assert (width, height) == (FIGSIZE[0] * DPI, FIGSIZE[1] * DPI)
        assert distinct > 20, f"{png.name} looks blank"


@pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                    reason="pdflatex is not on the PATH (CI installs it)")
def test_pdf_compiles_and_its_first_page_is_not_blank(report, tmp_path):
    out, doc = report
    assert doc["pdf"] and (out / "report.pdf").stat().st_size > 20_000
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(out / "report.pdf"),
                        str(tmp_path / "page")], check=True)
        page = next(tmp_path.glob("page*.pgm")).read_bytes()
        pixels = page.split(b"\n", 3)[3]
        assert 0.002 < sum(1 for b in pixels if b < 128) / len(pixels) < 0.5


def test_bad_output_and_store_are_one_line_errors(tmp_path, cli):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = cli("report", "--quick", "-o", target)
    assert code == 2 and "is a file" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("report", "--quick", "-o", tmp_path / "r", "--store", tmp_path / "missing.sqlite")
    assert code == 2 and "missing.sqlite" in err


def test_verify_and_finite_numbers_agree_with_the_library(report):
    from numerics.finite import simulate
    from verify import steps
    from verify.check import check_instance

    from critmass.report import random_instances

    _, doc = report
    ver = doc["sections"]["verify"]
    assert {r["id"] for r in ver["steps"]} == {s.id for s in steps.STEPS}
    assert all(r["ok"] for r in ver["steps"])  # every status is the expected one; no unknown
    again = steps.run(only=[ver["steps"][0]["id"]])[0]
    assert again["status"] == ver["steps"][0]["status"]
    ic = ver["instance_checks"]
    insts = random_instances(np.random.default_rng(ic["seed"]), ic["count"])
    assert sum(check_instance(i)["bound"] is not None for i in insts) == ic["with_bound"]
    assert ic["violated"] == 0

    fin = doc["sections"]["finite"]
    curve = fin["curves"]["feature-label"]
    inst = parse_instance(curve["instance"])
    out = simulate(inst, fin["alphas"][:2], fin["n_samples"], fin["n_test"], fin["seeds"], fin["seed"])
    np.testing.assert_allclose(out["success_test"].mean(axis=1), curve["mean"][:2], rtol=0, atol=1e-12)
    assert all(h["gbj"] >= 1 - fin["delta"] and h["binomial"] >= 1 - fin["delta"] for h in curve["holds"])


def test_field_sections_agree_with_the_library(report):
    """Issue 14's sections (critmass/report_field.py): every number checked against a direct library call."""
    from critmass.report_field import GBJ_SAVED, demo_multi
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
