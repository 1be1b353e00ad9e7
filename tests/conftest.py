"""Shared test set-up: run the CLI in-process and capture what it prints."""

import atexit
import json
import os
import shutil
import tempfile

import pytest

# Derivations are cached on disk (theory/cache.py); the tests use a fresh cache of their own, never the user's.
if "CRITMASS_CACHE_DIR" not in os.environ:
    os.environ["CRITMASS_CACHE_DIR"] = tempfile.mkdtemp(prefix="critmass-test-cache-")
    atexit.register(shutil.rmtree, os.environ["CRITMASS_CACHE_DIR"], True)

from critmass.cli import main


@pytest.fixture(autouse=True)
def _forget_results_a_test_states():
    """Results a test registers (from Python or a --results file) are forgotten after it, so that the next
    test in this process sees the built-in results only (plus those a module fixture keeps)."""
    from theory import catalog

    before = set(catalog.registered())
    yield
    catalog.unregister(*(i for i in catalog.registered() if i not in before))


@pytest.fixture
def cli(capsys):
    """Run ``critmass ARGS``; return (exit code, stdout, stderr)."""

    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse: a usage error or a value outside its domain (critmass.domains)
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cli_json(cli):
    """Run ``critmass ARGS --json`` and parse its one JSON document."""

    def run(*args):
        code, out, err = cli(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    return run
