"""`critmass report --store`: the fine-tune curves of a store, with fits and theory, in the report."""

import json
from pathlib import Path

import pytest

from gpu import experiments as ex
from numerics.store import SweepStore


def test_report_adds_the_text_section_from_a_store(tmp_path, make_corpus):
    from critmass.report.base import Context
    from critmass.report.stages import stage

    prepared = ex.prepare_corpus(make_corpus(120, seed=5), 0.3, 0, ex.TRIGGER_ID)
    grid = ex.configs(corpus="synthetic", strategy=[1, 2], alpha=[0.0, 0.05, 0.2, 0.4], seed=[0, 1], epochs=3,
                      lr=0.1, batch_size=8)
    path = tmp_path / "s.sqlite"
    with SweepStore(path) as store:
        rows = store.run(ex.KIND, grid, lambda b: ex.compute(b, prepared=prepared), batch_size=16)
    st = stage("text")
    data = st.compute(Context(tmp_path / "rep", quick=True, stores=(path,), data=str(tmp_path / "no-corpus")))
    assert data["missing"] is not None  # no corpus in that folder: the section says so, the store still counts
    (src,) = data["sources"]
    assert src["rows"] == len(grid) and src["run"] is None
    assert [p.name for p in st.figures(data)] == ["text_0"]
    # the summary's mean success is the mean over seeds of the stored rows
    s1 = next(s for s in src["summaries"] if s["strategy"] == 1)
    at = s1["alphas"].index(0.4)
    want = sum(r.metrics["success_top1"] for r in rows if r.config["strategy"] == 1 and r.config["alpha"] == 0.4) / 2
    assert abs(s1["mean"][at] - want) < 1e-12
    assert s1["n_seeds"] == 2 and s1["alpha50_ci"] is None  # two seeds: no interval
    json.dumps(data)  # goes into results.json as is
    written = st.write(data)
    assert f"store s.sqlite: ${len(grid)}$ configurations" in written
    assert "have none" in written  # says why no interval is given


def test_report_refuses_a_store_without_fine_tunes(tmp_path, cli):
    path = tmp_path / "other.sqlite"
    with SweepStore(path) as store:
        store.run("something-else", [{"x": 1}], lambda b: [{"y": 1}])
    code, out, err = cli("report", "--quick", "-o", tmp_path / "r", "--store", path)
    assert code == 2 and "holds no rows of kind collective-text" in err


SHARED = Path("/work/shared/data")


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not on this machine")
def test_the_default_text_stage_trains_on_the_real_corpus_and_resumes(tmp_path):
    from critmass.report.base import Context
    from critmass.report.stages import stage
    from critmass.report.trace import untraced

    st = stage("text")
    ctx = Context(tmp_path, quick=True, data=str(SHARED), corpus="resume")
    data = st.compute(ctx)
    (src,) = data["sources"]
    run = src["run"]
    assert data["missing"] is None and run["texts"] == run["limit"] == 600 and run["labels"] == 24
    assert {s["strategy"] for s in src["summaries"]} == {1, 2}
    s1 = next(s for s in src["summaries"] if s["strategy"] == 1)
    assert s1["mean"][-1] > s1["mean"][0]  # more of the collective, more success
    with SweepStore(tmp_path / run["store"]) as store:
        assert len(store.rows(ex.KIND)) == src["rows"]
    again = st.compute(ctx)  # every model is in the store: nothing is trained twice, the numbers are the same
    assert again["sources"][0]["summaries"][0]["mean"] == src["summaries"][0]["mean"]
    assert untraced(st.write(data), json.loads(json.dumps(data))) == []
