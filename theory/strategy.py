"""The collective's strategies: the one definition of their names, shared by every layer.

Bottom of the layers (theory/, no imports beyond theory.errors): theory/, verify/, numerics/, gpu/ and the
app speak of a strategy only through ``Strategy`` and the subsets below; the jitted kernels of numerics/ take
the integer ``code`` of a strategy, defined here and nowhere else. The text experiments' "Strategy 1" and
"Strategy 2" of the founding paper's Section 5 are edits of resumes, a different thing: gpu.collective's
``TextStrategy``, each of which names the strategy here that it instantiates.

>>> Strategy("feature-only") is Strategy.FEATURE_ONLY, f"{Strategy.ERASURE}"
(True, 'erasure')
>>> parse_strategy("erasure", PLANTING)
Traceback (most recent call last):
...
theory.errors.InputError: strategy = 'erasure': expected one of feature-label, feature-only
"""

from __future__ import annotations

import enum

from theory.errors import InputError


class Strategy(enum.StrEnum):
    """How the collective changes its own data. A ``str``: its value is what documents, stores and flags hold.

    Sources: Hardt, Mazumdar, Mendler-Dünner & Zrnic (ICML 2023), Section 3.1, equations (1) and (3), and
    Section 3.2; Gauthier, Bach & Jordan (ICML 2025) for unplanting (theory/collusion.py).
    """

    FEATURE_LABEL = "feature-label"  # plant the signal g(x) and set the label to y* (equation (1))
    FEATURE_ONLY = "feature-only"    # plant g(x) on points labelled y*, move the others off the signal set (3)
    ERASURE = "erasure"              # keep x, relabel it argmax_y P0(y | g(x)) (Section 3.2)
    UNPLANTING = "unplanting"        # plant g(x) with a label other than y*, so that y* is beaten there (GBJ)


#: Strategies that plant a signal towards the target label (Section 3.1).
PLANTING = (Strategy.FEATURE_LABEL, Strategy.FEATURE_ONLY)
#: Strategies of a discrete instance (theory.instance, verify/, numerics.exact and numerics.finite), in the
#: order of their ``code``.
DISCRETE = (Strategy.FEATURE_LABEL, Strategy.FEATURE_ONLY, Strategy.ERASURE)
#: Strategies of signal planting on categorical tables (numerics.collusion, ``critmass simulate tabular``).
TABULAR = (Strategy.FEATURE_LABEL, Strategy.FEATURE_ONLY, Strategy.UNPLANTING)


def names(allowed=tuple(Strategy)) -> tuple[str, ...]:
    """The values of ``allowed``, for argparse ``choices`` and messages.

    >>> names(PLANTING)
    ('feature-label', 'feature-only')
    """
    return tuple(s.value for s in allowed)


def parse_strategy(value, allowed=tuple(Strategy), where: str = "strategy") -> Strategy:
    """The ``Strategy`` named ``value`` (a ``Strategy`` or its name) if it is in ``allowed``; otherwise
    ``InputError`` in one line naming the value and what was expected."""
    if isinstance(value, str) and value in names(allowed):
        return Strategy(value)
    shown = value.value if isinstance(value, enum.Enum) else value
    raise InputError(f"{where} = {shown!r}: expected one of {', '.join(names(allowed))}")


def code(strategy) -> int:
    """The integer that numerics' jitted kernels take for a strategy of a discrete instance: its index in
    ``DISCRETE`` (feature-label 0, feature-only 1, erasure 2).

    >>> [code(s) for s in DISCRETE]
    [0, 1, 2]
    """
    return DISCRETE.index(parse_strategy(strategy, DISCRETE))
