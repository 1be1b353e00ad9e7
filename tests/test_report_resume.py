"""The report's store (critmass.report.resume): finished stages are read back, not recomputed; a stage's row is
keyed by everything its result depends on; what a stage does not declare it cannot read. The kill and interrupt
tests of the whole command are in tests/test_sweeps_reliable.py."""

import json
import os

import pytest

from critmass.report import resume
from critmass.report.base import Context, Stage
from critmass.report.stages import stage
from numerics.store import SweepStore
from theory.errors import InputError

CALLS: list[str] = []


def _compute_a(ctx):
    CALLS.append("a")
    return {"z_first": 1, "a_second": [3, 4], "nested": {"y": 5, "b": float("inf")}}


def _compute_b(ctx):
    CALLS.append("b")
    if os.environ.get("CRITMASS_TEST_FAIL_B"):
        raise RuntimeError("stage b failed")
    return {"value": 7}


FAKE = [Stage("fa", "Fake A", 1, _compute_a, lambda d: f"A has ${d['z_first']}$."),
        Stage("fb", "Fake B", 2, _compute_b, lambda d: f"B has ${d['value']}$.")]


@pytest.fixture
def fake_stages(monkeypatch):
    from critmass.report import run

    monkeypatch.setattr(run, "stages", lambda: FAKE)
    monkeypatch.setattr(run, "compile_pdf", lambda path: None)
    CALLS.clear()
    return run


def test_a_rerun_reads_finished_stages_back_and_a_failed_stage_loses_only_itself(fake_stages, tmp_path, monkeypatch):
    out = tmp_path / "r"
    monkeypatch.setenv("CRITMASS_TEST_FAIL_B", "1")
    with pytest.raises(RuntimeError, match="stage b failed"):
        fake_stages.build(out, progress=False)
    assert CALLS == ["a", "b"]
    with SweepStore(out / "stages.sqlite", readonly=True) as store:
        assert [r.config["stage"] for r in store.rows(resume.KIND)] == ["fa"]  # a was saved before b failed
    monkeypatch.delenv("CRITMASS_TEST_FAIL_B")
    first = fake_stages.build(out, progress=False)
    assert CALLS == ["a", "b", "b"]  # only the missing stage
    again = fake_stages.build(out, progress=False)
    assert CALLS == ["a", "b", "b"]  # nothing
    doc = json.loads((out / "results.json").read_text())
    # the stage's data as computed: key order kept through the store (the store's documents are key-sorted),
    # infinity as null
    assert list(doc["sections"]["fa"]) == ["z_first", "a_second", "nested", "_figures", "_seconds"]
    assert doc["sections"]["fa"]["nested"] == {"y": 5, "b": None}
    assert first["sections"]["fb"]["value"] == again["sections"]["fb"]["value"] == 7
    assert "A has $1$." in (out / "report.tex").read_text()


def test_the_store_can_be_elsewhere_and_another_programs_file_is_refused_untouched(fake_stages, tmp_path):
    import sqlite3

    elsewhere = tmp_path / "kept.sqlite"
    fake_stages.build(tmp_path / "r", store=elsewhere, progress=False)
    assert elsewhere.is_file() and not (tmp_path / "r" / "stages.sqlite").exists()
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
    before = foreign.read_bytes()
    with pytest.raises(InputError, match="not a critmass sweep store"):
        fake_stages.build(tmp_path / "r2", store=foreign, progress=False)
    assert foreign.read_bytes() == before and not (tmp_path / "r2").exists()


def test_a_report_store_that_cannot_be_used_is_one_line_and_creates_nothing(cli, fake_stages, tmp_path):
    (tmp_path / "folder.sqlite").mkdir()
    for bad, says in (("nosuch/s.sqlite", "nosuch does not exist"), ("folder.sqlite", "is a directory")):
        code, out, err = cli("report", "-o", tmp_path / "r", "--report-store", tmp_path / bad)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "r").exists() and not (tmp_path / "nosuch").exists()
    assert CALLS == []


def test_the_stage_line_and_the_closing_line_go_to_stderr_unless_quiet(cli, fake_stages, tmp_path):
    code, out, err = cli("report", "-o", tmp_path / "r")
    assert code == 0, err
    assert "[1/2] fa ..." in err and "report: 2 report stages, 0 already in" in err and "2 computed now" in err
    code, out, err = cli("report", "-o", tmp_path / "r", "--quiet")
    assert code == 0 and err == "" and out.startswith("wrote ")
    code, out, err = cli("report", "-o", tmp_path / "r", "--quiet", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["store"] == str(tmp_path / "r" / "stages.sqlite") and doc["sections"] == ["fa", "fb"]


def test_a_stage_sees_only_the_inputs_it_declares(tmp_path):
    ctx = Context(tmp_path, quick=True, stores=(tmp_path / "s.sqlite",), data="/somewhere", corpus="sst2")
    assert resume.context(stage("exact"), ctx) == Context(tmp_path, quick=True)
    rarity = resume.context(stage("rarity"), ctx)
    assert rarity.stores == ctx.stores and rarity.data is None
    assert resume.context(stage("text"), ctx) == ctx


def test_a_stage_is_keyed_by_what_its_result_depends_on(tmp_path, monkeypatch):
    monkeypatch.delenv("CRITMASS_DATA", raising=False)
    ctx = Context(tmp_path, quick=True)
    exact = resume.config(stage("exact"), ctx)
    assert exact == resume.config(stage("exact"), Context(tmp_path / "elsewhere", quick=True, corpus="sst2",
                                                          data=str(tmp_path)))  # inputs it does not read
    assert exact != resume.config(stage("exact"), Context(tmp_path, quick=False))
    assert exact != resume.config(stage("exact"), Context(tmp_path, quick=True, seed=1))
    # the stage's own module is in its key: two stages of different modules differ in code, not in library
    assert resume.config(stage("finite"), ctx)["code"] != exact["code"]
    assert "critmass.report.stages.exact" in resume.module_closure("critmass.report.stages.finite")
    assert "critmass.report.stages.finite" not in resume.module_closure("critmass.report.stages.exact")
    # the text stage: the data folder (from --data or CRITMASS_DATA) and the corpus file's size
    text = resume.config(stage("text"), ctx)
    assert text["data"] is None and text["corpus"] == "resume"
    folder = tmp_path / "data"
    (folder / "sst2").mkdir(parents=True)
    corpus = "sentence\tlabel\nfine\t1\n"
    (folder / "sst2" / "train.tsv").write_text(corpus)
    monkeypatch.setenv("CRITMASS_DATA", str(folder))
    seen = resume.config(stage("text"), Context(tmp_path, quick=True, corpus="sst2"))
    assert seen["data"]["folder"] == str(folder.resolve()) and seen["data"]["file"]["bytes"] == len(corpus)
    (folder / "sst2" / "train.tsv").write_text(corpus + "bad\t0\n")
    assert resume.config(stage("text"), Context(tmp_path, quick=True, corpus="sst2")) != seen


def test_a_store_given_with_store_is_keyed_by_its_rows(tmp_path):
    path = tmp_path / "s.sqlite"
    with SweepStore(path) as store:
        store.run("k", [{"x": 1}], lambda b: [{"y": 1}], progress=False)
    first = resume.store_digest(path)
    assert resume.store_digest(path) == first
    with SweepStore(path) as store:
        store.run("k", [{"x": 2}], lambda b: [{"y": 2}], progress=False)
    assert resume.store_digest(path) != first


def test_a_stop_inside_a_stages_own_sweep_reports_the_report_stages_saved(cli, fake_stages, tmp_path, monkeypatch):
    """The text stage's fine-tunes are a sweep of their own: a signal stops it after its batch in flight, and the
    line counts the report's stages (the fine-tunes finished are kept in their own store as well)."""
    import signal

    from numerics import sweep

    def nested(ctx):
        CALLS.append("nested")

        def fn(batch):
            sweep.request_stop(signal.SIGINT)  # as critmass.interrupt does on Ctrl-C
            return [{"y": c["x"]} for c in batch]

        sweep.run(tmp_path / "inner.sqlite", "inner", [{"x": 1}, {"x": 2}], fn, progress=False)
        return {"value": 1}

    monkeypatch.setattr(fake_stages, "stages", lambda: [FAKE[0], Stage("fn", "Nested", 3, nested, str)])
    try:
        code, out, err = cli("report", "-o", tmp_path / "r")
    finally:
        sweep.clear_stop()  # critmass.interrupt.Guard does it on the main thread; the test may run on another
    assert code == 130 and out == "", err
    assert err.splitlines()[-1] == (f"critmass report: interrupted (SIGINT): 1 of 2 report stages are saved in "
                                    f"{tmp_path / 'r' / 'stages.sqlite'}; rerun the same command to resume")
    with SweepStore(tmp_path / "inner.sqlite", readonly=True) as inner:
        assert inner.count("inner") == 1  # the batch in flight was committed before the stop


def _parted(ctx):
    """A stage of three parts (resume.each); part 1 fails while CRITMASS_TEST_FAIL_B is set."""
    def part(config):
        CALLS.append(f"part{config['i']}")
        if config["i"] == 1 and os.environ.get("CRITMASS_TEST_FAIL_B"):
            raise RuntimeError("part 1 failed")
        return {"square": config["i"] ** 2, "z": 0, "a": [config["i"]]}

    return {"parts": resume.each(ctx, "square", [{"i": i} for i in range(3)], part)}


def test_the_parts_of_a_stage_are_saved_as_they_finish_and_read_back(fake_stages, tmp_path, monkeypatch):
    monkeypatch.setattr(fake_stages, "stages", lambda: [Stage("fp", "Parts", 1, _parted, str)])
    monkeypatch.setenv("CRITMASS_TEST_FAIL_B", "1")
    with pytest.raises(RuntimeError, match="part 1 failed"):
        fake_stages.build(tmp_path / "r", progress=False)
    monkeypatch.delenv("CRITMASS_TEST_FAIL_B")
    doc = fake_stages.build(tmp_path / "r", progress=False)
    assert CALLS == ["part0", "part1", "part1", "part2"]  # part 0 was kept through the failure of part 1
    direct = _parted(Context(tmp_path))  # no store: the plain loop
    assert doc["sections"]["fp"]["parts"] == direct["parts"] and list(direct["parts"][0]) == ["square", "z", "a"]
    with SweepStore(tmp_path / "r" / "stages.sqlite", readonly=True) as store:
        assert (store.count(resume.KIND), store.count(resume.PART_KIND)) == (1, 3)


def test_a_stop_inside_the_parts_of_a_stage_says_what_is_saved(cli, fake_stages, tmp_path, monkeypatch):
    import signal

    from numerics import sweep

    def stopping(ctx):
        def part(config):
            sweep.request_stop(signal.SIGTERM)
            return {"i": config["i"]}

        return {"parts": resume.each(ctx, "stop", [{"i": i} for i in range(3)], part)}

    monkeypatch.setattr(fake_stages, "stages", lambda: [FAKE[0], Stage("fs", "Stops", 2, stopping, str)])
    try:
        code, out, err = cli("report", "-o", tmp_path / "r")
    finally:
        sweep.clear_stop()
    assert code == 143 and out == "", err
    assert err.splitlines()[-1] == (
        f"critmass report: interrupted (SIGTERM): 1 of 2 report stages (and 1 of 3 parts of the stage in flight) are "
        f"saved in {tmp_path / 'r' / 'stages.sqlite'}; rerun the same command to resume")
