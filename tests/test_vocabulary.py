"""One vocabulary across layers: the strategies are named once (theory.strategy), every layer takes that type and
refuses anything else in one line, the text experiments' Strategy 1/2 are their own type, and stores written
before the vocabulary existed still resume."""

from __future__ import annotations

import ast
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from theory.errors import InputError
from theory.strategy import DISCRETE, PLANTING, TABULAR, Strategy, code, names, parse_strategy

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("theory", "numerics", "verify", "gpu", "critmass")
CANONICAL = ROOT / "theory" / "strategy.py"
NAMES = {s.value for s in Strategy}


def _sources():
    for layer in LAYERS:
        yield from sorted((ROOT / layer).rglob("*.py"))


def _docstrings(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_strategy_names_are_written_once():
    """No string literal outside theory/strategy.py is a strategy's name (docstrings, which show documents a
    user writes, aside): the layers say ``Strategy.FEATURE_LABEL``, CLI choices come from ``names``."""
    found = []
    for path in _sources():
        if path == CANONICAL:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and node.value in NAMES and id(node) not in skip]
    assert found == []
    assert NAMES == {"feature-label", "feature-only", "erasure", "unplanting"}  # the values stores hold


def _names_strategy(node) -> bool:
    if isinstance(node, ast.Name):
        return "strategy" in node.id
    if isinstance(node, ast.Attribute):
        return "strategy" in node.attr
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "strategy"
    return False


def test_no_strategy_is_compared_with_a_bare_integer():
    """Integer codes live behind theory.strategy.code (numerics' kernels) and gpu.collective.TextStrategy (the
    paper's Strategy 1/2): ``strategy == 2`` anywhere else is a second encoding."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(map(_names_strategy, sides)) and any(
                        isinstance(s, ast.Constant) and type(s.value) is int for s in sides):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_subsets_and_the_kernel_code():
    assert PLANTING == (Strategy.FEATURE_LABEL, Strategy.FEATURE_ONLY)
    assert set(DISCRETE) - set(TABULAR) == {Strategy.ERASURE} and set(TABULAR) - set(DISCRETE) == {Strategy.UNPLANTING}
    assert [code(s) for s in DISCRETE] == [0, 1, 2] and [code(s.value) for s in DISCRETE] == [0, 1, 2]
    with pytest.raises(InputError, match="'unplanting': expected one of feature-label, feature-only, erasure"):
        code(Strategy.UNPLANTING)  # no kernel computes it: no code
    assert parse_strategy("feature-only") is Strategy.FEATURE_ONLY and names(PLANTING) == ("feature-label",
                                                                                          "feature-only")


def _one_line(call, *needles):
    with pytest.raises(InputError) as e:
        call()
    text = str(e.value)
    assert "\n" not in text and all(n in text for n in needles), text


P0 = [["1/4", "1/4"], ["1/4", "1/4"]]


def _tabular(strategy):
    from numerics import collusion

    table = collusion.car_table(2000, seed=0)
    return collusion.run(table, {0: 0}, 0, [10], 1000, 500, strategy=strategy, seed=0, x0={0: 1}, n_est=2)


def _counterexample(strategy):
    from verify.counterexample import search

    return search(strategy, "thm1", 1, 2, timeout_s=1)


# (layer function taking a strategy, the strategies it takes)
LAYER_CALLS = {
    "theory.instance.make_instance": (lambda s: __import__("theory.instance", fromlist=["x"]).make_instance(
        P0, [1, 1], 0, s, "1/2"), DISCRETE),
    "theory.statement.state": (lambda s: __import__("theory.statement", fromlist=["x"]).state(
        "vocab-demo", "t", "s", bound="1 - xi/alpha", strategy=s), DISCRETE),
    "numerics.exact.random_block": (lambda s: __import__("numerics.exact", fromlist=["x"]).random_block(0, 0, 2, 2, s),
                                    DISCRETE),
    "numerics.learners.signal_instance": (lambda s: __import__("numerics.learners", fromlist=["x"]).signal_instance(
        0, n_x=4, num_labels=2, strategy=s), PLANTING),
    "numerics.collusion.run": (_tabular, TABULAR),
}


@pytest.mark.parametrize("where", sorted(LAYER_CALLS))
def test_every_layer_takes_the_strategy_type_and_refuses_others_in_one_line(where):
    call, allowed = LAYER_CALLS[where]
    for s in allowed:
        call(s)            # the canonical type
        call(s.value)      # and its name, as documents and flags hold it
    for s in set(Strategy) - set(allowed):
        _one_line(lambda: call(s), repr(s.value), ", ".join(names(allowed)))
    _one_line(lambda: call("magic"), "'magic'", "expected one of")


def test_parsed_documents_hold_the_strategy_type():
    from theory.instance import make_instance
    from theory.multi import make_multi

    inst = make_instance(P0, [1, 1], 0, "feature-only", "1/2")
    assert inst.strategy is Strategy.FEATURE_ONLY and type(inst.to_json()["strategy"]) is str  # printed plainly
    m = make_multi(P0, [("1/10", [1, 1], 0, "erasure")])
    assert m.collectives[0].strategy is Strategy.ERASURE and type(m.to_json()["collectives"][0]["strategy"]) is str
    _one_line(lambda: _counterexample("unplanting"), "--strategy = 'unplanting'")


def test_the_text_strategies_are_their_own_type():
    """The paper's Section 5 "Strategy 1/2" edit resumes; each names the Section 3.1 strategy it instantiates."""
    from gpu.collective import TextStrategy, act, text_strategy
    from gpu.theory_overlay import predicted

    assert [int(s) for s in TextStrategy] == [1, 2]
    assert [s.instantiates for s in TextStrategy] == list(PLANTING)
    assert not set(TextStrategy) & set(Strategy)  # 1 is not "feature-label": two concepts, two types
    y = np.eye(2, dtype=np.float32)[[0, 1, 0, 1]]
    assert act(y, TextStrategy.TEXT_ONLY, 1.0, 1, 0).planted.tolist() == act(y, 2, 1.0, 1, 0).planted.tolist() == [1, 3]
    for bad in (3, 0, True, "1", Strategy.FEATURE_LABEL):
        _one_line(lambda: text_strategy(bad), repr(bad), "1 (feature-label) or 2 (feature-only)")
        _one_line(lambda: act(y, bad, 1.0, 1, 0), repr(bad))
    _one_line(lambda: predicted(3, [0.5], xi=0.01), "strategy 3")


def test_store_keys_of_strategies_are_those_of_their_names():
    """A configuration holding a Strategy or a TextStrategy has the row key of the plain value it replaced, so a
    store written before either existed is resumed, not recomputed."""
    from gpu.collective import TextStrategy
    from numerics.store import row_key

    for s in Strategy:
        assert row_key("k", {"strategy": s, "alpha": 0.1}) == row_key("k", {"strategy": s.value, "alpha": 0.1})
    for s in TextStrategy:
        assert row_key("k", {"strategy": s}) == row_key("k", {"strategy": int(s)})


def test_a_store_written_with_plain_names_resumes(cli_json, tmp_path):
    """Rows as the CLI wrote them before theory.strategy (plain strings, the key ``ny``) are read back: the
    metrics are the stored ones (a sentinel no computation gives), and nothing is added."""
    from numerics.exact import GENERATOR
    from numerics.store import SweepStore

    store = tmp_path / "old.sqlite"
    old = [{"random": {"count": 20, "nx": 3, "ny": 2, "strategy": "feature-only", "generator": GENERATOR},
            "alpha": a, "seed": 4} for a in (0.25, 0.5)]
    sentinel = {"mean_success": 0.123, "min_success": 0.0123, "max_success": 0.9123}
    with SweepStore(store) as s:
        s.put_many("exact", old, [sentinel, sentinel], 0.0)
    doc = cli_json("simulate", "exact", "--random", "20", "--shape", "3x2", "--strategy", "feature-only",
                   "--alphas", "0.25,0.5", "--seed", "4", "--store", store)
    assert [r["mean_success"] for r in doc["rows"]] == [0.123, 0.123]
    with SweepStore(store, readonly=True) as s:
        assert s.count("exact") == 2


def test_the_number_of_labels_has_one_name():
    """``num_labels`` in Python identifiers (``ny``, ``n_labels`` were its other names); stored keys keep theirs."""
    from theory.instance import make_instance

    inst = make_instance([["1/6", "1/6", "1/6"], ["1/6", "1/6", "1/6"]], [1, 1], 0, Strategy.FEATURE_LABEL,
                         Fraction(1, 2))
    assert (inst.nx, inst.num_labels) == (2, 3) and not hasattr(inst, "ny")
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
                node.arg if isinstance(node, ast.arg) else None
            if name in ("ny", "n_labels"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert found == []
