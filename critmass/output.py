"""Printing for the CLI: one JSON document on stdout with --json, an aligned table otherwise."""

from __future__ import annotations

import json
import math
import sys


def jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def emit_json(document) -> None:
    """Print one JSON document; non-finite floats become null (JSON has no infinity)."""
    json.dump(jsonable(document), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def table(rows: list[dict], columns: list[str]) -> str:
    """An aligned plain-text table of the given columns."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()
    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])
