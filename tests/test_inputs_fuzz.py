"""Fuzz tests (hypothesis): every parser of user input and every file format answers with a value in its domain
or one InputError, never another exception, never a changed file, and fast (hypothesis' deadline)."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmass import domains as D
from theory.errors import InputError

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
#: File formats: the first example imports the loader's layer (JAX), so no per-example deadline; a hang still
#: shows as a test that does not finish.
FILES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Text a user might type for a number: digits, signs, exponents, slashes, words, and anything at all.
number_text = st.one_of(
    st.from_regex(r"[+-]?\d{0,8}(\.\d{0,8})?([eE][+-]?\d{1,12})?", fullmatch=True),
    st.from_regex(r"[+-]?\d{1,400}/[+-]?\d{1,400}", fullmatch=True),
    st.sampled_from(["nan", "inf", "-inf", "1e309", "1e999999999", "1/0", "0x10", "1_000", "", " ", "1e-400",
                     "²", "١٢", "--1", "1..2", "(1)", "__import__('os')"]),
    st.text(max_size=60),
)


@FUZZ
@given(number_text)
def test_read_is_exact_or_none(text):
    value = D.read(text)  # theory.numbers.read, the project's one number reader
    assert value is None or isinstance(value, Fraction)
    if value is not None and re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", text):
        assert float(value) == pytest.approx(float(text.strip()), rel=1e-12, abs=1e-300) or math.isinf(float(text))


@FUZZ
@given(st.fractions(max_denominator=10**6))
def test_read_gives_back_a_written_fraction(f):
    assert D.read(f"{f.numerator}/{f.denominator}") == f


@FUZZ
@given(number_text, st.integers(-10, 10), st.integers(0, 10**12))
def test_integer_type_is_in_its_domain_or_refused(text, lo, span):
    kind = D.integer(lo, lo + span)
    try:
        value = kind(text)
    except argparse.ArgumentTypeError as e:
        assert "expected an integer in" in str(e) and "\n" not in str(e)
        return
    assert isinstance(value, int) and lo <= value <= lo + span


@FUZZ
@given(number_text, st.booleans(), st.booleans())
def test_real_type_is_finite_and_in_its_interval_or_refused(text, lo_open, hi_open):
    try:
        value = D.real(0, 1, lo_open, hi_open)(text)
    except argparse.ArgumentTypeError as e:
        assert "expected a number in" in str(e)
        return
    assert math.isfinite(value) and 0 <= value <= 1
    assert not (lo_open and value == 0) and not (hi_open and value == 1)


@FUZZ
@given(st.lists(number_text, min_size=0, max_size=6).map(",".join))
def test_alpha_lists_are_in_0_1_or_refused(text):
    try:
        values = D.ALPHAS(text)
    except argparse.ArgumentTypeError:
        return
    assert values and all(0 < v <= 1 for v in values)


@FUZZ
@given(st.text(max_size=20))
def test_shard_parse(text):
    from numerics.sweep import Shard

    try:
        shard = Shard.parse(text)
    except InputError:
        return
    assert 1 <= shard.index <= shard.count <= 10_000


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file(content: bytes | str, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="critmass-fuzz-"))
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def _reads_or_refuses(load, path: Path):
    """load(path): a value or one InputError naming the file; the file is unchanged either way."""
    before = _digest(path)
    try:
        value = load(path)
    except InputError as e:
        assert "\n" not in str(e)
        value = None
    assert _digest(path) == before
    return value


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                                                     max_size=4), max_leaves=20)
INSTANCE = {"p0": [["1/4", "1/4"], ["3/8", "1/8"]], "signal": [1, 1], "target": 1, "strategy": "feature-label",
            "alpha": "1/2"}


@FILES
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200), json_values.map(json.dumps),
                 st.dictionaries(st.sampled_from([*INSTANCE, "collectives", "x"]), json_values, max_size=6)
                 .map(lambda d: json.dumps({**INSTANCE, **d})),
                 st.integers(1, 3000).map(lambda n: "[" * n + "]" * n)))
def test_instance_files(content):
    from theory.instance import load_instance
    from theory.multi import load_any

    path = _file(content, "inst.json")
    for load in (load_instance, load_any):
        inst = _reads_or_refuses(load, path)
        if inst is not None and hasattr(inst, "p0") and hasattr(inst, "signal"):
            assert sum(sum(r) for r in inst.p0) == 1


tsv_lines = st.lists(st.tuples(st.text(st.characters(blacklist_characters="\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                                       max_size=15),
                               st.sampled_from(["0", "1", "-1", "²", "positive", "negative", " ", "2", "01"])),
                     max_size=8)


@FILES
@given(tsv_lines, st.booleans(), st.binary(max_size=40))
def test_tsv_corpora_keep_their_declared_labels(lines, header, garbage):
    from gpu.data import load_tsv

    text = ("sentence\tlabel\n" if header else "") + "".join(f"{t}\t{l}\n" for t, l in lines)
    names = ("negative", "positive")
    corpus = _reads_or_refuses(lambda p: load_tsv(p, names), _file(text, "c.tsv"))
    if corpus is not None:
        assert corpus.label_names == names and all(0 <= i < 2 for ls in corpus.labels for i in ls)
    undeclared = _reads_or_refuses(load_tsv, _file(text, "c.tsv"))
    if undeclared is not None:
        k = len(undeclared.label_names)
        assert all(0 <= i < k for ls in undeclared.labels for i in ls)
    _reads_or_refuses(load_tsv, _file(garbage, "c.tsv"))


@FILES
@given(st.lists(st.one_of(st.text(max_size=40), st.tuples(st.text(max_size=5), st.sampled_from(
    ["Software Developer", "software developer;x", "", "Java_Developer"]), st.text(max_size=20)).map(":::".join)),
    max_size=6), st.binary(max_size=60))
def test_florex_folders(lines, garbage):
    from gpu.data import load_florex

    for content in ("\n".join(lines), garbage):
        path = _file(content, "florex/resume_samples.txt")
        (path.parent / "normlized_classes.txt").write_text("software developer:Software_Developer\n")
        corpus = _reads_or_refuses(lambda p: load_florex(p.parent), path)
        if corpus is not None:
            assert len(corpus.texts) == len(corpus.labels) > 0


csv_text = st.lists(st.lists(st.sampled_from(["a", "b", "", "x,y", '"q"', "label", "1", "²"]), min_size=1,
                             max_size=4).map(",".join), max_size=8).map("\n".join)


@FILES
@given(st.one_of(csv_text, st.binary(max_size=60), st.text(max_size=80)))
def test_tabular_csv(content):
    from numerics.collusion import load_named_csv
    from numerics.tabular import load_csv

    path = _file(content, "t.csv")
    table = _reads_or_refuses(lambda p: load_csv(p, "label"), path)
    if table is not None:
        assert len(set(table.labels.tolist())) >= 2
    _reads_or_refuses(lambda p: load_named_csv(p, "label"), path)


BERT = {"model_type": "bert", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 64}


@FILES
@given(st.dictionaries(st.sampled_from([*BERT, "type_vocab_size", "layer_norm_eps", "hidden_act", "dim"]),
                       json_values, max_size=4), st.binary(max_size=40))
def test_checkpoint_config_and_tensors(changes, tensors):
    from gpu.checkpoint import load_checkpoint, read_config

    path = _file(json.dumps({**BERT, **changes}), "ckpt/config.json")
    (path.parent / "model.safetensors").write_bytes(tensors)
    config = _reads_or_refuses(lambda p: read_config(p.parent), path)
    if config is not None:
        _reads_or_refuses(lambda p: load_checkpoint(p.parent), path.parent / "model.safetensors")


@FILES
@given(st.one_of(st.binary(max_size=300), st.text(max_size=100),
                 st.binary(max_size=200).map(lambda b: b"SQLite format 3\x00" + b)))
def test_store_files_are_refused_untouched(content):
    from numerics.store import SweepStore

    path = _file(content, "s.sqlite")
    for readonly in (True, False):
        before = _digest(path)
        try:
            with SweepStore(path, readonly=readonly):
                pass
        except InputError:
            pass
        else:
            assert not content  # only an empty file may become a store (a new one)
            return
        assert _digest(path) == before
        assert sorted(p.name for p in path.parent.iterdir()) == ["s.sqlite"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([("simulate", "exact", "--random", "3", "--store", "s.sqlite", "--seed"),
                        ("simulate", "exact", "--random"),
                        ("simulate", "exact", "--random", "3", "--store", "s.sqlite", "--alphas"),
                        ("simulate", "finite", "--instance", "i.json", "--store", "s.sqlite", "--delta"),
                        ("simulate", "finite", "--instance", "i.json", "--store", "s.sqlite", "--samples"),
                        ("simulate", "reweight", "--store", "s.sqlite", "--instance-seeds"),
                        ("simulate", "gradient-mlp", "--store", "s.sqlite", "--eta"),
                        ("experiment", "--store", "s.sqlite", "--lr"),
                        ("experiment", "--store", "s.sqlite", "--alphas"),
                        ("finetune", "--store", "s.sqlite", "--dropout"),
                        ("counterexample", "--strategy", "erasure", "--claim", "thm5", "--max-y", "2", "--max-x"),
                        ("counterexample", "--strategy", "erasure", "--claim", "thm5", "--max-x", "2", "--max-y",
                         "2", "--alpha"),
                        ("latex", "-o", "x.tex", "--s-star")]), number_text)
def test_command_line_numbers_parse_into_their_domain_or_exit_2(prefix, text):
    from critmass.cli import build_parser

    if text.startswith("-"):
        text = " " + text  # argparse would take it for an option
    try:
        args = build_parser().parse_args([*prefix, text] + (["--store", "s.sqlite"] if prefix[-1] == "--random"
                                                             else []))
    except SystemExit as e:
        assert e.code == 2
        return
    flag = prefix[-1].lstrip("-").replace("-", "_")
    value = getattr(args, {"max_x": "max_x", "s_star": "s_star"}.get(flag, flag))
    for v in (value if isinstance(value, list) else [value]):
        assert isinstance(v, (int, float, Fraction)) and math.isfinite(v)


@pytest.fixture(autouse=True)
def _quiet_parser(capsys):
    yield
    capsys.readouterr()
