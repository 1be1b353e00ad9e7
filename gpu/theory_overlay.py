"""Theory next to practice: the signal's uniqueness xi and positivity p estimated from a sweep, and Theorems 1
and 3 evaluated (through theory.evaluate) on the measured curves' alphas.

Reads store rows of gpu.experiments; computes no model itself (p comes from the held-out alpha = 0 rows).
"""

from __future__ import annotations

import math

import numpy as np

from gpu.collective import TextStrategy, text_strategy
from theory.errors import InputError
from theory.evaluate import evaluate

SMOOTHING = {"laplace": (1.0, 2.0), "jeffreys": (0.5, 1.0)}


def uniqueness(with_trigger: int, texts: int, smoothing: str = "laplace") -> float:
    """xi: the smoothed frequency of texts containing the trigger in the unmodified corpus.

    Every planted text contains the trigger, so this bounds P0(g(X)) from above. Add-one (Laplace):
    (k+1)/(n+2); Jeffreys: (k+1/2)/(n+1). An absent trigger thus gets xi ~ 1/n, not 0.

    >>> uniqueness(0, 998), uniqueness(0, 999, "jeffreys")
    (0.001, 0.0005)
    """
    if smoothing not in SMOOTHING:
        raise InputError(f"smoothing {smoothing!r} is unknown; expected one of {', '.join(SMOOTHING)}")
    if not 0 <= with_trigger <= texts or texts < 1:
        raise InputError(f"{with_trigger} texts with the trigger out of {texts}; expected 0 <= k <= n, n >= 1")
    a, b = SMOOTHING[smoothing]
    return (with_trigger + a) / (texts + b)


def positivity(heldout_rows, quantile: str = "q05") -> tuple[float, float]:
    """(p, truncation): the ``quantile`` of the held-out models' P(y*|x) over clean test texts, averaged over seeds.

    Theorem 3 needs P0(y*|x) >= p for every x; following the paper's remark after Corollary 4 we take p on
    the set R of texts above the quantile and pay P0(X \\ R) (0.05 for q05) as a truncation penalty.
    """
    fractions = {"q01": 0.01, "q05": 0.05, "median": 0.5, "min": 0.0}
    if quantile not in fractions:
        raise InputError(f"quantile {quantile!r} is unknown; expected one of {', '.join(fractions)}")
    values = [r.metrics[f"p_target_{quantile}"] for r in heldout_rows]
    if not values:
        raise InputError("no held-out rows (alpha = 0) to estimate the positivity constant p from")
    return float(np.mean(values)), fractions[quantile]


def predicted(strategy: TextStrategy | int, alphas, xi: float, p: float | None = None, truncation: float = 0.0,
              Delta: float = 1.0, epsilon: float = 0.0) -> np.ndarray:
    """The theorem's lower bound on success at each alpha, clipped to [0, 1].

    Strategy 1: Theorem 1 with Delta (<= 1, the paper's choice); Strategy 2: Theorem 3 with p, minus the
    truncation penalty. epsilon = 0 assumes the learner optimal on the collective's distribution.

    >>> predicted(1, [0.5], xi=0.001).round(4).tolist()
    [0.999]
    """
    a = np.asarray(alphas, float)
    if text_strategy(strategy) == TextStrategy.TEXT_AND_LABEL:
        s = evaluate("thm1", "bound", dict(alpha=a, Delta=Delta, xi=xi, epsilon=epsilon))
    else:
        if p is None:
            raise InputError("Theorem 3 needs the positivity constant p")
        s = evaluate("thm3", "bound", dict(alpha=a, p=p, xi=xi, epsilon=epsilon)) - truncation
    return np.clip(np.asarray(s, float), 0.0, 1.0)


def critical_mass(strategy: TextStrategy | int, level: float, xi: float, p: float | None = None, truncation: float = 0.0,
                  Delta: float = 1.0) -> float:
    """The theory's alpha for success ``level`` (Corollary 2 or 4, epsilon = 0); inf where unreachable."""
    if text_strategy(strategy) == TextStrategy.TEXT_AND_LABEL:
        return float(evaluate("cor2", "critical_mass", dict(Delta=Delta, xi=xi, S_star=level, epsilon=0)))
    target = level + truncation
    if target >= 1:
        return math.inf
    value = float(evaluate("cor4", "critical_mass", dict(p=p, xi=xi, S_star=target, epsilon=0)))
    return value if value <= 1 else math.inf


def compare(summary: dict, rows, measure_rows_heldout, smoothing: str = "laplace", quantile: str = "q05") -> dict:
    """One curve's measured mean success against the theorem: where practice beats it and where it misses."""
    m = rows[0].metrics
    xi = uniqueness(m["trigger_texts"], m["corpus_texts"], smoothing)
    p, trunc = positivity(measure_rows_heldout, quantile) if summary["strategy"] == TextStrategy.TEXT_ONLY else (None, 0.0)
    alphas = np.asarray(summary["alphas"], float)
    bound = predicted(summary["strategy"], alphas, xi, p, trunc)
    mean = np.asarray(summary["mean"], float)
    return {
        "xi": xi, "smoothing": smoothing, "p": p, "p_quantile": quantile if p is not None else None,
        "bound": bound.tolist(),
        "beats": [float(a) for a, v, b in zip(alphas, mean, bound) if v >= b],
        "misses": [float(a) for a, v, b in zip(alphas, mean, bound) if v < b],
        "theory_alpha50": critical_mass(summary["strategy"], 0.5, xi, p, trunc),
        "theory_alpha90": critical_mass(summary["strategy"], 0.9, xi, p, trunc),
        "measured_alpha50": summary["alpha50"], "measured_alpha90": summary["alpha90"],
    }
