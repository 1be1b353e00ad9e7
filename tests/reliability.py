"""Bad inputs to every command and file format, run as a user runs them; writes docs/reliability.md.

    .venv/bin/python tests/reliability.py                 # run every case, print the table
    .venv/bin/python tests/reliability.py --write         # ... and write docs/reliability.md
    .venv/bin/python tests/reliability.py --only seed     # the cases whose id contains 'seed'

Each case runs ``python -m critmass ARGS`` in a fresh folder holding its input files, stdin closed, with a
time limit. It is counted as a traceback (a Python traceback on stderr), a silent answer (exit 0), a hang
(past the limit), a file changed (an input file whose bytes differ afterwards, or a file created or deleted),
or unclear (the message does not name the bad value ``names``, or is not one line). A case passes when none
of these holds. tests/test_reliability.py checks that the document still matches what the commands say.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
LIMIT_S = 120

INSTANCE = {"p0": [["1/4", "1/4"], ["3/8", "1/8"]], "signal": [1, 1], "target": 1,
            "strategy": "feature-label", "alpha": "1/2"}
CSV = "color,shape,label\n" + "".join(f"{c},{s},{(i % 3 == 0)}\n" for i, (c, s) in
                                      enumerate([("red", "round"), ("blue", "square"), ("red", "square"),
                                                 ("green", "round")] * 10))
TSV = "sentence\tlabel\n" + "".join(f"text number {i} about things\t{i % 2}\n" for i in range(40))
BERT = {"model_type": "bert", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 64,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}


def js(doc) -> str:
    return json.dumps(doc)


def with_(doc: dict, **changes) -> str:
    return json.dumps({**doc, **changes})


def _store(path: Path, metrics: str = '{"y": 1}', version: str = "2") -> None:
    """A small critmass store (written with numerics.store), then optionally damaged with plain SQL."""
    from numerics.store import SweepStore

    with SweepStore(path) as s:
        s.run("square", [{"x": 2}], lambda batch: [{"y": 4} for _ in batch], progress=False)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=DELETE")
    if metrics != '{"y": 1}':
        db.execute("UPDATE rows SET metrics = ?", (metrics,))
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    db.commit()
    db.close()


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    db.execute("INSERT INTO contacts VALUES ('ada', '123')")
    db.commit()
    db.close()


VOCAB = "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *(f"w{i}" for i in range(95))]) + "\n"


def _checkpoint(config) -> dict:
    return {"ckpt/config.json": config if isinstance(config, str) else json.dumps(config), "ckpt/vocab.txt": VOCAB,
            "ckpt/model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "}


@dataclass
class Case:
    id: str
    args: list[str]
    fault: str                    # what is wrong, for the table
    names: str                    # a part of the message that names the bad value (case-insensitive)
    files: dict = field(default_factory=dict)   # name -> str | bytes | callable(path)
    env: dict = field(default_factory=dict)


I = {"inst.json": js(INSTANCE)}
BAD_INSTANCE = "check-instance bad.json"


def cases() -> list[Case]:
    c = []
    add = lambda *a, **k: c.append(Case(*a, **k))
    # -- theory: bound, critical-mass, latex, results -----------------------------------------------------
    thm1 = ["bound", "thm1", "--set", "xi=0.1", "Delta=0.5", "epsilon=0"]
    add("bound-alpha-overflow", [*thm1, "alpha=1e309"], "alpha beyond a float", "1e309")
    add("bound-alpha-huge-exponent", [*thm1, "alpha=1e999999999"], "exponent that Fraction expands for hours", "1e999999999")
    add("bound-alpha-text", [*thm1, "alpha=abc"], "not a number", "abc")
    add("bound-alpha-zero-denominator", [*thm1, "alpha=1/0"], "division by zero", "1/0")
    add("bound-alpha-nan", [*thm1, "alpha=nan"], "NaN", "nan")
    add("bound-alpha-inf", [*thm1, "alpha=inf"], "infinity", "inf")
    add("bound-alpha-outside", [*thm1, "alpha=2"], "alpha outside (0, 1]", "alpha")
    add("bound-xi-negative", ["bound", "thm1", "--set", "alpha=0.1", "xi=-1", "Delta=0.5", "epsilon=0"],
        "negative mass", "xi")
    add("bound-set-no-equals", [*thm1, "alpha"], "NAME=VALUE without =", "alpha")
    add("bound-set-twice", [*thm1, "alpha=0.1", "alpha=0.2"], "a parameter set twice", "alpha")
    add("bound-set-unknown-name", [*thm1, "alpha=0.1", "nosuch=1"], "a parameter the result lacks", "nosuch")
    add("bound-set-code", [*thm1, "alpha=__import__('os').getpid()"], "Python code as a value", "__import__")
    add("bound-unknown-id", ["bound", "nosuch", "--set", "alpha=0.1"], "an unknown result id", "nosuch")
    add("bound-alpha-exp-huge", [*thm1, "alpha=exp(1e300)"], "exp of 1e300: ran at full CPU until SIGKILL",
        "exp(1e300)")
    add("bound-alpha-exp-huge-integer", [*thm1, "alpha=exp(10**64)"], "exp of a huge integer", "exp(10**64)")
    add("bound-alpha-exp-cancel", [*thm1, "alpha=exp(1e300)-exp(1e300)"], "huge parts that cancel", "exp(1e300)")
    add("bound-alpha-floor-huge", [*thm1, "alpha=floor(exp(1e300))"], "floor of a huge number (a traceback)",
        "exp(1e300)")
    add("bound-alpha-floor-hundreds-of-digits", [*thm1, "alpha=floor(exp(2800))"],
        "floor of a 1216-digit number (sympy's PrecisionExhausted traceback)", "floor(exp(2800))")
    add("bound-alpha-exp-tiny", [*thm1, "alpha=exp(-1e300)"], "a number below 2**-4096", "exp(-1e300)")
    add("bound-alpha-underflow", [*thm1, "alpha=exp(-1000)"], "underflows to 0 in float64 (was named alpha=0)",
        "exp(-1000)")
    add("bound-epsilon-rounds-to-1", ["bound", "thm1", "--set", "alpha=0.5", "xi=0.1", "Delta=0.5",
                                      "epsilon=1-10**-20"], "inside [0, 1) but 1.0 in float64", "1-10**-20")
    add("bound-alpha-just-above-1", [*thm1, "alpha=1+10**-20"], "above 1 exactly, 1.0 in float64 (was accepted)",
        "1+10**-20")
    add("bound-alpha-hex", [*thm1, "alpha=0x1"], "a hexadecimal literal (was read as 1)", "0x1")
    add("bound-alpha-binary", [*thm1, "alpha=0b1"], "a binary literal (was read as 1)", "0b1")
    add("bound-alpha-octal", [*thm1, "alpha=0o7"], "an octal literal", "0o7")
    add("bound-alpha-underscore", [*thm1, "alpha=0.0_1"], "digits grouped with _ (was read as 0.01)", "0.0_1")
    add("bound-no-parameters", ["bound", "const-half", "--results", "r.toml", "--set", "alpha=0.5"],
        "a value for a result without parameters", "no parameters",
        {"r.toml": 'family = "t"\n[[results]]\nid = "const-half"\ntitle = "t"\nsource = "s"\nbound = "1/2"\n'})
    add("results-bound-exp-huge-coefficient", ["bound", "big-exp", "--results", "r.toml", "--set", "alpha=0.5"],
        "exp(-1e300*alpha) in a results file: sympy's factor() never returned", "1e300*alpha",
        {"r.toml": 'family = "t"\n[[results]]\nid = "big-exp"\ntitle = "t"\nsource = "s"\n'
                   'bound = "1 - exp(-1e300*alpha)"\n'})
    add("critical-mass-sstar-overflow", ["critical-mass", "cor2", "--set", "xi=0.1", "Delta=0.5", "epsilon=0",
                                         "S_star=1e309"], "S_star beyond a float", "1e309")
    add("critical-mass-missing", ["critical-mass", "cor2", "--set", "xi=0.1"], "a required parameter missing",
        "Delta")
    add("latex-unwritable", ["latex", "-o", "/proc/critmass/x.tex"], "output in a folder that cannot exist",
        "/proc/critmass")
    add("latex-sstar-overflow", ["latex", "-o", "x.tex", "--s-star", "1e309"], "--s-star beyond a float", "1e309")
    add("latex-sstar-nan", ["latex", "-o", "x.tex", "--s-star", "nan"], "--s-star NaN", "nan")
    add("results-family", ["results", "--family", "nosuch"], "an unknown family", "nosuch")
    stated = {"r.toml": "".join(f'[[results]]\nid = "{i}"\ntitle = "t"\nsource = "s"\nbound = "{b}"\n'
                                f'target = "S_star"\nstrategy = "feature-label"\n'
                                for i, b in [("pole", "1 - 1/(2*alpha - 1)"), ("huge", "exp(exp(8*alpha))"),
                                             ("const", "1/2"), ("tower", "exp(exp(exp(64*alpha)))"),
                                             ("tower16", "exp(exp(exp(16*alpha)))")])}
    stated_instance = {**stated, "inst.json": with_(INSTANCE, alpha="1")}
    add("bound-stated-pole", ["bound", "pole", "--set", "alpha=1/2", "--results", "r.toml"],
        "a stated bound at its pole (was -inf)", "alpha=0.5", stated)
    add("bound-stated-overflow", ["bound", "huge", "--set", "alpha=1", "--results", "r.toml"],
        "a stated bound beyond float64 (was inf)", "alpha=1", stated)
    add("critical-mass-stated-pole", ["critical-mass", "pole", "--set", "S_star=1/2", "--results", "r.toml"],
        "the critical mass of a bound with a pole in (0, 1]", "2*alpha - 1", stated)
    add("results-latex-input", ["results", "--results", "r.toml"], "a parameter's latex that closes a brace and "
        "\\inputs a file", "\\input", {"r.toml": "[parameters.r]\nlatex = 'r}\\input{/etc/passwd'\n"})
    add("results-latex-write", ["results", "--results", "r.toml"], "a parameter's latex with \\immediate\\write18",
        "\\immediate", {"r.toml": "[parameters.r]\nlatex = '{r\\immediate\\write18{ls}}'\n"})
    prose = '[[results]]\nid = "p"\ntitle = "t"\nsource = "s"\nbound = "1"\n'
    add("results-statement-input", ["latex", "-o", "p.tex", "--results", "r.toml"], "a statement whose formula "
        "\\inputs a file (the statement was typeset verbatim)", "statement", {"r.toml": prose + 'statement = '
        '"Holds. $\\\\input{/etc/passwd}$"\n'})
    add("results-title-write18", ["latex", "-o", "p.tex", "--results", "r.toml"], "a title whose formula runs "
        "\\immediate\\write18", "\\immediate", {"r.toml": prose.replace('"t"', '"T $\\\\immediate\\\\write18{ls}$"')})
    add("results-note-caret-escape", ["latex", "-o", "p.tex", "--results", "r.toml"], "a note whose formula hides "
        "\\input in a ^^5c escape", "^^", {"r.toml": prose + 'notes = ["$^^5cinput x$"]\n'})
    add("bound-stated-target", ["bound", "const", "--set", "S_star=1/2", "--results", "r.toml"],
        "the target S_star on a constant bound (listed no parameter)", "S_star", stated)
    tower = "a stated bound exp(exp(exp(64*alpha))): sympy computed e to about 10**27 bits, at full CPU forever"
    add("bound-stated-tower", ["bound", "tower", "--set", "alpha=1", "--results", "r.toml"], tower, "alpha=1",
        stated)
    add("bound-stated-tower16", ["bound", "tower16", "--set", "alpha=1", "--results", "r.toml"],
        "a stated bound exp(exp(exp(16*alpha))) (sympy computed e to about 10**7 bits)", "alpha=1", stated)
    add("critical-mass-stated-tower", ["critical-mass", "tower", "--set", "S_star=1/2", "--results", "r.toml"],
        tower, "exp(exp(exp(64*alpha)))", stated)
    add("check-instance-stated-tower", ["check-instance", "inst.json", "--result", "tower", "--results", "r.toml"],
        tower + " (check-instance at alpha = 1)", "alpha=1", stated_instance)
    in_xi = {"r.toml": '[[results]]\nid = "towerxi"\ntitle = "t"\nsource = "s"\n'
                       'bound = "Min(1, alpha*exp(exp(exp(64*xi))))"\ntarget = "S_star"\n'
                       '[[results]]\nid = "powxi"\ntitle = "t"\nsource = "s"\nbound = "Min(alpha, 1 + xi)"\n'
                       'hypotheses = ["2**(2**(64*xi)) > 3"]\n'}
    add("critical-mass-stated-tower-xi", ["critical-mass", "towerxi", "--set", "xi=1", "S_star=1/2", "--results",
                                          "r.toml"], "a tower in xi, met in the critical mass's case split at xi = 1 "
        "(sympy compared Min(1, exp(exp(exp(64)))) with S_star forever)", "xi=1", in_xi)
    add("bound-stated-hypothesis-power", ["bound", "powxi", "--set", "alpha=1/2", "xi=1", "--results", "r.toml"],
        "a hypothesis 2**(2**(64*xi)) > 3 at xi = 1 (was a traceback: Inexact, the Fractions' power limit)", "xi=1",
        in_xi)
    add("counterexample-stated-tower", ["counterexample", "--strategy", "feature-label", "--max-x", "2", "--max-y",
                                        "2", "--claim", "Min(1, tower)", "--alpha", "1", "--results", "r.toml"],
        tower + " (counterexample --alpha 1)", "alpha=1", stated)
    # -- verify, check-instance, counterexample -----------------------------------------------------------
    add("verify-only-unknown", ["verify", "--only", "nosuch"], "an unknown step id", "nosuch")
    add("check-instance-binary", ["check-instance", "bad.json"], "binary garbage", "bad.json",
        {"bad.json": b"\x00\xff\xfe\x01garbage"})
    add("check-instance-deep", ["check-instance", "bad.json"], "JSON nested 100000 deep", "bad.json",
        {"bad.json": "[" * 100000 + "]" * 100000})
    add("check-instance-missing", ["check-instance", "nosuch.json"], "no such file", "nosuch.json")
    add("check-instance-folder", ["check-instance", "dir"], "a folder", "dir", {"dir/x": "x"})
    add("check-instance-empty", [*BAD_INSTANCE.split()], "an empty file", "bad.json", {"bad.json": ""})
    add("check-instance-list", [*BAD_INSTANCE.split()], "a JSON list, not an object", "bad.json", {"bad.json": "[1, 2]"})
    add("instance-huge-exponent", [*BAD_INSTANCE.split()], 'a probability "1e999999999"', "1e999999999",
        {"bad.json": with_(INSTANCE, p0=[["1e999999999", "1/4"], ["3/8", "1/8"]])})
    add("instance-huge-integer", [*BAD_INSTANCE.split()], "an integer of 5000 digits", "bad.json",
        {"bad.json": js(INSTANCE).replace('"target": 1', '"target": ' + "9" * 5000)})
    add("instance-nan", [*BAD_INSTANCE.split()], "a NaN probability", "nan",
        {"bad.json": js(INSTANCE).replace('"1/4", "1/4"', 'NaN, "1/4"')})
    add("instance-infinity", [*BAD_INSTANCE.split()], "an infinite probability", "inf",
        {"bad.json": js(INSTANCE).replace('"1/4", "1/4"', 'Infinity, "1/4"')})
    add("instance-negative", [*BAD_INSTANCE.split()], "a negative probability", "-1/4",
        {"bad.json": with_(INSTANCE, p0=[["-1/4", "3/4"], ["3/8", "1/8"]])})
    add("instance-not-summing", [*BAD_INSTANCE.split()], "p0 summing to 2", "p0",
        {"bad.json": with_(INSTANCE, p0=[["1/2", "1/2"], ["1/2", "1/2"]])})
    add("instance-ragged", [*BAD_INSTANCE.split()], "rows of different lengths", "p0",
        {"bad.json": with_(INSTANCE, p0=[["1/4", "1/4", "0"], ["1/2"]])})
    add("instance-bool", [*BAD_INSTANCE.split()], "true as a probability", "True",
        {"bad.json": with_(INSTANCE, p0=[[True, "1/4"], ["3/8", "1/8"]])})
    add("instance-signal-range", [*BAD_INSTANCE.split()], "a signal value beyond |X|", "signal",
        {"bad.json": with_(INSTANCE, signal=[1, 5])})
    add("instance-target-range", [*BAD_INSTANCE.split()], "a target label beyond |Y|", "target",
        {"bad.json": with_(INSTANCE, target=7)})
    add("instance-strategy", [*BAD_INSTANCE.split()], "an unknown strategy", "nosuch",
        {"bad.json": with_(INSTANCE, strategy="nosuch")})
    add("instance-alpha", [*BAD_INSTANCE.split()], "alpha = 2", "alpha",
        {"bad.json": with_(INSTANCE, alpha=2)})
    add("instance-unknown-key", [*BAD_INSTANCE.split()], "an unknown key", "colour",
        {"bad.json": with_(INSTANCE, colour="red")})
    add("instance-missing-key", [*BAD_INSTANCE.split()], "no target", "target",
        {"bad.json": js({k: v for k, v in INSTANCE.items() if k != "target"})})
    add("instance-erasure-signal", [*BAD_INSTANCE.split()], "erasure onto a feature value of no mass",
        "bad.json", {"bad.json": with_(INSTANCE, strategy="erasure", p0=[["0", "0"], ["1/2", "1/2"]], signal=[0, 0])})
    add("multi-collectives", [*BAD_INSTANCE.split()], "collectives not a list", "collectives",
        {"bad.json": js({"p0": INSTANCE["p0"], "collectives": 3})})
    ce = ["counterexample", "--strategy", "feature-label", "--max-x", "2", "--max-y", "2"]
    add("counterexample-where-incomplete", [*ce, "--claim", "thm1", "--where", "thm1 >"],
        "an incomplete --where", "thm1 >")
    add("counterexample-claim-empty", [*ce, "--claim", ""], "an empty --claim", "--claim")
    add("counterexample-claim-exp-huge", [*ce, "--claim", "thm1 - exp(-exp(1e300))"],
        "a claim with exp(exp(1e300)) (a traceback)", "exp(1e300)")
    add("counterexample-claim-exp-coefficient", [*ce, "--claim", "thm1 + exp(1e300*alpha)"],
        "exp(1e300*alpha): a polynomial of degree 1e300 to sympy", "1e300*alpha")
    add("counterexample-claim-ends-early", [*ce, "--claim", "thm1 +"], "a claim that ends early (was 'column 0')",
        "column 7")
    add("counterexample-where-huge", [*ce, "--claim", "thm1", "--where", "thm1 > exp(1e300)"],
        "a --where with exp(1e300)", "exp(1e300)")
    add("check-instance-set-huge", ["check-instance", "inst.json", "--set", "alpha=exp(1e300)"],
        "--set exp(1e300) to check-instance", "exp(1e300)", I)
    add("instance-hex", [*BAD_INSTANCE.split()], 'a probability "0x1/4" (hexadecimal)', "0x1/4",
        {"bad.json": with_(INSTANCE, p0=[["0x1/4", "1/4"], ["3/8", "1/8"]])})
    add("counterexample-claim-code", [*ce, "--claim", "__import__('os').getpid()"], "Python code as a claim",
        "__import__")
    add("counterexample-max-x", ["counterexample", "--strategy", "feature-label", "--claim", "thm1", "--max-x", "7",
                                 "--max-y", "2"], "--max-x beyond 6", "7")
    add("counterexample-max-y-zero", ["counterexample", "--strategy", "feature-label", "--claim", "thm1",
                                      "--max-x", "2", "--max-y", "0"], "--max-y 0", "0")
    add("counterexample-max-x-overflow", ["counterexample", "--strategy", "feature-label", "--claim", "thm1",
                                          "--max-x", "1e309", "--max-y", "2"], "--max-x beyond a float", "1e309")
    add("counterexample-alpha", [*ce, "--claim", "thm1", "--alpha", "2"], "--alpha 2", "2")
    add("counterexample-alpha-text", [*ce, "--claim", "thm1", "--alpha", "abc"], "--alpha not a number", "abc")
    add("counterexample-timeout-nan", [*ce, "--claim", "thm1", "--timeout", "nan"], "--timeout NaN", "nan")
    add("counterexample-timeout-negative", [*ce, "--claim", "thm1", "--timeout", "-1"], "--timeout -1", "-1")
    add("counterexample-strategy", ["counterexample", "--strategy", "nosuch", "--claim", "thm1", "--max-x", "2",
                                    "--max-y", "2"], "an unknown strategy", "nosuch")
    # -- simulate exact / finite --------------------------------------------------------------------------
    ex = ["simulate", "exact", "--random", "3", "--store", "s.sqlite"]
    add("exact-alphas-overflow", [*ex, "--alphas", "1e309"], "alpha beyond a float", "1e309")
    add("exact-alphas-huge-exponent", [*ex, "--alphas", "1e999999999"], "an exponent Fraction expands for hours",
        "1e999999999")
    add("exact-alphas-nan", [*ex, "--alphas", "nan"], "alpha NaN", "nan")
    add("exact-alphas-zero", [*ex, "--alphas", "0"], "alpha 0", "0")
    add("exact-alphas-empty", [*ex, "--alphas", ""], "no alphas", "--alphas")
    add("exact-alphas-empty-item", [*ex, "--alphas", "0.1,,0.2"], "an empty item", "0.1,,0.2")
    add("exact-alphas-many", [*ex, "--alphas", ",".join(["0.5"] * 20000)], "20000 alphas", "20000")
    add("exact-seed-negative", [*ex, "--seed", "-1"], "a negative seed", "-1")
    add("exact-seed-huge", [*ex, "--seed", str(2**64)], "a seed beyond 32 bits", str(2**64))
    add("exact-seed-fraction", [*ex, "--seed", "1.5"], "a fractional seed", "1.5")
    add("exact-random-huge", ["simulate", "exact", "--random", "2000000000", "--store", "s.sqlite"],
        "2e9 random instances (358 GiB)", "2000000000")
    add("exact-random-zero", ["simulate", "exact", "--random", "0", "--store", "s.sqlite"], "no instances", "0")
    add("exact-shape-one-label", [*ex, "--shape", "6x1"], "one label", "6x1")
    add("exact-shape-huge", [*ex, "--shape", "100000x100000"], "a 10^10-cell table", "100000x100000")
    add("exact-shape-text", [*ex, "--shape", "big"], "not |X|x|Y|", "big")
    add("exact-strategy", [*ex, "--strategy", "nosuch"], "an unknown strategy", "nosuch")
    add("exact-instance-binary", ["simulate", "exact", "--instance", "bad.json", "--store", "s.sqlite"],
        "binary garbage as the instance", "bad.json", {"bad.json": b"\x00\xff\xfe\x01"})
    add("store-text-file", [*ex], "a text file as the store", "s.sqlite", {"s.sqlite": "my notes\n"})
    add("store-foreign-sqlite", [*ex], "another program's SQLite database", "s.sqlite", {"s.sqlite": _foreign})
    add("store-newer-version", [*ex], "a store of schema version 99", "99",
        {"s.sqlite": lambda p: _store(p, version="99")})
    add("store-missing-folder", ["simulate", "exact", "--random", "3", "--store", "nosuch/s.sqlite"],
        "a store in a missing folder", "nosuch")
    add("store-folder", ["simulate", "exact", "--random", "3", "--store", "dir"], "a folder as the store", "dir",
        {"dir/x": "x"})
    add("shard-reversed", [*ex, "--shard", "3/2"], "part 3 of 2", "3/2")
    add("shard-text", [*ex, "--shard", "a/b"], "not I/N", "a/b")
    fin = ["simulate", "finite", "--instance", "inst.json", "--store", "s.sqlite"]
    add("finite-samples-zero", [*fin, "--samples", "0"], "no training samples", "0", I)
    add("finite-samples-huge", [*fin, "--samples", "1000000000000"], "10^12 samples", "1000000000000", I)
    add("finite-seeds-memory", [*fin, "--seeds", "100000000", "--samples", "100000"], "10^13 draws at once",
        "100000000", I)
    add("finite-test-negative", [*fin, "--test", "-1"], "negative test points", "-1", I)
    add("finite-delta-outside", [*fin, "--delta", "1.5"], "delta outside (0, 1)", "1.5", I)
    add("finite-delta-nan", [*fin, "--delta", "nan"], "delta NaN", "nan", I)
    add("finite-instance-missing", ["simulate", "finite", "--instance", "nosuch.json", "--store", "s.sqlite"],
        "no such instance file", "nosuch.json")
    # -- simulate tabular ---------------------------------------------------------------------------------
    tab = ["simulate", "tabular", "--store", "s.sqlite"]
    add("tabular-synthetic-zero", [*tab, "--synthetic", "0"], "a table of 0 rows", "0")
    add("tabular-synthetic-huge", [*tab, "--synthetic", "1000000000000"], "10^12 rows", "1000000000000")
    add("tabular-cars-zero", [*tab, "--cars", "0", "--fix", "a=b"], "a car table of 0 rows", "0")
    add("tabular-csv-missing", [*tab, "--csv", "nosuch.csv"], "no such CSV", "nosuch.csv")
    add("tabular-csv-empty", [*tab, "--csv", "t.csv"], "an empty CSV (no header)", "no header", {"t.csv": ""})
    add("tabular-csv-binary", [*tab, "--csv", "t.csv"], "binary garbage as CSV", "t.csv",
        {"t.csv": b"\x00\xff\xfe\x01\x02"})
    add("tabular-csv-ragged", [*tab, "--csv", "t.csv"], "a row with a missing field", "line",
        {"t.csv": CSV + "red,True\n"})
    add("tabular-csv-no-label", [*tab, "--csv", "t.csv", "--label", "nosuch"], "no such label column", "nosuch",
        {"t.csv": CSV})
    add("tabular-csv-one-label", [*tab, "--csv", "t.csv"], "one label value", "label",
        {"t.csv": CSV.replace("True", "False")})
    add("tabular-csv-only-label", [*tab, "--csv", "t.csv"], "a CSV with only the label column", "no feature columns",
        {"t.csv": "label\nyes\nno\nyes\n"})
    add("tabular-csv-duplicate-trigger", [*tab, "--csv", "t.csv", "--trigger-column", "color"],
        "two columns named color, one the trigger", "'color'", {"t.csv": CSV.replace("color,shape", "color,color", 1)})
    add("tabular-csv-duplicate-label", [*tab, "--csv", "t.csv", "--label", "color"],
        "two columns named color, one the label", "'color'", {"t.csv": CSV.replace("color,shape", "color,color", 1)})
    add("tabular-csv-empty-name", [*tab, "--csv", "t.csv"], "an empty column name in the header", "column 1",
        {"t.csv": CSV.replace("color,shape", ",shape", 1)})
    add("tabular-targets-range", [*tab, "--csv", "t.csv", "--targets", "9"], "target 9 of 2 labels", "9", {"t.csv": CSV})
    add("tabular-targets-text", [*tab, "--synthetic", "200", "--targets", "a"], "a target that is not an index", "a")
    add("tabular-test-fraction-zero", [*tab, "--synthetic", "200", "--test-fraction", "0"], "no test rows", "0")
    add("tabular-test-fraction-nan", [*tab, "--synthetic", "200", "--test-fraction", "nan"], "NaN share", "nan")
    add("tabular-fix-unknown", [*tab, "--cars", "1000", "--fix", "nosuch=1"], "a column the table lacks", "nosuch")
    add("tabular-ns-text", [*tab, "--cars", "1000", "--fix", "Model Type=SUV", "--ns", "abc"],
        "a collective size that is not a count", "abc")
    add("tabular-ns-zero", [*tab, "--cars", "1000", "--fix", "Model Type=SUV", "--ns", "0"], "a collective of 0", "0")
    add("tabular-split-malformed", [*tab, "--cars", "1000", "--fix", "Model Type=SUV", "--split", "split.json"],
        "a split file that is not JSON", "split.json", {"split.json": "{train: [1, 2"})
    # -- simulate learner kinds ---------------------------------------------------------------------------
    sub = ["simulate", "suboptimal", "--store", "s.sqlite"]
    add("suboptimal-steps-zero", [*sub, "--steps", "0"], "no training steps", "0")
    add("suboptimal-signal-mass", [*sub, "--signal-mass", "2"], "a signal mass of 2", "2")
    add("suboptimal-learner", [*sub, "--learner", "nosuch"], "an unknown learner", "nosuch")
    add("suboptimal-samples-huge", [*sub, "--samples", "1000000000000"], "10^12 draws", "1000000000000")
    rw = ["simulate", "reweight", "--store", "s.sqlite"]
    add("reweight-scheme", [*rw, "--schemes", "nosuch"], "an unknown scheme", "nosuch")
    add("reweight-level-zero", [*rw, "--level", "0"], "a CVaR level of 0", "0")
    add("reweight-lam-nan", [*rw, "--lam", "nan"], "lambda NaN", "nan")
    add("reweight-points-huge", [*rw, "--points", "1000000000000"], "10^12 alphas", "1000000000000")
    add("reweight-instance-seeds", [*rw, "--instance-seeds", "-1"], "a negative instance seed", "-1")
    add("glm-dim-zero", ["simulate", "gradient-glm", "--store", "s.sqlite", "--dim", "0"], "dimension 0", "0")
    add("glm-dim-huge", ["simulate", "gradient-glm", "--store", "s.sqlite", "--dim", "1000000000"],
        "a 10^9-dimensional GLM", "1000000000")
    add("mlp-eta-inf", ["simulate", "gradient-mlp", "--store", "s.sqlite", "--eta", "inf"], "an infinite step", "inf")
    add("mlp-mode", ["simulate", "gradient-mlp", "--store", "s.sqlite", "--mode", "nosuch"], "an unknown mode", "nosuch")
    add("mlp-pretrain-negative", ["simulate", "gradient-mlp", "--store", "s.sqlite", "--pretrain", "-1"],
        "negative pretraining steps", "-1")
    # -- experiment and corpora ---------------------------------------------------------------------------
    exp = ["experiment", "--corpus", "c.tsv", "--store", "s.sqlite", "--seeds", "1", "--alphas", "0.1"]
    C = {"c.tsv": TSV}
    add("experiment-lr-nan", [*exp, "--lr", "nan"], "learning rate NaN", "nan", C)
    add("experiment-alphas-outside", ["experiment", "--corpus", "c.tsv", "--store", "s.sqlite", "--alphas", "2"],
        "alpha 2", "2", C)
    add("experiment-seeds-zero", [*exp[:-4], "--seeds", "0"], "no seeds", "0", C)
    add("experiment-batch-zero", [*exp, "--batch", "0"], "no configurations per commit", "0", C)
    add("experiment-random-labels", [*exp, "--random-labels", "1.5"], "a random-label fraction of 1.5", "1.5", C)
    add("experiment-every-zero", [*exp, "--every", "0"], "trigger spacing 0", "0", C)
    add("experiment-epochs-zero", [*exp, "--epochs", "0"], "no epochs", "0", C)
    add("experiment-levels-grid", [*exp, "--levels", "0.1"], "--levels without --plan rarity", "--levels", C)
    add("experiment-token-vocab", [*exp, "--token", "99999999"], "a trigger beyond the vocabulary", "99999999", C)
    add("experiment-token-special", [*exp, "--token", "0"], "[PAD] as the trigger", "0", C)
    add("experiment-token-text", [*exp, "--token", "x"], "a trigger that is no token id", "x", C)
    add("experiment-corpus-missing", [*exp[:2], "nosuch.tsv", *exp[3:]], "no such corpus file", "nosuch.tsv")
    add("experiment-data-missing", ["experiment", "--corpus", "resume", "--data", "nosuch", "--store", "s.sqlite"],
        "a missing data folder", "nosuch")
    add("corpus-label-superscript", [*exp], "a label '²' in a 0/1 corpus", "²", {"c.tsv": TSV + "odd one\t²\n"})
    add("corpus-label-negative", [*exp], "a label -1 in a 0/1 corpus", "-1", {"c.tsv": TSV + "odd one\t-1\n"})
    add("corpus-label-word", [*exp], "a label 'positive' in a 0/1 corpus", "positive",
        {"c.tsv": TSV + "odd one\tpositive\n"})
    add("corpus-resume-duplicate", ["experiment", "--corpus", "r.csv", "--store", "s.sqlite", "--seeds", "1",
                                    "--alphas", "0.1"], "a resume CSV with two Category columns", "'Category'",
        {"r.csv": "ID,Resume_str,Category,Category\n" + "".join(f"{i},text {i},A,B\n" for i in range(20))})
    add("corpus-one-class", [*exp], "a corpus of one class", "c.tsv",
        {"c.tsv": TSV.replace("\t1\n", "\t0\n")})
    add("corpus-no-header", [*exp], "a TSV without its header", "c.tsv", {"c.tsv": TSV.split("\n", 1)[1]})
    add("corpus-binary", [*exp], "binary garbage as a corpus", "c.tsv", {"c.tsv": b"\x00\xff\xfe\x01"})
    add("corpus-no-tab", [*exp], "a line without a tab", "c.tsv", {"c.tsv": TSV + "no tab here\n"})
    add("corpus-sst2-label", ["experiment", "--corpus", "sst2", "--data", "data", "--store", "s.sqlite"],
        "sst2 with a label outside negative/positive", "neutral",
        {"data/sst2/train.tsv": TSV.replace("\t1\n", "\tneutral\n", 1)})
    add("corpus-florex-line", ["experiment", "--corpus", "florex", "--data", "data", "--store", "s.sqlite"],
        "a florex line without ':::'", "resume_samples.txt",
        {"data/florex_resume_corpus/resume_samples.txt": "1:::Software Developer:::text\nno separators\n",
         "data/florex_resume_corpus/normlized_classes.txt": "software developer:Software_Developer\n"})
    # -- finetune and checkpoints -------------------------------------------------------------------------
    ft = ["finetune", "--corpus", "c.tsv", "--store", "s.sqlite", "--max-length", "32"]
    add("checkpoint-hidden-size-text", [*ft, "--model", "ckpt"], 'config.json "hidden_size": "384"', "hidden_size",
        {**C, **_checkpoint({**BERT, "hidden_size": "384"})})
    add("checkpoint-config-not-json", [*ft, "--model", "ckpt"], "config.json not JSON", "config.json",
        {**C, **_checkpoint("{hidden_size: 8")})
    add("checkpoint-config-list", [*ft, "--model", "ckpt"], "config.json a list", "config.json",
        {**C, **_checkpoint("[1, 2]")})
    add("checkpoint-heads", [*ft, "--model", "ckpt"], "hidden_size not a multiple of the heads", "hidden_size",
        {**C, **_checkpoint({**BERT, "num_attention_heads": 3})})
    add("checkpoint-layers-negative", [*ft, "--model", "ckpt"], "num_hidden_layers -1", "num_hidden_layers",
        {**C, **_checkpoint({**BERT, "num_hidden_layers": -1})})
    add("checkpoint-model-type", [*ft, "--model", "ckpt"], "model_type gpt2", "gpt2",
        {**C, **_checkpoint({**BERT, "model_type": "gpt2"})})
    add("checkpoint-tensors-garbage", [*ft, "--model", "ckpt"], "model.safetensors garbage", "model.safetensors",
        {**C, "ckpt/config.json": js(BERT), "ckpt/vocab.txt": VOCAB, "ckpt/model.safetensors": b"\xff" * 64})
    add("checkpoint-tensors-missing", [*ft, "--model", "ckpt"], "no model.safetensors", "model.safetensors",
        {**C, "ckpt/config.json": js(BERT), "ckpt/vocab.txt": VOCAB})
    add("checkpoint-folder-missing", [*ft, "--model", "nosuch"], "no checkpoint folder", "nosuch", C)
    add("finetune-max-length", ["finetune", "--tiny", "--store", "s.sqlite", "--max-length", "100000"],
        "100000 tokens per text", "100000")
    add("finetune-lr-negative", ["finetune", "--tiny", "--store", "s.sqlite", "--lr", "-1"], "a negative rate", "-1")
    add("finetune-test-fraction", ["finetune", "--tiny", "--store", "s.sqlite", "--test-fraction", "1"],
        "no training texts", "1")
    add("finetune-dropout", ["finetune", "--tiny", "--store", "s.sqlite", "--dropout", "1.5"], "dropout 1.5", "1.5")
    add("finetune-batch-zero", ["finetune", "--tiny", "--store", "s.sqlite", "--batch-size", "0"], "batch 0", "0")
    add("finetune-limit-one", ["finetune", "--tiny", "--store", "s.sqlite", "--limit", "1"], "one text", "1")
    add("finetune-seed-negative", ["finetune", "--tiny", "--store", "s.sqlite", "--seed", "-1"], "seed -1", "-1")
    # -- stores, figures, report --------------------------------------------------------------------------
    add("store-show-text", ["store", "show", "s.sqlite"], "a text file", "s.sqlite", {"s.sqlite": "notes\n"})
    add("store-show-foreign", ["store", "show", "s.sqlite"], "another program's database", "s.sqlite",
        {"s.sqlite": _foreign})
    add("store-show-missing", ["store", "show", "nosuch.sqlite"], "no such store", "nosuch.sqlite")
    add("store-show-bad-metrics", ["store", "show", "s.sqlite"], "a row whose metrics are not JSON", "s.sqlite",
        {"s.sqlite": lambda p: _store(p, metrics="{not json")})
    add("store-export-bad-metrics", ["store", "export", "s.sqlite"], "a row whose metrics are not JSON", "s.sqlite",
        {"s.sqlite": lambda p: _store(p, metrics="{not json")})
    add("store-export-parquet-stdout", ["store", "export", "s.sqlite", "--parquet"], "Parquet to stdout",
        "--parquet", {"s.sqlite": _store})
    add("store-export-missing-folder", ["store", "export", "s.sqlite", "-o", "nosuch/x.csv"],
        "output in a missing folder", "nosuch", {"s.sqlite": _store})
    add("store-merge-foreign", ["store", "merge", "out.sqlite", "s.sqlite"], "merging another program's database",
        "s.sqlite", {"s.sqlite": _foreign})
    add("figures-store-missing", ["figures", "--store", "nosuch.sqlite", "-o", "figs"], "no such store",
        "nosuch.sqlite")
    add("figures-store-foreign", ["figures", "--store", "s.sqlite", "-o", "figs"], "another program's database",
        "s.sqlite", {"s.sqlite": _foreign})
    add("report-unwritable", ["report", "--quick", "-o", "/proc/critmass-report"], "-o where no folder can be made",
        "/proc/critmass-report")
    add("report-output-file", ["report", "--quick", "-o", "r.txt"], "-o an existing file", "r.txt",
        {"r.txt": "keep me\n"})
    add("report-store-foreign", ["report", "--quick", "--store", "s.sqlite", "-o", "r"], "another program's database",
        "s.sqlite", {"s.sqlite": _foreign})
    add("report-stage-store-foreign", ["report", "--quick", "--report-store", "s.sqlite", "-o", "r"],
        "another program's database as the report's stage store", "s.sqlite", {"s.sqlite": _foreign})
    add("report-stage-store-missing-folder", ["report", "--quick", "--report-store", "nosuch/s.sqlite", "-o", "r"],
        "the report's stage store in a missing folder", "nosuch")
    add("report-stage-store-folder", ["report", "--quick", "--report-store", "dir", "-o", "r"],
        "a folder as the report's stage store", "dir", {"dir/x": "x"})
    add("guide-unwritable", ["guide", "-o", "/proc/critmass/results.md"], "-o in a folder that cannot exist",
        "/proc/critmass")
    add("unknown-command", ["nosuch"], "an unknown command", "nosuch")
    return c


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Outcome:
    case: Case
    code: int | None
    message: str
    lines: int
    traceback: bool
    seconds: float
    changed: list[str]

    @property
    def silent(self) -> bool:
        return self.code == 0

    @property
    def hang(self) -> bool:
        return self.code is None

    @property
    def clear(self) -> bool:
        return self.lines == 1 and self.case.names.lower() in self.message.lower()

    @property
    def ok(self) -> bool:
        return not (self.silent or self.hang or self.traceback or self.changed) and self.clear


def run_case(case: Case, python: str = sys.executable, limit: float = LIMIT_S) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="critmass-rel-") as tmp:
        folder = Path(tmp)
        for name, content in case.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        before = _digest(folder)
        env = {**os.environ, "PYTHONPATH": str(ROOT), **case.env}
        env.pop("CRITMASS_DATA", None)
        t0 = time.perf_counter()
        try:
            p = subprocess.run([python, "-m", "critmass", *case.args], cwd=folder, env=env, capture_output=True,
                               text=True, timeout=limit, stdin=subprocess.DEVNULL)
            code, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired as e:
            code, err = None, (e.stderr.decode() if isinstance(e.stderr, bytes) else e.stderr or "")
        seconds = time.perf_counter() - t0
        after = _digest(folder)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    message = lines[-1] if lines else ""
    message = message.replace(tmp, ".")
    return Outcome(case, code, message, len(lines), "Traceback (most recent call last)" in err, seconds, changed)


def normalized(message: str) -> str:
    """A message without what depends on the machine (its memory size)."""
    return re.sub(r"\d+(\.\d+)? GiB", "N GiB", message)


def command(case: Case) -> str:
    shown = [a if len(a) <= 40 else a[:37] + "..." for a in case.args]
    return "critmass " + shlex.join(shown)


def _cell(text: str) -> str:
    """Table-cell text: | and * escaped (a message's ``10**-2`` is not bold), one line."""
    return text.replace("|", "\\|").replace("*", "\\*").replace("\n", " ")


def render(outcomes: list[Outcome], total_s: float) -> str:
    n = len(outcomes)
    tb = sum(o.traceback for o in outcomes)
    silent = sum(o.silent for o in outcomes)
    hang = sum(o.hang for o in outcomes)
    changed = sum(bool(o.changed) for o in outcomes)
    unclear = sum(not o.clear for o in outcomes)
    out = [
        "# Reliability: bad input to every command and file format",
        "",
        "Generated by `.venv/bin/python tests/reliability.py --write` (do not edit by hand; "
        "`tests/test_reliability.py` checks that each row's command still gives its exit code and message).",
        "Each case runs `python -m critmass ...` in a fresh folder holding only its input files, with a "
        f"{LIMIT_S} s limit. Input files are hashed before and after: a file changed, created or deleted counts.",
        "A message is *clear* when it is one line on stderr that names the bad value.",
        "",
        f"**{n} bad inputs: {tb} tracebacks, {silent} silent answers (exit 0), {hang} hangs, "
        f"{changed} with files changed, {unclear} unclear messages.**",
        "",
        "| case | command | fault | exit | message |",
        "| --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        flags = [f for f, bad in (("TRACEBACK", o.traceback), ("SILENT", o.silent), ("HANG", o.hang),
                                  ("CHANGED " + " ".join(o.changed), bool(o.changed)), ("UNCLEAR", not o.clear))
                 if bad]
        code = "hang" if o.hang else str(o.code)
        out.append(f"| {o.case.id} | `{_cell(command(o.case))}` | {_cell(o.case.fault)} | {code} | "
                   f"{_cell(o.message)}{' **' + ', '.join(flags) + '**' if flags else ''} |")
    out += ["", f"Exit 2: bad input (`theory.errors.InputError` or an argparse usage error); exit 1: a store that "
                f"cannot be used or a failure that is not the input's. The whole table took {total_s:.0f} s "
                f"with two processes at a time.", ""]
    return "\n".join(out)


def parse_doc(text: str) -> dict[str, tuple[str, str]]:
    """{case id: (exit, message)} from docs/reliability.md's table."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| ([a-z0-9-]+) \| `.*` \| .* \| (\w+) \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3).replace("\\|", "|").replace("\\*", "*"))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(ROOT)}")
    ap.add_argument("--only", help="run only cases whose id contains this text")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    chosen = [c for c in cases() if args.only is None or args.only in c.id]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(run_case, chosen))
    text = render(outcomes, time.perf_counter() - t0)
    print(text)
    if args.write:
        DOC.write_text(text)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
