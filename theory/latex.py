"""LaTeX for the theory: each result in a theorem environment, and a standalone document.

The formulas come from sympy.latex of the derived objects; only the prose is written by hand.
"""

from __future__ import annotations

import itertools

import sympy as sp

from theory.evaluate import evaluate
from theory.paper import results
from theory.parameters import SUCCESS, SYMBOLS, latex
from theory.refuted import recorded
from theory.result import Result

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=1in]{geometry}
\usepackage{amsmath,amssymb,amsthm}
% Results keep the paper's own numbers, so the environment takes the name as its argument.
\newenvironment{result}[2]{\par\medskip\noindent\textbf{#1} (#2).\itshape\ }{\par\medskip}
\allowdisplaybreaks
"""


def tex(expr: sp.Basic) -> str:
    """sympy.latex with every parameter's own LaTeX name (``Parameter.tex``) and alpha* as ``\\alpha^*``."""
    return latex(expr)


def display_name(r: Result) -> str:
    """The name the paper gives a result, e.g. 'Theorem 1', 'Claim B.1' or 'Theorem 1, corrected'."""
    prefix = "critmass correction of "
    if r.source.startswith(prefix):
        return r.source[len(prefix):].split(" (")[0] + f", corrected ({r.notion})"
    parts = r.source.split(", ")
    if len(parts) > 1:
        return parts[1].split(" (")[0]
    return r.kind.capitalize()


def render(r: Result) -> str:
    """One result as a theorem environment: prose, then its formulas as derived."""
    lines = [rf"\begin{{result}}{{{display_name(r)}}}{{{r.title}; {r.source}}}", r.statement, *validity(r)]
    lines.append(r"\begin{align*}")
    if r.bound is not None:
        lines.append(rf"  {tex(SUCCESS(SYMBOLS['alpha']))} &\geq {tex(r.bound)}")
    elif r.critical_mass is not None:
        lines.append(rf"  \alpha^* &\leq {tex(r.critical_mass.alpha_star)}")
    else:
        lines.append(rf"  & {tex(r.conclusion)}")
    lines.append(r"\end{align*}")
    if r.hypotheses:
        conds = ", ".join(f"${tex(h)}$" for h in r.hypotheses)
        lines.append(rf"Hypotheses: {conds}.")
    if r.critical_mass is not None and r.kind != "proposition":
        cm = r.critical_mass
        lines.append(rf"Derived from {r.derived_from} by solving ${tex(cm.target)}$ for $\alpha$; valid where "
                     rf"${tex(cm.reachable)}$ (otherwise unreachable) and ${tex(sp.Not(cm.degenerate))}$ "
                     r"(otherwise every $\alpha > 0$ succeeds).")
    if r.printed is not None:
        same = "equals" if r.derived_equals_printed() else "differs from"
        lines.append(rf"The derived formula {same} the printed one, $\alpha^* \leq {tex(r.printed)}$.")
    for name, expr in r.extras.items():
        lines.append(rf"\[ \text{{{name.replace('_', ' ')}}} = {tex(expr)} \]")
    lines.append(r"\end{result}")
    return "\n".join(lines)


def validity(r: Result) -> list[str]:
    """theory.refuted's verdicts on ``r`` as LaTeX sentences: refuted where, the evidence, what to use."""
    out = []
    for ref in recorded(r.id):
        steps = ", ".join(rf"\texttt{{{s}}}" for s in ref.steps)
        use = rf"\texttt{{{ref.use}}}" + (f" (notion {ref.use_notion})" if ref.use_notion else "")
        where = r"$0 < \epsilon < 1/2$" if ref.where_text() == "0 < epsilon < 1/2" else rf"${tex(ref.where)}$"
        firms = " and ".join(ref.firms)
        if r.notion is not None and ref.applies(r.notion):
            out.append(rf"\textbf{{Refuted}} for {where} against {firms}-$\epsilon$-optimal firms (Z3: {steps}); "
                       rf"use {use}.")
        elif r.notion == ref.form:
            out.append(rf"\textbf{{Valid for {r.notion} firms only}}: against {firms}-$\epsilon$-optimal firms it "
                       rf"is refuted for {where} (Z3: {steps}); use {use} there.")
    return out


#: The critical-mass table's result: Corollary 2 in the form valid for eps > 0 (the printed one is refuted
#: there), against TV-eps-optimal firms; at eps = 0 it equals the printed Corollary 2.
TABLE_RESULT, TABLE_NOTION = "cor2-corrected", "tv"


def critical_mass_table(S_star: float = 0.9, xis=(1e-4, 1e-3, 1e-2), Deltas=(0.25, 1.0), epsilons=(0.0, 0.01, 0.05)) -> str:
    """A tabular of Corollary 2's alpha* (``TABLE_RESULT`` under ``TABLE_NOTION``) over xi, Delta, epsilon at one S*."""
    rows = [r"\begin{tabular}{rr" + "r" * len(epsilons) + "}",
            r"$\xi$ & $\Delta$ & " + " & ".join(rf"$\epsilon={e:g}$" for e in epsilons) + r" \\ \hline"]
    for xi, Delta in itertools.product(xis, Deltas):
        cells = []
        for e in epsilons:
            a = evaluate(TABLE_RESULT, "critical_mass", dict(xi=xi, Delta=Delta, epsilon=e, S_star=S_star),
                         notion=TABLE_NOTION)
            cells.append("unreachable" if a == float("inf") else f"{a:.4g}")
        rows.append(rf"{xi:g} & {Delta:g} & " + " & ".join(cells) + r" \\")
    rows.append(r"\end{tabular}")
    return "\n".join(rows)


TABLE_CAPTION = (r"Upper bounds on $\alpha^*$ from Corollary 2 in the form valid for $\epsilon > 0$ against "
                 r"TV-$\epsilon$-optimal firms (\texttt{cor2-corrected}, notion tv; at $\epsilon = 0$ it is the "
                 r"printed Corollary 2, which is refuted for $\epsilon > 0$), evaluated from the derived formula.")


def document(S_star: float = 0.9) -> str:
    """A standalone LaTeX document: every result as derived, and a table of critical masses."""
    body = "\n\n".join(render(r) for r in results().values())
    return (PREAMBLE + r"\title{critmass: the results of Hardt et al.\ (2023), as derived}" "\n"
            r"\date{}" "\n" r"\begin{document}" "\n" r"\maketitle" "\n"
            r"\section{Results}" "\n" + body + "\n\n"
            rf"\section{{Critical mass of feature-label strategies at $S^* = {S_star:g}$}}" "\n"
            + TABLE_CAPTION + "\n\n"
            r"\begin{center}" "\n" + critical_mass_table(S_star) + "\n" r"\end{center}" "\n"
            r"\end{document}" "\n")
