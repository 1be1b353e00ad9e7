"""The symbolic theory layer: every result of the founding paper as sympy objects, with derivations.

Bottom of the layers (theory <- verify, theory <- numerics <- gpu); imports neither JAX nor Z3. The names
below are imported on first use, so that ``import theory`` (and a command answered from the cache,
theory.fast) does not pay for sympy.

>>> from theory import result
>>> result("cor2").derived_equals_printed()
True
"""

import importlib
import sys
import types

from theory.errors import InputError

_LAZY = {"evaluate": "theory.evaluate", "IDS": "theory.paper", "result": "theory.paper", "results": "theory.paper",
         "PARAMETERS": "theory.parameters", "parameter": "theory.parameters", "state": "theory.statement",
         "new_parameter": "theory.statement", "Statement": "theory.statement", "register": "theory.catalog",
         "load_results": "theory.results_file"}
_RENAMED = {"load_results": "load"}

__all__ = ["IDS", "InputError", "PARAMETERS", "Statement", "evaluate", "load_results", "new_parameter",
           "parameter", "register", "result", "results", "state"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), _RENAMED.get(name, name))
        globals()[name] = value
        return value
    raise AttributeError(f"module 'theory' has no attribute {name!r}")


class _Package(types.ModuleType):
    """``theory.evaluate`` and ``theory.result`` name both a function (the public API) and a submodule; the
    import system binds a submodule to its package's attribute when it is first imported, which would hide
    the function now that it is imported lazily. The submodules stay in sys.modules for ``from theory.X
    import ...``; the package's attribute keeps the function."""

    def __setattr__(self, name, value):
        if name in ("evaluate", "result") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
