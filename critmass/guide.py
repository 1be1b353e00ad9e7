"""``critmass guide``: docs/results.md, one section per Result, generated from the objects themselves.

For each result: its statement and formulas (from theory/), the module that encodes it, its proof steps
with the status Z3 gives them now (from verify/), the tests that name it (found by reading tests/), and
where it is simulated. A test regenerates the file and compares, so the guide cannot drift from the code.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Where each result's numbers are simulated or illustrated (commands and report sections).
SIMULATED = {
    "thm1": "`critmass simulate exact|finite`; report sections *Exact success* and *Finite samples*; "
            "`critmass figures` overlays it on the text curves",
    "thm3": "`critmass simulate exact|finite --strategy feature-only`; report sections *Exact success* and "
            "*Finite samples*; `critmass figures` overlays it on Strategy 2",
    "thm5": "`critmass simulate exact|finite` with erasure instances; report sections *Exact success*, *Finite samples*",
    "thm7": "`critmass simulate gradient-glm`; report section *Gradient-based learning*",
    "cor8": "`critmass simulate gradient-glm` (measured alpha* on a grid); report section *Gradient-based learning*",
    "prop9": "`critmass simulate gradient-glm` (utility gain, linear utility)",
    "thm10": "`critmass simulate gradient-mlp` (data points and Byzantine gradients); report section "
             "*Gradient-based learning*",
    "lemma11": "`critmass simulate suboptimal` (learners' exact TV epsilon against the valid Theorem 1's epsilon term)",
    "participation": "report section *Exact success* (participation economics on an exact S(alpha) curve)",
    "gbj": "`critmass simulate finite|tabular`; report section *Finite samples*",
    "binomial": "`critmass simulate finite|tabular`; report section *Finite samples*",
}
for _thm in ("thm1", "thm3", "thm5"):
    SIMULATED[f"{_thm}-corrected"] = (
        "`critmass check-instance FILE --epsilon E [--notion tv|mixture]` (the exact least success over every "
        "eps-optimal firm against it)" + ("; `critmass simulate suboptimal` (each trained learner's success at its "
                                          "measured TV epsilon)" if _thm != "thm5" else ""))
for _cor, _thm in (("cor2", "thm1"), ("cor4", "thm3"), ("cor6", "thm5")):
    SIMULATED[_cor] = SIMULATED[_thm]
    SIMULATED[f"{_cor}-corrected"] = SIMULATED[f"{_thm}-corrected"]
for _claim, _thm in (("claim-b1", "thm1"), ("claim-b2", "thm3"), ("claim-b3", "thm5")):
    SIMULATED[_claim] = "exact instance checks (`critmass check-instance`, report section *Verification*)"

# Issue 14's families (docs/field.md).
SIMULATED.update({
    **{i: "`critmass simulate tabular --fix ... --strategy feature-only|unplanting` (GBJ's car experiment); report "
          "section *Finite samples: Gauthier, Bach and Jordan's experiment*"
       for i in ("gbj-feature-only", "gbj-unplanting", "binomial-feature-only", "binomial-unplanting")},
    **{i: "`critmass check-instance` on a file with `collectives`; report section *Several collectives*"
       for i in ("multi-thm1", "multi-cor2", "multi-head-to-head")},
    **{i: "exact JTT firms on instances (`theory.bendov.jtt_success`); report section *Reweighting learners: "
          "Ben-Dov et al.*" for i in ("bendov-alpha-eff", "bendov-jtt-window")},
    **{i: "`numerics.privacy` (randomized response and DP-SGD in JAX); report section *Privacy*"
       for i in ("privacy-rr-bayes", "privacy-rr-finite", "privacy-group")},
    **{i: "`numerics.population` (every fixed point, certified); report section *Who joins*"
       for i in ("population-uniform", "population-budget")},
})

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


def render() -> str:
    """The whole of docs/results.md."""
    from theory.latex import tex
    from theory.paper import families, result
    from theory.refuted import recorded
    from verify import steps

    fams = families()
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
            out += [f"Simulated: {SIMULATED.get(id, SIMULATED.get(id.rsplit('-', 1)[0], 'report section *Reweighting* and `critmass simulate reweight`' if id.startswith('reweight') else 'not simulated'))}.", ""]
    return "\n".join(out)
