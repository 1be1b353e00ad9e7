"""The one parser for expressions a user types: claims, conditions, bounds, hypotheses, ``--set`` values.

Bottom of the theory layer, beside parameters.py. Text is read with Python's ``ast`` (which only parses,
never runs) and every node is checked against a whitelist before a sympy object is built from it, so no
user text ever reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``. What is admitted:

- numbers: integers, decimals and ``1e-3`` (read exactly, as rationals); ``pi``;
- ``+ - * /`` and powers ``**`` (or ``^``, as papers write it), with a numeric exponent of at most
  ``MAX_EXPONENT`` in absolute value or an exponent in the parameters; numbers stay below ``MAX_BITS`` bits;
- the functions bounds use (``FUNCTIONS``: log, exp, sqrt, Min, Max, Abs, ...);
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

import sympy as sp

from theory.errors import InputError

from theory.numbers import MAX_BITS, MAX_DECIMAL_EXPONENT, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, decimal, split_top

#: Function name -> (sympy function, allowed argument counts).
FUNCTIONS: dict[str, tuple[Callable, tuple[int, ...]]] = {
    "log": (sp.log, (1, 2)), "exp": (sp.exp, (1,)), "sqrt": (sp.sqrt, (1,)),
    "Min": (sp.Min, tuple(range(1, 17))), "Max": (sp.Max, tuple(range(1, 17))), "Abs": (sp.Abs, (1,)),
    "floor": (sp.floor, (1,)), "ceiling": (sp.ceiling, (1,)), "LambertW": (sp.LambertW, (1,)),
}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

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
        col = e.offset or 0
        raise InputError(f"{head}{e.msg} at column {col}; expected {'a relation' if relation else 'an expression'} "
                         "of numbers, names in scope, + - * / ** ( ) and functions") from None
    except (RecursionError, MemoryError, ValueError):
        raise InputError(f"{head}too deeply nested or malformed; expected at most {MAX_DEPTH} levels") from None
    builder = _Builder(text.strip().replace("^", "**"), names, {**FUNCTIONS, **(functions or {})}, decide)
    try:
        builder.first_bad(tree)
        out = builder.build(tree.body, 0)
    except _Refused as e:
        node, token, expected = e.args
        col = node.col_offset + 1 if isinstance(node, ast.AST) else node
        raise InputError(f"{head}{token} at column {col} is not allowed: expected {expected}") from None
    if relation and isinstance(out, sp.Expr):
        raise InputError(f"{head}{text.strip()!r} is an expression; expected a relation such as 'x < 1'")
    if not relation and not isinstance(out, sp.Expr):
        raise InputError(f"{head}{text.strip()!r} is a relation; expected an expression")
    return out


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
            return self.check_size(node, sp.Integer(v))
        return self.check_size(node, self.decimal(node))

    def decimal(self, node) -> sp.Rational:
        f = decimal(ast.get_source_segment(self.text, node) or "")
        if f is None:
            self.refuse(node, f"a decimal number such as 0.01 or 1e-3, with a decimal exponent of at most "
                              f"{MAX_DECIMAL_EXPONENT} in absolute value")
        return sp.Rational(f.numerator, f.denominator)

    def _Name(self, node, depth):
        if node.id in self.names:
            return self.names[node.id]
        if node.id in CONSTANTS:
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
        return self.check_size(node, sp.Pow(base, exponent))

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


def _bits(r: sp.Rational) -> int:
    return max(int(r.p).bit_length(), int(r.q).bit_length())
