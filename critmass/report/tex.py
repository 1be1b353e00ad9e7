"""LaTeX pieces for the report's prose: escaped text, numbers as printed, booktabs tables.

Escaping is pylatexenc's; numbers go through ``num`` so that the traceability check (critmass.report.trace)
can read them back.
"""

from __future__ import annotations

import math
from fractions import Fraction

from theory.latex import text  # plain text with inline $math$, escaped: one implementation for theory and report

__all__ = ["text", "tt", "commands", "num", "frac", "table", "fmt_alpha"]


def tt(s: str) -> str:
    r"""``\texttt`` of plain text, escaped, allowed to break after a dot, dash or underscore."""
    from pylatexenc.latexencode import unicode_to_latex

    body = unicode_to_latex(str(s), non_ascii_only=False)
    for ch in (".", "-", r"\_", "/", ",", "=", "]"):
        body = body.replace(ch, ch + r"\allowbreak{}")
    return rf"\texttt{{{body}}}"


def commands(*lines: str) -> str:
    r"""Shell commands set off from the prose, one a line, ragged right: a typewriter font's spaces do not stretch,
    so a long command inside a justified paragraph overflows the margin."""
    return "\\begin{flushleft}\n" + " \\\\\n".join(tt(c) for c in lines) + "\n\\end{flushleft}"


def num(x, digits: int = 3) -> str:
    r"""A number for math mode: ``digits`` significant digits, ``a \times 10^{k}`` when small or large
    (as Python's ``g`` format decides: an exponent below -4 or at least ``digits``).

    >>> num(0.0000123), num(0.000123), num(12345.0, 2), num(float("inf")), num(3)
    ('1.23 \\times 10^{-5}', '0.000123', '1.2 \\times 10^{4}', '\\infty', '3')
    """
    if isinstance(x, bool):
        raise TypeError("a bool is not a number to print")
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if math.isnan(x):
        return r"\text{n/a}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    s = f"{x:.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return s


def fmt_alpha(x) -> str:
    """A collective size in math mode (3 significant digits)."""
    return num(x, 3)


def frac(s) -> str:
    r"""An exact value (a Fraction or its string) in math mode: ``\tfrac{a}{b}``; ``--`` for None."""
    if s is None:
        return r"\text{--}"
    f = Fraction(s)
    sign = "-" if f < 0 else ""
    f = abs(f)
    return rf"{sign}\tfrac{{{f.numerator}}}{{{f.denominator}}}" if f.denominator != 1 else f"{sign}{f.numerator}"


def table(header: list[str], rows: list[list[str]], align: str, long: bool = False, small: bool = True,
          stretch: float = 1.0, colsep_pt: float | None = None) -> str:
    """A booktabs table (a longtable when ``long``: it may break across pages) of cells already in LaTeX."""
    head = " & ".join(header) + r" \\"
    body = "\n".join(" & ".join(r) + r" \\" for r in rows)
    pre = ((r"{\small" if small else "{") + (rf"\renewcommand{{\arraystretch}}{{{stretch:g}}}" if stretch != 1 else "")
           + (rf"\setlength{{\tabcolsep}}{{{colsep_pt:g}pt}}" if colsep_pt is not None else ""))
    if long:
        return (pre + rf"\begin{{longtable}}{{{align}}}" "\n" r"\toprule" "\n" + head + "\n" r"\midrule" "\n"
                r"\endhead" "\n" r"\bottomrule" "\n" r"\endfoot" "\n" + body + "\n" r"\end{longtable}}")
    return (r"\begin{center}" + pre + rf"\begin{{tabular}}{{{align}}}" "\n" r"\toprule" "\n" + head + "\n"
            r"\midrule" "\n" + body + "\n" r"\bottomrule" "\n" r"\end{tabular}}\end{center}")
