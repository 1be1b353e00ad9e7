"""The restricted expression parser (theory/expr.py): what it reads, and that hostile text never runs.

Every hostile string is refused in one line with exit 2 wherever a user types an expression (--claim,
--where, --set, a results file); a subprocess with an audit hook proves that refusing them imports nothing,
runs nothing and writes nothing; and a scan of the code shows that no eval/exec/sympify/parse_expr is left
for user text to reach.
"""

import ast
import json
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from theory.errors import InputError
from theory.expr import MAX_EXPONENT, dump, number, parse, split_top
from theory.parameters import SYMBOLS

ROOT = Path(__file__).resolve().parents[2]
NAMES = {n: SYMBOLS[n] for n in ("alpha", "xi", "Delta", "p", "tau")}
NAMES["thm1"] = 1 - (1 - NAMES["alpha"]) / NAMES["alpha"] * NAMES["Delta"] * NAMES["xi"]

#: (hostile text, a fragment the one-line refusal must contain)
HOSTILE = [
    ("__import__('os').system('touch PWNED') or thm1", "'__import__'"),
    ("__import__('critmass_canary')", "'__import__'"),
    ("thm1.__class__.__mro__", "'thm1.__class__'"),
    ("().__class__.__bases__[0].__subclasses__()", "column 1"),
    ("(lambda: 1)()", "'lambda: 1' at column 2"),
    ("lambda x: x", "'lambda x: x'"),
    ("import os", "invalid syntax"),
    ("alpha; import os", "invalid syntax"),
    ("exec('1')", "'exec'"),
    ("eval('1')", "'eval'"),
    ("open('PWNED', 'w')", "'open'"),
    ("getattr(alpha, 'func')", "'getattr'"),
    ("globals()", "'globals'"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("Symbol('x')", "'Symbol'"),
    ("sympify('x')", "'sympify'"),
    ("alpha.subs(xi, 1)", "'alpha.subs'"),
    ("10**10**10", "an exponent of at most"),
    ("2**(2**64)", "an exponent of at most"),
    ("9**9**9**9", "an exponent of at most"),
    ("(10**60)**60", "numbers of at most"),
    ("1e999999999", "a decimal exponent of at most 300"),
    ("((alpha + 1)", "was never closed"),
    ("alpha + 1)", "unmatched ')'"),
    ("unknown_name + 1", "unknown name 'unknown_name'"),
    ("[x for x in ()]", "column 1"),
    ("alpha if xi else tau", "column 1"),
    ("'a' * 10**9", "a number"),
    ("f'{alpha}'", "column 1"),
    ("alpha[0]", "column 1"),
    ("(x := 1)", "column 2"),
    ("alpha @ xi", "'@'"),
    ("~alpha", "'~'"),
    ("Max(*[1, 2])", "'*[1, 2]'"),
    ("exp(x=1)", "'x=1'"),
    ("1/0", "a divisor that is not zero"),
    ("log(0)", "a logarithm of a number that is not zero"),
    ("-" * 100 + "alpha", "levels of nesting"),
    ("(" * 250 + "1" + ")" * 250, "too many nested parentheses"),
    ("alpha + " * 400 + "1", "characters; expected at most"),
    ("1j", "a number"),
]


@pytest.mark.parametrize("text, fragment", HOSTILE)
def test_hostile_text_is_refused_in_one_line_naming_it(text, fragment):
    with pytest.raises(InputError) as e:
        parse(text, NAMES)
    message = str(e.value)
    assert "\n" not in message and fragment in message, message


def test_there_are_at_least_twenty_hostile_strings():
    assert len({t for t, _ in HOSTILE}) >= 20


def test_the_grammar_reads_what_bounds_are_written_in():
    a, xi, d = NAMES["alpha"], NAMES["xi"], NAMES["Delta"]
    assert parse("1 - (1 - alpha)/alpha*Delta*xi", NAMES) == 1 - (1 - a) / a * d * xi
    assert parse("alpha^2 + 1", NAMES) == a**2 + 1  # ^ is a power, with a power's precedence
    assert parse("0.001", {}) == sp.Rational(1, 1000) and parse("1e-3", {}) == sp.Rational(1, 1000)
    assert parse("sqrt(xi)*log(1/alpha) + Max(Delta, 1/2) - Abs(-xi)", NAMES) == (
        sp.sqrt(xi) * sp.log(1 / a) + sp.Max(d, sp.Rational(1, 2)) - xi)
    assert parse(f"alpha**{MAX_EXPONENT}", NAMES) == a**MAX_EXPONENT
    assert parse("xi**alpha", NAMES) == xi**a  # an exponent in the parameters is kept symbolic
    rel = parse("0 < xi <= 1/2 and not Delta > 1 or alpha == 1", NAMES, relation=True)
    assert rel == sp.Or(sp.And(sp.Lt(0, xi), sp.Le(xi, sp.Rational(1, 2)), sp.Not(sp.Gt(d, 1))), sp.Eq(a, 1))


def test_relations_and_expressions_are_not_confused():
    with pytest.raises(InputError, match="is a relation; expected an expression"):
        parse("alpha < 1", NAMES)
    with pytest.raises(InputError, match="is an expression; expected a relation"):
        parse("alpha + 1", NAMES, relation=True)
    with pytest.raises(InputError, match="a relation here"):
        parse("alpha and xi", NAMES, relation=True)


def test_numbers_are_exact():
    assert number("1/3") == Fraction(1, 3) and number("2**-10") == Fraction(1, 1024)
    assert number("1.5e-2") == Fraction(3, 200)
    assert abs(number("sqrt(2)") - Fraction(14142135623730950488, 10**19)) < Fraction(1, 10**18)
    with pytest.raises(InputError):
        number("alpha")


def test_split_top_keeps_function_arguments_together():
    assert split_top("Max(1, 2),3,1/2") == ["Max(1, 2)", "3", "1/2"]


def test_dump_reads_back_as_the_same_expression():
    a, xi, d = NAMES["alpha"], NAMES["xi"], NAMES["Delta"]
    by_symbol = {v: k for k, v in NAMES.items()}
    for e in [1 - (1 - a) / a * d * xi, sp.sqrt(d * xi) / (sp.sqrt(d * xi) + sp.sqrt(1 - a)),
              sp.exp((a - 1) / xi), sp.And(a > 0, sp.Le(xi, 1)), sp.Eq(a, xi), sp.Ne(a, 1)]:
        back = parse(dump(e, by_symbol), NAMES, relation=not isinstance(e, sp.Expr))
        assert back == e, (e, dump(e, by_symbol))


# ---- every place a user types an expression ------------------------------------------------------------

def _one_line_exit_2(cli, *args):
    code, out, err = cli(*args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (args, code, out, err)
    return err


@pytest.mark.parametrize("text, fragment", HOSTILE)
def test_hostile_claims_exit_2_in_one_line(cli, text, fragment):
    err = _one_line_exit_2(cli, "counterexample", "--strategy", "feature-label", f"--claim={text}",
                           "--max-x", 2, "--max-y", 2)
    assert fragment in err


@pytest.mark.parametrize("text", [t for t, _ in HOSTILE[:12]])
def test_hostile_conditions_and_values_exit_2(cli, text):
    _one_line_exit_2(cli, "counterexample", "--strategy", "feature-label", "--claim", "thm1", f"--where={text}",
                     "--max-x", 2, "--max-y", 2)
    _one_line_exit_2(cli, "bound", "thm1", "--set", "alpha=1/2", f"xi={text}", "Delta=1", "epsilon=0")


@pytest.mark.parametrize("text", [t for t, _ in HOSTILE[:12]])
def test_hostile_results_files_exit_2(cli, tmp_path, text):
    path = tmp_path / "hostile.toml"
    path.write_text(f'[[results]]\nid = "h"\ntitle = "t"\nsource = "s"\nbound = {json.dumps(text)}\n')
    err = _one_line_exit_2(cli, "results", "--results", path)
    assert str(path) in err


AUDIT = textwrap.dedent('''
    import io, json, os, sys, contextlib
    sys.path.insert(0, os.getcwd())   # where critmass_canary.py waits: importing it writes CANARY_RAN
    from critmass.cli import main
    hostile = json.loads(sys.argv[1])
    def run(args):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = main(args)
        return code, err.getvalue()
    def every_place(text, path):
        with open(path, "w") as fh:   # written before the hook is armed
            fh.write("[[results]]\\nid = 'h'\\ntitle = 't'\\nsource = 's'\\nbound = " + json.dumps(text) + "\\n")
        return [["counterexample", "--strategy", "feature-label", "--claim=" + text, "--max-x", "2", "--max-y", "2"],
                ["counterexample", "--strategy", "feature-label", "--claim", "thm1", "--where=" + text,
                 "--max-x", "2", "--max-y", "2"],
                ["bound", "thm1", "--set", "alpha=1/2", "xi=" + text, "Delta=1", "epsilon=0"],
                ["results", "--results", path]]
    # Warm up: every code path once with a harmless bad name, so each lazy import has happened.
    for i, args in enumerate(every_place("q_unknown", "warm.toml")):
        assert run(args)[0] == 2
    files = [every_place(text, f"h{i}.toml") for i, text in enumerate(hostile)]
    events = []
    armed = [False]
    def hook(name, args):
        if not armed[0]:
            return
        if name in ("import", "exec", "os.system", "subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec",
                    "os.remove", "os.rename", "shutil.rmtree", "ctypes.dlopen"):
            events.append([name, repr(args)[:120]])
        elif name == "open" and args[1] is not None and any(c in str(args[1]) for c in "wax+"):
            events.append([name, repr(args)[:120]])
    sys.addaudithook(hook)
    armed[0] = True
    codes = [[run(args)[0] for args in place] for place in files]
    during = list(events)
    import wave                           # the control: the hook does see an import and a write
    open("control.txt", "w").close()
    armed[0] = False
    print(json.dumps({"codes": codes, "events": during, "control": [e[0] for e in events[len(during):]],
                      "canary_imported": "critmass_canary" in sys.modules}))
''')


def test_refusing_hostile_text_imports_runs_and_writes_nothing(tmp_path):
    """In a fresh process with an audit hook: not one import, exec, process, or file written while every
    hostile string goes through every place a user types an expression."""
    (tmp_path / "critmass_canary.py").write_text("open('CANARY_RAN', 'w').write('imported')\n")
    hostile = [t for t, _ in HOSTILE]
    out = subprocess.run([sys.executable, "-c", AUDIT, json.dumps(hostile)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(code == 2 for place in doc["codes"] for code in place), doc["codes"]
    assert doc["events"] == []
    assert "import" in doc["control"] and "open" in doc["control"]
    assert not doc["canary_imported"]
    assert not (tmp_path / "CANARY_RAN").exists() and not (tmp_path / "PWNED").exists()
    made = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".toml"))
    assert made == ["control.txt", "critmass_canary.py"]


# ---- no eval of user text anywhere in the code ---------------------------------------------------------

PACKAGES = ("theory", "verify", "numerics", "gpu", "critmass")
EVALUATING = {"eval", "exec", "compile", "__import__"}


def forbidden_calls(source: str) -> list[str]:
    """Calls in Python source that could evaluate text: eval/exec/compile/__import__, parse_expr anywhere,
    sympy.S(...), and sympify without strict=True (which refuses strings)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name == "parse_expr" or (isinstance(node, ast.alias) and node.name == "parse_expr"):
            found.append(f"{getattr(node, 'lineno', '?')}: parse_expr")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in EVALUATING:
            found.append(f"{node.lineno}: {func.id}")
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called == "S" and isinstance(func, ast.Attribute):
            found.append(f"{node.lineno}: S(...)")
        if called == "sympify" and not any(k.arg == "strict" and getattr(k.value, "value", None) is True
                                           for k in node.keywords):
            found.append(f"{node.lineno}: sympify without strict=True")
    return found


def test_no_code_path_evaluates_text():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += [f"{path.relative_to(ROOT)}:{f}" for f in forbidden_calls(path.read_text())]
    assert found == []


def test_the_scan_would_catch_each_forbidden_call():
    for sample in ("x = eval(text)", "exec(code)", "sp.sympify(text)", "from sympy.parsing import parse_expr",
                   "__import__('os')", "sp.S('x')", "compile(src, 'f', 'exec')", "sympify(s, strict=False)"):
        assert forbidden_calls(sample), sample
    assert not forbidden_calls('model.eval(x)\nsp.sympify(expr, strict=True)\n"""eval(x) in a docstring"""')


@pytest.mark.parametrize("args", [
    ["counterexample", "--strategy", "feature-label", "--claim", "thm1", "--alpha", "1e999999999",
     "--max-x", "2", "--max-y", "2"],
    ["simulate", "exact", "--random", "2", "--alphas", "1e999999999", "--store", "never-written.db"],
    ["bound", "thm1", "--set", "alpha=9**9**9", "xi=0", "Delta=1", "epsilon=0"],
    ["check-instance", "no-such.json", "--set", "r=10**10**10"],
    ["check-instance", "no-such.json", "--epsilon", "1e999999999"],
    ["counterexample", "--strategy", "feature-label", "--claim", "thm1-corrected", "--epsilon", "1e-999999999",
     "--max-x", "2", "--max-y", "2"],
])
def test_numbers_on_other_options_are_bounded_too(cli, args, tmp_path, monkeypatch):
    """Numbers are never read by Fraction(text) or float(text) of unbounded size: a huge exponent is refused
    at once (Fraction('1e999999999') alone would run for hours)."""
    monkeypatch.chdir(tmp_path)
    err = _one_line_exit_2(cli, *args)
    assert "no-such.json" not in err and ("is not a number" in err or "expected a number" in err), err
    assert list(tmp_path.iterdir()) == []
