"""SIGINT and SIGTERM for every critmass command: stop at a safe point, say so in one line, exit 128 + signal.

Python's default SIGINT handling raises KeyboardInterrupt wherever the main thread is, also inside a
callback of an XLA compilation, which then crashed (segmentation fault) or printed a long traceback. Here
the signal is taken off the main thread instead: ``signal.set_wakeup_fd`` hands it at once to a watcher
thread, while the main thread's handler does nothing, so no exception is ever raised inside a library.

- While a sweep runs (numerics.sweep), the first signal asks it to stop after the batch in flight: the sweep
  commits what it finished and raises ``numerics.sweep.Interrupted``, which the app reports in one line
  (rows saved, how to resume). A second signal stops at once.
- Otherwise (no store being written) the process stops at once: one line, exit 130 (SIGINT) or 143
  (SIGTERM), via ``os._exit`` so that no interpreter teardown runs while a compilation is in progress. A
  command that has saved work outside a sweep says what in that line through ``saying`` (the report, while it
  draws and writes what its store holds).
- The command's process (``Guard(last=True)``: the console script, ``python -m critmass``) ignores SIGINT and
  SIGTERM from the moment the command has returned (``Guard.code`` set) to the end of the process: its run is
  complete and its output flushed, and a signal during the interpreter's teardown (JAX's atexit clean-up, about
  half a second) would otherwise end it with a KeyboardInterrupt traceback or kill it without a word (exit -15).
  ``SIG_IGN``, not a Python handler: Python's finalization resets Python handlers to the default action.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


_SAYING: list = []


class saying:
    """Context manager: while it is open, a signal that stops the process at once (no sweep running) adds
    ``describe()`` to its line, e.g. what is saved and how to resume."""

    def __init__(self, describe):
        self.describe = describe

    def __enter__(self):
        _SAYING.append(self.describe)
        return self

    def __exit__(self, *exc):
        _SAYING.remove(self.describe)
        return False


def _sweeps():
    """The numerics.sweep module if a sweep may be running (it is imported only by commands that sweep)."""
    return sys.modules.get("numerics.sweep")


class Guard:
    """Context manager: the signal policy above for the command ``command`` (a no-op off the main thread)."""

    def __init__(self, command: str = "", last: bool = False):
        self.command = command
        self.last = last
        self.code: int | None = None   # the command's exit code, once it returned (set by the caller)
        self.count = 0
        self._active = False
        self._stopping = None

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        self._read, self._write = socket.socketpair()
        self._write.setblocking(False)
        self._old_handlers = {s: signal.signal(s, self._ignore) for s in SIGNALS}
        self._old_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._thread = threading.Thread(target=self._watch, daemon=True, name="critmass-signals")
        self._thread.start()
        self._active = True
        return self

    def __exit__(self, *exc):
        if not self._active:
            return False
        if self.last:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            for s in SIGNALS:
                signal.signal(s, signal.SIG_IGN)
        signal.set_wakeup_fd(self._old_fd)
        if not self.last:
            for s, handler in self._old_handlers.items():
                signal.signal(s, handler)
        self._write.close()  # the watcher reads end-of-file and returns
        self._thread.join(timeout=5)
        self._read.close()
        self._active = False
        mod = _sweeps()
        if mod is not None:
            mod.clear_stop()
        return False

    @staticmethod
    def _ignore(signum, frame):
        """The main thread's handler: nothing (the watcher thread acts on the signal)."""

    def _watch(self):
        while True:
            try:
                data = self._read.recv(64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum in SIGNALS:
                    self._on_signal(signum)

    def _say(self, text: str) -> None:
        prefix = "\n" if sys.stderr.isatty() else ""
        try:
            name = f"critmass {self.command}" if self.command else "critmass"
            os.write(2, f"{prefix}{name}: {text}\n".encode())
        except OSError:
            pass

    @staticmethod
    def _saying() -> str:
        """What the command says is saved (``saying``), or "" where it says nothing or cannot read it now."""
        try:
            return _SAYING[-1]() if _SAYING else ""
        except Exception:  # noqa: BLE001 - the line is said in any case
            return ""

    def _on_signal(self, signum: int) -> None:
        if self.last and self.code is not None:
            return  # the command has returned: its run is complete, the process is ending
        self.count += 1
        name = signal.Signals(signum).name
        mod = _sweeps()
        running = mod.running() if mod is not None else []
        if running and self.count == 1:
            self._stopping = running[-1]  # reported by a second signal even once the sweep has returned
            mod.request_stop(signum)
            self._say(f"{name}: stopping after the {self._stopping.unit} in flight are saved "
                      f"({'Ctrl-C' if signum == signal.SIGINT else 'the signal'} again stops at once)")
            return
        said = self._saying()
        if running or self._stopping:
            p = running[-1] if running else self._stopping
            # the innermost sweep's count, then the command's own (the report's stages) where it says one
            self._say(f"stopped at once ({name}): {p.saved} of {p.total} {p.unit} are saved in {p.path}, "
                      f"those in flight are not; " + (said or "rerun the same command to resume"))
        else:
            self._say(f"interrupted ({name})" + (f": {said}" if said else ""))
        os._exit(128 + signum)  # no flush of stdout: the main thread may hold its lock
