"""Results stated in a TOML file: read, checked, and registered in theory.catalog like any other.

Above theory.statement (which it calls for every result). TOML because Python reads it with the standard
library (``tomllib``, no dependency), its strings are always strings (YAML reads ``no`` as false and
``1e-3`` as a number or text depending on the version), it has comments, and the Python packaging world
already writes ``pyproject.toml`` in it. A file::

    family = "tutorial"                 # optional; default "user"

    [parameters.r]                      # a new parameter: domain, LaTeX name, meaning
    domain = "(0, 1]"
    latex = "r"
    meaning = "share of the collective's data that carries the signal"

    [[results]]
    id = "thm1-share"
    title = "Planting a signal when only a share r of the collective acts"
    source = "my notes, Section 2"
    bound = "1 - (1 - r*alpha)/(r*alpha)*Delta*xi"
    target = "S_star"                   # derive the critical mass of bound >= S_star
    strategy = "feature-label"
    collective = "r*alpha"

    [[results.steps]]
    id = "weaker"
    hypotheses = ["0 < r", "r <= 1"]
    conclusion = "1 - (1 - r*alpha)/(r*alpha)*Delta*xi <= 1 - (1 - alpha)/alpha*Delta*xi"

Every expression is read by theory.expr's restricted parser. Errors name the file, the result and the
field, in one line (InputError).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path

from theory.catalog import register, registered
from theory.errors import InputError
from theory.statement import MATH_FORM, Statement, new_parameter, prose_problem, state

RESULT_KEYS = ("id", "title", "source", "kind", "statement", "parameters", "hypotheses", "bound", "conclusion",
               "target", "critical_mass_of", "critical_mass", "printed", "strategy", "collective", "steps", "notes",
               "derived_from", "notion")
PARAMETER_KEYS = ("domain", "latex", "meaning", "integer")

_loaded: dict[tuple[Path, str], tuple[str, ...]] = {}


def load(path: str | Path) -> tuple[str, ...]:
    """Read a results file, register its results, and return their ids (the same text read twice is read once)."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        seen = (path.resolve(), text)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"--results {where}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    if seen in _loaded and set(_loaded[seen]) <= set(registered()):
        return _loaded[seen]
    stated = parse_text(text, where)
    family = stated[0].family if stated else "user"
    register(*stated, family=family, from_file=True)
    _loaded[seen] = tuple(st.id for st in stated)
    return _loaded[seen]


def parse_text(text: str, where: str = "<text>") -> list[Statement]:
    """The statements of a results file's text (its parameters are declared as a side effect)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{where}: not valid TOML: {e}") from None
    extra = set(doc) - {"family", "parameters", "results"}
    if extra:
        raise InputError(f"{where}: unknown top-level key {sorted(extra)[0]!r}; expected family, parameters, results")
    family = doc.get("family", "user")
    if not isinstance(family, str) or not family.replace("-", "").replace("_", "").isalnum():
        raise InputError(f"{where}: family {family!r}: expected a name of letters, digits, '-' or '_'")
    params = _parameters(doc.get("parameters", {}), where)
    entries = doc.get("results", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{where}: results must be an array of tables ([[results]])")
    out = []
    for i, entry in enumerate(entries):
        out.append(_result(entry, params, f"{where}: results[{i}]", family))
    return out


def _parameters(table, where: str) -> dict:
    if not isinstance(table, dict):
        raise InputError(f"{where}: parameters must be a table of tables ([parameters.NAME])")
    out = {}
    for name, spec in table.items():
        here = f"{where}: parameters.{name}"
        if not isinstance(spec, dict):
            raise InputError(f"{here}: expected a table with {', '.join(PARAMETER_KEYS)}")
        extra = set(spec) - set(PARAMETER_KEYS)
        if extra:
            raise InputError(f"{here}: unknown key {sorted(extra)[0]!r}; expected one of {', '.join(PARAMETER_KEYS)}")
        for key in ("domain", "latex", "meaning"):
            if key in spec and not isinstance(spec[key], str):
                raise InputError(f"{here}: {key} must be text")
        if not isinstance(spec.get("integer", False), bool):
            raise InputError(f"{here}: integer must be true or false")
        try:
            out[name] = new_parameter(name, latex=spec.get("latex", ""), domain=spec.get("domain", "(-inf, inf)"),
                                      meaning=spec.get("meaning", ""), integer=spec.get("integer", False))
        except InputError as e:
            raise InputError(f"{where}: {e}") from None
    return out


def _result(entry: dict, params: dict, where: str, family: str) -> Statement:
    if "id" in entry and isinstance(entry["id"], str):
        where = f"{where} ({entry['id']})"
    extra = set(entry) - set(RESULT_KEYS)
    if extra:
        raise InputError(f"{where}: unknown key {sorted(extra)[0]!r}; expected one of {', '.join(RESULT_KEYS)}")
    for key in ("id", "title", "source"):
        if key not in entry:
            raise InputError(f"{where}: missing {key}")
    for key in ("id", "title", "source", "kind", "statement", "bound", "target", "critical_mass_of", "critical_mass",
                "printed", "strategy", "collective", "derived_from", "conclusion", "notion"):
        if key in entry and not isinstance(entry[key], str):
            raise InputError(f"{where}: {key} must be text (expressions are written as strings)")
    fields = dict(entry)
    names = fields.pop("parameters", None)
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise InputError(f"{where}: parameters must be a list of names")
    hyps = fields.pop("hypotheses", [])
    if isinstance(hyps, str):
        hyps = [hyps]
    if not isinstance(hyps, list) or not all(isinstance(h, str) for h in hyps):
        raise InputError(f"{where}: hypotheses must be a list of relations written as strings")
    notes = fields.pop("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise InputError(f"{where}: notes must be a list of strings")
    steps = fields.pop("steps", [])
    if not isinstance(steps, list):
        raise InputError(f"{where}: steps must be an array of tables ([[results.steps]])")
    # Prose is typeset by theory.latex and the report: outside $...$ it is escaped, a formula in $...$ goes in as
    # written, so each formula must be math made of allowed commands (no \input, \write18, \def, ^^ escapes).
    prose = [(key, fields[key]) for key in ("title", "source", "statement") if key in fields]
    prose += [(f"notes[{i}]", n) for i, n in enumerate(notes)]
    prose += [(f"steps[{i}].note", s["note"]) for i, s in enumerate(steps) if isinstance(s, dict) and "note" in s]
    for key, value in prose:
        if not isinstance(value, str):
            raise InputError(f"{where}: {key} must be text")
        problem = prose_problem(value)
        if problem is not None:
            shown = f"'{value}'" if value.isprintable() else repr(value)  # as typed, on one line
            raise InputError(f"{where}: {key} {shown}: a formula "
                             f"{problem}; expected prose with math in $...$ made of {MATH_FORM}")
    # The file's new parameters are registered already, so every expression can use them.
    try:
        st = state(parameters=names or (), hypotheses=hyps, notes=notes, steps=steps, **fields)
    except InputError as e:
        raise InputError(f"{where.split(': results[')[0]}: {e}") from None
    return replace(st, family=family)
