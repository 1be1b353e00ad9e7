"""Several collectives, checked exactly: one instance file, and an exhaustive search over small instances.

verify/ layer over theory/multi.py. ``check_multi`` reports each collective's exact success next to what it
would get alone and to multi-thm1's bound; ``search`` enumerates every small instance (integer weights over a
common denominator, every signal map and target, sizes from a grid) and returns the first one on which a
claimed per-collective lower bound fails, confirmed in Fractions. Exhaustive, so "none" is a proof for that
finite family (not beyond it).

>>> out = search("alone", max_x=2, max_y=2, weight=1, alphas=("1/10",))
>>> out["status"], out["instance"]["collectives"][0]["target"] != out["instance"]["collectives"][1]["target"]
('counterexample', True)
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

from theory import instance as single
from theory import multi
from theory.errors import InputError
from theory.strategy import Strategy

CLAIMS = ("alone", "multi-thm1")


def check_multi(m: multi.MultiInstance) -> dict:
    """Per collective: exact success, success alone, multi-thm1's bound (feature-label only) and whether it holds."""
    got = multi.success(m)
    rows = []
    for k, c in enumerate(m.collectives):
        b = multi.bound(m, k) if c.strategy == Strategy.FEATURE_LABEL else None
        rows.append({"collective": k, "alpha": str(c.alpha), "target": c.target, "strategy": c.strategy.value,
                     "success": str(got[k]), "success_float": float(got[k]),
                     "success_alone": str(single.success(m.alone(k))),
                     "bound": None if b is None else str(b), "bound_float": None if b is None else float(b),
                     "holds": b is None or got[k] >= b})
    return {"total_alpha": str(m.total_alpha), "collectives": rows, "holds": all(r["holds"] for r in rows)}


def claim_value(name: str, m: multi.MultiInstance, k: int) -> Fraction:
    """A claimed lower bound on S_k: "alone" is Theorem 1's bound for collective k as if the others were absent
    (epsilon = 0); "multi-thm1" is the bound derived in theory.multi."""
    if name == "alone":
        inst = m.alone(k)
        prm = single.params(inst)
        return 1 - (1 - inst.alpha) / inst.alpha * prm["Delta"] * prm["xi"]
    if name == "multi-thm1":
        return multi.bound(m, k)
    raise InputError(f"claim {name!r}: expected one of {', '.join(CLAIMS)}")


def _tables(nx: int, num_labels: int, weight: int):
    """Every joint table of non-negative integers summing to ``weight``, as Fractions."""
    cells = nx * num_labels
    for cut in itertools.combinations(range(weight + cells - 1), cells - 1):
        counts = [b - a - 1 for a, b in zip((-1, *cut), (*cut, weight + cells - 1))]
        yield [[Fraction(counts[i * num_labels + j], weight) for j in range(num_labels)] for i in range(nx)]


def search(claim: str, max_x: int = 2, max_y: int = 2, collectives: int = 2, weight: int = 4,
           alphas=("1/10", "1/5", "3/10", "2/5", "1/2")) -> dict:
    """The first instance (K feature-label collectives) on which some S_k < claim_k, or "none" after all of them.

    Enumerates |X| = max_x, |Y| = max_y (a zero row or column embeds smaller shapes), P0 with masses in
    multiples of 1/weight, every signal map and target per collective, and sizes from ``alphas`` summing to
    at most 1. Returns {"status", "checked", "seconds", and for a counterexample "instance", "collective",
    "success", "claim_value"}.
    """
    if claim not in CLAIMS:
        raise InputError(f"claim {claim!r}: expected one of {', '.join(CLAIMS)}")
    if not (1 <= max_x <= 3 and 2 <= max_y <= 3 and 2 <= collectives <= 3 and 1 <= weight <= 6):
        raise InputError(f"search size {max_x}x{max_y}, {collectives} collectives, weight {weight}: expected "
                         "1 <= |X| <= 3, 2 <= |Y| <= 3, 2 or 3 collectives, 1 <= weight <= 6")
    grid = [Fraction(a) for a in alphas]
    if not all(0 < a <= 1 for a in grid):
        raise InputError(f"alphas {list(alphas)}: expected sizes in (0, 1]")
    t0, checked = time.perf_counter(), 0
    plays = list(itertools.product(itertools.product(range(max_x), repeat=max_x), range(max_y)))
    sizes = [s for s in itertools.product(grid, repeat=collectives) if sum(s) <= 1]
    for p0 in _tables(max_x, max_y, weight):
        p0 = tuple(tuple(row) for row in p0)
        for combo in itertools.product(plays, repeat=collectives):
            for size in sizes:  # built directly: every field is valid by construction
                m = multi.MultiInstance(p0, tuple(multi.Collective(a, g, t, Strategy.FEATURE_LABEL)
                                                  for a, (g, t) in zip(size, combo)))
                got = multi.success(m)
                checked += 1
                for k in range(collectives):
                    bound = claim_value(claim, m, k)
                    if got[k] < bound:
                        return {"status": "counterexample", "claim": claim, "checked": checked,
                                "seconds": time.perf_counter() - t0, "instance": m.to_json(), "collective": k,
                                "success": str(got[k]), "claim_value": str(bound)}
    return {"status": "none", "claim": claim, "checked": checked, "seconds": time.perf_counter() - t0,
            "family": {"max_x": max_x, "max_y": max_y, "collectives": collectives, "weight": weight,
                       "alphas": [str(a) for a in grid]}}


def report_multi(m: multi.MultiInstance, as_json: bool) -> int:
    """``critmass check-instance`` on a several-collective instance: one line per collective (or JSON); exit 0."""
    from critmass.output import emit_json, table

    doc = check_multi(m)
    if as_json:
        emit_json(doc)
        return 0
    rows = [{**r, "success": f"{r['success']} ({r['success_float']:.6g})"} for r in doc["collectives"]]
    print(table(rows, ["collective", "alpha", "target", "strategy", "success", "success_alone", "bound", "holds"]))
    print(f"total size {doc['total_alpha']}; bounds hold: {doc['holds']}")
    return 0
