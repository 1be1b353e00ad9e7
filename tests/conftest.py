"""Shared test set-up: run the CLI in-process and capture what it prints."""

import json

import pytest

from critmass.cli import main


@pytest.fixture
def cli(capsys):
    """Run ``critmass ARGS``; return (exit code, stdout, stderr)."""

    def run(*args):
        code = main([str(a) for a in args])
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
