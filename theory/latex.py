"""LaTeX for the theory: each result in an amsthm environment with its source, fragments and a standalone document.

The formulas come from sympy.latex of the derived objects, put in their shortest equal form (``tidy``); prose
is the results' own, escaped by pylatexenc. A fragment ``\\input``s into any article that loads amsmath,
amssymb and amsthm: it defines its one environment only where it is not defined yet.
"""

from __future__ import annotations

import functools
import itertools
import re
from fractions import Fraction

import sympy as sp

from theory.evaluate import evaluate
from theory.paper import result, results
from theory.parameters import PARAMETERS, SUCCESS, SYMBOLS, latex
from theory.refuted import recorded
from theory.result import Result
from theory.statement import MATH_SPAN

#: The result environment: amsthm, unnumbered (results keep the paper's own names, given as the argument).
#: Guarded so that a fragment \input twice, or into a paper that has it, defines it once.
RESULT_ENVIRONMENT = r"""\makeatletter
\providecommand\critmassname{}
\@ifundefined{critmassresult}{%
  \newtheorem*{critmassresult@}{\critmassname}%
  \newenvironment{critmassresult}[1]{\renewcommand\critmassname{#1}\begin{critmassresult@}}{\end{critmassresult@}}%
}{}
% A displayed formula wider than the line is scaled to the line (where graphicx is loaded), never overfull.
\providecommand\critmassfit[1]{\sbox0{$\displaystyle #1$}\ifdim\wd0>\linewidth
  \@ifundefined{resizebox}{\usebox0}{\resizebox{\linewidth}{!}{\usebox0}}\else\usebox0\fi}
\makeatother
"""

PACKAGES = r"""\usepackage[margin=1in]{geometry}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{microtype}
\usepackage{amsmath,amssymb,amsthm}
\usepackage{booktabs}
\usepackage{graphicx}
"""

PREAMBLE = r"\documentclass[11pt]{article}" "\n" + PACKAGES + RESULT_ENVIRONMENT + r"\allowdisplaybreaks" "\n"

#: Plain-text spellings of parameters in titles and notes ("eps > 0"), and the parameter each one means.
_ALIASES = {"eps": "epsilon", **{name: name for name in PARAMETERS}}
_RELATION = re.compile(r"(?<![\w\\])(" + "|".join(sorted(map(re.escape, _ALIASES), key=len, reverse=True))
                       + r")\s*(<=|>=|<|>|=)\s*(-?\d+(?:\.\d+)?(?:/\d+)?)(?![\w.])")
#: Web addresses and file paths (set in typewriter, breakable after / . - _).
_URL = re.compile(r"\b([\w.-]+\.(?:com|org|io|net)/[\w./-]*[\w/]|[\w.-]+(?:/[\w.-]+)+\.(?:py|md|json|toml|csv|tsv|txt))\b")
_OPS = {"<=": r"\leq", ">=": r"\geq", "<": "<", ">": ">", "=": "="}


def tex(expr: sp.Basic) -> str:
    """sympy.latex with every parameter's own LaTeX name (``Parameter.tex``) and alpha* as ``\\alpha^*``."""
    return latex(expr)


def text(s: str) -> str:
    r"""Plain prose as LaTeX text: ``$...$`` kept as math, "eps > 0" and the like set as math, web addresses set in
    typewriter with breaks after their dots and slashes, the rest escaped by pylatexenc.

    >>> text("corrected for eps > 0 & more")
    'corrected for $\\epsilon > 0$ \\& more'
    """
    out = []
    for i, part in enumerate(MATH_SPAN.split(s)):  # the formulas a results file's check read
        if i % 2:
            out.append(part)
            continue
        for j, piece in enumerate(_URL.split(part)):
            out.append(_address(piece) if j % 2 else _prose(piece))
    return "".join(out)


def _prose(part: str) -> str:
    from pylatexenc.latexencode import unicode_to_latex

    out, pos = [], 0
    for m in _RELATION.finditer(part):
        out.append(unicode_to_latex(part[pos:m.start()], non_ascii_only=False))
        name, op, value = m.groups()
        out.append(f"${PARAMETERS[_ALIASES[name]].tex} {_OPS[op]} {value}$")
        pos = m.end()
    out.append(unicode_to_latex(part[pos:], non_ascii_only=False))
    return "".join(out)


def _address(url: str) -> str:
    from pylatexenc.latexencode import unicode_to_latex

    body = unicode_to_latex(url, non_ascii_only=False)
    return r"\texttt{" + re.sub(r"([/.-]|\\_)", r"\1\\allowbreak{}", body) + "}"


def _flipped_fraction(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` as one fraction whose factors read with a leading plus: ``(1 - e)`` rather than ``(-1 + e)``."""
    n, d = sp.fraction(sp.factor(expr))
    if d == 1:
        return None
    factors, sign = [], 1
    for f in sp.Mul.make_args(d):
        base, exp = f.as_base_exp()
        if exp.is_integer and exp % 2 == 1 and len(tex(-base)) < len(tex(base)):
            flipped = sp.expand(-base)
            factors.append(flipped if exp == 1 else sp.Pow(flipped, exp, evaluate=False))
            sign = -sign
        else:
            factors.append(f)
    n = sp.expand(sign * n)
    n = min([n] + [sp.collect(n, s, func=sp.factor) for s in sorted(n.free_symbols, key=str)], key=reading_cost)
    return sp.Mul(n, sp.Pow(sp.Mul(*factors, evaluate=False), -1, evaluate=False), evaluate=False)


def _combined_logs(expr: sp.Expr) -> sp.Expr:
    """Sums of logarithms as the logarithm of one tidied quotient: a log(x) - a log(y) = a log(x/y)."""
    def combine(e):
        if isinstance(e, sp.Add) and all(isinstance(sp.Mul(t).as_coeff_Mul()[1], sp.log) for t in e.args):
            arg = sp.Mul(*(t.as_coeff_Mul()[1].args[0] ** t.as_coeff_Mul()[0] for t in e.args))
            return sp.log(_flipped_fraction(arg) or arg, evaluate=False)
        return e
    return expr.replace(lambda e: isinstance(e, sp.Add), combine)


def _collected_logs(expr: sp.Expr) -> sp.Expr | None:
    """Logarithms split, collected by their common factor and combined into one: a log(x) + a log(y) - a log(z)
    = a log(xy/z). Splitting ignores signs (``force``), so the form is kept only where it agrees with ``expr`` at
    a few points inside (0, 1/5) for every symbol (where ``expr`` is real there)."""
    if not expr.has(sp.log):
        return None
    split = sp.expand_log(expr, force=True)
    out = _combined_logs(sp.factor_terms(sp.collect(sp.expand(split), sorted(split.atoms(sp.log), key=str))))
    symbols = sorted(expr.free_symbols, key=str)
    from theory.expr import Beyond, guard
    for k in range(3):
        point = {s: sp.Rational(3 + 5 * k + i % 7, 100) for i, s in enumerate(symbols)}
        try:  # sympy's evalf of a part beyond 2**MAX_BITS may never return: then the form is not checked, not kept
            guard(expr, point)
            guard(out, point)
        except Beyond:
            return None
        want, got = complex(expr.subs(point).evalf()), complex(out.subs(point).evalf())
        if want.imag or got.imag or abs(want - got) > 1e-12 * (1 + abs(want)):
            return None
    return out


@functools.cache
def tidy(expr: sp.Basic) -> sp.Basic:
    r"""An equal form of ``expr`` that reads shortest (by its LaTeX length): factored, cancelled, as one fraction
    with leading plus signs, or with its logarithms combined. Relations and Boolean combinations are tidied
    side by side.

    >>> e, a = SYMBOLS["epsilon"], SYMBOLS["alpha"]
    >>> tex(tidy(-e / ((e - 1) * a)))
    '\\frac{\\epsilon}{\\alpha \\left(1 - \\epsilon\\right)}'
    """
    if isinstance(expr, sp.logic.boolalg.BooleanAtom) or not isinstance(expr, sp.Basic):
        return expr
    if expr.is_Relational:
        return expr.func(tidy(expr.lhs), tidy(expr.rhs), evaluate=False)
    if isinstance(expr, sp.logic.boolalg.BooleanFunction):
        return expr.func(*(tidy(a) for a in expr.args))
    if not isinstance(expr, sp.Expr) or expr.is_Atom:
        return expr
    candidates = [expr]
    for f in (sp.factor, sp.cancel, _flipped_fraction, _combined_logs, _collected_logs):
        try:
            candidates.append(f(expr))
        except (TypeError, ValueError, NotImplementedError, AttributeError, ZeroDivisionError):  # sympy gives up
            continue
    return min((c for c in candidates if c is not None), key=reading_cost)


def reading_cost(expr) -> tuple[int, int]:
    """Characters of the LaTeX (without \\left/\\right), a leading minus sign costing as much as a dozen."""
    s = tex(expr).replace(r"\left", "").replace(r"\right", "")
    return len(s) + 12 * len(re.findall(r"(^|[({])\s*-", s)), sp.count_ops(expr)


def display_name(r: Result) -> str:
    r"""LaTeX: the name the paper gives a result, e.g. 'Theorem 1', 'Claim B.1' or 'Theorem 1, corrected'; a result
    of an extension module (not the paper's) by its kind and id, e.g. 'Theorem \texttt{gbj}'."""
    from theory.catalog import is_builtin
    prefix = "critmass correction of "
    if r.source.startswith(prefix) and is_builtin(r.id):
        return r.source[len(prefix):].split(" (")[0] + f", corrected ({r.notion})"
    if r.id not in results():
        breakable = text(r.id).replace("-", r"-\allowbreak{}")  # a stated id may hold '_' (theory.statement.ID)
        return rf"{r.kind.capitalize()} \texttt{{{breakable}}}"
    parts = r.source.split(", ")
    if len(parts) > 1:
        return parts[1].split(" (")[0]
    return r.kind.capitalize()


def _display(t: str) -> str:
    """A displayed formula, scaled to the line where it is wider (``\\critmassfit``)."""
    return rf"\[ \critmassfit{{{t}}} \]"


def _math(t: str) -> str:
    """Inline math for a short formula, displayed for a long one (so that no line overflows)."""
    return f"${t}$" if len(t) <= 60 else _display(t)


def _nontrivial(cond) -> bool:
    return cond is not None and cond is not sp.true and cond != sp.true


def render(r: Result) -> str:
    """One result as an amsthm environment: its paper name, title and source, prose, the notion of eps-optimality
    it is read under, theory.refuted's verdicts on it, then its derived formulas (a stated result may carry both its
    bound and its critical mass)."""
    lines = [rf"\begin{{critmassresult}}{{{display_name(r)}}}[{{{text(r.title)}; {text(r.source)}}}]",
             statement(r), *notion(r), *validity(r)]
    if r.bound is not None:
        lines.append(_display(rf"{tex(SUCCESS(SYMBOLS['alpha']))} \geq {tex(tidy(r.bound))}"))
    if r.critical_mass is not None:
        lines.append(_display(rf"\alpha^* \leq {tex(tidy(r.critical_mass.alpha_star))}"))
    if r.bound is None and r.critical_mass is None:
        lines.append(_display(tex(r.conclusion)))
    cm = r.critical_mass
    hypotheses = [h for h in r.hypotheses if _nontrivial(h) and not (cm is not None and h == cm.reachable)]
    if hypotheses:
        lines.append("Hypotheses: " + ", ".join(_math(tex(tidy(h))) for h in hypotheses) + ".")
    # derived from another result (a corollary), or from this result's own bound (a stated bound with a target,
    # theory.catalog, which adds the reachability condition to the hypotheses); a stated critical mass is not derived
    own = r.derived_from is None and r.bound is not None and cm is not None and any(h == cm.reachable
                                                                                  for h in r.hypotheses)
    if cm is not None and (r.derived_from is not None or own):
        source = "the bound above" if own else display_name(result(r.derived_from))
        sentence = rf"Derived from {source}{',' if ',' in source else ''} by solving the bound $\geq {tex(cm.target)}$ " \
                   r"for $\alpha$"
        where = []
        if _nontrivial(cm.reachable):
            where.append(rf"valid where {_math(tex(tidy(cm.reachable)))} (otherwise no $0 < \alpha \leq 1$ reaches it)")
        if cm.degenerate is not sp.false and cm.degenerate != sp.false:
            where.append(rf"except where {_math(tex(tidy(cm.degenerate)))} (then every $\alpha > 0$ succeeds)")
        lines.append(sentence + ("; " + " and ".join(where) if where else "") + ".")
    if r.printed is not None:
        same = "equals" if r.derived_equals_printed() else "differs from"
        lines.append(rf"The derived formula {same} the printed one, $\alpha^* \leq {tex(r.printed)}$.")
    for name, expr in r.extras.items():
        lines.append(_display(rf"\text{{{text(name.replace('_', ' '))}}} = {tex(tidy(expr))}"))
    for note in r.notes:
        lines.append(rf"\emph{{Note.}} {text(note)}")
    lines.append(r"\end{critmassresult}")
    return "\n".join(lines)


def statement(r: Result) -> str:
    """A result's statement as LaTeX: a built-in one is the project's own LaTeX, as written; a stated one (a results
    file, the API) is prose, escaped as text outside its ``$...$`` formulas (``text``), so that no command in it
    runs (a results file's formulas are checked when it is read: theory.statement.prose_problem)."""
    from theory.catalog import is_builtin
    return r.statement if is_builtin(r.id) else text(r.statement)


def notion(r: Result) -> list[str]:
    """The notion of eps-optimality a result with an epsilon is read under, as a LaTeX sentence."""
    from theory.notions import DEFINITIONS_TEX
    return [] if r.notion is None else [rf"The firm is {DEFINITIONS_TEX[r.notion]}."]


def validity(r: Result) -> list[str]:
    """theory.refuted's verdicts on ``r`` as LaTeX sentences: refuted where, the evidence, what to use."""
    out = []
    for ref in recorded(r.id):
        steps = ", ".join(_address(s) for s in ref.steps)
        use = _address(ref.use) + (f" (notion {ref.use_notion})" if ref.use_notion else "")
        where = r"$0 < \epsilon < 1/2$" if ref.where_text() == "0 < epsilon < 1/2" else rf"${tex(ref.where)}$"
        firms = " and ".join(ref.firms)
        if r.notion is not None and ref.applies(r.notion):
            out.append(rf"\textbf{{Refuted}} for {where} against {firms}-$\epsilon$-optimal firms (Z3: {steps}); "
                       rf"use {use}.")
        elif r.notion == ref.form:
            out.append(rf"\textbf{{Valid for {r.notion} firms only}}: against {firms}-$\epsilon$-optimal firms it "
                       rf"is refuted for {where} (Z3: {steps}); use {use} there.")
    return out


def fragment(ids, standalone: bool = False) -> str:
    """The named results, to ``\\input`` into a paper (it needs amsmath, amssymb, amsthm), or a whole document."""
    chosen = [result(i) for i in ids]  # an unknown id raises InputError naming the known ones
    body = "\n\n".join(render(r) for r in chosen)
    if standalone:
        return PREAMBLE + r"\begin{document}" "\n" + body + "\n" r"\end{document}" "\n"
    return (f"% critmass latex {' '.join(ids)}: generated from theory/; \\input this into a document that loads\n"
            "% amsmath, amssymb and amsthm.\n" + RESULT_ENVIRONMENT + body + "\n")


#: The critical-mass table's result for epsilon > 0: Corollary 2 in the form valid there against TV-eps-optimal
#: firms (the printed one is refuted for 0 < eps < 1/2, theory.refuted); at eps = 0 the printed Corollary 2.
TABLE_RESULT, TABLE_NOTION = "cor2-corrected", "tv"


def decimal_of(value) -> Fraction:
    """A float as the shortest decimal that reads back as it (``repr``): the number as written in the source or
    typed (0.05 -> 1/20); a Fraction as it is.

    >>> decimal_of(0.05), decimal_of(1e-4)
    (Fraction(1, 20), Fraction(1, 10000))
    """
    return value if isinstance(value, Fraction) else Fraction(repr(float(value)))


def critical_mass_rows(S_star: float = 0.9, xis=(1e-4, 1e-3, 1e-2), Deltas=(0.25, 1.0),
                       epsilons=(0.0, 0.01, 0.05)) -> list[dict]:
    """Corollary 2's alpha* over a grid: the printed corollary at epsilon = 0, ``TABLE_RESULT`` under
    ``TABLE_NOTION`` for epsilon > 0 (where verify/ refutes the printed one); ``id`` and ``notion`` say which
    result gave each value (inf: unreachable). Each grid value is read as the decimal it is written as
    (``decimal_of``: 0.05 is 1/20, 0.9 is 9/10), so eps = 0.05 and S* = 0.9 are the tie 1 - 2 eps = S* (alpha* = 1),
    as the table prints them, not the binary floats nearest them (for which 1 - 2 eps < S*).
    """
    rows = []
    for xi, Delta in itertools.product(xis, Deltas):
        for e in epsilons:
            id, notion = ("cor2", None) if e == 0 else (TABLE_RESULT, TABLE_NOTION)
            at = {k: decimal_of(v) for k, v in dict(xi=xi, Delta=Delta, epsilon=e, S_star=S_star).items()}
            value = float(evaluate(id, "critical_mass", at, notion=TABLE_NOTION))
            rows.append({"xi": xi, "Delta": Delta, "epsilon": e, "id": id, "notion": notion, "S_star": S_star,
                         "alpha_star": value})
    return rows


def critical_mass_table(S_star: float = 0.9, xis=(1e-4, 1e-3, 1e-2), Deltas=(0.25, 1.0),
                        epsilons=(0.0, 0.01, 0.05), rows: list[dict] | None = None) -> str:
    """A booktabs tabular of ``critical_mass_rows`` (given, or computed from the grid)."""
    rows = rows if rows is not None else critical_mass_rows(S_star, xis, Deltas, epsilons)
    epsilons = sorted({r["epsilon"] for r in rows})
    cells: dict = {}
    for r in rows:
        a = r["alpha_star"]
        cells.setdefault((r["xi"], r["Delta"]), {})[r["epsilon"]] = \
            "unreachable" if a is None or a == float("inf") else f"${a:.4g}$"
    head = [r"$\xi$", r"$\Delta$"] + [rf"$\epsilon={e:g}$" + ("" if e == 0 else "$^\\dagger$") for e in epsilons]
    out = [r"\begin{tabular}{rr" + "r" * len(epsilons) + "}", r"\toprule", " & ".join(head) + r" \\", r"\midrule"]
    for (xi, Delta), byeps in cells.items():
        out.append(rf"${xi:g}$ & ${Delta:g}$ & " + " & ".join(byeps[e] for e in epsilons) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out)


CRITICAL_MASS_NOTE = (r"Columns marked $^\dagger$ use Corollary 2 in the form valid for $\epsilon > 0$ against "
                      r"TV-$\epsilon$-optimal firms (\texttt{cor2-corrected}, notion tv): Z3 refutes the printed "
                      r"$\epsilon$-extension of Theorem 1 for $0 < \epsilon < 1/2$, and with it the printed Corollary 2 "
                      r"(Section Verification). At $\epsilon = 0$ the printed Corollary 2 holds and both forms agree.")


def document(S_star: float = 0.9) -> str:
    """A standalone LaTeX document: every result as derived, and a table of critical masses."""
    body = "\n\n".join(render(r) for r in results().values())
    return (PREAMBLE + r"\title{critmass: the results of Hardt et al.\ (2023), as derived}" "\n"
            r"\date{}" "\n" r"\begin{document}" "\n" r"\maketitle" "\n"
            r"\section{Results}" "\n" + body + "\n\n"
            rf"\section{{Critical mass of feature-label strategies at $S^* = {S_star:g}$}}" "\n"
            r"Upper bounds on $\alpha^*$ from Corollary 2, evaluated from the derived formula. "
            + CRITICAL_MASS_NOTE + "\n\n"
            r"\begin{center}" "\n" + critical_mass_table(S_star) + "\n" r"\end{center}" "\n"
            r"\end{document}" "\n")
