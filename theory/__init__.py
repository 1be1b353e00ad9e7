"""The symbolic theory layer: every result of the founding paper as sympy objects, with derivations.

Bottom of the layers (theory <- verify, theory <- numerics <- gpu); imports neither JAX nor Z3.

>>> from theory import result
>>> result("cor2").derived_equals_printed()
True
"""

from theory.errors import InputError
from theory.evaluate import evaluate
from theory.paper import IDS, result, results
from theory.parameters import PARAMETERS, parameter

__all__ = ["IDS", "InputError", "PARAMETERS", "evaluate", "parameter", "result", "results"]
