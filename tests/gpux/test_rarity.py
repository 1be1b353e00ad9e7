"""The rarity plan: triggers chosen by base frequency, their curves through the store, and Corollary 2 beside them."""

import json
import math

import numpy as np
import pytest

from gpu import experiments as ex
from gpu import rarity
from gpu.collective import TRIGGER_ID, token_ids, vocab
from gpu.data import Corpus
from gpu.figures import write_figures
from numerics.store import SweepStore
from theory.errors import InputError
from theory.evaluate import evaluate


def made_split(texts, labels, names=("a", "b")) -> ex.Split:
    full = Corpus(tuple(texts), tuple((y,) for y in labels), names, False, "made")
    train, test = full.subset(range(0, len(full), 2)), full.subset(range(1, len(full), 2))
    return ex.Split(full, train, test, token_ids(train.texts), token_ids(test.texts))


def test_triggers_are_whole_words_at_their_level_and_say_least_about_the_target():
    # 200 texts, class 0 every other one. 'river' in 10% (all of class 0), 'stone' in 10% (half class 0),
    # 'garden' in 2% (half class 0), 'yellow' in every text.
    texts, labels = [], []
    for i in range(200):
        words = ["yellow", "the", "day"]
        if i % 10 == 0:
            words.append("river")
        if i % 20 in (1, 2):
            words.append("stone")
        if i % 100 in (3, 4):
            words.append("garden")
        texts.append(" ".join(words))
        labels.append(i % 2)
    sp = made_split(texts, labels)
    share = lambda w: sum(w in t.split() for t in texts) / len(texts)
    assert share("river") == share("stone") == 0.1 and share("garden") == 0.02
    found = rarity.choose_triggers(sp, (0.0, 0.02, 0.1), target=0)
    assert [t.word for t in found] == [vocab()[TRIGGER_ID], "garden", "stone"]  # not 'river': all of class 0
    assert [t.texts for t in found] == [0, 4, 20] and found[2].target_share == 0.5
    assert math.isnan(found[0].target_share)
    with pytest.raises(InputError, match="no whole word occurs in about 32.00% of the 200 texts"):
        rarity.choose_triggers(sp, (0.32,), target=0)  # 10% and 100% both lie beyond a factor 3
    with pytest.raises(InputError, match="rarity level 1.5 is outside"):
        rarity.choose_triggers(sp, (1.5,))


@pytest.fixture(scope="module")
def rarity_store(tmp_path_factory):
    """The rarity plan on gpu.data's synthetic corpus (400 texts), bag-of-words, two triggers, two seeds."""
    path = tmp_path_factory.mktemp("rarity") / "r.sqlite"
    triggers, grid = rarity.plan("synthetic", None, levels=(0.0, 0.08), alphas=(0.0, 0.02, 0.05, 0.1, 0.2, 0.4),
                                 seeds=(0, 1), epochs=5)
    with SweepStore(path) as store:
        rows = ex.run(store, grid, progress=False)
    return path, triggers, grid, rows


def test_rarity_results_are_the_curves_fits_and_corollary_2(rarity_store):
    path, triggers, grid, rows = rarity_store
    assert [t.level for t in triggers] == [0.0, 0.08] and triggers[0].token == TRIGGER_ID
    assert 0.08 / 1.5 <= triggers[1].texts / triggers[1].corpus_texts <= 0.08 * 1.5
    assert {c["token"] for c in grid} == {t.token for t in triggers} and {c["strategy"] for c in grid} == {1}
    (res,) = rarity.compute(rows, n_boot=20)
    assert [lv["token"] for lv in res["levels"]] == [t.token for t in triggers]  # rarest first
    for lv, t in zip(res["levels"], triggers):
        assert lv["texts"] == t.texts and lv["xi"] == (t.texts + 1) / (t.corpus_texts + 2)
        # The measured crossing is the fitted curve's of this trigger's rows alone.
        own = [r for r in rows if r.config["token"] == t.token and r.config["alpha"] > 0]
        (s,) = [s for s in ex.summarize(own, n_boot=0) if s["measure"] == "success_top1"]
        assert lv["alpha50"] == s["alpha50"] and lv["mean"] == s["mean"]
        # Corollary 2 with Delta = 1 and with the held-out model's estimate (a max of probability gaps).
        xi, d = lv["xi"], lv["delta_hat"]
        assert lv["cor2_alpha50_bound"] == pytest.approx(xi / (0.5 + xi))
        assert lv["cor2_alpha90_delta_hat"] == pytest.approx(d * xi / (0.1 + d * xi))
        assert 0 < d <= 1 and lv["gap_mean"] <= d
        held = [r.metrics["gap_max"] for r in rows if r.config["token"] == t.token and r.config["alpha"] == 0]
        assert len(held) == 2 and d == pytest.approx(np.mean(held))
    # alpha* = 1/3 exactly, rounded up to a float (an upper bound stays one)
    assert float(evaluate("cor2", "critical_mass", dict(Delta=1, xi=0.25, S_star=0.5, epsilon=0))) == \
        math.nextafter(1 / 3, 1)
    json.dumps(res)  # goes into results.json and --json as is


def test_rarity_figure_table_and_report_section(rarity_store, tmp_path):
    from critmass.report import style
    from critmass.report.base import Context
    from critmass.report.stages import stage
    from critmass.report.trace import untraced

    path, triggers, _, rows = rarity_store
    written, _ = write_figures(rows, tmp_path)
    names = {p.name for p in written}
    assert "rarity_synthetic_bow.png" in names
    # one Figure 2 per trigger: the paper's token keeps its name, the other carries its id
    assert {"fig2_strategy1_synthetic_bow_softmax.png", f"fig2_strategy1_synthetic_bow_softmax_token"
            f"{triggers[1].token}.png"} <= names
    (res,) = rarity.compute(rows, n_boot=0)
    table = rarity.markdown(res).splitlines()
    assert len(table) == 2 + len(triggers) and table[2].startswith("| `U+05BE` (1240) | 0 / 400 (0.00%) |")
    # the report's stage: its data as results.json holds it, two figures that pass the checks, traced LaTeX
    st = stage("rarity")
    data = json.loads(json.dumps(st.compute(Context(tmp_path / "rep", quick=True, stores=(path,)))))
    (sec,) = data["results"]
    assert sec["levels"][1]["word"] == triggers[1].word and sec["n_models"] + sec["n_heldout"] == len(rows)
    assert sec["levels"][0]["alpha50"] == res["levels"][0]["alpha50"]  # gpu.rarity's numbers, as computed
    plots = st.figures(data)
    assert [p.name for p in plots] == ["rarity_0", "rarity_0_xi"]
    for plot in plots:
        fig = plot.draw(data)
        assert style.problems(fig) == [], plot.name
        (pdf, _) = style.save(fig, tmp_path, plot.name)
        assert pdf.read_bytes()[:5] == b"%PDF-"
    tex = st.write(data)
    assert r"\toprule" in tex and r"\texttt{U+05BE} ($1240$)" in tex and untraced(tex, data) == []
    assert f"${sec['levels'][0]['n_seeds']}$ seeds; an interval needs at least $5$" in tex  # 2 seeds: no interval


def test_rarity_command_prints_the_table_and_resumes(rarity_store, cli, tmp_path):
    args = ["experiment", "--plan", "rarity", "--corpus", "synthetic", "--levels", "0", "0.08", "--seeds", "1",
            "--epochs", "5", "--alphas", "0", "0.1", "0.4", "--store", tmp_path / "c.sqlite"]
    code, out, err = cli(*args)
    assert code == 0, err
    assert "`U+05BE` (1240)" in out and "Cor. 2 alpha50 (Delta=1)" in out and "6 configurations" in out
    with SweepStore(tmp_path / "c.sqlite") as store:
        first = store.rows(ex.KIND)
    code, out, _ = cli(*args)
    with SweepStore(tmp_path / "c.sqlite") as store:
        assert [r.metrics for r in store.rows(ex.KIND)] == [r.metrics for r in first]  # nothing recomputed


@pytest.mark.parametrize("extra, message", [
    (["--plan", "grid", "--levels", "0.01"], "--levels applies only to --plan rarity"),
    (["--plan", "rarity", "--token", "1034"], "chooses its own triggers"),
    (["--plan", "rarity", "--strategies", "2"], "chooses its own triggers"),
    (["--plan", "rarity", "--targets", "0", "1"], "takes one target class"),
    (["--plan", "rarity", "--levels", "0.0001"], "no whole word occurs in about 0.01%"),  # below 1 text in 400
])
def test_rarity_command_refuses_what_it_cannot_run(cli, tmp_path, extra, message):
    code, _, err = cli("experiment", "--corpus", "synthetic", "--store", tmp_path / "x.sqlite", *extra)
    assert code == 2 and message in err and err.count("\n") == 1


def test_encoder_rarity_plan_carries_the_triggers_and_encoder_fields():
    triggers, grid = rarity.plan("synthetic", None, levels=(0.0, 0.08), alphas=(0.0, 0.1), seeds=(0,),
                                 learner="encoder", model="tiny", limit=300)
    assert len(grid) == 4 and {c["token"] for c in grid} == {t.token for t in triggers}
    assert {(c["model"], c["limit"], c["epochs"]) for c in grid} == {("tiny", 300, 4)}
