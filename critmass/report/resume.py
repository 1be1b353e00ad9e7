"""The report's finished work on disk: each stage's computed data is one row of a sweep store (numerics.store).

``critmass report`` computes its stages through ``numerics.sweep.run`` (kind ``KIND``, one configuration per
stage, committed as soon as the stage's ``compute`` returns), into ``DIR/stages.sqlite`` unless
``--report-store FILE`` names another store. A kill loses at most the stage in flight; a rerun reads every
finished stage back and computes only the others, and the report it writes is the one an uninterrupted run
writes (figures and LaTeX are drawn from the data, never stored). SIGINT or SIGTERM stop after the stage (or
the part of a stage) in flight is saved (critmass.interrupt).

Granularity: one row per stage, and one per part for the stages that compute independent parts through
``each`` (finite and collusion: one per strategy; privacy: one per DP-SGD noise level; gradient: one per mode
of the MLP control; reweighting: one per scheme; population: one per cost distribution; verify: the Z3 steps,
then the random instances 250 at a time). No stage is cheap enough to
leave out: even "theory" derives every result afresh in sympy (its cache off, so that the derivation time it
prints is sympy's own), which is seconds, not milliseconds; the others simulate, solve or search. The one stage
that trains many models ("text") keeps each of them in its own sweep store in the report folder as well, so a
kill inside it loses at most one batch of fine-tunes.

A stage's configuration (``config``) holds everything its result depends on, so that a stored row is reused only
where recomputing it would give the same numbers:

- ``stage``, ``quick`` and ``seed``;
- ``code``: SHA-256 of the library's source (theory, numerics, verify, gpu) and of the stage's own module and the
  critmass modules it imports; editing a stage's prose recomputes that stage only;
- ``theory``: ``theory.sources.fingerprint`` (theory's source, sympy's version, the bytes of every results file);
- ``versions``: the package versions a row records (``numerics.store.versions``), and scipy's and
  scikit-learn's;
- the inputs the stage declares in ``Stage.uses``: the data folder (resolved, with the named corpus file's size
  and modification time), the corpus name, and each ``--store`` given (path and a digest of its rows).

>>> from critmass.report.stages import stage
>>> sorted(config(stage("rarity"), Context(Path("report"))))
['code', 'quick', 'seed', 'stage', 'stores', 'theory', 'versions']
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import json
import os
from dataclasses import fields, replace
from pathlib import Path

from critmass.report.base import INPUTS, Context, Stage

#: The store kind of a stage's row, and of a part of a stage (``each``).
KIND = "report-stage"
PART_KIND = "report-part"
#: The store's file name inside the report folder, where ``--report-store`` does not name another.
STORE_NAME = "stages.sqlite"
#: The library packages whose source every stage's result depends on.
LIBRARY = ("theory", "numerics", "verify", "gpu")
#: Packages the library computes with beyond those every store row records (numerics.store.versions).
COMPUTES_WITH = ("scipy", "scikit-learn")


def default_store(out: str | Path) -> Path:
    """Where ``critmass report -o DIR`` keeps its finished stages: ``DIR/stages.sqlite``."""
    return Path(out) / STORE_NAME


def context(stage: Stage, ctx: Context) -> Context:
    """``ctx`` as ``stage.compute`` sees it: the inputs it does not declare in ``Stage.uses`` at their defaults."""
    defaults = {f.name: f.default for f in fields(Context)}
    return replace(ctx, **{name: defaults[name] for name in INPUTS if name not in stage.uses})


def config(stage: Stage, ctx: Context) -> dict:
    """The stage's configuration in the report's store (see the module's docstring); plain JSON."""
    from numerics.store import package_versions, versions
    from theory import sources

    out = {"stage": stage.key, "quick": bool(ctx.quick), "seed": int(ctx.seed), "code": stage_code(stage),
           "theory": sources.fingerprint(), "versions": {**versions(), **package_versions(COMPUTES_WITH)}}
    if "data" in stage.uses:
        out["data"] = _data(ctx)
    if "corpus" in stage.uses:
        out["corpus"] = ctx.corpus
    if "stores" in stage.uses:
        out["stores"] = [{"path": str(Path(p).resolve()), "rows": store_digest(p)} for p in ctx.stores]
    return out


def plain(value):
    """``value`` as results.json holds it: JSON (Fractions as text, numpy as numbers and lists), infinities as null."""
    from critmass.output import jsonable

    return jsonable(json.loads(json.dumps(value, default=_json_default)))


def _json_default(value):
    from fractions import Fraction

    import numpy as np

    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def each(ctx: Context, part: str, configs, compute_one) -> list:
    """``[plain(compute_one(c)) for c in configs]``, each committed to the report's store as it finishes.

    For a stage whose computation is several independent parts (one per strategy, say): a kill inside the stage
    loses at most the part in flight, and a rerun reads the finished parts back (kind ``PART_KIND``, keyed by the
    stage's row and ``part`` and the part's configuration ``c``). The results are those of the loop, exactly.
    Without a store (``ctx.store`` None: a stage computed on its own) it is that loop.
    """
    configs = list(configs)
    if ctx.store is None:
        return [plain(compute_one(c)) for c in configs]
    from numerics import sweep

    keyed = [{"stage": ctx.stage_row, "part": part, "config": c} for c in configs]
    rows = sweep.run(ctx.store, PART_KIND, keyed, lambda batch: [encode(plain(compute_one(k["config"])))
                                                                 for k in batch],
                     progress=False, unit="parts of a report stage")
    return [decode(r.metrics) for r in rows]


def encode(data: dict) -> dict:
    """A stage's data as the metrics of its row: the JSON text itself, so that the order of its keys (the order
    of curves, rows and sections in the report) survives the store, whose documents are written key-sorted."""
    return {"data": json.dumps(data, allow_nan=False)}


def decode(metrics: dict) -> dict:
    return json.loads(metrics["data"])


def _data(ctx: Context) -> dict | None:
    folder = ctx.data or os.environ.get("CRITMASS_DATA") or None
    if folder is None:
        return None
    out: dict = {"folder": str(Path(folder).resolve()), "file": None}
    try:
        from gpu.data import NAMED

        name = NAMED.get(ctx.corpus, (None,))[0]
    except ImportError:
        name = None
    if name is not None:
        try:
            st = (Path(folder) / name).stat()
        except OSError:
            pass
        else:
            out["file"] = {"name": name, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
    return out


def store_digest(path: str | Path) -> str:
    """SHA-256 over every finished row (kind, configuration, metrics) of a sweep store, read-only."""
    from numerics.store import SweepStore, canonical, row_key

    h = hashlib.sha256()
    with SweepStore(path, readonly=True) as store:
        for key, metrics in sorted((row_key(r.kind, r.config), canonical(r.metrics)) for r in store.rows()):
            h.update(key.encode() + b"\0" + metrics.encode() + b"\0")
    return h.hexdigest()


@functools.cache
def library_code() -> str:
    """SHA-256 of the source of every module of the library packages (``LIBRARY``)."""
    h = hashlib.sha256()
    for package in LIBRARY:
        root = Path(importlib.util.find_spec(package).origin).parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root.parent)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@functools.cache
def module_closure(module: str) -> tuple[str, ...]:
    """``module`` and every critmass module it imports, at any depth of any of them (sorted names)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        seen.add(name)
        tree = ast.parse(Path(spec.origin).read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module, *(f"{node.module}.{a.name}" for a in node.names)] \
                if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            todo += [n for n in names if n.split(".")[0] == "critmass" and _is_module(n)]
    return tuple(sorted(seen))


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def stage_code(stage: Stage) -> str:
    """SHA-256 of the library's source and of the stage's module with the critmass modules it imports."""
    h = hashlib.sha256(library_code().encode())
    for name in module_closure(stage.compute.__module__):
        h.update(name.encode() + b"\0" + Path(importlib.util.find_spec(name).origin).read_bytes())
    return h.hexdigest()
