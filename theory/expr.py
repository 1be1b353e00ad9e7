"""The one parser for expressions a user types: claims, conditions, bounds, hypotheses, ``--set`` values.

Bottom of the theory layer, beside parameters.py. Text is read with Python's ``ast`` (which only parses,
never runs) and every node is checked against a whitelist before a sympy object is built from it, so no
user text ever reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``. What is admitted:

- numbers: integers, decimals and ``1e-3`` (read exactly, as rationals); ``pi``;
- ``+ - * /`` and powers ``**`` (or ``^``, as papers write it), with a numeric exponent of at most
  ``MAX_EXPONENT`` in absolute value or an exponent in the parameters; numbers stay below ``MAX_BITS`` bits;
- the functions bounds use (``FUNCTIONS``: log, exp, sqrt, Min, Max, Abs, ...);
- every number the text computes from numbers alone (``exp(700)``, ``sqrt(2)/2``) has a magnitude within
  2**-MAX_BITS and 2**MAX_BITS or is 0 (``MAGNITUDE``), checked at 64 bits before sympy builds it, so
  ``exp(1e300)`` is refused in microseconds instead of running for hours;
- the names in scope (a result's parameters, and whatever the caller adds, e.g. ``thm1`` for a claim);
- where relations are asked for: ``< <= > >= == !=`` (chains such as ``0 < x <= 1``), ``and or not``.

Anything else raises InputError naming the bad token, its column and what was expected.

>>> from theory.parameters import SYMBOLS
>>> parse("1 - (1 - alpha)/alpha * Delta * xi", {n: SYMBOLS[n] for n in ("alpha", "Delta", "xi")})
-Delta*xi*(1 - alpha)/alpha + 1
>>> xi = SYMBOLS["xi"]
>>> parse("0 < xi <= 1/10", {"xi": xi}, relation=True) == sp.And(sp.Lt(0, xi), sp.Le(xi, sp.Rational(1, 10)))
True
>>> parse("__import__('os')", {})
Traceback (most recent call last):
...
theory.errors.InputError: '__import__' at column 1 is not allowed: expected a function among Abs LambertW Max Min ceiling exp floor log sqrt
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from fractions import Fraction

import math

import mpmath
import sympy as sp

from theory.errors import InputError

from theory.numbers import (FUNCTION_ARITIES, INTEGER, MAX_BITS, MAX_DECIMAL_EXPONENT, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, decimal,
                            split_top)

#: Function name -> (sympy function, allowed argument counts): theory.numbers.FUNCTION_ARITIES, the one list.
_SYMPY_FUNCTIONS = {"log": sp.log, "exp": sp.exp, "sqrt": sp.sqrt, "Min": sp.Min, "Max": sp.Max, "Abs": sp.Abs,
                    "floor": sp.floor, "ceiling": sp.ceiling, "LambertW": sp.LambertW}
FUNCTIONS: dict[str, tuple[Callable, tuple[int, ...]]] = {
    name: (_SYMPY_FUNCTIONS[name], arities) for name, arities in FUNCTION_ARITIES.items()}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}
#: The same functions and constants at 64 bits in mpmath, for the magnitude check (``_Builder.checked``):
#: mpmath computes exp(1e300) in microseconds (its exponent is an integer of any size), where sympy's exact
#: objects would then be printed, compared or converted digit by digit (hours, in one C call that ignores
#: SIGTERM). Complex values (log(-1)) are measured by their modulus; Min and Max of them are left to sympy.
_APPROX_FUNCTIONS: dict[str, Callable] = {
    "log": lambda x, b=None: mpmath.log(x) if b is None else mpmath.log(x, b), "exp": mpmath.exp,
    "sqrt": mpmath.sqrt, "Min": lambda *a: min(a), "Max": lambda *a: max(a), "Abs": abs,
    "floor": mpmath.floor, "ceiling": mpmath.ceil, "LambertW": mpmath.lambertw,
}
_APPROX_CONSTANTS = {"pi": lambda: mpmath.pi, "E": lambda: mpmath.e}
#: Magnitudes allowed for a number the text computes (a constant part: ``exp(700)``, ``2**-64``): a value
#: within 2**-MAX_BITS and 2**MAX_BITS (about 1e-1233 and 1e1233) in absolute value, or 0. The bound holds
#: for every part before sympy builds it, so no later step (printing, comparing, evalf, Fraction) meets a
#: number with a billion-digit exponent.
MAGNITUDE = (f"a number of magnitude at most 2**{MAX_BITS} (about 1e{int(MAX_BITS * math.log10(2))}) and, "
             f"unless it is 0, at least 2**-{MAX_BITS}")

#: What a Python literal form the grammar does not read (0x1, 0b1, 0o7, 0.0_1) is told to expect.
_DIGITS = ("a number written in decimal digits such as 1, 0.01, 1/100, 1e-2 or 10**-2 ({} is not read, so that "
           "a typo does not silently mean a number)")
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARE = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq, ast.NotEq: sp.Ne}
_NODES = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Compare, ast.BoolOp)


class _Refused(Exception):
    """A node the grammar does not admit: (node or column, the token, what was expected)."""


def parse(text: str, names: Mapping[str, sp.Basic], *, relation: bool = False, what: str = "",
          functions: Mapping[str, tuple[Callable, tuple[int, ...]]] | None = None, decide: bool = True) -> sp.Basic:
    """Parse ``text`` into a sympy expression (or, with ``relation=True``, a relation or Boolean of them).

    Args:
      text: what the user typed.
      names: the names in scope, each mapped to the sympy object it stands for (a parameter's symbol,
        or an expression such as a theorem's bound).
      relation: whether a relation is wanted (``x < 1``, ``a >= b and c > 0``) instead of an expression.
      what: how the message names the input, e.g. ``"--claim 'thm1 + 1'"``; each error is one line.
      functions: more functions beside FUNCTIONS (name -> (sympy function, argument counts)).
      decide: whether sympy should decide relations it can (``0 < 1`` becomes true); False keeps them as
        written, which is faster (no assumptions are queried).

    Raises:
      InputError: on anything outside the grammar, naming the token, its 1-based column and what was expected.
    """
    head = f"{what}: " if what else ""
    if not isinstance(text, str):
        raise InputError(f"{head}{text!r} is not text; expected an expression as a string")
    if len(text) > MAX_LENGTH:
        raise InputError(f"{head}{len(text)} characters; expected at most {MAX_LENGTH}")
    if not text.strip():
        raise InputError(f"{head}empty; expected {'a relation' if relation else 'an expression'}")
    try:
        # "^" is a power, as papers write it; no string literal survives the grammar, so the swap is safe.
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as e:
        col = _column(text, e.offset)
        raise InputError(f"{head}{e.msg} at {col}; expected {'a relation' if relation else 'an expression'} "
                         "of numbers, names in scope, + - * / ** ( ) and functions") from None
    except (RecursionError, MemoryError, ValueError):
        raise InputError(f"{head}too deeply nested or malformed; expected at most {MAX_DEPTH} levels") from None
    builder = _Builder(text.strip().replace("^", "**"), names, {**FUNCTIONS, **(functions or {})}, decide)
    try:
        builder.first_bad(tree)
        out = builder.build(tree.body, 0)
    except _Refused as e:
        node, token, expected = e.args
        col = _column(text, node.col_offset + 1 if isinstance(node, ast.AST) else node)
        raise InputError(f"{head}{token} at {col} is not allowed: expected {expected}") from None
    if relation and isinstance(out, sp.Expr):
        raise InputError(f"{head}{text.strip()!r} is an expression; expected a relation such as 'x < 1'")
    if not relation and not isinstance(out, sp.Expr):
        raise InputError(f"{head}{text.strip()!r} is a relation; expected an expression")
    return out


def _column(text: str, offset: int | None) -> str:
    """``"column N"``: ``offset`` (1-based, in the text as parsed: stripped, each ``^`` written ``**``) counted in
    ``text`` as typed, from 1 like every message; ``"the end (column N)"`` where the parser gives none (Python's
    SyntaxError has offset 0 for an expression that ends too soon, such as ``thm1 +``)."""
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    if not offset or offset < 1:
        return f"the end (column {lead + len(stripped) + 1})"
    parsed, typed = 1, 1
    for ch in stripped:  # walk the typed text; each '^' is two characters in the parsed one
        width = 2 if ch == "^" else 1
        if parsed + width > offset:
            break
        parsed, typed = parsed + width, typed + 1
    return f"column {lead + typed}"


def number(text: str, what: str = "") -> Fraction:
    """A number typed by the user (``0.01``, ``1/100``, ``1e-2``, ``10**-2``) as an exact Fraction.

    >>> number("1/8"), number("2**-3"), number("1.25e-1")
    (Fraction(1, 8), Fraction(1, 8), Fraction(1, 8))
    """
    try:
        value = parse(text, {})
    except InputError as e:
        raise InputError(f"{what or repr(text)} is not a number: {e}") from None
    if not value.is_Rational:
        try:
            return _float_fraction(value, text, what)
        except (TypeError, ValueError):
            raise InputError(f"{what + ': ' if what else ''}{text!r} is not a number; expected a decimal, a "
                             "fraction a/b or an expression in numbers") from None
        except ArithmeticError:  # sympy's PrecisionExhausted: floor(exp(500)) needs its 218 digits
            raise InputError(f"{what + ': ' if what else ''}{text!r} cannot be evaluated to 30 significant "
                             "digits (sympy ran out of working precision, as for floor of a number of hundreds of "
                             "digits); expected a decimal, a fraction a/b or a smaller expression") from None
    return Fraction(int(value.p), int(value.q))


def _float_fraction(value: sp.Expr, text: str, what: str) -> Fraction:
    """An irrational number (``sqrt(2)/2``) to 30 significant digits, as a Fraction."""
    v = value.evalf(30)
    if not v.is_real or not v.is_finite:
        raise ValueError(text)
    return Fraction(str(v))


def dump(expr: sp.Basic, names: Mapping[sp.Symbol, str]) -> str:
    """``expr`` written in the grammar of ``parse``, each symbol by its name in ``names``: parse(dump(e)) == e.

    >>> from theory.parameters import SYMBOLS
    >>> a = SYMBOLS["alpha"]
    >>> dump(sp.Max(a**2, 1) >= 1 / a, {a: "alpha"})
    'Max(1, alpha**2) >= 1/alpha'
    """
    return _Printer({"names": dict(names)}).doprint(expr)


class _Printer(sp.printing.str.StrPrinter):
    """sympy's str printer with ``and``/``or``/``not`` for Booleans (sympy writes ``&``, ``|``, ``~``)."""

    _default_settings = {**sp.printing.str.StrPrinter._default_settings, "names": {}}

    def _print_And(self, e):
        return " and ".join(f"({self._print(a)})" for a in e.args)

    def _print_Or(self, e):
        return " or ".join(f"({self._print(a)})" for a in e.args)

    def _print_Not(self, e):
        return f"not ({self._print(e.args[0])})"

    def _print_Relational(self, e):
        return f"{self._print(e.lhs)} {e.rel_op} {self._print(e.rhs)}"

    def _print_BooleanTrue(self, e):
        return "0 == 0"

    def _print_BooleanFalse(self, e):
        return "0 == 1"

    def _print_Symbol(self, e):
        names = self._settings["names"]
        if e not in names:
            raise ValueError(f"symbol {e} has no name in scope")
        return names[e]


def _scope_words(names) -> str:
    shown = sorted(names)
    text = " ".join(shown[:24]) + (" ..." if len(shown) > 24 else "")
    return text or "none"


class _Builder:
    def __init__(self, text: str, names: Mapping[str, sp.Basic], functions, decide: bool = True):
        self.decide = decide
        self.approx: dict[int, object] = {}  # id(node) -> its value at 64 bits (mpf or mpc), where it has no names
        self.text = text
        self.names = names
        self.functions = functions
        self.expected = (f"a number, an operator (+ - * / ** ( )), a function ({' '.join(sorted(functions))}) or a "
                         f"name in scope ({_scope_words(names)})")

    def first_bad(self, tree: ast.AST) -> None:
        """Refuse the leftmost (then innermost) node outside the grammar, before anything is built."""
        funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        bad = []
        for node in ast.walk(tree):
            if not hasattr(node, "col_offset"):
                continue  # contexts, operators, and parts (arguments, comprehension) whose parent is refused
            if not isinstance(node, _NODES):
                bad.append(node)
            elif isinstance(node, ast.Name) and node.id not in self.names and node.id not in CONSTANTS and not (
                    id(node) in funcs and node.id in self.functions):
                bad.append(node)
        if bad:
            first = min(bad, key=lambda n: (n.lineno, n.col_offset, n.end_col_offset))
            if isinstance(first, ast.Name):
                self.build(first, 0) if id(first) not in funcs else self.refuse(
                    first, f"a function among {' '.join(sorted(self.functions))}")
            self.refuse(first)

    def token(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node) or type(node).__name__
        return repr(segment if len(segment) <= 40 else segment[:37] + "...")

    def refuse(self, node, expected=None, token=None):
        raise _Refused(node, token or self.token(node), expected or self.expected)

    def build(self, node: ast.AST, depth: int):
        if depth > MAX_DEPTH:
            self.refuse(node, f"at most {MAX_DEPTH} levels of nesting")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            self.refuse(node)
        return method(node, depth + 1)

    def checked(self, node, compute: Callable, *parts, small: bool = True):
        """The value of ``node`` at 64 bits, ``compute(*values of parts)``, or None where a part has names (its
        value is unknown here); refuses the node when the value is outside MAGNITUDE, before sympy builds it.
        ``small=False`` for a sum, where a tiny value can only come from cancellation at 64 bits."""
        values = [self.approx.get(id(p)) for p in parts]
        if any(v is None for v in values):
            return None
        with mpmath.workprec(64):
            try:
                value = compute(*values)
            except (ValueError, ZeroDivisionError, TypeError, ArithmeticError):
                value = None  # undefined here (log(0), a complex Min): sympy decides or refuses
            if value is not None and (not mpmath.isfinite(value) or mpmath.isnan(value)):
                value = None
            if value is not None and value != 0:
                m = mpmath.mag(value)  # 2**(m-1) <= |value| < 2**m, up to rounding
                if m > MAX_BITS + 1 or (small and m < -MAX_BITS):
                    self.refuse(node, f"{MAGNITUDE}; this one is about 10**{float(m * mpmath.log10(2)):.4g}")
        self.approx[id(node)] = value
        return value

    def expr(self, node, depth) -> sp.Expr:
        out = self.build(node, depth)
        if not isinstance(out, sp.Expr):
            self.refuse(node, "an expression here, not a relation")
        return out

    def boolean(self, node, depth) -> sp.Basic:
        out = self.build(node, depth)
        if isinstance(out, sp.Expr):
            self.refuse(node, "a relation here (such as x < 1), not an expression")
        return out

    # -- leaves
    def _Constant(self, node, depth):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.refuse(node, "a number (strings, bytes, complex numbers and None are not expressions)")
        if isinstance(v, int):
            if not INTEGER.match(ast.get_source_segment(self.text, node) or ""):
                self.refuse(node, _DIGITS.format(_literal_kind(self.token(node))))
            value = self.check_size(node, sp.Integer(v))
        else:
            value = self.check_size(node, self.decimal(node))
        self.approx[id(node)] = mpmath.mpf(value.p) / value.q if value.q != 1 else mpmath.mpf(value.p)
        return value

    def decimal(self, node) -> sp.Rational:
        token = self.token(node)
        f = decimal(ast.get_source_segment(self.text, node) or "")
        if f is None and "_" in token:
            self.refuse(node, _DIGITS.format(_literal_kind(token)))
        if f is None:
            self.refuse(node, f"a decimal number such as 0.01 or 1e-3, with a decimal exponent of at most "
                              f"{MAX_DECIMAL_EXPONENT} in absolute value")
        return sp.Rational(f.numerator, f.denominator)

    def _Name(self, node, depth):
        if node.id in self.names:
            value = self.names[node.id]
            if isinstance(value, sp.Rational):  # a value fixed by the caller (--set in a claim)
                self.approx[id(node)] = mpmath.mpf(value.p) / value.q
            return value
        if node.id in CONSTANTS:
            self.approx[id(node)] = _APPROX_CONSTANTS[node.id]()
            return CONSTANTS[node.id]
        if node.id in self.functions:
            self.refuse(node, f"a call such as {node.id}(x): a function is not a value")
        self.refuse(node, f"a name in scope ({_scope_words(self.names)}) or a number", token=f"unknown name {node.id!r}")

    # -- arithmetic
    def _UnaryOp(self, node, depth):
        if isinstance(node.op, ast.Not):
            return sp.Not(self.boolean(node.operand, depth))
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.expr(node.operand, depth)
            self.checked(node, (lambda x: -x) if isinstance(node.op, ast.USub) else (lambda x: x), node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        self.refuse(node, "an operator among + - * / ** ^", token=repr("~"))

    def _BinOp(self, node, depth):
        op = _ARITH.get(type(node.op))
        if op is None:
            self.refuse(node, "an operator among + - * / ** ^", token=repr(self.op_text(node)))
        left = self.expr(node.left, depth)
        if op == "**":
            return self.power(node, left, self.expr(node.right, depth))
        right = self.expr(node.right, depth)
        if op == "/" and right.is_zero:
            self.refuse(node.right, "a divisor that is not zero", token=self.token(node.right))
        self.checked(node, {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                            "/": lambda a, b: a / b}[op], node.left, node.right, small=op in "*/")
        value = {"+": sp.Add, "-": lambda a, b: a - b, "*": sp.Mul, "/": lambda a, b: a / b}[op](left, right)
        return self.check_size(node, value)

    def op_text(self, node) -> str:
        left_end = node.left.end_col_offset
        return self.text[left_end:node.right.col_offset].strip() or type(node.op).__name__

    def power(self, node, base: sp.Expr, exponent: sp.Expr):
        if exponent.is_number:
            if not exponent.is_Rational:
                self.refuse(node.right, "a rational exponent or one in the parameters", token=self.token(node.right))
            if abs(exponent) > MAX_EXPONENT or exponent.q > MAX_EXPONENT:
                self.refuse(node.right, f"an exponent of at most {MAX_EXPONENT} in absolute value (and a "
                                        f"denominator of at most {MAX_EXPONENT})", token=self.token(node.right))
            if base.is_Rational and base.is_zero and exponent < 0:
                self.refuse(node, "a power that is defined (0 to a negative power is a division by zero)")
            if base.is_Rational and _bits(base) * abs(exponent) > MAX_BITS:
                self.refuse(node, f"numbers of at most {MAX_BITS} bits", token=self.token(node))
        elif base.is_number and base.is_Rational and _bits(base) > 64:
            self.refuse(node, "a power of a small number when the exponent is a parameter")
        else:
            self.small_coefficients(node.right, exponent, "an exponent in the parameters")
        self.checked(node, mpmath.power, node.left, node.right)
        return self.check_size(node, sp.Pow(base, exponent))

    def small_coefficients(self, node, value: sp.Expr, where: str) -> None:
        """Refuse a number in ``value`` (an exponent with names in it) over MAX_EXPONENT in absolute value or
        denominator: sympy's algebra reads exp(c*x) as exp(x)**c and a**(c*x) as (a**x)**c, a polynomial of
        degree c, so ``exp(1e300*alpha)`` would build one of 10**300 terms (it ran for hours)."""
        for r in value.atoms(sp.Rational):
            if abs(r.p) > MAX_EXPONENT or r.q > MAX_EXPONENT:
                self.refuse(node, f"numbers of at most {MAX_EXPONENT} in absolute value and denominator in "
                                  f"{where} (sympy reads exp(c*x) as exp(x)**c, a power of degree c), not "
                                  f"{_short(r)}")

    def check_size(self, node, value):
        for atom in value.atoms(sp.Rational) if isinstance(value, sp.Basic) else ():
            if _bits(atom) > MAX_BITS:
                self.refuse(node, f"numbers of at most {MAX_BITS} bits")
        if value.has(sp.zoo, sp.nan):
            self.refuse(node, "an expression that is defined (this one divides by zero)")
        return value

    # -- calls
    def _Call(self, node, depth):
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            token = self.token(node.func)
            self.refuse(node.func, f"a function among {' '.join(sorted(self.functions))}", token=token)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.refuse(node, f"plain arguments to {node.func.id}(...)")
        fn, arities = self.functions[node.func.id]
        if len(node.args) not in arities:
            counts = f"{arities[0]}" if len(arities) == 1 else f"{arities[0]}..{arities[-1]}"
            self.refuse(node, f"{counts} argument(s) to {node.func.id}")
        args = [self.expr(a, depth) for a in node.args]
        if node.func.id == "log" and any(a.is_zero for a in args):
            self.refuse(node, "a logarithm of a number that is not zero")
        if node.func.id in _APPROX_FUNCTIONS and self.functions[node.func.id] is FUNCTIONS.get(node.func.id):
            self.checked(node, _APPROX_FUNCTIONS[node.func.id], *node.args)
        if node.func.id == "exp" and not args[0].is_number:
            self.small_coefficients(node.args[0], args[0], "the argument of exp when it has parameters")
        return self.check_size(node, fn(*args))

    # -- relations
    def _Compare(self, node, depth):
        terms = [self.expr(node.left, depth)] + [self.expr(c, depth) for c in node.comparators]
        rels = []
        for op, a, b in zip(node.ops, terms, terms[1:]):
            rel = _COMPARE.get(type(op))
            if rel is None:
                self.refuse(node, "a comparison among < <= > >= == !=", token=repr(type(op).__name__))
            rels.append(rel(a, b, evaluate=self.decide or (a.is_number and b.is_number)))
        return sp.And(*rels) if len(rels) > 1 else rels[0]

    def _BoolOp(self, node, depth):
        values = [self.boolean(v, depth) for v in node.values]
        return sp.And(*values) if isinstance(node.op, ast.And) else sp.Or(*values)


def _short(r: sp.Rational) -> str:
    text = str(r)
    return text if len(text) <= 24 else f"about {float(r):.3g}"


def _literal_kind(token: str) -> str:
    """What a Python literal form that the grammar does not read is called, for the message."""
    t = token.strip("'\"").lower()
    if t.startswith("0x"):
        return f"the hexadecimal {token}"
    if t.startswith("0b"):
        return f"the binary {token}"
    if t.startswith("0o"):
        return f"the octal {token}"
    return f"{token}, digits grouped with _," if "_" in t else token


def _bits(r: sp.Rational) -> int:
    return max(int(r.p).bit_length(), int(r.q).bit_length())


# ---- values at a point, guarded ----------------------------------------------------------------------------

#: The magnitude a value at a point may have where critmass evaluates it exactly (sympy) or in intervals:
#: 2**MAX_BITS, as for the numbers a text computes (``MAGNITUDE``).
BEYOND = f"2**{MAX_BITS} (about 1e{int(MAX_BITS * math.log10(2))})"


class Beyond(InputError):
    """A part of an expression whose value at a point has a magnitude beyond 2**MAX_BITS (``BEYOND``), found
    before sympy or mpmath computes it: ``part`` (the sympy part, in the parameters), ``log10`` (about how many
    decimal digits its magnitude has)."""

    def __init__(self, part, log10, message: str | None = None, size: str | None = None):
        self.part, self.log10, self._size = part, log10, size
        super().__init__(message or f"{_clip(part)} is {self.size()}")

    def restated(self, message: str) -> Beyond:
        """The same refusal with the caller's one-line message (``beyond``)."""
        return Beyond(self.part, self.log10, message, self._size)

    def size(self) -> str:
        """``about 10**..., beyond 2**4096 (about 1e1233)`` (or, for a tiny power, below 2**-TINY_BITS)."""
        if self._size:
            return self._size
        if self.log10 < 0:
            return f"about 10**{float(self.log10):.4g}, below 2**-{TINY_BITS} in magnitude"
        return f"about 10**{float(self.log10):.4g}, beyond {BEYOND}"


#: A power this small (an exact rational to a huge power, (1/3)**(2**64)) is refused too: sympy writes it out
#: exactly, a numerator and denominator of as many bits. Smaller values from exp are left alone (sympy keeps
#: exp(-x) symbolic and evaluates it as cheaply as exp(x)).
TINY_BITS = MAX_BITS * MAX_BITS


def guard(expr, at: Mapping | None = None):
    """The value of ``expr`` at 64 bits (an mpmath mpf or mpc), each symbol taking its value in ``at`` ({symbol:
    number}: a Fraction, a sympy Rational, an int or a float), computed bottom-up in mpmath without sympy
    evaluating anything; None where a part has a symbol without a value, or a function mpmath does not
    compute here (its arguments are still checked). Raises Beyond before computing any part whose magnitude
    would exceed 2**MAX_BITS: an exponential exp(x) with x beyond about MAX_BITS * ln 2, a power, a product.

    Call it before sympy evaluates or compares a user-stated expression at a point (``subs``, ``evalf``, a
    relation of numbers, Min/Max of numbers): sympy's evalf of exp(exp(exp(64))) computes e to about 10**27
    bits (it never returns), while this takes microseconds.

    >>> from theory.parameters import SYMBOLS
    >>> a = SYMBOLS["alpha"]
    >>> mpmath.nstr(guard(sp.exp(sp.exp(7 * a)), {a: 1}), 4)
    '1.827e+476'
    >>> guard(sp.exp(sp.exp(sp.exp(64 * a))), {a: 1})
    Traceback (most recent call last):
    ...
    theory.expr.Beyond: exp(exp(64*alpha)) is about 10**2.708e+27, beyond 2**4096 (about 1e1233)
    >>> guard(sp.Min(1, a), {}) is None
    True
    """
    env = {} if at is None else dict(at)
    memo: dict = {}
    with mpmath.workprec(64):
        return _guarded(sp.sympify(expr, strict=True), env, memo)


def beyond(subject: str, expr, point: str, e: Beyond, why: str = "critmass evaluates bounds whose parts are of at "
           "most that magnitude", verb: str = "") -> str:
    """The one-line refusal for ``Beyond``: ``subject`` (e.g. "huge's bound"), the expression, ``verb`` (e.g.
    "overflows float64", else the point follows the expression), the point, and ``why``."""
    what = "it is" if e.part == expr else f"its part {_clip(e.part)} is"
    if verb:
        return f"{subject} {_clip(expr)} {verb} at {point}: {what} {e.size()}, and {why}"
    if e.part == expr:
        return f"{subject} {_clip(expr)} at {point} is {e.size()}: {why}"
    return f"{subject} {_clip(expr)} at {point}: {what} {e.size()}: {why}"


def _clip(expr, width: int = 120) -> str:
    text = str(expr)
    return text if len(text) <= width else text[:width - 3] + "..."


_LN_LIMIT = (MAX_BITS + 1) * math.log(2)


def _number(v):
    """A value of ``at`` as an mpmath number, or None."""
    if isinstance(v, (mpmath.mpf, mpmath.mpc)):
        return v
    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    if isinstance(v, sp.Basic):
        if v.is_Rational:
            return mpmath.mpf(int(v.p)) / int(v.q)
        if v.is_Float:
            return mpmath.mpf(v._mpf_)
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return mpmath.mpf(v) if math.isfinite(v) or isinstance(v, int) else None
    try:
        f = Fraction(v)  # numpy scalars, numbers.Rational
    except (TypeError, ValueError, OverflowError):
        return None
    return mpmath.mpf(f.numerator) / f.denominator


def _checked_value(part, value):
    """``value`` (of ``part``), refused where its magnitude is beyond 2**MAX_BITS."""
    if value is None:
        return None
    try:
        if not mpmath.isfinite(value):
            return None
    except TypeError:
        return None
    if value != 0:
        m = mpmath.mag(value)
        if m > MAX_BITS + 1:
            raise Beyond(part, m * mpmath.log10(2))
    return value


def _guarded(e, env, memo):
    if not isinstance(e, sp.Basic):
        return None
    if e in memo:
        return memo[e]
    out = memo[e] = _checked_value(e, _guarded_node(e, env, memo))
    return out


def _guarded_node(e, env, memo):
    if isinstance(e, sp.Symbol):
        return _number(env[e]) if e in env else None
    if e.is_Rational:
        return mpmath.mpf(int(e.p)) / int(e.q)
    if e.is_Float:
        return mpmath.mpf(e._mpf_)
    if e is sp.I:
        return mpmath.mpc(0, 1)
    if isinstance(e, sp.NumberSymbol):
        return mpmath.mpf(e._as_mpf_val(64))
    if not e.args:
        return None  # oo, zoo, nan, true, false: sympy knows them without numbers
    values = [_guarded(a, env, memo) for a in e.args]  # every part is checked, whatever this node is
    if any(v is None for v in values) or not isinstance(e, sp.Expr):
        return None
    try:
        if isinstance(e, sp.Add):
            return mpmath.fsum(values)
        if isinstance(e, sp.Mul):
            return mpmath.fprod(values)
        if isinstance(e, sp.Pow):
            return _power(e, *values)
        if isinstance(e, sp.exp):
            (x,) = values
            if mpmath.re(x) > _LN_LIMIT:
                raise Beyond(e, mpmath.re(x) / mpmath.log(10))
            return mpmath.exp(x)
        if isinstance(e, sp.log):
            if any(v == 0 for v in values):
                return None
            return mpmath.log(values[0]) if len(values) == 1 else mpmath.log(values[0], values[1])
        if isinstance(e, sp.Abs):
            return abs(values[0])
        if isinstance(e, (sp.Min, sp.Max)):
            if any(isinstance(v, mpmath.mpc) for v in values):
                return None
            return (min if isinstance(e, sp.Min) else max)(values)
        if isinstance(e, (sp.floor, sp.ceiling)):
            if isinstance(values[0], mpmath.mpc):
                return None
            return (mpmath.floor if isinstance(e, sp.floor) else mpmath.ceil)(values[0])
        if isinstance(e, sp.LambertW):
            return mpmath.lambertw(*values)
    except Beyond:
        raise
    except (ValueError, ZeroDivisionError, TypeError, ArithmeticError):
        return None  # undefined here (log of 0 at a base, a complex floor): sympy decides it or refuses
    return None  # a function mpmath does not compute here (crossing, an undefined one): its arguments passed


def _power(e, base, exponent):
    """base**exponent, refused before computing where its magnitude would be beyond 2**MAX_BITS, or below
    2**-TINY_BITS."""
    if base == 0:
        return None if mpmath.re(exponent) <= 0 else mpmath.mpf(0)
    # log2 |base**exponent| = re(exponent) log2 |base| - im(exponent) arg(base) / ln 2 (principal branch)
    bits = mpmath.re(exponent) * mpmath.log(abs(base), 2) - mpmath.im(exponent) * mpmath.arg(base) / mpmath.ln2
    if bits > MAX_BITS + 1 or bits < -TINY_BITS:
        raise Beyond(e, bits * mpmath.log10(2))
    if abs(exponent) > TINY_BITS and abs(base) != 1:
        # (1 + 2**-80)**(2**64) is about 1, but sympy writes the rational power out: 2**70 bits
        raise Beyond(e, bits * mpmath.log10(2), size=f"a power with an exponent beyond 2**{int(math.log2(TINY_BITS))} "
                     f"in absolute value (about {mpmath.nstr(exponent, 3)}), which sympy computes exactly")
    return mpmath.power(base, exponent)
