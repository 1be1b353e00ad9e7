"""JAX's persistent compilation cache for critmass: compiled kernels are kept on disk between processes.

The engine compiles one kernel per shape family (batch axes are padded to powers of two, numerics.exact.bucket),
so a later process with the same shapes loads every kernel from the cache instead of compiling it. The cache is
set through JAX's own environment variables before JAX is imported (``critmass`` does this at start-up); it
lives in ``$CRITMASS_JAX_CACHE``, else ``$XDG_CACHE_HOME/critmass/jax``, else ``~/.cache/critmass/jax``, and
``CRITMASS_JAX_CACHE=off`` turns it off. A variable the user set already (``JAX_COMPILATION_CACHE_DIR``) wins.

>>> env = {"HOME": "/home/u"}
>>> configure(env)
'/home/u/.cache/critmass/jax'
>>> env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]
'0'
>>> configure({"CRITMASS_JAX_CACHE": "off"}) is None
True
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping


def cache_dir(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Where the cache lives for this environment, or None when it is turned off."""
    chosen = environ.get("CRITMASS_JAX_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return chosen
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME", os.path.expanduser("~")), ".cache")
    return os.path.join(base, "critmass", "jax")


def configure(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Point JAX's persistent cache at ``cache_dir`` (every compiled kernel, however quick to compile: many
    small ones add up). Takes effect for a JAX imported afterwards; returns the directory, or None when off."""
    path = cache_dir(environ)
    if path is None:
        return None
    environ.setdefault("JAX_COMPILATION_CACHE_DIR", path)
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    return environ["JAX_COMPILATION_CACHE_DIR"]
