"""Several collectives on one platform: exact success of each, and the bounds and critical masses they imply.

Extends theory/instance.py (one collective) to K >= 1 collectives, each with its own size alpha_k, signal map
g_k, target y*_k and strategy; the firm is Bayes-optimal on

    P = sum_k alpha_k P*_k + (1 - A) P0,    A = sum_k alpha_k <= 1,

where P*_k is collective k's distribution under its strategy (theory.instance.collective_table; every
collective draws its members from P0). Conventions are theory.instance's: a prediction counts only as the
*unique* argmax of P(x, .), so a tie counts against every collective involved. Everything is ``Fraction``.

Karan, Vincent, Karahalios & Sundaram (FAccT 2025, arXiv 2505.00195) introduce the setting and measure it on
classifiers and recommenders; later work (Battiloro et al., arXiv 2508.19149 and 2605.06749; Karan et al.,
arXiv 2510.18933) states bounds whose text could not be retrieved here. The bounds below are therefore
**derived here** (``multi-thm1`` and its critical mass), proven step by step in verify/field.py (Z3) and
checked exactly against ``success`` on random instances (tests/theory/test_multi.py).

The JSON form (``parse_multi``)::

    {"p0": [["1/2", 0], [0, "1/2"]],
     "collectives": [{"alpha": "1/10", "signal": [1, 1], "target": 0, "strategy": "feature-label"},
                     {"alpha": "1/10", "signal": [1, 1], "target": 1, "strategy": "feature-label"}]}

>>> m = parse_multi({"p0": [["1/2", "1/2"], [0, 0]], "collectives": [
...     {"alpha": "1/10", "signal": [1, 1], "target": 0, "strategy": "feature-label"},
...     {"alpha": "1/10", "signal": [1, 1], "target": 1, "strategy": "feature-label"}]})
>>> success(m)  # both plant x=1 (no base mass) with opposite labels: a tie, so both fail
(Fraction(0, 1), Fraction(0, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import sympy as sp

from theory import instance as single
from theory.errors import InputError
from theory.parameters import SUCCESS, SYMBOLS, parameter
from theory.result import Result, params_of
from theory.statement import Statement, state
from theory.strategy import Strategy

#: Keys of a several-collective document and of each of its collectives; any other key is an error.
KEYS = ("p0", "collectives")
COLLECTIVE_KEYS = ("alpha", "signal", "target", "strategy")


@dataclass(frozen=True)
class Collective:
    """One collective: its size, signal map g, target label y* and strategy (theory.instance.STRATEGIES)."""

    alpha: Fraction
    signal: tuple[int, ...]
    target: int
    strategy: Strategy


@dataclass(frozen=True)
class MultiInstance:
    """A base distribution P0 ([|X|][|Y|] Fractions) and K >= 1 collectives; build with ``parse_multi``."""

    p0: single.Table
    collectives: tuple[Collective, ...]

    @property
    def nx(self) -> int:
        return len(self.p0)

    @property
    def num_labels(self) -> int:
        return len(self.p0[0])

    @property
    def total_alpha(self) -> Fraction:
        return sum((c.alpha for c in self.collectives), Fraction(0))

    def alone(self, k: int) -> single.Instance:
        """Collective k as a single-collective instance (the others absent)."""
        c = self.collectives[k]
        return single.Instance(self.p0, c.signal, c.target, c.strategy, c.alpha)

    def to_json(self) -> dict:
        return {"p0": [[str(v) for v in row] for row in self.p0],
                "collectives": [{"alpha": str(c.alpha), "signal": list(c.signal), "target": c.target,
                                 "strategy": c.strategy.value} for c in self.collectives]}


def parse_multi(doc) -> MultiInstance:
    """Validate a decoded several-collective document; every collective is validated as theory.instance does."""
    if not isinstance(doc, dict):
        raise InputError(f"instance: expected a JSON object, got {type(doc).__name__}")
    single.check_keys(doc, KEYS, "instance with collectives")
    groups = doc["collectives"]
    if not isinstance(groups, list) or not groups:
        raise InputError("collectives: expected a non-empty list of collectives (alpha, signal, target, strategy)")
    found = []
    for k, c in enumerate(groups):
        if not isinstance(c, dict):
            raise InputError(f"collectives[{k}]: expected a JSON object, got {type(c).__name__}")
        single.check_keys(c, COLLECTIVE_KEYS, f"collectives[{k}]")
        try:
            inst = single.parse_instance({"p0": doc["p0"], **c})
        except InputError as e:
            raise InputError(f"collectives[{k}]: {e}") from None
        found.append(Collective(inst.alpha, inst.signal, inst.target, inst.strategy))
    p0 = single.parse_instance({"p0": doc["p0"], **groups[0]}).p0
    out = MultiInstance(p0, tuple(found))
    if out.total_alpha > 1:
        raise InputError(f"collectives: sizes sum to {out.total_alpha}; expected a total of at most 1")
    return out


def make_multi(p0, collectives) -> MultiInstance:
    """``parse_multi`` from Python values: ``collectives`` as (alpha, signal, target, strategy) tuples."""
    return parse_multi({"p0": [list(r) for r in p0], "collectives": [
        {"alpha": a if isinstance(a, (int, str)) else str(a), "signal": list(g), "target": t, "strategy": s}
        for a, g, t, s in collectives]})


def load_any(path: str | Path) -> single.Instance | MultiInstance:
    """Read an instance file: a several-collective instance if it has ``collectives``, else a single one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"instance {path}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    doc = single.decode(text, path)
    with single.in_file(path):
        if isinstance(doc, dict) and "collectives" in doc:
            return parse_multi(doc)
        return single.parse_instance(doc)


def mixture(m: MultiInstance) -> single.Table:
    """P = sum_k alpha_k P*_k + (1 - A) P0, the distribution the firm trains on."""
    out = [[(1 - m.total_alpha) * v for v in row] for row in m.p0]
    for k, c in enumerate(m.collectives):
        star = single.collective_table(m.alone(k))
        for x in range(m.nx):
            for y in range(m.num_labels):
                out[x][y] += c.alpha * star[x][y]
    return tuple(tuple(r) for r in out)


def predictions(m: MultiInstance) -> tuple[int | None, ...]:
    """The Bayes-optimal classifier on the mixture: f(x), or None where the argmax is not unique."""
    return tuple(single.unique_argmax(row) for row in mixture(m))


def success_of(m: MultiInstance, k: int, f: tuple[int | None, ...] | None = None) -> Fraction:
    """S_k exactly: collective k's planting (f(g_k(x)) = y*_k) or erasure (f(x) = f(g_k(x))) success under P0."""
    f = predictions(m) if f is None else f
    c, mass = m.collectives[k], single.marginal(m.p0)
    g = c.signal
    if c.strategy == Strategy.ERASURE:
        return sum((mass[x] for x in range(m.nx) if f[x] is not None and f[x] == f[g[x]]), Fraction(0))
    return sum((mass[x] for x in range(m.nx) if f[g[x]] == c.target), Fraction(0))


def success(m: MultiInstance) -> tuple[Fraction, ...]:
    """(S_1, ..., S_K), each collective's exact success."""
    f = predictions(m)
    return tuple(success_of(m, k, f) for k in range(len(m.collectives)))


# ---- the derived bound ------------------------------------------------------------------------------------

def cooperating(m: MultiInstance, k: int) -> tuple[int, ...]:
    """The other feature-label collectives with collective k's signal map and target (they plant as one)."""
    c = m.collectives[k]
    return tuple(j for j, o in enumerate(m.collectives) if j != k and o.strategy == Strategy.FEATURE_LABEL
                 and o.signal == c.signal and o.target == c.target)


def competing_mass(m: MultiInstance, k: int) -> Fraction:
    """c_o: sum over every other collective j (cooperators aside) of alpha_j P*_j on (X*_k, labels other than y*_k)."""
    c, coop = m.collectives[k], cooperating(m, k)
    image = set(c.signal)
    total = Fraction(0)
    for j, o in enumerate(m.collectives):
        if j == k or j in coop:
            continue
        star = single.collective_table(m.alone(j))
        total += o.alpha * sum((star[x][y] for x in image for y in range(m.num_labels) if y != c.target), Fraction(0))
    return total


def bound_values(m: MultiInstance, k: int) -> dict[str, Fraction]:
    """The parameters of ``multi-thm1`` for collective k (feature-label): alpha, alpha_c, alpha_r, c_o, xi, Delta."""
    c = m.collectives[k]
    if c.strategy != Strategy.FEATURE_LABEL:
        raise InputError(f"collective {k} plays {c.strategy}; multi-thm1 bounds feature-label collectives")
    coop = cooperating(m, k)
    a_c = sum((m.collectives[j].alpha for j in coop), Fraction(0))
    prm = single.params(m.alone(k))
    return {"alpha": c.alpha, "alpha_c": a_c, "alpha_r": m.total_alpha - c.alpha - a_c,
            "c_o": competing_mass(m, k), "xi": prm["xi"], "Delta": prm["Delta"]}


def bound(m: MultiInstance, k: int) -> Fraction:
    """multi-thm1's lower bound on S_k, exactly (epsilon = 0)."""
    v = bound_values(m, k)
    out = 1 - ((1 - v["alpha"] - v["alpha_c"] - v["alpha_r"]) * v["Delta"] * v["xi"] + v["c_o"]) / (v["alpha"] + v["alpha_c"])
    return Fraction(out)


S = SYMBOLS
alpha, alpha_c, alpha_r, c_o, xi, Delta, S_star = (S[n] for n in ("alpha", "alpha_c", "alpha_r", "c_o", "xi", "Delta",
                                                                  "S_star"))

#: multi-thm1's bound: collective k (feature-label) with cooperators alpha_c and every other collective alpha_r.
MULTI_BOUND = 1 - ((1 - alpha - alpha_c - alpha_r) * Delta * xi + c_o) / (alpha + alpha_c)
HYPOTHESES = (sp.Le(alpha + alpha_c + alpha_r, 1), sp.Le(c_o, alpha_r))

FAMILY = "multi"
IDS = ("multi-thm1", "multi-cor2", "multi-head-to-head")


def statements() -> list[Statement]:
    """The several-collective results as stated (theory.catalog derives them)."""
    thm = state(
        id="multi-thm1", title="Success of one of several collectives (feature-label)", kind="theorem",
        source="Derived here (theory/multi.py; proof steps verify/field.py): the setting of Karan et al., FAccT "
               "2025; a bound for it could not be retrieved from the later papers",
        statement=(r"Let collective $k$ plant $(g(x), y^*)$ with size $\alpha$, let cooperating collectives of total "
                   r"size $\alpha_c$ plant with the same $g$ and $y^*$, and let every other collective (total size "
                   r"$\alpha_r$) put mass $c_o$ on the signal set $X^*$ with labels other than $y^*$. A Bayes-optimal "
                   r"firm on the mixture gives collective $k$ the success below, with $\xi = P_0(X^*)$ and $\Delta$ "
                   r"as in Theorem 1. For one collective ($\alpha_c = \alpha_r = c_o = 0$) it is Theorem 1 at "
                   r"$\epsilon = 0$."),
        parameters=params_of(MULTI_BOUND, alpha),
        hypotheses=HYPOTHESES, conclusion=sp.Ge(SUCCESS(alpha), MULTI_BOUND), bound=MULTI_BOUND,
        increasing=True,
        notes=("Point step: alpha P*(x) > (1-A) Delta P0(x) + C(x) implies f(x) = y* (A the total size, C(x) the "
               "other collectives' mass at x off y*); summing the failing points' P*-mass gives the bound.",
               "Ties count against every collective involved, so two equal collectives planting opposite labels "
               "on one fresh point both get success 0; the bound is then 1 - ((1-2 alpha) Delta xi + alpha)/alpha "
               "<= 0, so it claims nothing."),
    )
    cor = state(
        id="multi-cor2", title="Critical mass of one of several collectives", kind="corollary",
        source="Derived here from multi-thm1 by theory.derive.critical_mass",
        statement=(r"The least own size $\alpha$ at which multi-thm1 guarantees success $S^*$, given the cooperating "
                   r"size $\alpha_c$, the others' size $\alpha_r$ and their competing mass $c_o$ on the signal set. "
                   r"Competition raises it by $c_o/(1 - S^* + \Delta\xi)$ (less $\alpha_r \Delta\xi$ of it, the "
                   r"base mass the others displace); cooperation lowers it by $\alpha_c$ and more."),
        hypotheses=HYPOTHESES, critical_mass_of="multi-thm1", target=S_star,
    )
    return [thm, cor, head_to_head()]


def head_to_head() -> Statement:
    """Two collectives plant opposite labels on one fresh signal point: the strictly larger one wins."""
    return state(
        id="multi-head-to-head", title="Two collectives planting opposite labels on one fresh point", kind="claim",
        source="Derived here (exact; verify/field.py and tests/theory/test_multi.py)",
        statement=(r"Two feature-label collectives, of sizes $\alpha$ and $\alpha_r$, map every $x$ to one point "
                   r"$x^*$ with $P_0(x^*) = 0$ and plant different labels. The first succeeds ($S = 1$) iff "
                   r"$\alpha > \alpha_r$, else $S = 0$: equal sizes tie, and a tie counts against both."),
        parameters=(parameter("alpha"), parameter("alpha_r")), hypotheses=(sp.Le(alpha + alpha_r, 1),),
        conclusion=sp.Eq(SUCCESS(alpha), sp.Piecewise((1, alpha > alpha_r), (0, True))),
        notes=("Checked exactly on instances (tests/theory/test_multi.py) and by Z3 (multi.head-to-head).",),
    )


def results(paper=None) -> dict[str, Result]:
    """The several-collective results, derived, keyed by id (theory.catalog derives each when first asked for)."""
    from theory.catalog import result
    return {id: result(id) for id in IDS}


__all__ = ["Collective", "MultiInstance", "bound", "bound_values", "competing_mass", "cooperating", "load_any",
           "make_multi", "mixture", "parse_multi", "predictions", "results", "statements", "success", "success_of"]
