"""Where this process's results come from: the built-in modules and the results files it was given.

Bottom of the theory layer, beside errors.py, and free of sympy: the command line names files here
(``--results``, ``$CRITMASS_RESULTS``) and theory.catalog loads them on first use, so that a command
answered from the cache (theory.fast) reads nothing but the files' bytes for its key. ``fingerprint``
is that key's basis: the source of every theory module, sympy's version and each results file's bytes.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

ENVIRONMENT = "CRITMASS_RESULTS"

_named: list[Path] = []
_loaded = [False]


def use(*paths: str | Path) -> None:
    """The results files of this command (after those of $CRITMASS_RESULTS), loaded when the catalog is
    first used. Replaces the files named before (a process may run several commands, as the tests do)."""
    _named[:] = list(dict.fromkeys(Path(p) for p in paths))
    _loaded[0] = False


def files() -> list[Path]:
    """The results files of this process, in load order: $CRITMASS_RESULTS's, then those named."""
    out = [Path(item.strip()) for item in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if item.strip()]
    return out + [p for p in _named if p not in out]


def load_pending() -> None:
    """Load the results files not loaded yet (theory.results_file; a file read twice is read once)."""
    if _loaded[0]:
        return
    _loaded[0] = True
    if files():
        from theory.results_file import load
        try:
            for path in files():
                load(path)
        except BaseException:
            _loaded[0] = False
            raise


_CODE: list[str] = []


def code_hash() -> str:
    """SHA-256 of every theory module's source and of sympy's version: code that decides what is derived."""
    if not _CODE:
        h = hashlib.sha256()
        for path in sorted(Path(__file__).parent.glob("*.py")):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        try:
            h.update(metadata.version("sympy").encode())
        except metadata.PackageNotFoundError:
            h.update(b"sympy ?")
        _CODE.append(h.hexdigest())
    return _CODE[0]


def fingerprint() -> str | None:
    """``code_hash`` and the bytes of every results file; None where a file cannot be read (then nothing
    may be answered from the cache: loading the file reports the error)."""
    h = hashlib.sha256(code_hash().encode())
    for path in files():
        try:
            h.update(str(path.resolve()).encode() + b"\0" + path.read_bytes())
        except OSError:
            return None
    return h.hexdigest()


def cache_directory() -> Path | None:
    """Where derivations are cached, or None when caching is off (theory.cache describes the convention)."""
    if os.environ.get("CRITMASS_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        return None
    explicit = os.environ.get("CRITMASS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "critmass" / "derivations"


def write_atomically(path: Path, text: str) -> bool:
    """Write text to a temporary file beside ``path`` and rename it into place (atomic on POSIX), so that a
    concurrent reader sees the old entry or the new one, never a torn one. False where it cannot write."""
    import tempfile
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.stem[:16]}.", suffix=".tmp",
                                         delete=False, encoding="utf-8") as fh:
            fh.write(text)
            tmp = fh.name
        os.replace(tmp, path)
    except OSError:
        return False
    return True
