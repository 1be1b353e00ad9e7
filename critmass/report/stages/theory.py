"""Stage "theory": every result derived afresh and typeset, the corollaries checked against their printed forms,
which result verify/ refutes under which notion of eps-optimality (theory.refuted), Theorem 1's bound drawn (the
paper's Figure 1) and Corollary 2's critical mass tabulated, both from the forms valid where they are drawn.
"""

from __future__ import annotations

import os
import time

import numpy as np

from critmass.report.base import Context, Plot, Stage
from critmass.report.style import subplots
from critmass.report.tex import num

XIS = (1e-4, 1e-3, 1e-2, 1e-1)
EPSILON = 0.05  # Figure 1's suboptimal firm, drawn with the corrected bound (the printed one is refuted for eps > 0)
NOTION = "tv"  # the notion Figure 1's corrected curves are read under (the paper's Definition 2)
S_STAR = 0.9
#: The validity table's columns: (the notion the result's formula is written for, the notion of the firms).
FORMS = (("tv", "tv"), ("mixture", "mixture"), ("mixture", "tv"))


def validity_rows(ids) -> list[dict]:
    """Per result with an epsilon, per column of ``FORMS``: valid, or refuted where, the Z3 steps, what to use."""
    from theory.refuted import refutations

    rows = []
    for id in ids:
        cells = []
        for form, firms in FORMS:
            found = refutations(id, firms, form)
            cells.append({"form": form, "firms": firms, "valid": not found,
                          **({"where": found[0].where_text(), "steps": list(found[0].steps), "use": found[0].use,
                              "use_notion": found[0].use_notion} if found else {})})
        rows.append({"id": id, "cells": cells})
    return rows


class _fresh_derivations:
    """Derive afresh (theory.cache's disk cache off), so that the derivation time printed is sympy's own."""

    def __enter__(self):
        self.old = os.environ.get("CRITMASS_CACHE")
        os.environ["CRITMASS_CACHE"] = "off"

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("CRITMASS_CACHE", None)
        else:
            os.environ["CRITMASS_CACHE"] = self.old


def derivation(r) -> str:
    """How a stated result's critical mass was derived, or why it was not (plain text; empty when neither)."""
    cm = r.critical_mass
    refused = [n for n in r.notes if n.startswith("critical mass not derived")]
    if cm is not None and cm.monotonicity:
        how = "closed form" if cm.method == "closed form" else f"certified numeric inverse ({cm.reason})"
        return f"Critical mass: {how}; non-decreasing in alpha: {cm.monotonicity}."
    if refused:
        return refused[0] + "."
    return ""


def compute(ctx: Context) -> dict:
    from theory import catalog, latex
    from theory.evaluate import evaluate
    from theory.paper import results

    catalog.clear()  # forget derived results (registered statements stay), so that all derive afresh
    t0 = time.perf_counter()
    with _fresh_derivations():
        derived = results()
        # results stated in results files (--results) or from Python (theory.catalog.register): derived the same way
        stated = [catalog.result(i) for fam, ids in catalog.families().items() if fam not in catalog.BUILTIN
                  for i in ids]
    derive_s = time.perf_counter() - t0
    checks = {id: bool(r.derived_equals_printed()) for id, r in derived.items() if r.printed is not None}
    if not all(checks.values()):
        raise AssertionError(f"derived critical mass differs from the printed one for {[i for i, ok in checks.items() if not ok]}")
    alphas = np.geomspace(1e-5, 1.0, 400)
    curves = []
    for xi in XIS:
        for id, eps in (("thm1", 0.0), ("thm1-corrected", EPSILON)):
            # thm1 only at eps = 0, where it holds; evaluate refuses it on 0 < eps < 1/2 (theory.refuted)
            s = np.asarray(evaluate(id, "bound", dict(alpha=alphas, xi=xi, Delta=1.0, epsilon=eps), notion=NOTION),
                           dtype=float)
            curves.append({"id": id, "notion": NOTION if eps > 0 else None, "xi": xi, "Delta": 1.0, "epsilon": eps,
                           "bound": s.tolist()})
    from theory.paper import extension_results, families

    # one line per built-in extension result; a stated result is printed once, in full, under Stated results
    stated_ids = {r.id for r in stated}
    others = {fam: [{"id": i, "title": extension_results()[i].title, "kind": extension_results()[i].kind,
                     "source": extension_results()[i].source} for i in ids if i not in stated_ids]
              for fam, ids in families().items() if fam != "paper" and fam in catalog.BUILTIN}
    # the corrected bounds at eps > 0 for the small xis nearly coincide (the eps term dominates): say by how much
    small = np.array([c["bound"] for c in curves if c["id"] == "thm1-corrected" and c["xi"] <= 1e-2])
    shown = (small > 0).all(axis=0)
    overlap = {"xi_max": 1e-2, "spread": float(np.ptp(small[:, shown], axis=0).max()) if shown.any() else None}
    return {"derive_seconds": derive_s, "families": others, "fig1_overlap": overlap, "n_results": len(derived), "n_corollary_checks": len(checks), "results": {id: {"name": latex.display_name(r), "latex": latex.render(r)}
                                                   for id, r in derived.items()},
            "stated": {r.id: {"name": latex.display_name(r), "latex": latex.render(r), "derivation": derivation(r),
                              "family": r.family} for r in stated},
            "n_stated": len(stated), "corollary_checks": checks, "fig1": {"alphas": alphas.tolist(), "n_alphas": len(alphas), "curves": curves},
            "critical_mass": {"S_star": S_STAR, "rows": latex.critical_mass_rows(S_STAR)},
            "validity": validity_rows([i for i, r in derived.items()
                                       if any(p.name == "epsilon" for p in r.parameters)])}


def draw_figure1(data: dict):
    fig, ax = subplots()
    alphas = np.asarray(data["fig1"]["alphas"])
    for i, c in enumerate(data["fig1"]["curves"]):
        s = np.asarray(c["bound"], dtype=float)
        shown = s > 0  # the bound says nothing below 0; draw where it is positive
        label = rf"$\xi={c['xi']:g}$, " + (r"Thm 1, $\epsilon=0$" if c["id"] == "thm1" else
                                           rf"Thm 1 corr. ({c['notion']}), $\epsilon={c['epsilon']:g}$")
        ax.plot(alphas[shown], s[shown], "-" if c["id"] == "thm1" else "--", color=f"C{i // 2}", label=label)
    ax.set(xscale="log", xlabel=r"collective size $\alpha$", ylabel=r"lower bound on $S(\alpha)$", ylim=(0, 1.02))
    ax.legend(ncol=2, loc="upper left")
    return fig


def figures(data: dict) -> list[Plot]:
    f = data["fig1"]
    n = f["n_alphas"]
    caption = (r"Analogue of the paper's Figure 1: Theorem 1's lower bound on success against $\alpha$ ($\Delta = 1$; "
               rf"${n}$ log-spaced sizes in $[{num(min(f['alphas']))}, {num(max(f['alphas']))}]$), evaluated from the "
               r"derived sympy expression, where it is positive. Solid: $\epsilon = 0$, where the printed theorem "
               r"holds; dashed: the $\epsilon$-extension valid against TV-$\epsilon$-optimal firms "
               rf"(\texttt{{thm1-corrected}}, notion tv) at $\epsilon = {num(EPSILON)}$. The printed one is not drawn: "
               r"Z3 refutes it for $0 < \epsilon < 1/2$ under both notions (Section Verification)."
               + ("" if data["fig1_overlap"]["spread"] is None else
                  rf" The dashed curves for $\xi \leq {num(data['fig1_overlap']['xi_max'])}$ differ by at most "
                  rf"${num(data['fig1_overlap']['spread'], 2)}$ where all are positive: the $\epsilon$ term dominates."))
    return [Plot("fig1_theorem1", caption, draw_figure1)]


def write(data: dict) -> str:
    from theory.latex import CRITICAL_MASS_NOTE, critical_mass_table

    checks = data["corollary_checks"]
    names = ", ".join(data["results"][i]["name"] for i in sorted(checks))
    cm = data["critical_mass"]
    return (rf"All ${data['n_results']}$ results were derived by sympy in ${num(data['derive_seconds'])}$\,s; for "
            rf"each of the ${data['n_corollary_checks']}$ results with a printed formula ({names}) the derived critical mass equals "
            r"the printed one (checked symbolically)." "\n\n"
            + "\n\n".join(r["latex"] for r in data["results"].values()) + "\n\n"
            rf"\subsection*{{Critical mass of feature-label strategies at $S^* = {num(cm['S_star'])}$}}" "\n"
            r"Upper bounds on $\alpha^*$ from Corollary 2, evaluated from the derived formula. " + CRITICAL_MASS_NOTE
            + "\n\n" r"\begin{center}" "\n" + critical_mass_table(rows=cm["rows"]) + "\n" r"\end{center}"
            + _stated(data["stated"], data["n_stated"])
            + _validity(data["validity"])
            + "".join(_family(name, rows) for name, rows in data["families"].items()))


def _stated(stated: dict, n: int) -> str:
    """The results stated in results files or from Python, typeset like the paper's, each with its family and how
    its critical mass was derived (its title and source escaped by theory.latex.render: they are plain text a user
    typed). The only place they are printed: the per-family tables list the built-in families alone."""
    from critmass.report.tex import text, tt

    if not stated:
        return ""
    return ("\n\n" r"\subsection*{Stated results}" "\n"
            rf"${n}$ result(s) stated in results files (\texttt{{--results}}) or from Python, derived the "
            "same way:\n\n"
            + "\n\n".join(r["latex"] + rf"\par\noindent Family {tt(r['family'])}."
                           + (rf" {text(r['derivation'])}" if r["derivation"] else "") for r in stated.values()))


def _validity(rows: list[dict]) -> str:
    """The table of theory.refuted's verdicts: each result with an epsilon, read in each notion's form."""
    from critmass.report.tex import table, tt

    def cell(c):
        if c["valid"]:
            return "valid"
        use = tt(c["use"]) + (f" ({c['use_notion']})" if c["use_notion"] else "")
        where = r"$0 < \epsilon < 1/2$" if c["where"] == "0 < epsilon < 1/2" else tt(c["where"])
        return rf"\textbf{{refuted}} on {where}; use {use}"

    head = ["result"] + [rf"{form} form, {firms} firms" for form, firms in FORMS]
    body = [[tt(r["id"])] + [cell(c) for c in r["cells"]] for r in rows]
    steps = sorted({s for r in rows for c in r["cells"] for s in c.get("steps", [])})
    return ("\n\n" r"\subsection*{Which results hold under which notion of $\epsilon$-optimality}" "\n"
            r"A result's \emph{form} is its $\epsilon$-term as written for a notion: tv (the paper's Definition 2: the "
            r"firm is Bayes-optimal for some $P'$ with $\mathrm{TV}(P, P') \leq \epsilon$; budget $2\epsilon$) or "
            r"mixture (Lemma 11's coupling $P' = (1-\epsilon) P + \epsilon Q$; budget $\epsilon/(1-\epsilon)$). "
            r"A mixture-$\epsilon$-optimal firm is TV-$\epsilon$-optimal, not conversely. Each cell is "
            r"\texttt{theory.refuted}'s verdict, with Z3's counterexamples as evidence (steps "
            + ", ".join(tt(s) for s in steps) + "; Section Verification); a refuted formula is never evaluated on "
            r"its refuted range in this report." "\n\n"
            + table(head, body, r"lp{0.22\linewidth}p{0.22\linewidth}p{0.22\linewidth}"))


def _family(name: str, rows: list[dict]) -> str:
    """One line per result of an extension family (every registered family gets its lines)."""
    from critmass.report.tex import table, text, tt

    return ("\n\n" rf"\subsection*{{The {text(name)} family}}" "\n"
            rf"${len(rows)}$ results; each typesets with {tt('critmass latex ID -o FILE')}." "\n\n"
            + table(["id", "kind", "title", "source"],
                    [[tt(r["id"]), r["kind"], text(r["title"]), text(r["source"])] for r in rows],
                    r"p{0.24\linewidth}lp{0.3\linewidth}p{0.22\linewidth}", long=True))


STAGE = Stage("theory", "Results as derived", 10, compute, write, figures,
              results=("thm1", "thm1-corrected", "cor2", "cor2-corrected", "thm3", "thm3-corrected", "cor4",
                       "cor4-corrected", "thm5", "thm5-corrected", "cor6", "cor6-corrected", "lemma11"),
              summary="derive every result, check the corollaries against their printed forms, Figure 1")
