"""The on-disk cache of derivations, so that a second process pays nothing for a critical mass it derived.

Used by theory.catalog. An entry is one JSON file per statement, named by the SHA-256 of the statement's
text, the cache format and the source of the modules that derive (so changed code is a new key). Values
are written in the grammar of theory.expr and read back by its restricted parser: nothing in the cache is
ever evaluated as code, and an entry that does not read back exactly as written is not stored.

Location, following the XDG base directory convention: ``$CRITMASS_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/critmass/derivations``, else ``~/.cache/critmass/derivations``. ``CRITMASS_CACHE=off``
(or ``0``, ``no``, ``false``) disables it. Writes go to a temporary file renamed into place (atomic on
POSIX), so concurrent writers cannot leave a torn entry; an unreadable or corrupt entry is a miss and is
overwritten.
"""

from __future__ import annotations

import hashlib
import json

from theory.errors import InputError
from theory.sources import cache_directory, code_hash, write_atomically

FORMAT = 1


def directory():
    """Where entries live, or None when the cache is disabled."""
    return cache_directory()


def key(text: str) -> str:
    """The entry name for a statement's text (and the code that derives it, theory.sources.code_hash)."""
    return hashlib.sha256(f"{FORMAT}\n{code_hash()}\n{text}".encode()).hexdigest()


def load(name: str, names: dict) -> dict | None:
    """The values stored under ``name``, read in the scope ``names``; None on a miss or a corrupt entry."""
    where = directory()
    if where is None:
        return None
    try:
        doc = json.loads((where / f"{name}.json").read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT or doc.get("key") != name:
            return None
        return {k: _decode(v, names) for k, v in doc["values"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InputError, RecursionError):
        return None


def store(name: str, values: dict, names: dict) -> bool:
    """Write the values under ``name`` if each reads back equal to itself; return whether it was written."""
    where = directory()
    if where is None:
        return False
    try:
        encoded = {k: _encode(v, names) for k, v in values.items()}
        if any(_decode(e, names) != values[k] for k, e in encoded.items()):
            return False
    except (ValueError, TypeError, InputError, RecursionError):
        return False  # a value outside the grammar (an undefined function, a Float): not cached
    text = json.dumps({"format": FORMAT, "key": name, "values": encoded}, indent=1)
    return write_atomically(where / f"{name}.json", text)


def _functions():
    from theory.derive import crossing
    return {"crossing": (crossing, (1,))}


def _encode(value, names: dict):
    import sympy as sp

    from theory.expr import dump
    from theory.result import CriticalMass

    by_symbol = {v: k for k, v in names.items() if isinstance(v, sp.Symbol)}
    if isinstance(value, CriticalMass):
        return {"critical_mass": {f: _encode(getattr(value, f), names) for f in CriticalMass.__dataclass_fields__}}
    if isinstance(value, sp.Piecewise):
        return {"piecewise": [[_encode(e, names), _encode(c, names)] for e, c in value.args]}
    if isinstance(value, sp.Basic):
        if value.has(sp.Piecewise):
            raise ValueError("a Piecewise inside an expression")
        return {"expr": dump(value, by_symbol), "relation": not isinstance(value, sp.Expr)}
    if isinstance(value, (tuple, list)):
        return {"list": [_encode(v, names) for v in value]}
    if isinstance(value, dict):
        return {"dict": {k: _encode(v, names) for k, v in value.items()}}
    if value is None or isinstance(value, (str, bool)):
        return {"plain": value}
    raise ValueError(f"cannot cache a {type(value).__name__}")


def _decode(doc, names: dict):
    import sympy as sp

    from theory.expr import parse
    from theory.result import CriticalMass

    if "critical_mass" in doc:
        parts = {f: _decode(v, names) for f, v in doc["critical_mass"].items()}
        parts["steps"] = tuple(parts["steps"])
        return CriticalMass(**parts)
    if "piecewise" in doc:
        return sp.Piecewise(*[(_decode(e, names), _decode(c, names)) for e, c in doc["piecewise"]])
    if "expr" in doc:
        return parse(doc["expr"], names, relation=doc["relation"], functions=_functions(), what="cache entry",
                     decide=False)
    if "list" in doc:
        return tuple(_decode(v, names) for v in doc["list"])
    if "dict" in doc:
        return {k: _decode(v, names) for k, v in doc["dict"].items()}
    return doc["plain"]
