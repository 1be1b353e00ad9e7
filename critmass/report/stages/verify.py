"""Stage "verify": every registered proof step through Z3, and random exact instances checked against the theorems."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from critmass.report.base import Context, Stage
from critmass.report.resume import each
from critmass.report.tex import frac, num, table, text, tt
from theory.strategy import Strategy


def random_instances(rng: np.random.Generator, count: int, max_x: int = 6, max_y: int = 4) -> list:
    """Random exact instances up to max_x x max_y: integer weights (zeros included), every strategy, alpha in
    twentieths; erasure maps are idempotent onto points with mass (Theorem 5's hypothesis)."""
    from theory.instance import STRATEGIES, make_instance

    out = []
    while len(out) < count:
        nx, num_labels = int(rng.integers(1, max_x + 1)), int(rng.integers(2, max_y + 1))
        w = rng.integers(0, 7, size=(nx, num_labels)) * (rng.random((nx, num_labels)) < 0.8)
        if w.sum() == 0:
            continue
        total = int(w.sum())
        p0 = [[Fraction(int(v), total) for v in row] for row in w]
        strategy = STRATEGIES[int(rng.integers(3))]
        if strategy == Strategy.ERASURE:
            heavy = np.flatnonzero(w.sum(axis=1) > 0)
            reps = heavy[rng.random(heavy.size) < 0.5]
            reps = reps if reps.size else heavy[:1]
            signal = [x if x in reps else int(rng.choice(reps)) for x in range(nx)]
        else:
            signal = [int(v) for v in rng.integers(0, nx, size=nx)]
        out.append(make_instance(p0, signal, int(rng.integers(num_labels)), strategy, Fraction(int(rng.integers(1, 21)), 20)))
    return out


SHAPE = {"max_x": 6, "max_y": 4}
CHUNK = 250  # random instances checked per part of the stage (critmass.report.resume.each)


def compute(ctx: Context) -> dict:
    from verify import steps
    from verify.check import check_instance

    (rows,) = each(ctx, "steps", [{}], lambda part: steps.run())  # parts of the stage, each saved as it finishes
    count = 300 if ctx.quick else 3000
    insts = random_instances(np.random.default_rng(ctx.seed), count, **SHAPE)

    def check(part: dict) -> dict:  # CHUNK of the instances
        t0 = time.perf_counter()
        checks = [check_instance(i) for i in insts[part["first"]:part["first"] + CHUNK]]
        return {"with_bound": sum(c["bound"] is not None for c in checks),
                "violated": sum(not c["holds"] for c in checks), "seconds": time.perf_counter() - t0}

    chunks = each(ctx, "instances", [{"first": k} for k in range(0, count, CHUNK)], check)
    return {"steps": rows, "n_steps": len(rows), "proven": sum(r["status"] == "proven" for r in rows),
            "refuted": sum(r["status"] == "refuted" for r in rows), "solver_seconds": sum(r["seconds"] for r in rows),
            "instance_checks": {
        "count": count, "seed": ctx.seed, **SHAPE, **{k: sum(c[k] for c in chunks) for k in ("with_bound", "violated")},
        "seconds": sum(c["seconds"] for c in chunks)}}


def _is_fraction(v) -> bool:
    try:
        Fraction(v)
    except (ValueError, ZeroDivisionError, TypeError):
        return False
    return True


def write(data: dict) -> str:
    rows = data["steps"]
    ic = data["instance_checks"]
    bad = [r["id"] for r in rows if not r["ok"]]
    refuted = [r for r in rows if r["status"] == "refuted"]
    findings = "\n".join(
        rf"\item {tt(r['id'])}: {text(r.get('note', ''))} Counterexample: "
        + ", ".join(rf"{tt(k)} $= {frac(v)}$" for k, v in r.get("counterexample", {}).items() if _is_fraction(v))
        + "." for r in refuted)
    steps_table = table(["step", "result", "status", "expected", "seconds"],
                        [[tt(r["id"]), tt(r["result"]), r["status"], r["expect"], f"${num(r['seconds'])}$"] for r in rows],
                        r"p{0.36\linewidth}p{0.2\linewidth}llr", long=True)
    return (rf"Z3 proved ${data['proven']}$ of the ${data['n_steps']}$ proof steps (each a universally quantified formula over the "
            r"reals, with finite forms of sums over a few points), in "
            rf"${num(data['solver_seconds'])}$\,s of solver time; ${data['refuted']}$ steps are refuted, each expected: they are findings "
            "about the paper, each with Z3's counterexample. "
            + (rf"\textbf{{Steps whose status differs from its expectation: {text(', '.join(bad))}.}} " if bad else
               r"Every status matched its expectation; no query returned \emph{unknown}. ")
            + rf"On ${ic['count']}$ random exact instances (seed ${ic['seed']}$; up to ${ic['max_x']} \times "
            rf"{ic['max_y']}$; all three strategies) ${ic['with_bound']}$ had a defined bound and it was violated "
            rf"${ic['violated']}$ times (${num(ic['seconds'])}$\,s)." "\n\n"
            r"\paragraph{Findings.}" "\n" r"\begin{itemize}" "\n" + (findings or r"\item none") + "\n"
            r"\end{itemize}" "\n\n" + steps_table)


STAGE = Stage("verify", "Verification", 30, compute, write,
              results=("lemma11", "claim-b1", "claim-b2", "claim-b3", "thm1", "thm3", "thm5"),
              summary="prove every proof step with Z3; check random exact instances against the theorems")
