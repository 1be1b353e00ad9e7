"""Every result critmass knows, by id: the built-in families and whatever a user registers, derived lazily.

Above statement.py and derive.py: ``register`` adds Statements (theory.statement) to a family; ``result(id)``
derives one Result the first time it is asked for, and only that one (and what it is derived from). The
costly parts of a derivation (critical masses, lazy fields) are cached on disk by theory.cache, keyed by the
statement's text, so a second process pays nothing for them.

>>> result("cor2").critical_mass.method
'closed form'
>>> "thm1" in families()["paper"]
True
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable

import sympy as sp

from theory import cache, notions, sources
from theory.errors import InputError
from theory.parameters import ALPHA_STAR, SUCCESS, SYMBOLS, Parameter, of_symbol
from theory.result import CriticalMass, Result, params_of
from theory.statement import Statement, canonical, scope

#: Built-in families: name -> module exposing ``IDS`` and ``statements() -> list[Statement]``, or
#: ``statements(notion)`` where its results read "epsilon-optimal" under a notion (theory.notions).
BUILTIN = {"paper": "theory.paper", "reweighting": "theory.reweighting", "bendov": "theory.bendov",
           "finite": "theory.finite", "collusion": "theory.collusion", "multi": "theory.multi",
           "privacy": "theory.privacy", "population": "theory.population"}

_families: dict[str, list[str]] = {}
_statements: dict[str, Statement] = {}                 # registered (not built-in) statements, by id
_builtin: dict[tuple[str, str], Statement] = {}        # built-in statements, by (id, notion)
_derived: dict[tuple[str, str], Result] = {}           # derived results, by (id, notion)
_loaded: set[tuple[str, str]] = set()                  # (family, notion) loaded
_from_files: set[str] = set()


def register(*statements: Statement, family: str = "user", from_file: bool = False) -> None:
    """Add stated results to a family (created on first use). An id may be registered once, except that
    registering the very same statement again is a no-op (a file loaded twice). ``from_file``: read from a
    results file (theory.results_file), so its numbers may be cached for other processes (theory.fast)."""
    for st in statements:
        if not isinstance(st, Statement):
            raise TypeError(f"register takes Statements (theory.statement.state), not {type(st).__name__}")
        if st.id in _builtin_ids():
            raise InputError(f"result id {st.id!r} is a built-in result; pick another id")
        known = _statements.get(st.id)
        if known is not None:
            if canonical(known) == canonical(_with_family(st, known.family)):
                continue
            raise InputError(f"result id {st.id!r} is already registered (family {known.family}); pick another id")
        st = _with_family(st, st.family or family)
        _statements[st.id] = st
        _families.setdefault(st.family, []).append(st.id)
        if from_file:
            _from_files.add(st.id)


def _with_family(st: Statement, family: str) -> Statement:
    from dataclasses import replace
    return st if st.family == family else replace(st, family=family)


_BUILTIN_IDS: dict[str, str] = {}


def _builtin_ids() -> dict[str, str]:
    """id -> family of every built-in result, from the modules' IDS (cheap: no statement is built)."""
    if not _BUILTIN_IDS:
        for family, module in BUILTIN.items():
            for i in importlib.import_module(module).IDS:
                _BUILTIN_IDS[i] = family
    return _BUILTIN_IDS


def is_builtin(id: str) -> bool:
    """Whether ``id`` is a result of the built-in theory (its prose is the project's own LaTeX), not a stated one."""
    return id in _builtin_ids()


def _load_family(family: str, notion: str) -> None:
    if (family, notion) in _loaded or family not in BUILTIN:
        return
    _loaded.add((family, notion))
    module = importlib.import_module(BUILTIN[family])
    with_notion = "notion" in inspect.signature(module.statements).parameters
    stated = module.statements(notion) if with_notion else module.statements()
    ids = [st.id for st in stated]
    if tuple(ids) != tuple(module.IDS):
        raise AssertionError(f"{BUILTIN[family]}: statements() ids {ids} differ from IDS {module.IDS}")
    for st in stated:
        _builtin[(st.id, notion)] = _with_family(st, family)


def families() -> dict[str, tuple[str, ...]]:
    """The ids of each family: the built-in ones first (paper, reweighting, finite), then registered ones."""
    sources.load_pending()
    out = {}
    for family, module in BUILTIN.items():
        out[family] = tuple(importlib.import_module(module).IDS)
    for family, ids in _families.items():
        if family not in BUILTIN:
            out[family] = tuple(ids)
    return out


def all_ids() -> tuple[str, ...]:
    return tuple(i for ids in families().values() for i in ids)


def statement(id: str, notion: str = notions.DEFAULT) -> Statement:
    """The statement of a result under ``notion`` (built-in results with an epsilon are stated per notion; a
    registered one is stated once, for the notion it names), loading its built-in family if needed."""
    sources.load_pending()
    notions.check(notion)
    if id in _statements:
        return _statements[id]
    family = _builtin_ids().get(id)
    if family is None:
        raise InputError(f"unknown result id {id!r}; expected one of: {' '.join(all_ids())}")
    _load_family(family, notion)
    return _builtin[(id, notion)]


def result(id: str, notion: str = notions.DEFAULT) -> Result:
    """The derived result with this id, read under ``notion`` (theory.notions); an unknown id or notion raises
    InputError naming the known ones."""
    sources.load_pending()
    key = (id, notions.check(notion))
    if key not in _derived:
        _derived[key] = derive(statement(id, notion), notion)
    return _derived[key]


def cacheable(id: str) -> bool:
    """Whether other processes can know this result from their own code and files (theory.fast): a built-in
    result, or one read from a results file."""
    return id in _builtin_ids() or id in _from_files


def corollary_of(id: str) -> str | None:
    """The first result stated as the critical mass of ``id``'s bound at the level S_star (thm1 -> cor2)."""
    for ids in families().values():  # built-in families first
        for other in ids:
            st = statement(other)
            if st.critical_mass_of == id and (st.target is None or st.target == SYMBOLS["S_star"]):
                return other
    return None


def stated_steps() -> list[tuple[str, object]]:
    """(result id, Step) of every registered (non-built-in) statement's steps, for verify/."""
    sources.load_pending()
    return [(st.id, s) for st in _statements.values() if st.family not in BUILTIN for s in st.steps]


def registered() -> tuple[str, ...]:
    """The ids of every registered result that is not built in, in registration order."""
    return tuple(i for fam, ids in _families.items() if fam not in BUILTIN for i in ids)


def unregister(*ids: str) -> None:
    """Forget registered results (not built-in ones): their statements, derivations and empty families."""
    for id in ids:
        st = _statements.get(id)
        if st is None or st.family in BUILTIN:
            continue
        del _statements[id]
        for key in [k for k in _derived if k[0] == id]:
            del _derived[key]
        _from_files.discard(id)
        _families[st.family].remove(id)
        if not _families[st.family]:
            del _families[st.family]


def clear(family: str | None = None) -> None:
    """Forget derived results (all, or one family's), and the registered statements of non-built-in families."""
    for key in list(_derived):
        if family is None or _derived[key].family == family:
            del _derived[key]
    if family is not None and family not in BUILTIN:
        for id in _families.pop(family, []):
            _statements.pop(id, None)


# ---- derivation ---------------------------------------------------------------------------------------

class _Derivation:
    """Runs the costly parts of one statement's derivation, each looked up in (and recorded for) the cache."""

    def __init__(self, st: Statement, notion: str):
        self.st = st
        self.key = cache.key(_key_text(st, notion))
        self.names = _cache_scope(st)
        self.found = cache.load(self.key, self.names) or {}
        self.made: dict[str, object] = {}

    def value(self, name: str, compute):
        if name in self.found:
            return self.found[name]
        out = compute()
        self.made[name] = out
        return out

    def save(self) -> None:
        if self.made:
            cache.store(self.key, {**self.found, **self.made}, self.names)


def _key_text(st: Statement, notion: str) -> str:
    """The statement's text and that of every result it is derived from (read under ``notion``)."""
    text = canonical(st)
    if st.critical_mass_of:
        text += "\n--- from ---\n" + _key_text(statement(st.critical_mass_of, notion), notion)
    return text


def _cache_scope(st: Statement) -> dict[str, sp.Basic]:
    names = scope(st.parameters)
    names["alpha_star"] = ALPHA_STAR
    return names


def _force(value):
    return value() if callable(value) and not isinstance(value, (sp.Basic, type, CriticalMass)) else value


def derive(st: Statement, notion: str = notions.DEFAULT) -> Result:
    """A Statement derived into a Result: the bound's conclusion, the critical mass, the lazy fields. A
    corollary (``critical_mass_of``) is derived from its theorem read under ``notion``; the Result's notion is
    the statement's, else its theorem's."""
    from theory.derive import critical_mass

    run = _Derivation(st, notion)
    stated_notion = st.notion
    lazy = lambda name, value: run.value(name, lambda: _force(value)) if _is_lazy(value) else value
    bound = lazy("bound", st.bound)
    hypotheses = tuple(lazy("hypotheses", st.hypotheses))
    printed = lazy("printed", st.printed)
    extras = {k: lazy(f"extras.{k}", v) for k, v in st.extras.items()}
    conclusion = lazy("conclusion", st.conclusion)
    cm, notes, increasing = None, list(lazy("notes", st.notes)), bool(st.increasing)
    derived_from = st.derived_from
    kind = st.kind
    if st.critical_mass_of is not None:
        theorem = result(st.critical_mass_of, notion)
        stated_notion = stated_notion if stated_notion is not None else theorem.notion
        if theorem.bound is None:
            raise InputError(f"result {st.id}: critical_mass_of {theorem.id}, which states no bound")
        target = st.target if st.target is not None else SYMBOLS["S_star"]
        cm = run.value("critical_mass", lambda: critical_mass(theorem.bound, target))
        hypotheses = (cm.reachable, *hypotheses)
        conclusion = conclusion if conclusion is not None else sp.Le(ALPHA_STAR, cm.alpha_star)
        derived_from = derived_from or theorem.id
        kind = st.kind if st.kind != "theorem" else "corollary"
    elif st.critical_mass is not None:
        stated = lazy("critical_mass", st.critical_mass)
        cm = stated if isinstance(stated, CriticalMass) else CriticalMass(
            alpha_star=stated, reachable=sp.true, degenerate=sp.false,
            target=st.target if st.target is not None else SYMBOLS["S_star"])
        conclusion = conclusion if conclusion is not None else sp.Le(ALPHA_STAR, cm.alpha_star)
    elif bound is not None and st.target is not None:
        refused = run.found.get("refused")
        if refused is None:
            try:
                cm = run.value("critical_mass", lambda: critical_mass(bound, st.target))
                hypotheses = (*hypotheses, cm.reachable)
            except ValueError as e:
                refused = run.made["refused"] = str(e)
            except OverflowError as e:  # sympy's evalf of a bound beyond any float (exp(exp(exp(1000 alpha))))
                refused = run.made["refused"] = (f"sympy overflows evaluating the bound {bound} "
                                                 f"({type(e).__name__}: {e})")
        if refused is not None:
            notes.append(f"critical mass not derived: {refused}")
    if bound is not None:
        conclusion = conclusion if conclusion is not None else sp.Ge(SUCCESS(SYMBOLS["alpha"]), bound)
        increasing = increasing or (cm is not None and bool(cm.monotonicity))
    if conclusion is None:
        raise InputError(f"result {st.id}: states no bound, conclusion or critical mass")
    exprs = [bound, printed, conclusion, *hypotheses]
    if cm is not None:
        exprs.append(cm.alpha_star)
    found = _parameters_of(exprs, st)
    params = (*st.parameters, *(p for p in found if p not in st.parameters))
    run.save()
    return Result(
        id=st.id, title=st.title, kind=kind, source=st.source, statement=st.statement, parameters=tuple(params),
        hypotheses=tuple(hypotheses), conclusion=conclusion, bound=bound, critical_mass=cm, printed=printed,
        derived_from=derived_from, increasing_in_alpha=increasing, notes=tuple(notes), extras=extras,
        strategy=st.strategy, collective=st.collective, family=st.family, notion=stated_notion)


def _is_lazy(value) -> bool:
    return callable(value) and not isinstance(value, (sp.Basic, type, CriticalMass))


def _parameters_of(exprs: Iterable, st: Statement) -> tuple[Parameter, ...]:
    syms = set().union(*(e.free_symbols for e in exprs if isinstance(e, sp.Basic)))
    syms.discard(ALPHA_STAR)
    found = []
    for s in syms:
        try:
            found.append(of_symbol(s))
        except KeyError:
            continue
    return params_of(*(p.symbol for p in found))
