"""Stating results (theory/statement.py, theory/results_file.py, theory/catalog.py) and what a stated result
gets from every command: results, bound, critical-mass (grids, JSON, CSV), verify, check-instance,
counterexample, simulate, LaTeX. The results file is the tutorial's (tests/workbench/tutorial.toml)."""

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from theory import evaluate, result
from theory.catalog import families, register
from theory.errors import InputError
from theory.parameters import SYMBOLS
from theory.results_file import load, parse_text
from theory.statement import new_parameter, state

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "tests" / "workbench" / "tutorial.toml"


def test_python_api_states_a_result_with_a_new_parameter():
    k = new_parameter("k_api", latex=r"\kappa", domain="[1, oo)", meaning="a slowdown")
    register(state("api-slow", "Theorem 1 slowed by k", "tests/theory/test_workbench.py", parameters=[k],
                   bound="1 - k_api*(1 - alpha)/alpha*Delta*xi", target="S_star"), family="api")
    r = result("api-slow")
    assert "api-slow" in families()["api"] and r.parameters[0] is k
    assert {p.name for p in r.parameters} == {"k_api", "alpha", "Delta", "xi", "S_star"}
    got = evaluate("api-slow", "critical_mass", dict(k_api=2, Delta=1, xi=0.01, S_star=0.9))
    assert got == pytest.approx(0.02 / (0.1 + 0.02), rel=1e-12)  # 2 Delta xi / (1 - S + 2 Delta xi)
    assert k.tex == r"\kappa" and k.symbol.is_positive
    with pytest.raises(InputError, match="already registered"):
        register(state("api-slow", "Another", "here", bound="alpha"), family="api")
    with pytest.raises(InputError, match="built-in result"):
        register(state("thm1", "Mine", "here", bound="alpha"), family="api")
    with pytest.raises(InputError, match="outside its domain"):
        evaluate("api-slow", "critical_mass", dict(k_api=0.5, Delta=1, xi=0.01, S_star=0.9))


def test_sympy_objects_and_lazy_fields_are_accepted():
    a, xi = SYMBOLS["alpha"], SYMBOLS["xi"]
    calls = []

    def lazy_bound():
        calls.append(1)
        return 1 - xi / a

    register(state("api-lazy", "Lazy", "here", bound=lazy_bound, target=SYMBOLS["S_star"]), family="api")
    assert calls == []  # nothing is derived at registration
    assert result("api-lazy").bound == 1 - xi / a and calls == [1]


@pytest.mark.parametrize("text, fragment", [
    ('[[results]]\nid = "x"\ntitle = "t"\nsource = "s"\nbound = "1 - q"\n', "unknown name 'q'"),
    ('[[results]]\nid = "x"\ntitle = "t"\nsource = "s"\nbund = "1"\n', "unknown key 'bund'"),
    ('[[results]]\ntitle = "t"\nsource = "s"\nbound = "1"\n', "missing id"),
    ('[[results]]\nid = "x"\ntitle = "t"\nsource = "s"\nbound = "1"\nstrategy = "magic"\n', "strategy = 'magic'"),
    ('[parameters.zz]\ndomain = "(1, 0)"\n', "lower end must be below"),
    ('[parameters.xi]\ndomain = "(0, 2]"\n', "already exists with domain [0, 1]"),
    ('[parameters.lambda]\ndomain = "(0, 1]"\n', "not a Python keyword"),
    ('[[results]]\nid = "x"\ntitle = "t"\nsource = "s"\nbound = 1\n', "bound must be text"),
    ('[[results]\nid = "x"', "not valid TOML"),
    ('[[results]]\nid = "x y"\ntitle = "t"\nsource = "s"\nbound = "1"\n', "result id 'x y'"),
    ('[[results]]\nid = "x"\ntitle = "t"\nsource = "s"\nbound = "1"\n[[results.steps]]\nid = "s"\n', "missing conclusion"),
    ('[[results]]\nid = "x"\ntitle = "t"\nsource = "s"\nbound = "1"\nnotion = "TV"\n', "notion 'TV' is not one of tv mixture"),
    # a parameter's latex is typeset verbatim: only math names get through (theory.statement.latex_problem)
    ("[parameters.zz]\nlatex = 'r}\\input{/etc/passwd'\n", "parameter zz: latex 'r}\\input{/etc/passwd': a } that"),
    ("[parameters.zz]\nlatex = '{r}\\input{/etc/passwd}'\n", "parameter zz: latex '{r}\\input{/etc/passwd}': \\input"),
    ("[parameters.zz]\nlatex = 'z\\immediate\\write18{rm}'\n", "\\immediate (not an allowed math command)"),
    ("[parameters.zz]\nlatex = '\\def\\z{1}'\n", "\\def (not an allowed"),
    ("[parameters.zz]\nlatex = '\\catcode`\\^=7'\n", "\\catcode (not an allowed"),
    ("[parameters.zz]\nlatex = 'z^^5cinput'\n", "^^ (a TeX character escape)"),
    ("[parameters.zz]\nlatex = '\\csname input\\endcsname'\n", "\\csname (not an allowed"),
    ("[parameters.zz]\nlatex = 'z$ \\input x $'\n", "'$' (not allowed"),
    ("[parameters.zz]\nlatex = 'z % rest'\n", "'%' (not allowed"),
    ("[parameters.zz]\nlatex = '{z'\n", "a { that is never closed"),
    ("[parameters.zz]\nlatex = '\\hat'\n", "\\hat without its argument"),
    # prose is escaped outside $...$; a formula in $...$ is typeset as written, so it must be allowed math
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 's'\nbound = '1'\nstatement = 'Holds $\\input{/etc/passwd}$'\n",
     "results[0] (tx): statement 'Holds $\\input{/etc/passwd}$': a formula $\\input{/etc/passwd}$: \\input (not an"),
    ("[[results]]\nid = 'tx'\ntitle = 'T $x\\immediate\\write18{rm}$'\nsource = 's'\nbound = '1'\n",
     "(tx): title 'T $x\\immediate\\write18{rm}$': a formula $x\\immediate\\write18{rm}$: \\immediate (not"),
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 'S $\\def\\x{1}$'\nbound = '1'\n", "(tx): source 'S $\\def"),
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 's'\nbound = '1'\nnotes = ['ok', 'n $x^^5cinput$']\n",
     "(tx): notes[1] 'n $x^^5cinput$': a formula $x^^5cinput$: ^^ (a TeX character escape)"),
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 's'\nstatement = '$\\catcode`\\^=7$'\nbound = '1'\n",
     "(tx): statement '$\\catcode`\\^=7$': a formula $\\catcode`\\^=7$: \\catcode (not"),
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 's'\nstatement = '$x}\\input{y$'\nbound = '1'\n",
     "a } that closes no { of its own"),
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 's'\nstatement = '$x % y$'\nbound = '1'\n", "'%' (not allowed"),
    ("[[results]]\nid = 'tx'\ntitle = 't'\nsource = 's'\nbound = '1'\n[[results.steps]]\nid = 'st'\n"
     "conclusion = 'alpha <= 1'\nnote = 'see $\\input x$'\n", "(tx): steps[0].note 'see $\\input x$'"),
])
def test_bad_results_files_are_one_line_naming_the_field(text, fragment):
    with pytest.raises(InputError) as e:
        parse_text(text, "bad.toml")
    assert fragment in str(e.value) and "\n" not in str(e.value) and str(e.value).startswith("bad.toml")


# ---- the tutorial's file through every command -------------------------------------------------------

def _args(*args):
    return [*args, "--results", str(TUTORIAL)]


def test_results_lists_the_file_family(cli_json):
    rows = cli_json(*_args("results", "--family", "tutorial"))
    assert [r["id"] for r in rows] == ["thm1-share", "thm1-share-wrong"]
    share = rows[0]
    assert share["strategy"] == "feature-label" and share["critical_mass_method"] == "closed form"
    assert share["parameters"]["r"] == "(0, 1]" and share["family"] == "tutorial"


def test_critical_mass_of_the_variant(cli_json):
    doc = cli_json(*_args("critical-mass", "thm1-share", "--set", "r=1/2", "Delta=1", "xi=0.01", "epsilon=0",
                          "S_star=0.9"))
    assert doc["value"] == pytest.approx(0.01 / (0.5 * 0.11), rel=1e-12)


def test_grids_as_rows_json_and_csv(cli, cli_json):
    doc = cli_json("bound", "thm1", "--set", "alpha=0.1,0.2,0.5", "xi=0.01", "Delta=1", "epsilon=0")
    assert [r["alpha"] for r in doc["rows"]] == [0.1, 0.2, 0.5]
    expected = evaluate("thm1", "bound", dict(alpha=np.array([0.1, 0.2, 0.5]), xi=0.01, Delta=1, epsilon=0))
    np.testing.assert_allclose([r["bound"] for r in doc["rows"]], expected, rtol=1e-15)
    grid = cli_json("critical-mass", "cor2", "--set", "xi=0.001,0.01,0.1", "Delta=0.5,1", "S_star=0.9",
                    "epsilon=0", "--grid")
    assert len(grid["rows"]) == 6 and {(r["xi"], r["Delta"]) for r in grid["rows"]} == {
        (x, d) for x in (0.001, 0.01, 0.1) for d in (0.5, 1.0)}
    code, out, _ = cli("critical-mass", "cor2", "--set", "xi=0.001,0.01,0.1", "Delta=1", "S_star=0.9", "epsilon=0",
                       "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [float(r["xi"]) for r in rows] == [0.001, 0.01, 0.1]
    assert float(rows[1]["critical_mass"]) == pytest.approx(0.01 / 0.11, rel=1e-12) and rows[1]["status"] == "ok"
    code, _, err = cli("bound", "thm1", "--set", "alpha=0.1,0.2", "xi=0.01,0.02,0.03", "Delta=1", "epsilon=0")
    assert code == 2 and "different lengths" in err and "--grid" in err


def test_verify_proves_the_stated_steps(cli_json):
    rows = cli_json(*_args("verify", "--only", "thm1-share.from-thm1", "thm1-share.share-costs"))
    assert [(r["id"], r["status"], r["ok"]) for r in rows] == [
        ("thm1-share.from-thm1", "proven", True), ("thm1-share.share-costs", "proven", True)]


def test_a_wrong_step_is_refuted_with_a_counterexample(cli, cli_json, tmp_path):
    path = tmp_path / "wrong.toml"
    step = '[[results.steps]]\nid = "s"\nconclusion = "xi <= alpha"\n'
    path.write_text('[[results]]\nid = "wrong-step"\ntitle = "t"\nsource = "s"\nconclusion = "xi <= alpha"\n' + step)
    code, out, _ = cli("verify", "--only", "wrong-step.s", "--json", "--results", str(path))
    (row,) = json.loads(out)
    assert code == 1 and row["status"] == "refuted" and not row["ok"]  # expected proven: the run fails
    ce = {k: Fraction(v) for k, v in row["counterexample"].items()}
    assert ce["xi"] > ce["alpha"]
    path.write_text(path.read_text().replace('id = "wrong-step"', 'id = "wrong-step-finding"')
                    + 'expect = "refuted"\n')
    (row,) = cli_json("verify", "--only", "wrong-step-finding.s", "--results", str(path))
    assert row["status"] == "refuted" and row["ok"]  # stated as a finding: as expected


def test_counterexample_to_the_wrong_version_is_confirmed_exactly(cli_json):
    doc = cli_json(*_args("counterexample", "--strategy", "feature-label", "--claim", "thm1_share_wrong",
                          "--set", "r=1/2", "--max-x", "2", "--max-y", "2"))
    assert doc["status"] == "counterexample"
    # The instance is the collective that acts (r alpha); the wrong claim is Theorem 1 at the nominal alpha.
    from theory.instance import parse_instance, success
    inst = parse_instance(doc["instance"])
    p = {k: Fraction(v) for k, v in doc["params"].items() if v is not None}
    nominal = inst.alpha / Fraction(1, 2)
    claim = 1 - (1 - nominal) / nominal * p["Delta"] * p["xi"]
    assert success(inst) < claim and Fraction(doc["claim_value"]) == claim


def test_no_counterexample_to_the_variant(cli_json):
    doc = cli_json(*_args("counterexample", "--strategy", "feature-label", "--claim", "thm1_share",
                          "--set", "r=1/2", "--max-x", "2", "--max-y", "2",
                          "--timeout", "600"))  # Z3's wall-clock limit per signal map: generous, for loaded machines
    assert doc["status"] == "none"


def test_check_instance_with_a_stated_result(cli_json, tmp_path):
    inst = tmp_path / "i.json"
    inst.write_text(json.dumps({"p0": [["1/16", "7/16"], ["0", "1/2"]], "signal": [0, 0], "target": 0,
                                "strategy": "feature-label", "alpha": "1/4"}))
    wrong = cli_json(*_args("check-instance", str(inst), "--result", "thm1-share-wrong", "--set", "r=1/2"))
    assert (wrong["success"], wrong["bound"], wrong["holds"]) == ("0", "5/8", False)
    right = cli_json(*_args("check-instance", str(inst), "--result", "thm1-share", "--set", "r=1/2"))
    assert right["holds"] is True and Fraction(right["bound"]) == 1 - Fraction(3, 4) / Fraction(1, 4) * Fraction(3, 8)


def test_simulate_exact_at_the_acting_size(cli_json, tmp_path):
    inst = tmp_path / "i.json"
    inst.write_text(json.dumps({"p0": [["1/4", "1/4"], ["1/8", "3/8"]], "signal": [0, 0], "target": 0,
                                "strategy": "feature-label", "alpha": "1"}))
    doc = cli_json(*_args("simulate", "exact", "--instance", str(inst), "--result", "thm1-share", "--set", "r=1/2",
                          "--alphas", "0.2,0.6,1", "--store", str(tmp_path / "s.db")))
    rows = doc["rows"]
    assert [r["acting_alpha"] for r in rows] == [0.1, 0.3, 0.5]
    assert all(r["success"] >= r["bound"] for r in rows)


def test_the_environment_variable_loads_files(cli, monkeypatch):
    monkeypatch.setenv("CRITMASS_RESULTS", str(TUTORIAL))
    code, out, err = cli("bound", "thm1-share-wrong", "--set", "alpha=1/2", "xi=1/2", "Delta=1/2")
    assert code == 0 and "0.75" in out, err


def test_a_bad_file_stops_every_command_in_one_line(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[results]]\nid = "x"\n')
    for args in (["results"], ["verify", "--only", "claim-b3"], ["bound", "thm1", "--set", "alpha=1"]):
        code, out, err = cli(*args, "--results", str(path))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "missing title" in err, args


def test_the_notion_of_a_stated_result_is_in_its_json_and_latex(cli_json):
    """A result states which eps-optimal firm it is about; the JSON, the text output and the LaTeX say so, and
    a corollary stated from it inherits it."""
    from theory.latex import render
    register(state("mix-demo", "Theorem 1's mixture form, stated", "test",
                   bound="1 - (1 - alpha)/alpha*Delta*xi - epsilon/((1 - epsilon)*alpha)", notion="mixture"),
             state("mix-demo-cor", "its critical mass", "test", critical_mass_of="mix-demo"), family="notions")
    assert result("mix-demo").notion == "mixture" and result("mix-demo-cor").notion == "mixture"
    assert r"for $P' = (1-\epsilon) P + \epsilon Q$" in render(result("mix-demo"))
    assert "The firm is" not in render(result("thm7"))  # no epsilon, no notion
    doc = cli_json(*_args("results", "--family", "tutorial"))
    assert [r["notion"] for r in doc] == ["tv", None]
    assert cli_json(*_args("bound", "thm1-share", "--set", "r=1", "alpha=1/2", "xi=0.01", "Delta=1",
                           "epsilon=0.01"))["notion"] == "tv"


def test_stated_bounds_against_every_eps_optimal_firm(cli_json):
    """check-instance --epsilon and counterexample with epsilon work for stated results as for built-in ones:
    the tutorial's variant (valid for TV firms) holds at the least success over every TV-eps-optimal firm;
    the same bound with the mixture budget eps/(1-eps) (valid for mixture firms only) fails against one."""
    inst = ROOT / "tests" / "workbench" / "instance.json"
    doc = cli_json(*_args("check-instance", str(inst), "--result", "thm1-share", "--set", "r=1/2",
                          "--epsilon", "1/100"))
    (row,) = doc["bounds"]
    assert row["id"] == "thm1-share" and row["notion"] == "tv" and row["valid"] and row["holds"]
    assert Fraction(doc["worst_case"]["budget"]) == Fraction(1, 50)
    register(state("share-mixture-demo", "the variant with the mixture budget", "test",
                   bound="1 - (1 - alpha)/alpha*Delta*xi - epsilon/((1 - epsilon)*alpha)", strategy="feature-label",
                   notion="mixture"), family="notions")
    found = cli_json("counterexample", "--strategy", "feature-label", "--claim", "share-mixture-demo",
                     "--epsilon", "1/4", "--max-x", "2", "--max-y", "2")
    assert found["status"] == "counterexample" and found["epsilon"] == "1/4" and found["notion"] == "tv"
    assert cli_json("counterexample", "--strategy", "feature-label", "--claim", "share_mixture_demo",
                    "--epsilon", "1/4", "--notion", "mixture", "--max-x", "2", "--max-y", "2")["status"] == "none"


def test_latex_of_a_stated_result():
    from theory.latex import render, tex, tidy
    load(TUTORIAL)
    r = result("thm1-share")
    text = render(r)
    assert tex(tidy(r.bound)) in text and tex(tidy(r.critical_mass.reachable)) in text
    assert "Derived from the bound above" in text  # its critical mass solved from its own bound and target
    assert r"\alpha r" in tex(r.bound) and r"\begin{critmassresult}" in text and text.count("{") == text.count("}")


def test_the_report_typesets_stated_results(tmp_path):
    """The report's theory section has a part for stated results (user text in titles escaped), and compiles."""
    import shutil

    from critmass.report import style
    from critmass.report.base import Context
    from critmass.report.run import compile_pdf, provenance, render_tex
    from critmass.report.stages.theory import STAGE

    load(TUTORIAL)
    register(state("report-demo", "Title with alpha^2 & 50% of x_1", "notes #3", bound="1 - xi/alpha^2",
                   target="S_star"), family="api")
    ctx = Context(tmp_path, True, ())
    ctx.figures.mkdir(parents=True)
    data = STAGE.compute(ctx)
    assert list(data["stated"]) == ["thm1-share", "thm1-share-wrong", "report-demo"]
    section = STAGE.write(data)
    assert r"\subsection*{Stated results}" in section and r"alpha{\textasciicircum}2 \& 50\% of x\_1" in section
    # printed once: in full under Stated results, never again as a row of a per-family table
    assert "api" not in data["families"] and section.count(r"alpha{\textasciicircum}2 \& 50\% of x\_1") == 1
    assert not {row["id"] for rows in data["families"].values() for row in rows} & set(data["stated"])
    assert r"Family \texttt{api}." in section
    assert "Critical mass: closed form; non-decreasing in" in section
    data["_seconds"] = 1.0
    tex = tmp_path / "report.tex"
    tex.write_text(render_tex({"theory": data}, [STAGE], provenance(), quick=True))
    if shutil.which("pdflatex"):
        for plot in STAGE.figures(data):
            style.save(plot.draw(data), ctx.figures, plot.name)
        compiled = compile_pdf(tex)
        assert Path(compiled["pdf"]).exists() and compiled["overfull"] == []


# ---- a stated bound with a pole, an overflow or no parameters ----------------------------------------------

def _stated(tmp_path, **bounds):
    """A results file with one result per keyword: id = bound (an id's _ read as -), target S_star."""
    text = "".join(f'[[results]]\nid = "{id.replace("_", "-")}"\ntitle = "t"\nsource = "s"\nbound = "{bound}"\n'
                   f'target = "S_star"\nstrategy = "feature-label"\n' for id, bound in bounds.items())
    path = tmp_path / "stated.toml"
    path.write_text(text)
    return str(path)


def _refused(cli, *args):
    code, out, err = cli(*args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    return err


def test_a_bound_at_its_pole_is_refused_not_printed_as_inf(cli, tmp_path):
    """1 - 1/(2 alpha - 1) at alpha = 1/2 is undefined: it was printed as -inf (JSON null), exit 0."""
    f = _stated(tmp_path, pole="1 - 1/(2*alpha - 1)")
    for extra in ((), ("--json",), ("--csv",)):
        err = _refused(cli, "bound", "pole", "--set", "alpha=1/2", *extra, "--results", f)
        assert "undefined at alpha=0.5" in err and "division by zero" in err, err
    err = _refused(cli, "bound", "pole", "--set", "alpha=1/4,1/2,3/4", "--results", f)
    assert "undefined at alpha=0.5" in err
    code, out, _ = cli("bound", "pole", "--set", "alpha=1", "--results", f)
    assert code == 0 and "S(alpha) >= 0" in out  # a finite value away from the pole is still printed


def test_a_bound_beyond_float64_is_refused_as_an_overflow(cli, tmp_path):
    """exp(exp(8 alpha)) at alpha = 1 (about 10**1294) was printed as inf with exit 0."""
    f = _stated(tmp_path, huge="exp(exp(8*alpha))")
    err = _refused(cli, "bound", "huge", "--set", "alpha=1", "--results", f)
    assert "overflows float64 at alpha=1" in err


def test_the_critical_mass_of_a_bound_with_a_pole_is_not_derived(cli, tmp_path):
    """1 - 1/(2 alpha - 1) has a derivative >= 0 on each side of its pole but is not non-decreasing on (0, 1]:
    the derivation refuses instead of calling the target unreachable '(needs False)'."""
    f = _stated(tmp_path, pole="1 - 1/(2*alpha - 1)")
    err = _refused(cli, "critical-mass", "pole", "--set", "S_star=1/2", "--results", f)
    assert "critical mass not derived" in err and "a pole" in err and "2*alpha - 1 = 0" in err


def test_an_unreachable_target_says_why_in_true_words(cli, tmp_path):
    """alpha - 1 is 0 at alpha = 1, below every S_star in (0, 1): sympy folds the condition to False, which the
    text printed as '(needs False)' (and the full path failed to compile alpha*, which names S_star only)."""
    f = _stated(tmp_path, neg="alpha - 1")
    code, out, err = cli("critical-mass", "neg", "--set", "S_star=1/2", "--results", f)
    assert code == 0 and "unreachable" in out and "False" not in out, (out, err)
    assert "the bound at alpha = 1 is 0, below S_star for every value" in out
    code, out, err = cli("critical-mass", "neg", "--set", "S_star=1/2", "--json", "--results", f)
    assert code == 0 and json.loads(out)["status"] == "unreachable" and json.loads(out)["value"] is None


def test_an_unknown_parameter_lists_what_the_result_takes(cli, tmp_path):
    """--set S_star on bound: the message listed no expected parameter ('expected: ') for a constant bound,
    while the result has a critical mass that takes S_star."""
    f = _stated(tmp_path, const="1/2", neg="alpha - 1")
    err = _refused(cli, "bound", "const", "--set", "S_star=1/2", "--results", f)
    assert "unknown parameter 'S_star' for const" in err and "takes no parameters" in err
    assert "critmass critical-mass const" in err and not err.rstrip().endswith("expected:")
    err = _refused(cli, "bound", "neg", "--set", "alpha=1/2", "S_star=1/2", "--results", f)
    assert "expected: alpha" in err and "critmass critical-mass neg" in err
    err = _refused(cli, "bound", "neg", "--set", "alpha=1/2", "nosuch=1", "--results", f)
    assert "expected: alpha" in err and "critical-mass" not in err  # nosuch is nobody's parameter
    assert cli("bound", "neg", "--set", "alpha=1/2", "--results", f)[0] == 0  # now the fast path has an entry
    err = _refused(cli, "bound", "neg", "--set", "alpha=1/2", "S_star=1/2", "--results", f)
    assert "critmass critical-mass neg" in err  # the same message from the cached path


def test_check_instance_names_the_point_where_a_bound_is_undefined(cli, tmp_path):
    """At the instance's alpha = 1/2 the bound 1 - 1/(2 alpha - 1) is undefined: the message said 'is not a
    rational number at {...Fraction(1, 2)...}: zoo'."""
    f = _stated(tmp_path, pole="1 - 1/(2*alpha - 1)")
    inst = json.loads((ROOT / "tests" / "workbench" / "instance.json").read_text())
    (tmp_path / "inst.json").write_text(json.dumps({**inst, "alpha": "1/2"}))
    err = _refused(cli, "check-instance", str(tmp_path / "inst.json"), "--result", "pole", "--results", f)
    assert "undefined (a division by zero) at alpha=1/2" in err and "zoo" not in err and "Fraction" not in err


def test_math_names_are_accepted_as_latex(tmp_path):
    """The allowlist takes every built-in parameter's LaTeX name and the usual forms of a new one, and they
    reach the LaTeX of a result as written."""
    from theory.latex import render
    from theory.parameters import PARAMETERS
    from theory.statement import latex_problem
    assert {p.tex: latex_problem(p.tex) for p in PARAMETERS.values() if latex_problem(p.tex)} == {}
    names = [r"\hat{\beta}_{\mathrm{DP}}", r"\tilde r'", r"\bar{x}^{\star}", r"\Omega_{i,j}", r"q^\prime", r"\|w\|"]
    text = "".join(f"[parameters.zz{i}]\nlatex = {json.dumps(t)}\n" for i, t in enumerate(names))
    text += ('[[results]]\nid = "tex-demo"\ntitle = "t"\nsource = "s"\nbound = "1 - '
             + " - ".join(f"zz{i}" for i in range(len(names))) + '"\n')
    for r in parse_text(text, "ok.toml"):
        register(r, family="api")
    rendered = render(result("tex-demo"))
    assert all(t in rendered for t in names), rendered


def test_prose_of_a_results_file_reaches_latex_escaped(cli, tmp_path):
    """A results file's statement, title, source and notes were typeset verbatim (the statement) or with their
    $...$ verbatim: ``critmass latex`` wrote \\input{/etc/passwd} into the .tex, run by pdflatex. Now text is
    escaped, allowed math is kept as written, and a source posing as a built-in correction is not read as a name."""
    path = tmp_path / "prose.toml"
    path.write_text('[[results]]\nid = "prose-x"\ntitle = "T \\\\input{/etc/passwd}"\n'
                    'source = "critmass correction of \\\\input{/etc/passwd} (tv), here"\nbound = "1 - xi/alpha"\n'
                    'statement = "Holds for $\\\\alpha \\\\leq \\\\frac{1}{2}$. \\\\input{/etc/passwd} \\\\write18{rm}"\n'
                    'notes = ["see \\\\openout x"]\n')
    out = tmp_path / "x.tex"
    code, _, err = cli("latex", "prose-x", "-o", out, "--results", path)
    assert code == 0, err
    written = out.read_text()
    assert r"\input{/etc/passwd}" not in written and r"\write18" not in written and r"\openout" not in written
    assert written.count(r"{\textbackslash}input\{/etc/passwd\}") == 3  # title, source, statement
    assert r"$\alpha \leq \frac{1}{2}$" in written  # allowed math as written
    assert r"\begin{critmassresult}{Theorem \texttt{prose-\allowbreak{}x}}" in written  # named by its id, not by its source's text


def test_a_results_file_with_a_command_in_a_formula_is_refused(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[results]]\nid = "prose-y"\ntitle = "t"\nsource = "s"\nbound = "1"\n'
                    'statement = "Holds. $\\\\input{/etc/passwd}$"\n')
    err = _refused(cli, "latex", "-o", tmp_path / "y.tex", "--results", path)
    assert "prose-y" in err and "statement" in err and "\\input{/etc/passwd}" in err and not (tmp_path / "y.tex").exists()


def test_every_built_in_result_s_prose_is_allowed():
    """The math allowlist of a results file's prose takes the built-in results' own formulas in $...$ (their
    titles, sources and notes): what the project writes, a user may write."""
    from theory.catalog import all_ids
    from theory.statement import prose_problem
    bad = {}
    for i in all_ids():
        r = result(i)
        for field, value in [("title", r.title), ("source", r.source), *(("note", n) for n in r.notes)]:
            if prose_problem(value):
                bad[(i, field)] = prose_problem(value)
    assert bad == {}
