"""The two notions of an epsilon-optimal firm, and the margin budget each gives an adversarial firm.

Bottom of the theory layer beside parameters.py: paper.py, instance.py and verify/ take the notion and its
budget from here, so "tv" and "mixture" mean one thing everywhere. Importing it needs no sympy (the command
line lists the notions before it knows whether sympy is needed); ``budget`` imports it.

- ``tv`` (the founding paper's Definition 2, the default): f = argmax P'(. | x) for some P' with
  TV(P, P') <= eps. Moving mass m within TV lowers a sum of per-point margins P(x, y) - P(x, y') by at most
  2m (verify/: ``tv.flip-cost[k]``), and moving M/2 from the top label to the runner-up ties a point of
  margin M, so the firm can tie any set of points whose margins sum to at most **2 eps**.
- ``mixture`` (the coupling that the proof of Lemma 11 uses): P' = (1-eps) P + eps Q for a distribution Q.
  Tying a point of margin M needs eps Q(x, y') >= (1-eps) M, so the margins of the tied points sum to at
  most **eps/(1-eps)**.

A mixture-eps-optimal firm is TV-eps-optimal (TV(P, (1-eps) P + eps Q) = eps TV(P, Q) <= eps), so a bound
valid under ``tv`` is valid under ``mixture``; eps/(1-eps) < 2 eps for eps < 1/2, so not conversely.

>>> budget("tv"), budget("mixture")
(2*epsilon, epsilon/(1 - epsilon))
"""

from __future__ import annotations

from theory.errors import InputError

NOTIONS = ("tv", "mixture")
DEFAULT = "tv"

#: One line per notion, for statements, help texts and the docs.
DEFINITIONS = {
    "tv": "the firm is Bayes-optimal for some P' with TV(P, P') <= eps (the paper's Definition 2)",
    "mixture": "the firm is Bayes-optimal for P' = (1-eps) P + eps Q for some distribution Q (Lemma 11's coupling)",
}

#: The same in LaTeX, for result statements.
DEFINITIONS_TEX = {
    "tv": r"Bayes-optimal for some $P'$ with $\mathrm{TV}(P, P') \leq \epsilon$ (Definition 2, notion \texttt{tv})",
    "mixture": (r"Bayes-optimal for $P' = (1-\epsilon) P + \epsilon Q$ for some distribution $Q$ "
                r"(Lemma 11's coupling, notion \texttt{mixture})"),
}

def check(notion: str) -> str:
    """The notion itself, or InputError naming the known ones.

    >>> check("TV")
    Traceback (most recent call last):
    ...
    theory.errors.InputError: notion 'TV': expected one of tv mixture
    """
    if notion not in NOTIONS:
        raise InputError(f"notion {notion!r}: expected one of {' '.join(NOTIONS)}")
    return notion


def budget(notion: str):
    """The most an eps-optimal firm of this notion can lower the per-point margins in total (joint mass).

    It is also the margin one point needs to keep its label against every such firm (Lemma 11's margin:
    ``lemma11`` with this notion).
    """
    from theory.parameters import SYMBOLS  # sympy only here: the command line reads NOTIONS without it

    eps = SYMBOLS["epsilon"]
    return 2 * eps if check(notion) == "tv" else eps / (1 - eps)


def margin(notion: str, epsilon):
    """``budget(notion)`` at a value: epsilon a float, a Fraction or a numpy array (elementwise), in [0, 1).

    For the numerics that evaluate a per-point certification margin without sympy (numerics.bounds).

    >>> margin("tv", 0.25), margin("mixture", 0.25)
    (0.5, 0.3333333333333333)
    """
    return 2 * epsilon if check(notion) == "tv" else epsilon / (1 - epsilon)
