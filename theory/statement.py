"""Stating a result: the one public way to add a theorem, corollary, lemma or claim to critmass.

Sits above parameters.py and expr.py; theory.catalog derives a Statement into a Result when it is first
asked for. The built-in results (theory/paper.py, reweighting.py, finite.py) are stated this way too, and
so is every result read from a TOML file (theory.results_file). A field holds a sympy object, text (read
by theory.expr's restricted parser, in the scope of the theory's parameters and the statement's own new
ones), or, from Python only, a function of no arguments that returns the sympy object when the result
is derived (for derivations too costly to run at start-up; their outputs are cached on disk).

>>> r = new_parameter("r_demo", latex="r", domain="(0, 1]", meaning="share of the collective that acts")
>>> st = state("thm1-demo", "Theorem 1 when a share r of the collective acts", "doctest",
...            bound="1 - (1 - r_demo*alpha)/(r_demo*alpha)*Delta*xi", target="S_star", parameters=[r])
>>> st.bound
-Delta*xi*(-alpha*r_demo + 1)/(alpha*r_demo) + 1
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields

import sympy as sp

from theory.errors import InputError
from theory.expr import number, parse
from theory.notions import NOTIONS
from theory.parameters import PARAMETERS, Parameter, register_parameter
from theory.result import KINDS, CriticalMass
from theory.strategy import DISCRETE, Strategy, parse_strategy

#: Strategies a bound may bound on discrete instances.
STRATEGIES = DISCRETE
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")

Lazy = Callable[[], object]


@dataclass(frozen=True)
class Step:
    """A proof step: ``hypotheses => conclusion`` for all real values of its symbols, proved by Z3 (verify/).

    ``variables`` are the step's own real symbols (points, masses of the proof), beside the parameters.
    ``expect`` is "proven", or "refuted" for a step that is false as stated (a finding).
    """

    id: str
    hypotheses: tuple[sp.Basic, ...]
    conclusion: sp.Basic
    expect: str = "proven"
    note: str = ""


@dataclass(frozen=True)
class Statement:
    """One result as stated: what a user (or the paper) asserts; theory.catalog derives the rest.

    Attributes:
      id, title, source, kind, statement: as in theory.result.Result (``statement`` is prose, math in $...$).
      parameters: the parameters it is stated in, in this order; those its formulas use besides follow.
      hypotheses: relations assumed beyond the parameters' domains.
      bound: a lower bound on the success S(alpha) (its conclusion is then ``S(alpha) >= bound``).
      conclusion: the claim, for a result without a bound (a lemma, a claim, a model); with a bound, it
        replaces ``S(alpha) >= bound`` (a success measured otherwise, as the finite-sample bounds do).
      target: with a bound, derive the critical mass for ``bound >= target``; with ``critical_mass_of``,
        the success level (S_star when not given).
      critical_mass_of: a corollary: the critical mass derived from this result's bound.
      critical_mass: a stated (not derived) upper bound on the critical mass, or a CriticalMass.
      printed: the critical mass as printed in the source, compared with the derived one.
      strategy: the strategy whose success the bound bounds on discrete instances (check-instance,
        counterexample): one of STRATEGIES.
      collective: the instance's collective size as an expression in the parameters (``alpha`` if None),
        for a bound stated in a nominal size of which only part acts.
      steps: proof steps (Step), proved by verify/.
      notes, extras, derived_from: as in Result; an extra may be lazy.
      increasing: whether the bound is non-decreasing in alpha; None: shown when the critical mass is derived.
      notion: for a result with an epsilon, the notion of an eps-optimal firm it is stated for (theory.notions:
        "tv", the paper's Definition 2, or "mixture", Lemma 11's coupling); a corollary takes its theorem's.
      family: set by theory.catalog.register.
    """

    id: str
    title: str
    source: str
    kind: str = "theorem"
    statement: str = ""
    parameters: tuple[Parameter, ...] = ()
    hypotheses: tuple | Lazy = ()
    bound: sp.Expr | Lazy | None = None
    conclusion: sp.Basic | Lazy | None = None
    target: sp.Expr | None = None
    critical_mass_of: str | None = None
    critical_mass: sp.Expr | CriticalMass | Lazy | None = None
    printed: sp.Expr | Lazy | None = None
    strategy: Strategy | None = None
    collective: sp.Expr | None = None
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] | Lazy = ()
    extras: Mapping[str, object] = field(default_factory=dict)
    derived_from: str | None = None
    increasing: bool | None = None
    notion: str | None = None
    family: str = ""


def domain(text: str, what: str = "domain") -> sp.Interval:
    """An interval written as in a paper: ``(0, 1]``, ``[0, inf)``, ``[2, oo)``.

    >>> domain("(0, 1]")
    Interval.Lopen(0, 1)
    """
    m = re.fullmatch(r"\s*([(\[])\s*([^,]+?)\s*,\s*([^,]+?)\s*([)\]])\s*", text or "")
    if not m:
        raise InputError(f"{what} {text!r}: expected an interval such as '(0, 1]' or '[0, inf)'")
    left, lo, hi, right = m.groups()
    ends = []
    for end, sign in ((lo, -1), (hi, 1)):
        if end.lstrip("+-") in ("inf", "oo"):
            if (end.startswith("-") and sign == 1) or (not end.startswith("-") and sign == -1):
                raise InputError(f"{what} {text!r}: {end} cannot be that end of an interval")
            ends.append(sign * sp.oo)
        else:
            f = number(end, what=f"{what} {text!r}")
            ends.append(sp.Rational(f.numerator, f.denominator))
    if ends[0] >= ends[1]:
        raise InputError(f"{what} {text!r}: the lower end must be below the upper end")
    return sp.Interval(ends[0], ends[1], left_open=left == "(" or ends[0] == -sp.oo,
                       right_open=right == ")" or ends[1] == sp.oo)


_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi "
          "rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
          "Upsilon Phi Psi Omega").split()
#: math commands that take one argument, which must follow them ({...}, a letter, a digit or a command)
_TEX_ACCENTS = frozenset("mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak boldsymbol operatorname text "
                         "hat bar tilde vec dot ddot check breve widehat widetilde overline underline".split())
_TEX_WORDS = frozenset(_GREEK) | _TEX_ACCENTS | frozenset(
    "star prime ast dagger ell infty partial nabla cdot times mid ldots cdots min max log exp".split())
_TEX_SYMBOLS = frozenset("|,;:! ")  # \| \, \; \: \! and a control space
_TEX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _^{}()[]',.+-*/=<>|:;!")
_TEX_FORM = ("letters, digits, spaces, _ ^ { } ( ) [ ] ' , . + - * / = < > | : ; ! and the math commands "
             "\\alpha ... \\Omega, \\mathrm{...}, \\hat{...}, \\bar{...}, \\tilde{...}, \\star, \\prime and the like")


#: more math commands a formula in $...$ of a results file's prose may use (relations, operators, delimiters)
_TEX_MATH_WORDS = _TEX_WORDS | frozenset(
    "leq geq le ge neq ne approx sim simeq equiv propto in notin subset subseteq supset cup cap setminus emptyset "
    "varnothing forall exists neg lnot land lor wedge vee to mapsto rightarrow leftarrow Rightarrow iff implies "
    "sum prod frac dfrac tfrac sqrt binom left right big Big bigl bigr Bigl Bigr langle rangle lfloor rfloor lceil "
    "rceil pm mp div circ bullet dots quad qquad sup inf lim limsup liminf arg argmax argmin ln sin cos Pr det dim "
    "parallel perp".split())
_TEX_MATH_SYMBOLS = _TEX_SYMBOLS | frozenset("{}%#&_")  # and \{ \} \% \# \& \_
MATH_FORM = _TEX_FORM.replace(" and the like", ", \\leq, \\geq, \\frac, \\sum, \\left( and the like")
#: a formula in prose: what theory.latex.text keeps as math (it splits with this; the rest is escaped as text)
MATH_SPAN = re.compile(r"(\$[^$]*\$)")


def latex_problem(text: str, words: frozenset = _TEX_WORDS, symbols: frozenset = _TEX_SYMBOLS,
                  limit: int = 200) -> str | None:
    r"""What in a parameter's LaTeX name cannot go into a math formula as it is, or None.

    An allowlist, because the name is typeset verbatim in every formula that holds the parameter (theory.latex,
    the report): its characters are letters, digits and _ ^ { } ( ) [ ] ' , . + - * / = < > | : ; !, its
    commands are math commands (Greek letters, accents, fonts: ``_TEX_WORDS``), its braces balance, and an
    accent or a sub/superscript has its argument. No \input, \write, \def, \catcode, ^^ escape, $ or %
    gets through, nor a } that closes a group the name did not open.

    >>> latex_problem(r"\hat{\beta}_{\mathrm{DP}}^{\prime}") is None
    True
    >>> latex_problem(r"r}\input{/etc/passwd")
    'a } that closes no { of its own'
    >>> latex_problem(r"{r}\input{/etc/passwd}")
    '\\input (not an allowed math command)'
    """
    if "^^" in text:
        return "^^ (a TeX character escape)"
    if len(text) > limit:
        return f"{len(text)} characters (at most {limit})"
    depth, i = 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            word = re.match(r"[A-Za-z]+|.?", text[i + 1:], re.S).group(0)
            i += 1 + len(word)
            if word.isalpha() and word.isascii():
                if word not in words:
                    return f"\\{word} (not an allowed math command)"
                if word in _TEX_ACCENTS and not re.match(r"\s*[{A-Za-z0-9\\]", text[i:]):
                    return f"\\{word} without its argument"
            elif word not in symbols:
                return f"\\{word} (not an allowed control symbol)" if word else "a \\ at the end"
            continue
        if c not in _TEX_CHARS:
            return f"{c!r} (not allowed in a LaTeX name)"
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return "a } that closes no { of its own"
        elif c in "_^" and (i + 1 == len(text) or text[i + 1] in "}_^ "):
            return f"{c} without its argument"
        i += 1
    return "a { that is never closed" if depth else None


def prose_problem(text: str) -> str | None:
    r"""What in prose typeset by theory.latex (a result's title, source, statement, notes) cannot go into LaTeX,
    or None. Text outside ``$...$`` is escaped as text when typeset; each formula in ``$...$`` is typeset as
    written, so it must pass ``latex_problem`` with the math commands of ``_TEX_MATH_WORDS``.

    >>> prose_problem(r"Holds for $\alpha \leq 1/2$ \input{x}") is None
    True
    >>> prose_problem(r"Holds $\input{/etc/passwd}$")
    '$\\input{/etc/passwd}$: \\input (not an allowed math command)'
    """
    for i, part in enumerate(MATH_SPAN.split(text)):
        if i % 2:
            problem = latex_problem(part[1:-1], _TEX_MATH_WORDS, _TEX_MATH_SYMBOLS, limit=2000)
            if problem is not None:
                return f"{part}: {problem}"
    return None


def new_parameter(name: str, *, latex: str = "", domain: str | sp.Interval = "(-inf, inf)", meaning: str = "",
                  integer: bool = False) -> Parameter:
    """Declare a parameter the built-in theory does not have (or return the built-in one of that name).

    The symbol is real, positive or non-negative as the domain says (so sympy and the monotonicity proofs
    use it), integer if asked. Its name is how it is written on the command line and in expressions; a
    name that is a Python keyword is written with a trailing underscore in expressions (``lambda_``).
    Redeclaring a built-in name with another domain raises InputError.
    """
    if not isinstance(name, str) or not NAME.match(name) or keyword.iskeyword(name):
        raise InputError(f"parameter name {name!r}: expected a letter, then up to 31 letters, digits and _ "
                         "(not a Python keyword)")
    if not isinstance(latex, str):
        raise InputError(f"parameter {name}: latex must be text")
    problem = latex_problem(latex)
    if problem is not None:
        shown = f"'{latex}'" if latex.isprintable() else repr(latex)  # as typed, on one line
        raise InputError(f"parameter {name}: latex {shown}: {problem}; expected {_TEX_FORM}")
    interval = domain if isinstance(domain, sp.Set) else globals()["domain"](domain, f"parameter {name}: domain")
    if name in PARAMETERS and not latex and not meaning:
        old = PARAMETERS[name]
        if old.domain != interval and domain != "(-inf, inf)":
            raise InputError(f"parameter {name!r} already exists with domain {old.domain_str()}; omit the domain "
                             "to reuse it, or pick another name")
        return old
    lo = interval.start
    assumptions = {"real": True}
    if lo >= 0:
        assumptions["positive" if lo > 0 or interval.left_open else "nonnegative"] = True
    if integer:
        assumptions["integer"] = True
    symbol = sp.Symbol(name, **assumptions)
    return register_parameter(Parameter(name, symbol, interval, meaning or name, integer, latex))


def scope(parameters: Iterable[Parameter] = ()) -> dict[str, sp.Symbol]:
    """The names an expression may use: every parameter of the theory and the given ones."""
    out = {_written(p.name): p.symbol for p in PARAMETERS.values()}
    out.update({_written(p.name): p.symbol for p in parameters})
    return out


def _written(name: str) -> str:
    """How a parameter is written in an expression: its name, or ``name_`` for a Python keyword."""
    return name + "_" if keyword.iskeyword(name) else name


def state(id: str, title: str, source: str, *, kind: str = "theorem", statement: str = "",
          parameters: Iterable[Parameter | str] = (), hypotheses=(), bound=None, conclusion=None, target=None,
          critical_mass_of: str | None = None, critical_mass=None, printed=None, strategy: Strategy | None = None,
          collective=None, steps: Iterable[Step | Mapping] = (), notes: Iterable[str] = (), extras=None,
          derived_from: str | None = None, increasing: bool | None = None, notion: str | None = None) -> Statement:
    """A Statement, with text fields parsed by the restricted parser and everything checked.

    Text is read in the scope of the theory's parameters plus ``parameters``; relations are wanted for
    ``hypotheses`` and ``conclusion``, expressions elsewhere. Functions of no arguments stay lazy. A step is
    a Step or a mapping with ``id``, ``hypotheses``, ``conclusion`` and optionally ``variables`` (names of
    the step's own real symbols), ``expect`` and ``note``. Raises InputError naming the bad field.
    """
    if not isinstance(id, str) or not ID.match(id):
        raise InputError(f"result id {id!r}: expected 1-64 letters, digits, '-', '_' or '.'")
    where = f"result {id}"
    if kind not in KINDS:
        raise InputError(f"{where}: kind {kind!r} is not one of {' '.join(KINDS)}")
    for name, value in (("title", title), ("source", source)):
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: {name} must be non-empty text")
    params = tuple(p if isinstance(p, Parameter) else _known(p, where) for p in parameters)
    names = scope(params)

    def expr(value, name, relation=False):
        if value is None or callable(value) or isinstance(value, (sp.Basic, CriticalMass)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not relation:
            return sp.Rational(str(value))
        return parse(value, names, relation=relation, what=f"{where}: {name} {value!r}")

    if notion is not None and notion not in NOTIONS:
        raise InputError(f"{where}: notion {notion!r} is not one of {' '.join(NOTIONS)} (theory.notions)")
    if strategy is not None:
        strategy = parse_strategy(strategy, STRATEGIES, f"{where}: strategy")
    if critical_mass_of is not None and bound is not None:
        raise InputError(f"{where}: a corollary (critical_mass_of) takes its bound from {critical_mass_of}")
    if target is not None and bound is None and critical_mass_of is None and critical_mass is None:
        raise InputError(f"{where}: target needs a bound (or critical_mass_of) to derive a critical mass from")
    if strategy is not None and bound is None:
        raise InputError(f"{where}: strategy needs a bound: the bound on that strategy's success")
    hyps = hypotheses if callable(hypotheses) else tuple(expr(h, "hypothesis", True) for h in _items(hypotheses))
    stated_steps = tuple(s if isinstance(s, Step) else _step(s, params, where) for s in steps)
    if len({s.id for s in stated_steps}) != len(stated_steps):
        raise InputError(f"{where}: two steps share an id")
    return Statement(
        id=id, title=title.strip(), source=source.strip(), kind=kind, statement=statement, parameters=params,
        hypotheses=hyps, bound=expr(bound, "bound"), conclusion=expr(conclusion, "conclusion", True),
        target=expr(target, "target"), critical_mass_of=critical_mass_of,
        critical_mass=expr(critical_mass, "critical_mass"), printed=expr(printed, "printed"), strategy=strategy,
        collective=expr(collective, "collective"), steps=stated_steps, notes=notes if callable(notes) else tuple(notes),
        extras={k: expr(v, f"extras.{k}") for k, v in (extras or {}).items()}, derived_from=derived_from,
        increasing=increasing, notion=notion)


def _items(value) -> tuple:
    if isinstance(value, (str, sp.Basic)):
        return (value,)
    return tuple(value)


def _known(name: str, where: str) -> Parameter:
    if name not in PARAMETERS:
        raise InputError(f"{where}: unknown parameter {name!r}; declare it (new_parameter, or [parameters.{name}] "
                         "in a results file)")
    return PARAMETERS[name]


def _step(doc: Mapping, params: tuple[Parameter, ...], where: str) -> Step:
    allowed = {"id", "hypotheses", "conclusion", "variables", "expect", "note"}
    if not isinstance(doc, Mapping):
        raise InputError(f"{where}: a step must be a table with id, hypotheses and conclusion")
    extra = set(doc) - allowed
    if extra:
        raise InputError(f"{where}: unknown step key {sorted(extra)[0]!r}; expected one of {' '.join(sorted(allowed))}")
    sid = doc.get("id")
    if not isinstance(sid, str) or not ID.match(sid):
        raise InputError(f"{where}: step id {sid!r}: expected 1-64 letters, digits, '-', '_' or '.'")
    here = f"{where}, step {sid}"
    variables = doc.get("variables", [])
    if not isinstance(variables, list) or not all(isinstance(v, str) and v.isidentifier() for v in variables):
        raise InputError(f"{here}: variables must be a list of names")
    names = scope(params)
    taken = [v for v in variables if v in names]
    if taken:
        raise InputError(f"{here}: variable {taken[0]!r} is already a parameter; pick another name")
    names.update({v: sp.Symbol(v, real=True) for v in variables})
    if "conclusion" not in doc:
        raise InputError(f"{here}: missing conclusion")
    hyps = tuple(parse(h, names, relation=True, what=f"{here}: hypothesis {h!r}") for h in _items(doc.get("hypotheses", ())))
    concl = parse(doc["conclusion"], names, relation=True, what=f"{here}: conclusion {doc['conclusion']!r}")
    expect = doc.get("expect", "proven")
    if expect not in ("proven", "refuted"):
        raise InputError(f"{here}: expect {expect!r}: expected 'proven' or 'refuted'")
    return Step(sid, hyps, concl, expect, str(doc.get("note", "")))


def canonical(st: Statement) -> str:
    """The statement's text for cache keys: every field, sympy objects by srepr, lazy fields by the source
    of the module that defines them (a change there is a new key)."""
    parts = []
    for f in fields(st):
        parts.append(f"{f.name}={_canonical(getattr(st, f.name))}")
    return "\n".join(parts)


def _canonical(value) -> str:
    import functools
    if isinstance(value, functools.partial):
        return f"partial:{_canonical(value.func)}:{_canonical(value.args)}:{_canonical(value.keywords)}"
    if callable(value) and not isinstance(value, (sp.Basic, type)):
        return f"lazy:{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}:{_module_hash(value)}"
    if isinstance(value, sp.Basic):
        return sp.srepr(value)
    if isinstance(value, Parameter):
        return f"Parameter({value.name},{sp.srepr(value.symbol)},{value.domain},{value.integer},{value.latex})"
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_canonical(v) for v in value) + ")"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_canonical(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (Step, CriticalMass)):
        return type(value).__name__ + "(" + ",".join(_canonical(getattr(value, f.name)) for f in fields(value)) + ")"
    return repr(value)


def _module_hash(fn) -> str:
    import hashlib
    import sys
    module = sys.modules.get(getattr(fn, "__module__", ""))
    path = getattr(module, "__file__", None)
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()[:16]
    except (OSError, TypeError):
        return "unknown"
