"""Benchmarks of verify/: exact instance checks per second, and the whole ``critmass verify`` run.

Plugged into ``critmass bench`` (critmass/commands/bench.py). The instance-check baseline is a plain
sympy-Rational implementation of the same definitions, run on every instance (numerics.benchkit's protocol:
first calls apart, outputs checked equal, interleaved rounds).
"""

from __future__ import annotations

import random
import time
from fractions import Fraction

import sympy as sp

from theory.instance import BOUND_OF, STRATEGIES, make_instance
from theory.paper import result
from theory.strategy import Strategy
from verify.check import check_instance, core

SEED = 0


def random_instances(n: int, nx: int = 6, num_labels: int = 4, seed: int = SEED) -> list:
    """n random |X| x |Y| instances (zero-mass cells, idempotent maps for erasure), reproducible by seed."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        w = [rng.choice([0, 0, 1, 2, 3, 5]) for _ in range(nx * num_labels)]
        if not any(w):
            continue
        p0 = [[Fraction(w[x * num_labels + y], sum(w)) for y in range(num_labels)] for x in range(nx)]
        strategy = STRATEGIES[len(out) % 3]
        if strategy == Strategy.ERASURE:
            heavy = [x for x in range(nx) if sum(p0[x]) > 0]
            reps = sorted(set(rng.sample(heavy, rng.randint(1, len(heavy)))))
            signal = [x if x in reps else rng.choice(reps) for x in range(nx)]
        else:
            signal = [rng.randrange(nx) for _ in range(nx)]
        out.append(make_instance(p0, signal, rng.randrange(num_labels), strategy, Fraction(rng.randint(1, 20), 20)))
    return out


def sympy_check(inst) -> tuple[sp.Rational, sp.Rational | None]:
    """The baseline: success and bound (epsilon = 0) with sympy Rationals, straight from the definitions."""
    R = sp.Rational
    p0 = [[R(v.numerator, v.denominator) for v in row] for row in inst.p0]
    a, g, t, nx, num_labels = R(inst.alpha.numerator, inst.alpha.denominator), inst.signal, inst.target, inst.nx, inst.num_labels
    mass = [sum(row, R(0)) for row in p0]
    star = [[R(0)] * num_labels for _ in range(nx)]
    for x in range(nx):
        for y in range(num_labels):
            if p0[x][y] == 0:
                continue
            if inst.strategy == Strategy.FEATURE_LABEL:
                star[g[x]][t] += p0[x][y]
            elif inst.strategy == Strategy.FEATURE_ONLY:
                star[g[x] if y == t else x][y] += p0[x][y]
            else:
                row = p0[g[x]]
                star[x][max(range(num_labels), key=lambda z: (row[z], -z))] += p0[x][y]
    mix = [[a * star[x][y] + (1 - a) * p0[x][y] for y in range(num_labels)] for x in range(nx)]
    f = []
    for row in mix:
        best = max(row)
        f.append(row.index(best) if row.count(best) == 1 and best > 0 else None)
    if inst.strategy == Strategy.ERASURE:
        s = sum((mass[x] for x in range(nx) if f[x] is not None and f[x] == f[g[x]]), R(0))
    else:
        s = sum((mass[x] for x in range(nx) if f[g[x]] == t), R(0))
    image = set(g)
    xi = sum((mass[x] for x in image), R(0))
    delta = max([(max(p0[x]) - p0[x][t]) / mass[x] for x in image if mass[x] > 0], default=R(0))
    heavy = [x for x in range(nx) if mass[x] > 0]
    p = min(p0[x][t] / mass[x] for x in heavy)
    tau = None
    if all(mass[g[x]] > 0 for x in heavy):
        tau = sum((mass[x] * max(abs(p0[x][y] / mass[x] - p0[g[x]][y] / mass[g[x]]) for y in range(num_labels))
                   for x in heavy), R(0))
    values = {"alpha": a, "xi": xi, "Delta": delta, "p": p, "tau": tau, "epsilon": R(0)}
    r = result(BOUND_OF[inst.strategy])
    if any(values[q.name] is None for q in r.parameters) or (inst.strategy == Strategy.FEATURE_ONLY and p == 0):
        return s, None
    return s, r.bound.subs({q.symbol: values[q.name] for q in r.parameters})


def _instance_row(quick: bool) -> dict:
    from numerics import benchkit

    insts = random_instances(100 if quick else 1000)

    def baseline():
        sp.core.cache.clear_cache()  # every call starts as the first did: sympy's cache would serve repeats
        return [sympy_check(inst) for inst in insts]

    def check(out):
        base = out["sympy Rational, every instance"]
        for (s_ours, _, b_ours), doc, (s, b) in zip(out["ours"], out[FULL], base):
            if s_ours != s or b_ours != (None if b is None else Fraction(int(b.p), int(b.q))):
                raise AssertionError(f"instance checks differ from the sympy baseline: {s_ours}, {b_ours} vs {s}, {b}")
            if doc["success"] != str(s) or doc["bound"] != (None if b is None else str(b)):
                raise AssertionError(f"check-instance differs from the sympy baseline: {doc} vs {s}, {b}")
        return f"success and bound of all {len(insts)} instances equal as exact rationals"

    # "ours" does the baseline's work (success, parameters, the theorem's bound: verify.check.core, integers on a
    # common denominator); FULL is the whole check-instance document (three bounds, refutations, JSON strings).
    return benchkit.compare(f"exact instance checks, 6x4 ({len(insts)} instances)", f"{len(insts)} instances, "
                            f"all three strategies (seed {SEED})",
                            {"ours": lambda: [core(inst) for inst in insts],
                             FULL: lambda: [check_instance(inst) for inst in insts],
                             "sympy Rational, every instance": baseline}, "ours", check)


FULL = "ours, whole check-instance document"


def _verify_row() -> dict:
    from verify.steps import run

    start = time.perf_counter()
    rows = run()
    total = time.perf_counter() - start
    if not all(r["ok"] for r in rows):
        raise AssertionError(f"verify: steps off their expectation: {[r['id'] for r in rows if not r['ok']]}")
    return {"name": f"critmass verify ({len(rows)} steps)", "baseline": None, "ours_s": total,
            "baseline_s": None, "ratio": None, "device": "cpu", "z3_s": sum(r["seconds"] for r in rows)}


def benchmarks(quick: bool, only: str | None = None) -> list[dict]:
    """Rows for ``critmass bench``."""
    rows = []
    if only is None or only in "exact instance checks":
        rows.append(_instance_row(quick))
    if only is None or only in "critmass verify":
        rows.append(_verify_row())
    return rows
