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
  tau = E_{x ~ P0} max_y |P0(y|x) - P0(y|g(x))|, None when some g(x) of a point with mass has none;
  rho = max over z in X* with P0(g^-1(z)) > 0 of P0(g^-1(z)) / P0(z), None when one such z has P0(z) = 0;
- an eps-optimal firm (``worst_case``) is judged by the same rule: a point where P'(x, .) has no unique
  argmax fails every success criterion that involves it.

>>> inst = parse_instance({"p0": [["1/2", 0], [0, "1/2"]], "signal": [1, 1], "target": 0,
...                        "strategy": "feature-label", "alpha": "3/5"})
>>> success(inst), params(inst)["xi"], params(inst)["Delta"]
(Fraction(1, 1), Fraction(1, 2), Fraction(1, 1))
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from theory.errors import InputError
from theory.numbers import read
from theory.strategy import DISCRETE, Strategy, parse_strategy

#: The strategies of a discrete instance (theory.strategy.DISCRETE).
STRATEGIES = DISCRETE
BOUND_OF = {Strategy.FEATURE_LABEL: "thm1", Strategy.FEATURE_ONLY: "thm3", Strategy.ERASURE: "thm5"}
#: The bound of each strategy that is valid for eps > 0 (equal to BOUND_OF's at eps = 0).
VALID_BOUND_OF = {s: f"{t}-corrected" for s, t in BOUND_OF.items()}

Table = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Instance:
    """One discrete instance; build it with ``parse_instance`` (which validates) or ``make_instance``."""

    p0: Table                 # [|X|][|Y|] joint probabilities, summing to 1
    signal: tuple[int, ...]   # g(x) for each x
    target: int               # y*
    strategy: Strategy        # one of STRATEGIES
    alpha: Fraction           # in (0, 1]

    @property
    def nx(self) -> int:
        return len(self.p0)

    @property
    def num_labels(self) -> int:
        return len(self.p0[0])

    def with_alpha(self, alpha) -> Instance:
        return replace(self, alpha=_fraction(alpha, "alpha"))

    def to_json(self) -> dict:
        """The JSON document of this instance, fractions as "a/b" strings."""
        return {"p0": [[str(v) for v in row] for row in self.p0], "signal": list(self.signal),
                "target": self.target, "strategy": self.strategy.value, "alpha": str(self.alpha)}


def _fraction(value, where: str) -> Fraction:
    """A number of an instance document, exactly: an int, a finite float (its exact binary value), a Fraction,
    or text read by theory.numbers.read ("1/8", "0.125", "1e-3"; never evaluated, and bounded, so that
    "1e999999999" is refused at once rather than expanded)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value)
    out = read(value) if isinstance(value, str) else None
    if out is None:
        raise InputError(f"{where} = {_shown(value)}: expected a number or an \"a/b\" string")
    return out


def _shown(value) -> str:
    """A bad value for a one-line message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
    nx, num_labels = len(p0), len(p0[0])
    signal = doc["signal"]
    if not isinstance(signal, list) or len(signal) != nx:
        raise InputError(f"signal: expected a list of {nx} indices (one per row of p0)")
    for i, s in enumerate(signal):
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < nx:
            raise InputError(f"signal[{i}] = {s!r}: expected an index in 0..{nx - 1}")
    target = doc["target"]
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < num_labels:
        raise InputError(f"target = {target!r}: expected a label index in 0..{num_labels - 1}")
    strategy = parse_strategy(doc["strategy"], STRATEGIES)
    alpha = _fraction(doc["alpha"], "alpha")
    if not 0 < alpha <= 1:
        raise InputError(f"alpha = {alpha}: expected a collective size in (0, 1]")
    inst = Instance(p0, tuple(signal), target, strategy, alpha)
    if strategy == Strategy.ERASURE:
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
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"instance {path}: cannot read ({getattr(e, 'strerror', None) or 'not UTF-8 text'})") from None
    doc = decode(text, path)
    with in_file(path):
        return parse_instance(doc)


@contextlib.contextmanager
def in_file(path):
    """An InputError raised inside names the instance file: ``instance inst.json: p0 sums to 2; ...``."""
    try:
        yield
    except InputError as e:
        text = str(e)
        raise InputError(f"instance {path}: {text.removeprefix('instance: ')}") from None


def decode(text: str, path) -> object:
    """The JSON document of an instance file; InputError for malformed JSON, too deep a nesting, or an integer
    too long for Python to read (json raises ValueError past 4300 digits)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"instance {path}: malformed JSON at line {e.lineno} column {e.colno} ({e.msg})") from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"instance {path}: unreadable JSON ({str(e).split(';')[0] or type(e).__name__})") from None


def _check_erasure(inst: Instance) -> None:
    mass = marginal(inst.p0)
    for x in range(inst.nx):
        if mass[x] > 0 and mass[inst.signal[x]] == 0:
            raise InputError(f"signal[{x}] = {inst.signal[x]} has zero mass under p0; the erasure strategy "
                             f"needs P0(g(x)) > 0 wherever P0(x) > 0")


@functools.lru_cache(maxsize=1024)
def marginal(table: Table) -> tuple[Fraction, ...]:
    return tuple(sum(row, Fraction(0)) for row in table)


def erasure_label(p0: Table, x: int) -> int:
    """argmax_y P0(y | x), the lowest index among ties (x must have mass)."""
    row = p0[x]
    return max(range(len(row)), key=lambda y: (row[y], -y))


def collective_table(inst: Instance) -> Table:
    """P*, the joint distribution of the collective's (feature, label) pairs under its strategy."""
    nx, num_labels, g, t = inst.nx, inst.num_labels, inst.signal, inst.target
    out = [[Fraction(0)] * num_labels for _ in range(nx)]
    mass = marginal(inst.p0)
    for x in range(nx):
        for y in range(num_labels):
            m = inst.p0[x][y]
            if m == 0:
                continue
            if inst.strategy == Strategy.FEATURE_LABEL:
                out[g[x]][t] += m
            elif inst.strategy == Strategy.FEATURE_ONLY:
                out[g[x] if y == t else x][y] += m
            else:
                out[x][erasure_label(inst.p0, g[x]) if mass[g[x]] > 0 else y] += m
    return tuple(tuple(r) for r in out)


@functools.lru_cache(maxsize=1024)
def mixture(inst: Instance) -> Table:
    """P = alpha P* + (1 - alpha) P0, the distribution the firm trains on (cached: instances are immutable)."""
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
    return success_of(inst, mixture(inst))


def params(inst: Instance) -> dict[str, Fraction | None]:
    """The paper's problem parameters of the instance: xi, Delta, p, tau and rho (exact; tau, rho may be None)."""
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
        tau += mass[x] * max(abs(p0[x][y] / mass[x] - p0[g[x]][y] / mass[g[x]]) for y in range(inst.num_labels))
    return {"xi": xi, "Delta": delta, "p": p, "tau": tau, "rho": _rho(inst)}


def _rho(inst: Instance) -> Fraction | None:
    """max_z P0(g^-1(z)) / P0(z) over the images with preimage mass (>= 1; None where some P0(z) = 0)."""
    mass, pre = marginal(inst.p0), preimage_mass(inst)
    ratios = [(pre[z], mass[z]) for z in sorted(set(inst.signal)) if pre[z] > 0]
    if any(m == 0 for _, m in ratios):
        return None
    return max(w / m for w, m in ratios)


def preimage_mass(inst: Instance) -> tuple[Fraction, ...]:
    """P0(g^-1(z)) for every z (0 off the signal set)."""
    mass, out = marginal(inst.p0), [Fraction(0)] * inst.nx
    for x in range(inst.nx):
        out[inst.signal[x]] += mass[x]
    return tuple(out)


def bound(inst: Instance, epsilon: Fraction = Fraction(0), notion: str = "tv", id: str | None = None) -> Fraction | None:
    """A lower bound on success, exactly; None where undefined.

    ``id`` names the result (default: the strategy's bound valid for eps > 0, ``VALID_BOUND_OF``, which is
    Theorem 1, 3 or 5 at eps = 0), read under ``notion``. Theorem 3 needs p > 0 and Theorem 5 tau (and rho,
    for its corrected form); without them there is no bound.
    """
    id = VALID_BOUND_OF[inst.strategy] if id is None else id
    values = {**params(inst), "alpha": inst.alpha, "epsilon": Fraction(epsilon)}
    names, f = _bound_function(id, notion)
    if any(values[n] is None for n in names) or ("p" in names and values["p"] == 0):
        return None
    out = f(*(values[n] for n in names))
    if not isinstance(out, (int, Fraction)):
        raise AssertionError(f"bound of {id} did not evaluate to a rational: {out!r}")
    return Fraction(out)


@functools.cache
def _bound_function(id: str, notion: str = "tv"):
    """A theorem's sympy bound compiled once to Python over Fractions (about 100x faster than subs)."""
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    from theory.paper import result

    class _ExactPrinter(PythonCodePrinter):
        def _print_Rational(self, e):
            return f"Fraction({e.p}, {e.q})"

    r = result(id, notion)
    f = sp.lambdify([q.symbol for q in r.parameters], r.bound, modules=[{"Fraction": Fraction}],
                    printer=_ExactPrinter)
    return tuple(q.name for q in r.parameters), f


# --- the least success over every eps-optimal firm ----------------------------------------------------------


def margins(inst: Instance) -> tuple[Fraction, ...]:
    """M_x = P(x, f(x)) - max_{y != f(x)} P(x, y) on the mixture, where f(x) is the unique argmax; 0 where
    there is none (a tied or empty row already fails). With one label, M_x = P(x, 0)."""
    out = []
    for row in mixture(inst):
        top = sorted(row, reverse=True) + [Fraction(0)]
        out.append(top[0] - top[1])
    return tuple(out)


def attack_costs(inst: Instance, notion: str = "tv") -> tuple[Fraction | None, ...]:
    """What failing each point costs an eps-optimal firm, in margin units (compare with ``margin_budget``).

    With two labels or more a point is tied at cost M_x (``margins``). With one label it can only be emptied:
    TV cost P(x, 0), i.e. 2 P(x, 0) in margin units, under ``tv``; never (None) under ``mixture``, whose P'
    keeps (1-eps) P(x, 0) > 0 there.
    """
    m = margins(inst)
    if inst.num_labels > 1:
        return m
    return tuple(2 * v if notion == "tv" else (None if v > 0 else Fraction(0)) for v in m)


def margin_budget(epsilon, notion: str = "tv") -> Fraction:
    """How much of the per-point margins (joint mass) an eps-optimal firm can remove in total, exactly.

    ``tv``: 2 eps (mass m moved within TV lowers a sum of margins by at most 2m; moving M/2 from the top label
    to the runner-up ties a point of margin M). ``mixture``: eps/(1-eps) (tying needs eps Q(x, y) >= (1-eps) M).
    theory.notions.budget is the same in sympy.
    """
    from theory.notions import check

    eps = _fraction(epsilon, "epsilon")
    if not 0 <= eps < 1:
        raise InputError(f"epsilon = {eps}: expected a suboptimality in [0, 1)")
    return 2 * eps if check(notion) == "tv" else eps / (1 - eps)


@dataclass(frozen=True)
class WorstCase:
    """The least success over every firm that is eps-optimal under a notion, and a firm that attains it.

    The firm is Bayes-optimal for a P' that ties the points ``tied`` (their margins sum to ``cost`` <=
    ``budget``) and leaves every other decision as on the mixture (``adversarial_table`` builds it).
    """

    success: Fraction
    tied: tuple[int, ...]
    cost: Fraction
    budget: Fraction
    epsilon: Fraction
    notion: str


def worst_case(inst: Instance, epsilon=0, notion: str = "tv") -> WorstCase:
    """The exact least success of ``inst`` over all firms that are epsilon-optimal under ``notion``.

    A firm that flips a point to a wrong label pays more than one that ties it and does no better, and
    ties count against the collective, so the least success ties a set F of points whose margins
    (``margins``) fit in the budget (``margin_budget``; inclusive). Planting: F is a knapsack over the signal
    points that predict y*, a point z weighing P0(g^-1(z)). Erasure: tying x fails x, tying z fails every x
    with g(x) = z; with g idempotent the points split into groups g^-1(z), otherwise every subset is tried
    (at most 16 points). Exact (Fractions); at epsilon = 0 it is ``success``.

    >>> inst = make_instance([[0, 0], ["1/2", "1/2"]], [0, 0], 0, "feature-label", "1/2")
    >>> worst_case(inst, "1/4", "tv").success, worst_case(inst, "1/4", "mixture").success
    (Fraction(0, 1), Fraction(1, 1))
    """
    budget = margin_budget(epsilon, notion)
    f, mass, m, g = predictions(inst), marginal(inst.p0), attack_costs(inst, notion), inst.signal
    if inst.strategy == Strategy.ERASURE:
        wins = [x for x in range(inst.nx) if mass[x] > 0 and f[x] is not None and f[x] == f[g[x]]]
        base = sum((mass[x] for x in wins), Fraction(0))
        if all(g[g[x]] == g[x] for x in range(inst.nx)):
            groups = []
            for z in sorted(set(g[x] for x in wins)):
                members = [x for x in wins if g[x] == z and x != z and m[x] is not None]
                front = _knapsack([(m[x], mass[x], (x,)) for x in members], budget)
                whole = sum((mass[x] for x in wins if g[x] == z), Fraction(0))
                groups.append(_prune(front + ([(m[z], whole, (z,))] if m[z] is not None else []), budget))
            best = _merge_all(groups, budget)
        else:
            best = _erasure_subsets(inst, wins, m, budget)
    else:
        pre = preimage_mass(inst)
        signal = [z for z in sorted(set(g)) if f[z] == inst.target and pre[z] > 0]
        base = sum((pre[z] for z in signal), Fraction(0))
        best = _knapsack([(m[z], pre[z], (z,)) for z in signal if m[z] is not None], budget)
    cost, loss, tied = max(best, key=lambda c: (c[1], -c[0]))
    return WorstCase(base - loss, tuple(sorted(tied)), cost, budget, Fraction(epsilon), notion)


Option = tuple[Fraction, Fraction, tuple[int, ...]]  # (cost, loss, tied points)


def _prune(options: list[Option], budget: Fraction) -> list[Option]:
    """The Pareto frontier within the budget: cheaper first, each losing strictly more than all cheaper ones."""
    out: list[Option] = []
    for o in sorted((o for o in options if o[0] <= budget), key=lambda o: (o[0], -o[1])):
        if not out or o[1] > out[-1][1]:
            out.append(o)
    return out


def _merge(a: list[Option], b: list[Option], budget: Fraction) -> list[Option]:
    return _prune([(ca + cb, la + lb, ta + tb) for ca, la, ta in a for cb, lb, tb in b], budget)


def _merge_all(groups: list[list[Option]], budget: Fraction) -> list[Option]:
    front: list[Option] = [(Fraction(0), Fraction(0), ())]
    for grp in groups:
        front = _merge(front, _prune([(Fraction(0), Fraction(0), ()), *grp], budget), budget)
    return front


def _knapsack(items: list[Option], budget: Fraction) -> list[Option]:
    """0/1 knapsack over (cost, loss) items as a Pareto frontier of (cost, loss, chosen), exact."""
    return _merge_all([[item] for item in items], budget)


def _erasure_subsets(inst: Instance, wins: list[int], m, budget: Fraction) -> list[Option]:
    """Erasure with a non-idempotent g: every subset of the points that can matter, within the budget."""
    import itertools

    g, mass = inst.signal, marginal(inst.p0)
    relevant = sorted(x for x in {*wins, *(g[x] for x in wins)} if m[x] is not None)
    if len(relevant) > 16:
        raise InputError(f"erasure with a non-idempotent signal map over {len(relevant)} relevant points: the exact "
                         f"worst case tries every subset; expected at most 16")
    found = []
    for k in range(len(relevant) + 1):
        for tied in itertools.combinations(relevant, k):
            cost = sum((m[x] for x in tied), Fraction(0))
            if cost <= budget:
                hit = set(tied)
                found.append((cost, sum((mass[x] for x in wins if x in hit or g[x] in hit), Fraction(0)), tied))
    return _prune(found, budget)


def adversarial_table(inst: Instance, worst: WorstCase) -> Table:
    """The P' of a firm that attains ``worst``: ``tv``, M_x/2 moved from the top label to the runner-up at each
    tied x; ``mixture``, (1-eps) P + eps Q with Q on the runner-ups and the rest of Q spread evenly over all
    cells (an even spread keeps every row's ties and argmax).

    The firm of ``worst`` is Bayes-optimal for it with the tied points tied (for tests and reports).
    """
    P, m = [list(r) for r in mixture(inst)], margins(inst)
    eps = worst.epsilon
    if inst.num_labels == 1:  # tied means emptied (tv only): the row's mass moves to a row that does not matter
        if worst.tied:
            sink = next(x for x in range(inst.nx) if x not in worst.tied and P[x][0] > 0)  # keeps f(sink) = 0
            P[sink][0] += sum(P[x][0] for x in worst.tied)
            for x in worst.tied:
                P[x][0] = Fraction(0)
        return tuple(tuple(r) for r in P)
    runner = {}
    for x in worst.tied:
        order = sorted(range(inst.num_labels), key=lambda y: (-P[x][y], y))
        runner[x] = (order[0], order[1])
    if worst.notion == "tv":
        for x, (top, second) in runner.items():
            P[x][top] -= m[x] / 2
            P[x][second] += m[x] / 2
        return tuple(tuple(r) for r in P)
    if eps == 0:
        return tuple(tuple(r) for r in P)
    Q = [[Fraction(0)] * inst.num_labels for _ in range(inst.nx)]
    for x, (_, second) in runner.items():
        Q[x][second] += (1 - eps) * m[x] / eps
    rest = (1 - sum(map(sum, Q))) / (inst.nx * inst.num_labels)
    return tuple(tuple((1 - eps) * P[x][y] + eps * (Q[x][y] + rest) for y in range(inst.num_labels)) for x in range(inst.nx))


def success_of(inst: Instance, table: Table) -> Fraction:
    """The success of the firm that is Bayes-optimal for ``table`` (unique argmax; ties and empty rows fail)."""
    f, mass, g = tuple(unique_argmax(row) for row in table), marginal(inst.p0), inst.signal
    if inst.strategy == Strategy.ERASURE:
        return sum((mass[x] for x in range(inst.nx) if f[x] is not None and f[x] == f[g[x]]), Fraction(0))
    return sum((mass[x] for x in range(inst.nx) if f[g[x]] == inst.target), Fraction(0))
