"""The named quantities of the theory: one sympy symbol per parameter, with its domain.

Bottom of the theory layer: results, derivations, numeric evaluation and LaTeX all take
their symbols from here, so a parameter has one name and one domain everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from theory.errors import InputError


@dataclass(frozen=True)
class Parameter:
    """A parameter of a result: its CLI name, its sympy symbol, its domain and its meaning."""

    name: str
    symbol: sp.Symbol
    domain: sp.Set
    meaning: str
    integer: bool = False
    latex: str = ""  # explicit LaTeX where sympy would misparse the symbol's name (parentheses, bars)

    @property
    def tex(self) -> str:
        """The parameter's LaTeX: ``latex`` if given, else sympy's rendering of the symbol.

        >>> print(parameter("P_E1").tex, parameter("xi").tex)
        P(E_1) \\xi
        """
        return self.latex or sp.latex(self.symbol)

    def domain_str(self) -> str:
        """The domain in interval notation, e.g. ``(0, 1]``."""
        d = self.domain
        if isinstance(d, sp.Interval):
            lo = "(" if d.left_open else "["
            hi = ")" if d.right_open else "]"
            right = "inf" if d.end == sp.oo else str(d.end)
            text = f"{lo}{d.start}, {right}{hi}"
            return f"integers in {text}" if self.integer else text
        return str(d)

    def contains(self, value: float) -> bool:
        """Whether a (real, finite) number lies in the domain."""
        if self.integer and float(value) != int(value):
            return False
        return bool(self.domain.contains(sp.Float(value) if isinstance(value, float) else sp.sympify(value, strict=True)))


def _param(name, symbol_name, domain, meaning, integer=False, tex=r"", **assumptions):
    symbol = sp.Symbol(symbol_name, real=True, **assumptions)
    return Parameter(name, symbol, domain, meaning, integer, tex)


_UNIT = sp.Interval(0, 1)
_POS = sp.Interval.open(0, sp.oo)
_NONNEG = sp.Interval(0, sp.oo)

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in [
        _param("alpha", "alpha", sp.Interval.Lopen(0, 1), "fractional size of the collective", positive=True),
        _param("epsilon", "epsilon", sp.Interval.Ropen(0, 1), "suboptimality of the firm's classifier (TV distance under notion tv, the coupling's weight under mixture)", nonnegative=True),
        _param("xi", "xi", _UNIT, "uniqueness of the signal: P0(X*) <= xi", nonnegative=True),
        _param("Delta", "Delta", _UNIT, "suboptimality gap of the target label on the signal set", nonnegative=True),
        _param("p", "p", sp.Interval.Lopen(0, 1), "positivity constant: P0(y*|x) >= p for all x", positive=True),
        _param("rho", "rho", sp.Interval(1, sp.oo), "preimage ratio of an idempotent summary map: max over z in "
               "g(X) of P0(g^-1(z)) / P0(z) (corrected Theorem 5)", positive=True),
        _param("tau", "tau", _UNIT, "sensitivity of the labels to the erased signal", nonnegative=True),
        _param("S_star", "S^*", sp.Interval.open(0, 1), "target success level", positive=True),
        _param("mu", "mu", _POS, "strong convexity constant of the loss", positive=True),
        _param("beta", "beta", _POS, "smoothness constant of the loss", positive=True),
        _param("U", "U", _POS, "desired utility gain of the collective", positive=True),
        _param("eta", "eta", _POS, "step size of gradient descent", positive=True),
        _param("T", "T", _NONNEG, "number of gradient steps", integer=True, nonnegative=True),
        _param("c", "c", _POS, "cost of participating in the collective", positive=True),
        _param("gamma", "gamma", sp.Interval.Ropen(0, 1), "free-riding fraction of the success", nonnegative=True),
        # Section 4 norms. The paper writes them as ||g_P0(theta*)|| and so on.
        _param("g_P0", "\\|g_{P_0}(\\theta^*)\\|", _NONNEG, "norm of the base distribution's gradient at the target", tex=r'\|g_{P_0}(\theta^*)\|', nonnegative=True),
        _param("g_Pprime", "\\|g_{P'}(\\theta^*)\\|", _NONNEG, "norm of the gradient-neutralizing distribution's gradient at the target", tex=r"\|g_{P'}(\theta^*)\|", nonnegative=True),
        _param("g_lb", "g_{lb}", _POS, "least neutralizing-gradient norm near theta_0 (Proposition 9)", positive=True),
        _param("grad_u", "\\|\\nabla u(\\theta_0)\\|", _POS, "norm of the utility's gradient at theta_0", tex=r'\|\nabla u(\theta_0)\|', positive=True),
        _param("C", "C", _POS, "contraction constant C(alpha) of Theorem 10", positive=True),
        _param("dist0", "\\|\\theta_0-\\theta^*\\|", _NONNEG, "initial distance to the target model", tex=r'\|\theta_0 - \theta^*\|', nonnegative=True),
        # Per-point quantities of the proofs (Appendix B).
        _param("P0_x", "P_0(x)", _UNIT, "base mass of a point x", tex=r'P_0(x)', nonnegative=True),
        _param("Pstar_x", "P^*(x)", sp.Interval.Lopen(0, 1), "collective's mass on a point x", tex=r'P^*(x)', positive=True),
        _param("Delta_x", "Delta_x", _UNIT, "suboptimality of the target label at x", nonnegative=True),
        _param("P0_ystar_x", "P_0(y^*|x)", _UNIT, "base probability of the target label at x", tex=r'P_0(y^* \mid x)', nonnegative=True),
        _param("P0_y_x", "P_0(y|x)", _UNIT, "base probability of a competing label y at x", tex=r'P_0(y \mid x)', nonnegative=True),
        _param("P0_preimage", "P_0(g^{-1}(x^*))", sp.Interval.Lopen(0, 1), "base mass of the points that the signal maps to x*", tex=r'P_0(g^{-1}(x^*))', positive=True),
        _param("tau_x", "tau(x)", _UNIT, "label sensitivity at x", tex=r'\tau(x)', nonnegative=True),
        _param("P0_y_gx", "P_0(y|g(x))", _UNIT, "base probability of label y at the summary g(x)", tex=r'P_0(y \mid g(x))', nonnegative=True),
        _param("P0_ystar_gx", "P_0(y^*(x)|g(x))", _UNIT, "base probability of the erasure label y*(x) at g(x)", tex=r'P_0(y^*(x) \mid g(x))', nonnegative=True),
        _param("P_E1", "P(E_1)", _UNIT, "probability of event E1 under P", tex=r'P(E_1)', nonnegative=True),
        _param("P_E2", "P(E_2)", _UNIT, "probability of event E2 under P", tex=r'P(E_2)', nonnegative=True),
        _param("Q_E1", "Q(E_1)", _UNIT, "probability of event E1 under the coupling's Q", tex=r'Q(E_1)', nonnegative=True),
        _param("Q_E2", "Q(E_2)", _UNIT, "probability of event E2 under the coupling's Q", tex=r'Q(E_2)', nonnegative=True),
        _param("Pp_E1", "P'(E_1)", _UNIT, "probability of event E1 under the firm's P'", tex=r"P'(E_1)", nonnegative=True),
        _param("Pp_E2", "P'(E_2)", _UNIT, "probability of event E2 under the firm's P'", tex=r"P'(E_2)", nonnegative=True),
        # Reweighting learners (theory/reweighting.py): the weights' expectations and each scheme's constants.
        _param("alpha_eff", "alpha_{eff}", sp.Interval.Lopen(0, 1), "effective size of the collective under a reweighting learner", positive=True),
        _param("W_star", "E_{P^*}[w]", _POS, "mean weight of the collective's data, E_{P*}[w]", tex=r"E_{P^*}[w]", positive=True),
        _param("W_0", "E_{P_0}[w]", _POS, "mean weight of the base data, E_{P0}[w]", tex=r"E_{P_0}[w]", positive=True),
        _param("K", "K", sp.Interval(2, sp.oo), "number of classes", integer=True, positive=True),
        _param("q_ystar", "P_0(y^*)", sp.Interval.open(0, 1), "base frequency of the target label", tex=r"P_0(y^*)", positive=True),
        _param("Q_sig", "Q(X^*)", sp.Interval.Lopen(0, 1), "importance-weighting target's mass on the signal set", tex=r"Q(X^*)", positive=True),
        _param("P0_sig", "P_0(X^*)", _UNIT, "base mass of the signal set", tex=r"P_0(X^*)", nonnegative=True),
        _param("lambda", "\\lambda", sp.Interval(1, sp.oo), "JTT upweighting factor of the first stage's errors", positive=True),
        _param("e_c", "e_c", _UNIT, "first stage's error rate on the collective", nonnegative=True),
        _param("e", "e_P", _UNIT, "first stage's error rate on the training mixture P", nonnegative=True),
        _param("e_0", "e_0", _UNIT, "first stage's error rate on the base distribution", nonnegative=True),
        _param("cvar_level", "\\beta_{CVaR}", sp.Interval.Lopen(0, 1), "CVaR level: the tail mass the learner trains on", positive=True),
        _param("t_c", "t_c", _UNIT, "fraction of the collective's data in the CVaR tail", nonnegative=True),
        # Issue 14: several collectives (theory/multi.py), privacy (theory/privacy.py), populations (theory/population.py).
        _param("alpha_c", "alpha_c", sp.Interval.Ropen(0, 1), "total size of the cooperating collectives (same signal "
               "map and target as this one)", nonnegative=True),
        _param("alpha_r", "alpha_r", sp.Interval.Ropen(0, 1), "total size of every other collective", nonnegative=True),
        _param("c_o", "c_o", _UNIT, "competing mass in the signal set: sum over other collectives j of alpha_j "
               "P*_j(X* x (Y minus y*))", nonnegative=True),
        _param("eps_dp", "\\varepsilon_{DP}", _POS, "privacy level of the firm's training (epsilon of "
               "epsilon-DP; smaller is more private)", tex=r"\varepsilon_{\mathrm{DP}}", positive=True),
        _param("delta_dp", "\\delta_{DP}", sp.Interval.Ropen(0, 1), "delta of (epsilon, delta)-DP",
               tex=r"\delta_{\mathrm{DP}}", nonnegative=True),
        _param("S_0", "S_0", sp.Interval.Lopen(0, 1), "success without the collective (its members' own data)",
               positive=True),
        _param("n_c", "n", sp.Interval(1, sp.oo), "number of collective members (records)", integer=True,
               positive=True),
        _param("c_max", "c_{max}", _POS, "largest participation cost of a population with uniform costs on "
               "[0, c_max]", positive=True),
        _param("r_b", "r_b", _NONNEG, "base rival mass at a signal point over the collective's mass there: "
               "max_{y != y*} P0(x, y) / P*(x)", nonnegative=True),
    ]
}

# Not parameters: the success measure and the critical mass that results speak about.
SUCCESS = sp.Function("S")
ALPHA_STAR = sp.Symbol("alpha^*", positive=True)

SYMBOLS: dict[str, sp.Symbol] = {name: p.symbol for name, p in PARAMETERS.items()}
#: sympy's ``symbol_names`` for every parameter: LaTeX printing goes through ``latex`` below.
LATEX_NAMES: dict[sp.Symbol, str] = {p.symbol: p.tex for p in PARAMETERS.values()} | {ALPHA_STAR: r"\alpha^*"}
_BY_SYMBOL: dict[sp.Symbol, Parameter] = {p.symbol: p for p in PARAMETERS.values()}


def register(*params: Parameter) -> None:
    """Print the extension modules' own parameters (theory/finite.py, theory/collusion.py) by their ``tex`` too.

    Without it sympy would split a name such as ``|X^*|`` at its caret and nest the braces wrongly (``|X^{*|}``).
    """
    for p in params:
        if p.symbol in LATEX_NAMES and LATEX_NAMES[p.symbol] != p.tex:
            raise ValueError(f"parameter {p.name}: its symbol already prints as {LATEX_NAMES[p.symbol]!r}")
        LATEX_NAMES[p.symbol] = p.tex


def register_parameter(param: Parameter) -> Parameter:
    """Add a parameter to the theory (a new one that a stated result introduces, theory.statement).

    The same parameter again is a no-op; a different one under a taken name or symbol raises InputError.
    """
    old = PARAMETERS.get(param.name)
    if old is not None:
        if old == param:
            return old
        raise InputError(f"parameter {param.name!r} already exists with domain {old.domain_str()} "
                         f"({old.meaning}); reuse it without redeclaring it, or pick another name")
    if param.symbol in _BY_SYMBOL:
        raise InputError(f"parameter {param.name!r}: its symbol {param.symbol} is already the symbol of "
                         f"{_BY_SYMBOL[param.symbol].name!r}; give it another LaTeX name")
    if param.symbol in LATEX_NAMES and LATEX_NAMES[param.symbol] != param.tex:  # an extension's, register()
        raise InputError(f"parameter {param.name!r}: its symbol {param.symbol} already prints as "
                         f"{LATEX_NAMES[param.symbol]!r} (an extension module's parameter); give it another LaTeX name")
    register(param)
    PARAMETERS[param.name] = param
    SYMBOLS[param.name] = param.symbol
    _BY_SYMBOL[param.symbol] = param
    return param


def latex(expr: sp.Basic, names: dict | None = None) -> str:
    """sympy.latex with every parameter's LaTeX name (and ``names`` for other symbols), in written order.

    >>> latex(2 * symbols("P_E1")[0])
    '2 P(E_1)'
    """
    return sp.latex(expr, symbol_names={**LATEX_NAMES, **(names or {})}, order="none")


def parameter(name: str) -> Parameter:
    """The parameter called ``name``.

    >>> parameter("alpha").domain_str()
    '(0, 1]'
    """
    try:
        return PARAMETERS[name]
    except KeyError:
        raise InputError(f"unknown parameter {name!r}; known: {' '.join(PARAMETERS)}") from None


def of_symbol(symbol: sp.Symbol) -> Parameter:
    """The parameter whose symbol is ``symbol``."""
    return _BY_SYMBOL[symbol]


def symbols(*names: str) -> tuple[sp.Symbol, ...]:
    """The symbols of the named parameters, in order.

    >>> alpha, xi = symbols("alpha", "xi")
    >>> alpha.is_positive
    True
    """
    return tuple(parameter(n).symbol for n in names)
