"""``critmass guide``: docs/results.md, one section per Result, generated from the objects themselves.

For each result: its statement and formulas (from theory/), the module that encodes it, its proof steps
with the status Z3 gives them now (from verify/), the tests that name it (found by reading tests/), and the
commands and report sections that evaluate it (from COMMANDS and the report's stages). tests/test_guide.py
regenerates the file and compares, and checks every command, flag, section and test it names against the CLI
parser, the stages and the test files.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from theory.strategy import PLANTING, Strategy

ROOT = Path(__file__).resolve().parent.parent

#: Commands that evaluate a result beyond `critmass bound`/`critical-mass` (which every result with a bound or a
#: critical mass has). tests/test_guide.py parses each with the CLI parser, so none names a command or flag that
#: does not exist. FILE and DIR are placeholders.
COMMANDS = {
    "thm1": ["critmass simulate exact --store FILE --instance FILE", "critmass check-instance FILE",
             "critmass counterexample --strategy feature-label --claim thm1 --max-x 2 --max-y 2",
             "critmass simulate suboptimal --store FILE", "critmass figures --store FILE -o DIR"],
    "thm3": ["critmass simulate exact --store FILE --instance FILE", "critmass check-instance FILE",
             "critmass counterexample --strategy feature-only --claim thm3 --max-x 2 --max-y 2",
             "critmass simulate suboptimal --store FILE --strategy feature-only", "critmass figures --store FILE -o DIR"],
    "thm5": ["critmass simulate exact --store FILE --instance FILE", "critmass check-instance FILE",
             "critmass counterexample --strategy erasure --claim thm5 --max-x 2 --max-y 2"],
    "cor2": ["critmass figures --store FILE -o DIR"],
    "cor4": ["critmass figures --store FILE -o DIR"],
    "thm7": ["critmass simulate gradient-glm --store FILE"],
    "cor8": ["critmass simulate gradient-glm --store FILE"],
    "thm10": ["critmass simulate gradient-mlp --store FILE"],
    "gbj": ["critmass simulate finite --store FILE --instance FILE", "critmass simulate tabular --store FILE --synthetic 1000"],
    "binomial": ["critmass simulate finite --store FILE --instance FILE",
                 "critmass simulate tabular --store FILE --synthetic 1000"],
    "reweight-mixture-cor2": ["critmass simulate reweight --store FILE"],
}
for _thm, _cor, _strategy in (("thm1", "cor2", Strategy.FEATURE_LABEL), ("thm3", "cor4", Strategy.FEATURE_ONLY),
                              ("thm5", "cor6", Strategy.ERASURE)):  # the forms valid for eps > 0
    COMMANDS[f"{_thm}-corrected"] = COMMANDS[f"{_cor}-corrected"] = [
        "critmass check-instance FILE --epsilon 0.05 --notion tv",
        "critmass check-instance FILE --epsilon 0.05 --notion mixture"] + (
        [f"critmass simulate suboptimal --store FILE --strategy {_strategy}"] if _strategy in PLANTING else [])

# Issue 14's families (docs/field.md).
for _id in ("gbj-feature-only", "binomial-feature-only"):
    COMMANDS[_id] = ["critmass simulate tabular --store FILE --cars 100000 --fix COLUMN=VALUE --strategy feature-only"]
for _id in ("gbj-unplanting", "binomial-unplanting"):
    COMMANDS[_id] = ["critmass simulate tabular --store FILE --cars 100000 --fix COLUMN=VALUE --strategy unplanting "
                     "--n-est 2000"]
for _id in ("multi-thm1", "multi-cor2", "multi-head-to-head"):
    COMMANDS[_id] = ["critmass check-instance FILE"]  # a file with `collectives`

#: Library functions that evaluate a result where no command does (tests/test_guide.py imports each).
LIBRARY = {
    **{i: ["theory.bendov.jtt_success", "theory.bendov.window_success"] for i in ("bendov-alpha-eff", "bendov-jtt-window")},
    **{i: ["numerics.privacy.rr_success", "numerics.privacy.rr_exact", "numerics.privacy.dpsgd_success"]
       for i in ("privacy-rr-bayes", "privacy-rr-finite", "privacy-group")},
    **{i: ["numerics.population.fixed_points", "numerics.population.tipping_budget"]
       for i in ("population-uniform", "population-budget")},
}

MODULE_OF_FAMILY = {"paper": "theory/paper.py", "reweighting": "theory/reweighting.py", "finite": "theory/finite.py",
                    "bendov": "theory/bendov.py", "collusion": "theory/collusion.py", "multi": "theory/multi.py",
                    "privacy": "theory/privacy.py", "population": "theory/population.py"}


def find_tests(ids) -> dict[str, list[str]]:
    """Test functions (file::name) whose source names a result id as a string literal."""
    wanted = set(ids)
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                names = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in wanted}
                for id in names:
                    found[id].append(f"{path.relative_to(ROOT)}::{node.name}")
    return found


def sections_of(id: str) -> list[str]:
    """The titles of the report's sections (stages) that evaluate a result."""
    from critmass.report.stages import stages

    return [s.title for s in stages() if id in s.results]


def evaluated_by(id: str, r) -> list[str]:
    """Every command line and report section that evaluates result ``id``, as Markdown."""
    out = [f"`critmass bound {id}`"] if r.bound is not None else []
    out += [f"`critmass critical-mass {id}`"] if r.critical_mass is not None else []
    out += [f"`{c}`" for c in COMMANDS.get(id, [])]
    out += [f"`{f}`" for f in LIBRARY.get(id, [])]
    out += [f"report section *{t}*" for t in sections_of(id)]
    return out


def render() -> str:
    """The whole of docs/results.md."""
    from theory.latex import tex
    from theory.paper import families, result
    from theory.refuted import recorded
    from verify import steps

    fams = {f: ids for f, ids in families().items() if f in MODULE_OF_FAMILY}  # the built-in results only
    ids = [i for f in fams.values() for i in f]
    rows_by_result = defaultdict(list)
    for row in steps.run():
        rows_by_result[row["result"]].append(row)
    tests = find_tests(ids)
    out = ["# The results, one by one",
           "",
           "Generated by `critmass guide -o docs/results.md` from theory/, verify/ and tests/; "
           "`tests/test_guide.py` fails when this file is out of date. The prose guide and the findings about "
           "the paper are in `docs/theory.md` and `docs/verify.md`.", ""]
    for family, members in fams.items():
        out += [f"## Family `{family}` ({MODULE_OF_FAMILY.get(family, '?')})", ""]
        for id in members:
            r = result(id)
            out += [f"### `{id}`: {r.title}", "", f"*{r.kind}*, {r.source}.", "", r.statement, ""]
            if r.notion is not None:
                out += [f"Read under notion `{r.notion}` (the default; `--notion mixture` for Lemma 11's coupling).", ""]
            for ref in recorded(id):
                verdict = "**Refuted**" if ref.applies(r.notion or "tv") else f"Its `{ref.form}` form is refuted"
                out += [f"> {verdict} for {ref.where_text()} against {' and '.join(ref.firms)}-eps-optimal firms "
                        f"(Z3: {', '.join(f'`{s}`' for s in ref.steps)}); use `{ref.use}`"
                        + (f" (notion {ref.use_notion})" if ref.use_notion else "") + f". {ref.why}.", ""]
            if r.bound is not None:
                out += [f"Bound: $S(\\alpha) \\geq {tex(r.bound)}$", ""]
            if r.critical_mass is not None:
                cm = r.critical_mass
                out += [f"Critical mass (derived): $\\alpha^* \\leq {tex(cm.alpha_star)}$, reachable when "
                        f"${tex(cm.reachable)}$."
                        + ("" if r.printed is None else
                           f" Equal to the paper's printed form: **{r.derived_equals_printed()}**."), ""]
            for note in r.notes:
                out += [f"> {note}", ""]
            out += [f"Code: `{MODULE_OF_FAMILY.get(family, '?')}` (`theory.paper.result(\"{id}\")`)."]
            steps_here = rows_by_result.get(id, [])
            if steps_here:
                proven = sum(s["status"] == "proven" for s in steps_here)
                listed = ", ".join(f"`{s['id']}`{' (' + s['notion'] + ')' if s.get('notion') else ''} {s['status']}"
                                   for s in steps_here)
                out += [f"Proof steps ({proven} of {len(steps_here)} proven by Z3; refuted ones are findings): "
                        f"{listed}."]
            elif r.critical_mass is not None:
                out += ["Proof steps: the derivation is sympy's (solving the bound for alpha, above)."]
            else:
                out += ["Proof steps: none machine-checked."]
            named = tests.get(id, [])
            out += ["Tests: " + (", ".join(f"`{t}`" for t in named) if named else "none name it directly") + "."]
            where = evaluated_by(id, r)
            out += [f"Typeset: `critmass latex {id} -o FILE`. Evaluated by: " + (", ".join(where) or "nothing yet")
                    + ".", ""]
    return "\n".join(out)
