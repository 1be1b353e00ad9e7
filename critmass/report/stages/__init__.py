"""The report's stages: a module here that defines ``STAGE`` (a ``critmass.report.base.Stage``), or ``STAGES`` (a
tuple of them, for a module of related topics), adds its sections.

Adding a stage is adding a module here: ``stages()`` finds every module of this package and orders their
stages by ``Stage.order``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from critmass.report.base import Stage


@functools.cache
def stages() -> tuple[Stage, ...]:
    """Every stage of this package, in report order.

    >>> [s.key for s in stages()][:2]
    ['theory', 'exact']
    """
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        stage = getattr(module, "STAGE", None)
        if isinstance(stage, Stage):
            found.append(stage)
        found += [s for s in getattr(module, "STAGES", ()) if isinstance(s, Stage)]
    keys = [s.key for s in found]
    if len(set(keys)) != len(keys):
        raise ValueError(f"two report stages share a key: {sorted(keys)}")
    return tuple(sorted(found, key=lambda s: (s.order, s.key)))


def stage(key: str) -> Stage:
    """The stage with this key."""
    for s in stages():
        if s.key == key:
            return s
    raise KeyError(f"no report stage {key!r}; stages: {', '.join(s.key for s in stages())}")
