"""The ``critmass`` command: argument parsing, one-line errors and exit codes.

Each layer's commands live in a module of critmass.commands that exposes ``register(subparsers)``;
a command function takes the parsed arguments and returns an exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import signal
import sqlite3
import sys
from pathlib import Path

#: Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "critmass.commands.theory",
    "critmass.commands.verify",
    "critmass.commands.simulate",
    "critmass.commands.finetune",
    "critmass.commands.experiments",
    "critmass.commands.store",
    "critmass.commands.report",
    "critmass.commands.bench",
)

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one line and exit code 2 (argparse's own convention)."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")

    def format_help(self):
        # A description may be a zero-argument callable, for text that is costly to build (it lists derived
        # results): it is evaluated only when help is shown, not on every start-up.
        if callable(self.description):
            self.description = self.description()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="critmass",
        description="A symbolic and verified theory engine for algorithmic collective action in machine learning.",
    )
    from critmass import __version__
    parser.add_argument("--version", action="version", version=f"critmass {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _add_results_option(parser)
    return parser


RESULTS_HELP = ("a TOML file of stated results to load (repeatable; also $CRITMASS_RESULTS, paths separated by "
                "':'): they join every command like the built-in results (docs/workbench.md)")


def _add_results_option(parser: argparse.ArgumentParser) -> None:
    """``--results FILE`` on every parser of the tree, so it may stand anywhere on the command line.

    main() reads it from argv before parsing (help texts list the loaded results too); argparse only has
    to accept it, so it is stored nowhere (SUPPRESS) and no sub-parser's default can overwrite it.
    """
    parser.add_argument("--results", action="append", metavar="FILE", default=argparse.SUPPRESS, help=RESULTS_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _add_results_option(child)


def results_files(argv: list[str]) -> list[str]:
    """The files named by ``--results FILE`` / ``--results=FILE`` before a bare ``--``."""
    found = []
    for i, token in enumerate(argv):
        if token == "--":
            break
        if token == "--results" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif token.startswith("--results="):
            found.append(token.split("=", 1)[1])
    return found


#: Commands that may answer from the cache without loading the results files (theory.fast checks their bytes).
CACHED_COMMANDS = ("bound", "critical-mass")


def main(argv: list[str] | None = None) -> int:
    from critmass.interrupt import Guard
    from numerics.compile_cache import configure

    configure()  # compiled kernels persist across runs (before any command imports JAX)

    # Signals are handled from the first moment (importing the layers takes a while), never by KeyboardInterrupt.
    # The process's own command (argv from sys.argv) keeps a handler through the interpreter's teardown.
    with Guard(last=argv is None) as guard:
        from theory import sources

        sources.use(*results_files(sys.argv[1:] if argv is None else list(argv)))
        try:
            guard.code = _run(guard, argv)
        finally:
            sources.use()  # the files were this command's (what they registered stays registered)
        return guard.code


def _run(guard, argv: list[str] | None) -> int:
    from theory import sources
    from theory.errors import InputError

    try:
        args = build_parser().parse_args(argv)  # help texts list results, so they may load the files
        guard.command = args.command
        if args.command not in CACHED_COMMANDS:
            sources.load_pending()
    except SystemExit as e:  # --help, --version, a usage error: argparse's own exit code
        guard.code = e.code if isinstance(e.code, int) else 2
        raise
    except InputError as e:
        print(f"critmass: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    created = _new_store(args)
    try:
        return int(args.func(args) or 0)
    except InputError as e:
        _drop_unused(created)
        print(f"critmass {args.command}: error: {_cli_message(e, args)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except Exception as e:
        known = _known_failure(e)
        if known is None:
            raise
        code, message = known
        print(f"critmass {args.command}: {message}", file=sys.stderr)
        return code


def _cli_message(error, args) -> str:
    """The error's line in the command line's terms: a refuted result names --printed where the command has it
    (the library's message names the keyword printed=True)."""
    from theory.refuted import RefutedError

    if not isinstance(error, RefutedError):
        return str(error)
    if hasattr(args, "printed"):
        return error.refutation.message() + "; or add --printed for the paper's formula, labelled refuted"
    return error.refutation.message()


def _new_store(args) -> Path | None:
    """The --store FILE this command would create (None where it exists already, or there is none)."""
    store = getattr(args, "store", None)
    if isinstance(store, (str, Path)) and not Path(store).exists() and Path(store).parent.is_dir():
        return Path(store)
    return None


def _drop_unused(path: Path | None) -> None:
    """Remove a store this command created and wrote nothing to: bad input found after the store was opened
    (a corpus or checkpoint read inside the sweep) leaves the folder as the command found it."""
    if path is None or not path.is_file():
        return
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            marked = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            used = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("rows", "claims", "failures"))
    except sqlite3.Error:
        return
    if marked and marked[0] == "critmass-sweep-store" and used == 0:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)


def _known_failure(e: Exception) -> tuple[int, str] | None:
    """(exit code, one line) for a failure that is not a bug: an interrupted or partly failed sweep, a store
    that cannot be written, a file the system refuses, memory exhausted. None for anything else."""
    sweep, store = sys.modules.get("numerics.sweep"), sys.modules.get("numerics.store")
    if sweep is not None and isinstance(e, sweep.Interrupted):
        return 128 + e.signum, (f"interrupted ({signal.Signals(e.signum).name}): {e.saved} of {e.total} "
                                f"{e.unit} are saved in {e.path}; rerun the same command to resume")
    if sweep is not None and isinstance(e, sweep.Failed):
        return 1, f"error: {e}; see critmass store show {e.path}"
    if store is not None and isinstance(e, store.StoreError):
        return 1, f"error: {e}"
    if isinstance(e, OSError) and e.filename is not None:
        return (EXIT_BAD_INPUT if isinstance(e, (PermissionError, FileNotFoundError, IsADirectoryError,
                                                 NotADirectoryError)) else 1), \
            f"error: {e.filename}: {e.strerror or e}"
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return 1, f"error: {e.strerror}; what was finished before is kept"
    if isinstance(e, MemoryError):
        return 1, "error: out of memory; try smaller sizes"
    return None
