"""`critmass report --store`: the fine-tune curves of a store, with fits and theory, in the report."""

import json

from gpu import experiments as ex
from numerics.store import SweepStore


def test_report_adds_the_text_section_from_a_store(tmp_path, make_corpus):
    from critmass.report import Context, stage_text

    prepared = ex.prepare_corpus(make_corpus(120, seed=5), 0.3, 0, ex.TRIGGER_ID)
    grid = ex.configs(corpus="synthetic", strategy=[1, 2], alpha=[0.0, 0.05, 0.2, 0.4], seed=[0, 1], epochs=3,
                      lr=0.1, batch_size=8)
    path = tmp_path / "s.sqlite"
    with SweepStore(path) as store:
        rows = store.run(ex.KIND, grid, lambda b: ex.compute(b, prepared=prepared), batch_size=16)
    ctx = Context(tmp_path / "rep", quick=True, stores=(path,))
    ctx.figures.mkdir(parents=True)
    sec = stage_text(ctx)
    assert sec.numbers["stores"] == {str(path): len(grid)}
    names = {f.name for f in sec.figures}
    assert {"fig2_strategy1_synthetic_bow_softmax", "fig3_strategy2_synthetic_bow_softmax"} <= names
    assert all((ctx.figures / f"{n}.png").stat().st_size > 1000 for n in names)
    # the summary's mean success is the mean over seeds of the stored rows
    s1 = next(s for s in sec.numbers["summaries"] if s["strategy"] == 1 and s["measure"] == "success_top1")
    at = s1["alphas"].index(0.4)
    want = sum(r.metrics["success_top1"] for r in rows if r.config["strategy"] == 1 and r.config["alpha"] == 0.4) / 2
    assert abs(s1["mean"][at] - want) < 1e-12
    json.dumps(sec.numbers)  # goes into results.json as is


def test_report_refuses_a_store_without_fine_tunes(tmp_path, cli):
    path = tmp_path / "other.sqlite"
    with SweepStore(path) as store:
        store.run("something-else", [{"x": 1}], lambda b: [{"y": 1}])
    code, out, err = cli("report", "--quick", "-o", tmp_path / "r", "--store", path)
    assert code == 2 and "holds no rows of kind collective-text" in err
