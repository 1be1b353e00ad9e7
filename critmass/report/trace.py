"""Every number printed in report.tex must come from results.json: read the numbers back and match them.

A printed number matches a number of results.json when it is that number at the printed precision (so 0.0821
matches 0.082137...), or when it occurs as written in a string of results.json (a formula, a version, a seed).
"""

from __future__ import annotations

import math
import re

_SCI = re.compile(r"(-?\d+(?:\.\d+)?)\s*\\times\s*10\^\{(-?\d+)\}")
_POW = re.compile(r"(?<![\d.])10\^\{(-?\d+)\}")
#: A number that names a part of a paper (Theorem 7, Figure 1, Section 4.1, eq. (2)) is a reference, not a value.
_REFERENCE = re.compile(r"(Theorems?|Corollary|Corollaries|Proposition|Lemma|Claim|Figure|Section|Appendix|Algorithm|Thm|"
                        r"eq\.)(~|\s)*\(?[A-Z]?\.?\d+(\.\d+)*\)?(,?\s*(and|or)?\s*\d+)*"
                        r"|(ICML|FAccT|NeurIPS|ICLR|COLT|et al\.,)\s*\d{4}")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
#: LaTeX that is markup, not prose: skipped before numbers are read.
_MARKUP = [
    re.compile(r"(?s)^.*?\\begin\{document\}"),  # the preamble
    re.compile(r"%[^\n]*"),  # comments
    re.compile(r"\\includegraphics(\[[^\]]*\])?\{[^}]*\}"),
    re.compile(r"\\(begin|end)\{[a-z*]+\}(\{(?:[lcr|]|p\{[\d.]+\\linewidth\})+\})?"),  # environments, column specs
    re.compile(r"\\renewcommand\{\\arraystretch\}\{[\d.]+\}"),
    re.compile(r"\\setlength\{\\tabcolsep\}\{[\d.]+pt\}"),
    re.compile(r"\\\\\[[^\]]*\]"),  # row spacing
    re.compile(r"\\[A-Za-z]+\d*"),  # control words
]


def printed_numbers(tex: str) -> list[str]:
    """The numbers of a LaTeX text outside its markup, as printed (``1.2 \\times 10^{-4}`` as ``1.2e-4``)."""
    body = tex
    for pattern in _MARKUP[:2]:
        body = pattern.sub(" ", body)
    body = _REFERENCE.sub(" ", body)
    body = _SCI.sub(lambda m: f" {m.group(1)}e{m.group(2)} ", body)
    body = _POW.sub(lambda m: f" 1e{m.group(1)} ", body)
    for pattern in _MARKUP[2:]:
        body = pattern.sub(" ", body)
    return _NUMBER.findall(body)


def _leaves(doc, numbers: list, strings: set) -> None:
    if isinstance(doc, dict):
        for k, v in doc.items():
            strings.update(_NUMBER.findall(str(k)))
            _leaves(v, numbers, strings)
    elif isinstance(doc, (list, tuple)):
        for v in doc:
            _leaves(v, numbers, strings)
    elif isinstance(doc, bool) or doc is None:
        return
    elif isinstance(doc, (int, float)):
        numbers.append(float(doc))
    else:
        s = str(doc)
        strings.update(_NUMBER.findall(s))
        for m in _SCI.finditer(s):
            strings.add(f"{m.group(1)}e{m.group(2)}")


def _digits(printed: str) -> float:
    """Half a unit in the last printed digit: the rounding a printed number may carry."""
    mant, _, exp = printed.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    return 0.5 * 10.0 ** (-decimals + (int(exp) if exp else 0))


def untraced(tex: str, doc) -> list[str]:
    """The numbers printed in ``tex`` that no number or string of ``doc`` (results.json) accounts for.

    A report's section (``\\label{sec:KEY}``) is matched against its own part of results.json
    (``sections.KEY``) and the run's provenance; the rest of the text against the provenance.
    """
    if not isinstance(doc, dict) or "sections" not in doc:
        return _untraced(tex, doc)
    top = {k: v for k, v in doc.items() if k != "sections"}
    parts = re.split(r"\\label\{sec:([\w-]+)\}", tex)
    out = _untraced(parts[0], top)
    for key, body in zip(parts[1::2], parts[2::2]):
        out += _untraced(body, {"run": top, "section": doc["sections"].get(key)})
    return out


def _untraced(tex: str, doc) -> list[str]:
    numbers: list[float] = []
    strings: set[str] = set()
    _leaves(doc, numbers, strings)
    values = sorted(numbers)
    out = []
    for p in printed_numbers(tex):
        if p in strings or p.lstrip("-") in strings:
            continue
        x, tol = float(p), _digits(p)
        if any(math.isclose(abs(x), abs(v), rel_tol=0, abs_tol=tol * (1 + 1e-9)) for v in values):
            continue
        out.append(p)
    return out
