"""Polynomial constraints over the reals, as Z3 terms and as a linear relaxation that refutes them fast.

verify/ layer (theory <- verify). verify/encode.py writes each case of the split counterexample search as a
conjunction of polynomial constraints (``Poly`` compared with 0: ``Atom``). Z3's nonlinear solvers take
minutes on some of them at 3 x 2 and 4 x 2; yet the paper's proofs of Theorems 1, 3 and 5 are sums of the
case's constraints, each multiplied by a nonnegative variable or bound. ``linear_relaxation`` writes those
products down (the reformulation-linearization technique, Sherali and Adams' level 1): every constraint times
every linear one (a bound such as ``gamma > 0``, ``1 - alpha > 0``, ``P0(x, y) >= 0``), every equation times
every variable; then each monomial becomes a fresh real. Any real solution of the case gives a solution of
the linear system (each monomial at its value), so an unsat linear system proves the case unsat; Z3 decides
the linear system with exact rational simplex. A sat one proves nothing (the caller goes on to nlsat).

>>> a, b = Poly.var("a"), Poly.var("b")
>>> cs = [a >= 0, b >= 0, a * b > 1, a + b <= 1]   # a b <= (a + b)^2 / 4 <= 1/4: no solution
>>> refute_linear(cs)[0]
'unsat'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import z3

Monomial = tuple  # sorted variable names, with repetition: ("a", "a", "b") is a^2 b


class Poly:
    """A polynomial with exact rational coefficients (int or Fraction): {monomial: coefficient}, no zero
    coefficients."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict | None = None):
        self.terms = terms or {}

    @staticmethod
    def var(name: str) -> "Poly":
        return Poly({(name,): 1})

    @staticmethod
    def const(value) -> "Poly":
        v = Fraction(value)
        v = v.numerator if v.denominator == 1 else v  # int arithmetic where the coefficients are integers
        return Poly({(): v} if v else {})

    @staticmethod
    def lift(other) -> "Poly":
        return other if isinstance(other, Poly) else Poly.const(other)

    def __add__(self, other) -> "Poly":
        out = dict(self.terms)
        for m, c in Poly.lift(other).terms.items():
            v = out.get(m, 0) + c
            if v:
                out[m] = v
            else:
                out.pop(m, None)
        return Poly(out)

    __radd__ = __add__

    def __neg__(self) -> "Poly":
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other) -> "Poly":
        return self + (-Poly.lift(other))

    def __rsub__(self, other) -> "Poly":
        return Poly.lift(other) - self

    def __mul__(self, other) -> "Poly":
        out: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in Poly.lift(other).terms.items():
                m = tuple(sorted(m1 + m2)) if m1 and m2 else m1 or m2
                out[m] = out.get(m, 0) + c1 * c2
        return Poly({m: c for m, c in out.items() if c})

    __rmul__ = __mul__

    def degree(self) -> int:
        return max((len(m) for m in self.terms), default=0)

    def variables(self) -> set[str]:
        return {v for m in self.terms for v in m}

    def __ge__(self, other) -> "Atom":
        return Atom(self - other, ">=")

    def __gt__(self, other) -> "Atom":
        return Atom(self - other, ">")

    def __le__(self, other) -> "Atom":
        return Atom(Poly.lift(other) - self, ">=")

    def __lt__(self, other) -> "Atom":
        return Atom(Poly.lift(other) - self, ">")

    def eq(self, other) -> "Atom":
        return Atom(self - other, "==")

    def ne(self, other) -> "Atom":
        return Atom(self - other, "!=")

    def smt(self) -> str:
        """SMT-LIB text of the polynomial."""
        if not self.terms:
            return "0.0"
        parts = []
        for m, c in self.terms.items():
            factors = ([_smt_number(c)] if c != 1 or not m else []) + list(m)
            parts.append(factors[0] if len(factors) == 1 else f"(* {' '.join(factors)})")
        return parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"

    def __repr__(self) -> str:
        return self.smt()


def _smt_number(c) -> str:
    if isinstance(c, int):
        return f"{c}.0" if c >= 0 else f"(- {-c}.0)"
    text = f"{abs(c.numerator)}.0" if c.denominator == 1 else f"(/ {abs(c.numerator)}.0 {c.denominator}.0)"
    return f"(- {text})" if c < 0 else text


@dataclass(frozen=True)
class Atom:
    """``poly op 0`` with op one of ``>=``, ``>``, ``==``, ``!=``."""

    poly: Poly
    op: str

    def smt(self) -> str:
        p = self.poly.smt()
        return {">=": f"(>= {p} 0.0)", ">": f"(> {p} 0.0)", "==": f"(= {p} 0.0)",
                "!=": f"(not (= {p} 0.0))"}[self.op]


@dataclass(frozen=True)
class Any:
    """A disjunction of conjunctions of atoms (left out of the linear relaxation: a relaxation may drop
    constraints)."""

    options: tuple[tuple[Atom, ...], ...]

    def smt(self) -> str:
        conj = [f"(and {' '.join(a.smt() for a in o)})" if len(o) != 1 else o[0].smt() for o in self.options]
        return f"(or {' '.join(conj)})" if conj else "false"


def to_z3(constraints) -> list:
    """Atoms, ``Any`` and Z3 Boolean terms as Z3 Boolean terms (one SMT-LIB parse, much faster than building
    terms through Z3's Python API)."""
    text = [c.smt() for c in constraints if isinstance(c, (Atom, Any))]
    raw = [c for c in constraints if not isinstance(c, (Atom, Any))]
    names = sorted({v for c in constraints if isinstance(c, (Atom, Any)) for v in _variables(c)})
    decls = "".join(f"(declare-fun {n} () Real)" for n in names)
    parsed = list(z3.parse_smt2_string(decls + "".join(f"(assert {t})" for t in text))) if text else []
    return parsed + raw


def _variables(c) -> set[str]:
    if isinstance(c, Atom):
        return c.poly.variables()
    return {v for o in c.options for a in o for v in a.poly.variables()}


def linear_relaxation(constraints) -> list[Atom]:
    """The products that make the paper's proofs linear (module docstring), with every constraint itself.

    Every inequality times every linear inequality (the bounds), every equation times every variable, and
    every linear equation also times every degree-2 monomial of the constraints (the normalization
    ``sum P0 = 1`` times ``gamma P0(x, y)`` links the claim's constant to the table). Each returned atom is
    implied by ``constraints`` (a product of a nonnegative and a positive factor is nonnegative, of two
    positives positive, an equation times anything an equation); ``Any`` and Z3 terms are dropped. Its
    monomials are then read as independent variables (``refute_linear``).
    """
    atoms = [c for c in constraints if isinstance(c, Atom) and c.op != "!="]
    factors = [a for a in atoms if a.op != "==" and a.poly.degree() == 1]
    variables = [(v,) for v in sorted({v for a in atoms for v in a.poly.variables()})]
    monomials = variables + sorted({m for a in atoms for m in a.poly.terms if len(m) == 2})
    out = list(atoms)
    for a in atoms:
        if a.op == "==":
            out += [Atom(a.poly * Poly({m: 1}), "==") for m in (monomials if a.poly.degree() == 1 else variables)]
        else:
            out += [Atom(a.poly * f.poly, ">" if a.op == f.op == ">" else ">=") for f in factors]
    return out


def _linear_smt(atoms: list[Atom]) -> str:
    """SMT-LIB text of ``atoms`` with each monomial a variable of its own (``m_a_b`` for a b)."""
    names: dict = {}

    def name(m: Monomial) -> str:
        if m not in names:
            names[m] = "m_" + "_".join(m)
        return names[m]

    lines = []
    for a in atoms:
        parts = [_smt_number(c) if not m else name(m) if c == 1 else f"(* {_smt_number(c)} {name(m)})"
                 for m, c in a.poly.terms.items()]
        lhs = "0.0" if not parts else parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"
        lines.append({">=": f"(assert (>= {lhs} 0.0))", ">": f"(assert (> {lhs} 0.0))",
                      "==": f"(assert (= {lhs} 0.0))"}[a.op])
    return "".join(f"(declare-fun {n} () Real)" for n in names.values()) + "".join(lines)


def refute_linear(constraints, rlimit: int = 20_000_000, deadline: float | None = None) -> tuple[str, str]:
    """("unsat", "") when the linear relaxation of ``constraints`` is infeasible (a proof that they have no
    real solution); otherwise ("sat" or "unknown", reason): nothing is proven.

    Z3's linear real arithmetic (exact rational simplex), seeded and bounded by ``rlimit`` and, if given,
    the wall-clock ``deadline`` (time.monotonic()). Each stage runs in a fresh Z3 context
    (z3util.fresh_context), as every query of verify/ does: its outcome does not depend on earlier queries.
    """
    import time

    from verify import z3util

    atoms = [c for c in constraints if isinstance(c, Atom) and c.op != "!="]
    for stage in (atoms, linear_relaxation(atoms)):  # the constraints alone first: a few ms where they suffice
        s = z3util.new_solver(None, rlimit, logic="QF_LRA", ctx=z3util.fresh_context())
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return "unknown", "time budget spent"
            s.set("timeout", max(1, int(left * 1000)))
        s.from_string(_linear_smt(stage))
        answer = s.check()
        if answer == z3.unsat:
            return "unsat", ""
    return ("sat", "") if answer == z3.sat else ("unknown", s.reason_unknown())
