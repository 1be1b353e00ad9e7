"""Discrete instances of the founding paper's setting, in exact rational arithmetic.

An instance is a joint table P0 over |X| feature values x |Y| labels, a signal map g: X -> X, a target
label y*, a strategy and a collective size alpha. The firm is Bayes-optimal on the mixture
P = alpha P* + (1 - alpha) P0, where P* is the collective's distribution under the strategy (equations (1)
and (3) and the erasure strategy of Section 3.2). Everything here is ``Fraction``: this module is the
exact reference that verify/ checks bounds against and that numerics/ must agree with to 1e-12.

The JSON form (``parse_instance``)::

    {"p0": [["1/4", 0], [0.5, "1/4"]], "signal": [1, 1], "target": 0,
     "strategy": "feature-label", "alpha": "1/20"}

Conventions, fixed once here:

- a prediction counts for the collective only when it is the *unique* argmax of P(x, .); ties and
  zero-mass points count against it;
- the erasure strategy relabels x to argmax_y P0(y | g(x)), the lowest label index among ties, and needs
  P0(g(x)) > 0 for every x with P0(x) > 0;
- xi = P0(X*) with X* = {g(x) : x in X}; Delta = max over x in X* with P0(x) > 0 of
  (max_y P0(y|x) - P0(y*|x)), 0 when there is none; p = min over x with P0(x) > 0 of P0(y*|x);
  tau = E_{x ~ P0} max_y |P0(y|x) - P0(y|g(x))|, None when some g(x) of a point with mass has none.

>>> inst = parse_instance({"p0": [["1/2", 0], [0, "1/2"]], "signal": [1, 1], "target": 0,
...                        "strategy": "feature-label", "alpha": "3/5"})
>>> success(inst), params(inst)["xi"], params(inst)["Delta"]
(Fraction(1, 1), Fraction(1, 2), Fraction(1, 1))
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from theory.errors import InputError

STRATEGIES = ("feature-label", "feature-only", "erasure")
BOUND_OF = {"feature-label": "thm1", "feature-only": "thm3", "erasure": "thm5"}

Table = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Instance:
    """One discrete instance; build it with ``parse_instance`` (which validates) or ``make_instance``."""

    p0: Table                 # [|X|][|Y|] joint probabilities, summing to 1
    signal: tuple[int, ...]   # g(x) for each x
    target: int               # y*
    strategy: str             # one of STRATEGIES
    alpha: Fraction           # in (0, 1]

    @property
    def nx(self) -> int:
        return len(self.p0)

    @property
    def ny(self) -> int:
        return len(self.p0[0])

    def with_alpha(self, alpha) -> Instance:
        return replace(self, alpha=_fraction(alpha, "alpha"))

    def to_json(self) -> dict:
        """The JSON document of this instance, fractions as "a/b" strings."""
        return {"p0": [[str(v) for v in row] for row in self.p0], "signal": list(self.signal),
                "target": self.target, "strategy": self.strategy, "alpha": str(self.alpha)}


def _fraction(value, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Fraction)):
        raise InputError(f"{where} = {value!r}: expected a number or an \"a/b\" string")
    try:
        out = Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise InputError(f"{where} = {value!r}: expected a number or an \"a/b\" string") from None
    return out


#: The keys of an instance document; any other key is an error, never ignored.
KEYS = ("p0", "signal", "target", "strategy", "alpha")


def check_keys(doc: dict, keys: tuple[str, ...], where: str) -> None:
    """Raise InputError naming the first missing or unknown key of ``doc`` (a key is never silently ignored).

    A document with ``collectives`` is a several-collective instance (theory.multi), named as such.
    """
    for key in doc:
        if key not in keys:
            hint = ("; an instance with several collectives is read by theory.multi (check-instance reads both)"
                    if key == "collectives" else "")
            raise InputError(f"{where}: unknown key {key!r}; expected exactly {', '.join(keys)}{hint}")
    for key in keys:
        if key not in doc:
            raise InputError(f"{where}: missing key {key!r}; expected {', '.join(keys)}")


def parse_instance(doc) -> Instance:
    """Validate a JSON document (already decoded) and return the exact ``Instance``."""
    if not isinstance(doc, dict):
        raise InputError(f"instance: expected a JSON object, got {type(doc).__name__}")
    check_keys(doc, KEYS, "instance")
    rows = doc["p0"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        raise InputError("p0: expected a non-empty list of non-empty rows (|X| x |Y|)")
    if len({len(r) for r in rows}) != 1:
        raise InputError(f"p0: rows have different lengths {[len(r) for r in rows]}; expected equal lengths")
    p0 = tuple(tuple(_fraction(v, f"p0[{i}][{j}]") for j, v in enumerate(r)) for i, r in enumerate(rows))
    for i, r in enumerate(p0):
        for j, v in enumerate(r):
            if v < 0:
                raise InputError(f"p0[{i}][{j}] = {v}: expected a probability >= 0")
    total = sum(sum(r) for r in p0)
    if total != 1:
        raise InputError(f"p0 sums to {total}; expected exactly 1")
    nx, ny = len(p0), len(p0[0])
    signal = doc["signal"]
    if not isinstance(signal, list) or len(signal) != nx:
        raise InputError(f"signal: expected a list of {nx} indices (one per row of p0)")
    for i, s in enumerate(signal):
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < nx:
            raise InputError(f"signal[{i}] = {s!r}: expected an index in 0..{nx - 1}")
    target = doc["target"]
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < ny:
        raise InputError(f"target = {target!r}: expected a label index in 0..{ny - 1}")
    strategy = doc["strategy"]
    if strategy not in STRATEGIES:
        raise InputError(f"strategy = {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    alpha = _fraction(doc["alpha"], "alpha")
    if not 0 < alpha <= 1:
        raise InputError(f"alpha = {alpha}: expected a collective size in (0, 1]")
    inst = Instance(p0, tuple(signal), target, strategy, alpha)
    if strategy == "erasure":
        _check_erasure(inst)
    return inst


def make_instance(p0, signal, target, strategy, alpha) -> Instance:
    """``parse_instance`` from Python values."""
    return parse_instance({"p0": [list(r) for r in p0], "signal": list(signal), "target": target,
                           "strategy": strategy, "alpha": alpha if isinstance(alpha, (int, str)) else str(alpha)})


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"instance {path}: cannot read ({e.strerror})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"instance {path}: malformed JSON at line {e.lineno} column {e.colno} ({e.msg})") from None
    return parse_instance(doc)


def _check_erasure(inst: Instance) -> None:
    mass = marginal(inst.p0)
    for x in range(inst.nx):
        if mass[x] > 0 and mass[inst.signal[x]] == 0:
            raise InputError(f"signal[{x}] = {inst.signal[x]} has zero mass under p0; the erasure strategy "
                             f"needs P0(g(x)) > 0 wherever P0(x) > 0")


def marginal(table: Table) -> tuple[Fraction, ...]:
    return tuple(sum(row, Fraction(0)) for row in table)


def erasure_label(p0: Table, x: int) -> int:
    """argmax_y P0(y | x), the lowest index among ties (x must have mass)."""
    row = p0[x]
    return max(range(len(row)), key=lambda y: (row[y], -y))


def collective_table(inst: Instance) -> Table:
    """P*, the joint distribution of the collective's (feature, label) pairs under its strategy."""
    nx, ny, g, t = inst.nx, inst.ny, inst.signal, inst.target
    out = [[Fraction(0)] * ny for _ in range(nx)]
    mass = marginal(inst.p0)
    for x in range(nx):
        for y in range(ny):
            m = inst.p0[x][y]
            if m == 0:
                continue
            if inst.strategy == "feature-label":
                out[g[x]][t] += m
            elif inst.strategy == "feature-only":
                out[g[x] if y == t else x][y] += m
            else:
                out[x][erasure_label(inst.p0, g[x]) if mass[g[x]] > 0 else y] += m
    return tuple(tuple(r) for r in out)


def mixture(inst: Instance) -> Table:
    """P = alpha P* + (1 - alpha) P0, the distribution the firm trains on."""
    star, a = collective_table(inst), inst.alpha
    return tuple(tuple(a * s + (1 - a) * q for s, q in zip(rs, rq)) for rs, rq in zip(star, inst.p0))


def unique_argmax(row) -> int | None:
    """The index of the strict maximum of a row, or None when it is tied (or the row is all zero)."""
    best = max(row)
    winners = [i for i, v in enumerate(row) if v == best]
    return winners[0] if len(winners) == 1 and best > 0 else None


def predictions(inst: Instance) -> tuple[int | None, ...]:
    """The Bayes-optimal classifier on the mixture: f(x), or None where it is not a unique argmax."""
    return tuple(unique_argmax(row) for row in mixture(inst))


def success(inst: Instance) -> Fraction:
    """S(alpha) exactly: P0-mass of planting (f(g(x)) = y*) or erasure (f(x) = f(g(x))) success."""
    f, mass, g = predictions(inst), marginal(inst.p0), inst.signal
    if inst.strategy == "erasure":
        return sum((mass[x] for x in range(inst.nx) if f[x] is not None and f[x] == f[g[x]]), Fraction(0))
    return sum((mass[x] for x in range(inst.nx) if f[g[x]] == inst.target), Fraction(0))


def params(inst: Instance) -> dict[str, Fraction | None]:
    """The paper's problem parameters of the instance: xi, Delta, p, tau (exact; tau may be None)."""
    p0, g, t, mass = inst.p0, inst.signal, inst.target, marginal(inst.p0)
    image = sorted(set(g))
    xi = sum((mass[x] for x in image), Fraction(0))
    gaps = [(max(p0[x]) - p0[x][t]) / mass[x] for x in image if mass[x] > 0]
    delta = max(gaps, default=Fraction(0))
    with_mass = [x for x in range(inst.nx) if mass[x] > 0]
    p = min(p0[x][t] / mass[x] for x in with_mass)
    tau: Fraction | None = Fraction(0)
    for x in with_mass:
        if mass[g[x]] == 0:
            tau = None
            break
        tau += mass[x] * max(abs(p0[x][y] / mass[x] - p0[g[x]][y] / mass[g[x]]) for y in range(inst.ny))
    return {"xi": xi, "Delta": delta, "p": p, "tau": tau}


def bound(inst: Instance, epsilon: Fraction = Fraction(0)) -> Fraction | None:
    """The lower bound on success of Theorem 1, 3 or 5 (by strategy), exactly; None where undefined.

    Theorem 3 needs p > 0 and Theorem 5 needs tau; without them there is no bound.
    """
    values = {**params(inst), "alpha": inst.alpha, "epsilon": Fraction(epsilon)}
    names, f = _bound_function(BOUND_OF[inst.strategy])
    if any(values[n] is None for n in names) or (inst.strategy == "feature-only" and values["p"] == 0):
        return None
    out = f(*(values[n] for n in names))
    if not isinstance(out, (int, Fraction)):
        raise AssertionError(f"bound of {BOUND_OF[inst.strategy]} did not evaluate to a rational: {out!r}")
    return Fraction(out)


@functools.cache
def _bound_function(id: str):
    """A theorem's sympy bound compiled once to Python over Fractions (about 100x faster than subs)."""
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    from theory.paper import result

    class _ExactPrinter(PythonCodePrinter):
        def _print_Rational(self, e):
            return f"Fraction({e.p}, {e.q})"

    r = result(id)
    f = sp.lambdify([q.symbol for q in r.parameters], r.bound, modules=[{"Fraction": Fraction}],
                    printer=_ExactPrinter)
    return tuple(q.name for q in r.parameters), f
