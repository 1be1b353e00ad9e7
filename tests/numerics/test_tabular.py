"""Categorical tables: segment sums agree with a pandas filter-per-combination reference; the CSV loader."""

import numpy as np
import pytest

from numerics import collusion, tabular
from tests.numerics.pandas_reference import pandas_plant_success
from theory.errors import InputError


def test_segment_sums_agree_with_pandas_on_every_test_combination():
    import pandas as pd

    table = tabular.synthetic_table(1500, features=6, labels=3, clusters=6, seed=2)
    trigger, test, alpha, target = (1, table.cards[1] - 1), 300, 0.04, 2   # cards[j] - 1: a value never drawn
    fix, n = {trigger[0]: trigger[1]}, round(alpha * 1200)
    train, test_rows = collusion.split_rows(1500, 1200, test, seed=9)
    (got,) = collusion.plug_in(table, fix, target, [n], train, test_rows)  # [S] per place in X*
    frame = pd.DataFrame(table.features[train], columns=list(table.names))
    frame["label"] = table.labels[train]
    combos, first = np.unique(tabular.plant(table.features[test_rows], trigger), axis=0, return_index=True)
    hits, _ = pandas_plant_success(frame, "label", table.names[1], trigger[1], n, target, combos)
    place = collusion.places(table, fix, test_rows).ids                    # [T] place of g(x) of each test row
    assert got["hits"][place[first]].tolist() == hits.tolist()
    assert 0 < hits.sum() < len(hits)  # both outcomes occur, so the comparison can fail
    (row,) = collusion.run(table, fix, target, [n], 1200, test, seed=9)
    assert row["success"] == np.mean(got["hits"][place])


def test_mixed_radix_and_unique_codes_separate_the_same_rows():
    rng = np.random.default_rng(0)
    feats = rng.integers(0, 3, size=(500, 4)).astype(np.int32)
    small = tabular.combination_codes(feats, (3, 3, 3, 3))
    wide = tabular.combination_codes(feats, (3, 3, 3, 2**61))  # forces the np.unique path
    assert np.array_equal(small[:, None] == small[None, :], wide[:, None] == wide[None, :])


def test_csv_loader_and_its_errors(tmp_path):
    good = tmp_path / "t.csv"
    good.write_text("colour,size,label\nred,S,yes\nblue,M,no\nred,M,no\n")
    table = tabular.load_csv(good, "label")
    assert table.names == ("colour", "size") and table.label_values == ("no", "yes")
    assert table.features.tolist() == [[1, 1], [0, 0], [1, 0]] and table.labels.tolist() == [1, 0, 0]
    with pytest.raises(InputError, match="no label column 'target'"):
        tabular.load_csv(good, "target")
    ragged = tmp_path / "r.csv"
    ragged.write_text("a,label\n1,x\n2\n")
    with pytest.raises(InputError, match="line 3"):
        tabular.load_csv(ragged, "label")
    with pytest.raises(InputError, match="cannot read"):
        tabular.load_csv(tmp_path / "missing.csv", "label")


@pytest.mark.parametrize("header, match", [
    ("label", "no feature columns"),
    ("color,color,label", r"duplicate column name 'color' \(columns 1, 2\)"),
    ("color,label,label", r"duplicate column name 'label' \(columns 2, 3\)"),
    (",shape,label", "empty column name in column 1 "),
    ("shape, ,label", "empty column name in column 2 "),
])
def test_every_table_reader_refuses_a_header_without_one_name_per_feature(tmp_path, header, match):
    path = tmp_path / "t.csv"
    width = header.count(",") + 1
    path.write_text(header + "\n" + "".join(",".join([v] * width) + "\n" for v in ("a", "b", "a")))
    for read in (tabular.load_csv, collusion.load_named_csv):
        with pytest.raises(InputError, match=match):
            read(path, "label")


@pytest.mark.parametrize("header, flags, match", [
    ("label", [], "no feature columns"),
    ("color,color,label", ["--trigger-column", "color"], "duplicate column name 'color'"),
    ("color,color,label", ["--label", "color"], "duplicate column name 'color'"),
    (",shape,label", [], "empty column name in column 1"),
    ("color,color,label", ["--fix", "color=a"], "duplicate column name 'color'"),
])
def test_cli_tabular_refuses_a_bad_header_in_one_line(cli, tmp_path, header, flags, match):
    path = tmp_path / "t.csv"
    width = header.count(",") + 1
    path.write_text(header + "\n" + "".join(",".join([v] * width) + "\n" for v in ("a", "b", "a", "b")))
    code, out, err = cli("simulate", "tabular", "--csv", path, "--alphas", "0.5", *flags,
                         "--store", tmp_path / "s.sqlite")
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1 and not out.strip()
    assert not (tmp_path / "s.sqlite").exists()


def test_cli_tabular_reports_bad_csv_in_one_line(cli, tmp_path):
    bad = tmp_path / "b.csv"
    bad.write_text("a,b\n1,2\n")
    code, out, err = cli("simulate", "tabular", "--csv", bad, "--label", "y", "--store", tmp_path / "s.sqlite")
    assert code == 2 and "no label column 'y'" in err and len(err.strip().splitlines()) == 1


def test_cli_tabular_synthetic_json(cli_json, tmp_path):
    doc = cli_json("simulate", "tabular", "--synthetic", "3000", "--targets", "0,1", "--alphas", "0.02,0.3",
                   "--store", tmp_path / "s.sqlite")
    rows = doc["rows"]
    assert [(r["alpha"], r["target"]) for r in rows] == [(0.02, 0), (0.02, 1), (0.3, 0), (0.3, 1)]
    assert all(r["binomial"] <= 1 and r["gbj"] <= 1 for r in rows)
    assert rows[2]["success"] >= rows[0]["success"]  # a larger collective plants at least as well here


def test_csv_codes_equal_pandas_factorize_across_reader_blocks(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(5)
    rows = 60_000                                                               # ~1.6 MB: two 1 MB reader blocks
    pools = {"b": ["zeta", "alpha", "Mid", "", "NA", "10", "9"], "label": ["y", "x", "w"], "a": ["2", "1"],
             "c": ["only"]}
    frame = pd.DataFrame({name: rng.choice(pool, size=rows) for name, pool in pools.items()})  # label 2nd
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    features, labels, names, values, label_values = tabular.read_csv(path, "label")
    back = pd.read_csv(path, na_filter=False, dtype=str)
    assert names == ("b", "a", "c") and features.shape == (rows, 3) and features.dtype == np.uint8
    for j, name in enumerate(names):
        codes, uniques = pd.factorize(back[name], sort=True)
        assert np.array_equal(features[:, j], codes) and values[j] == tuple(uniques)
    codes, uniques = pd.factorize(back["label"], sort=True)
    assert np.array_equal(labels, codes) and label_values == tuple(uniques) == ("w", "x", "y")
    only_label = tmp_path / "label.csv"
    frame[["label"]].to_csv(only_label, index=False)
    with pytest.raises(InputError, match="no feature columns"):
        tabular.load_csv(only_label, "label")


def test_written_csv_is_quoted_only_where_a_value_needs_it(tmp_path):
    plain = tabular.synthetic_table(50, features=3, labels=2, seed=1)
    named = collusion.NamedTable(plain.features, plain.labels, ("f,0", "f1", "f2"),
                                 tuple(tuple(f"v{i}" for i in range(c)) for c in plain.cards), ("no", "yes"))
    path = collusion.write_csv(named, tmp_path / "plain.csv", label="y")
    assert '"' not in path.read_text().split("\n", 1)[1] and path.read_text().startswith('"f,0",f1,f2,y\n')
    odd = named._replace(values=(("a,b", 'say "hi"') + named.values[0][2:],) + named.values[1:])
    for table, name in ((named, "plain2.csv"), (odd, "odd.csv")):
        back = collusion.load_named_csv(collusion.write_csv(table, tmp_path / name, label="y"), "y")
        for j, values in enumerate(table.values):
            assert np.array_equal(np.asarray(back.values[j])[back.features[:, j]],
                                  np.asarray(values)[table.features[:, j]])


def test_blocked_place_codes_equal_the_direct_codes_gathered_or_streamed():
    rng = np.random.default_rng(3)
    cards = np.array([3, 5, 2, 4, 7], np.int64)
    features = rng.integers(0, cards, size=(1000, 5)).astype(np.int32)
    fix, free = {1: 4, 3: 0}, [0, 2, 4]
    for rows in (rng.permutation(1000)[:900], rng.integers(0, 1000, size=60)):  # streamed; gathered (repeats)
        for block in (7, 1 << 14):                                             # ragged last block; one block
            code, own = collusion._codes_and_own(features, rows, free, cards, fix, block=block)
            assert np.array_equal(code, tabular.combination_codes(features[rows][:, free], cards[free]))
            assert np.array_equal(own, (features[rows, 1] == 4) & (features[rows, 3] == 0)) and own.any()


def test_wide_codes_and_narrow_tables_stream_to_the_direct_codes():
    # the fused pass over the whole table: int64 codes when the free columns' product passes 2^31, int8 tables
    rng = np.random.default_rng(5)
    cards = np.array([3, 2000, 1500, 1200, 4], np.int64)                       # free product 3.6e9 > 2^31
    features = rng.integers(0, cards, size=(3000, 5)).astype(np.int32)
    features[::3, 0] = 2
    fix, free = {0: 2}, [1, 2, 3, 4]
    rows = rng.permutation(3000)[:2500]
    code, own = collusion._codes_and_own(features, rows, free, cards, fix)
    assert code.dtype == np.int64 and code.max() >= 2**31
    assert np.array_equal(code, tabular.combination_codes(features[rows][:, free], cards[free]))
    assert np.array_equal(own, features[rows, 0] == 2)
    small = features[:, [0, 4]].astype(np.int8)
    code, own = collusion._codes_and_own(small, rows, [1], cards[[0, 4]], {0: 2})
    assert code.dtype == np.int32 and np.array_equal(code, small[rows, 1]) and np.array_equal(own, small[rows, 0] == 2)


def test_read_csv_allocates_the_codes_aligned_so_jax_reads_them_in_place(tmp_path):
    import jax

    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n" + "".join(f"v{i % 3},w{i % 5},{'yn'[i % 2]}\n" for i in range(1000)))
    features = tabular.read_csv(path, "y")[0]
    assert features.ctypes.data % tabular.ALIGN == 0 and features.shape == (1000, 2)
    assert np.asarray(jax.device_put(features, jax.devices("cpu")[0])).ctypes.data == features.ctypes.data
    for shape in ((1, 3), (7,), (5, 3)):
        assert tabular.empty_aligned(shape, np.int16).ctypes.data % tabular.ALIGN == 0


@pytest.mark.parametrize("values, dtype", [(255, np.uint8), (256, np.uint16)])
def test_compact_codes_hold_a_fresh_trigger_and_give_int32s_numbers(tmp_path, values, dtype):
    # 255 values: codes 0..254 in uint8 and the fresh trigger is 255, the last code uint8 holds; 256 values
    # would need 256 as the trigger, so the reader widens to uint16. Either way every run equals the same run
    # on int32 codes, through both coding paths (the whole-table pass and the row blocks).
    import pandas as pd

    rng = np.random.default_rng(3)
    rows = 4000
    frame = pd.DataFrame({"wide": rng.integers(0, values, rows).astype(str), "b": rng.choice(["p", "q", "r"], rows),
                          "y": rng.choice(["s", "t"], rows)})
    frame.loc[:values - 1, "wide"] = np.arange(values).astype(str)              # every value occurs
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = tabular.load_csv(tmp_path / "t.csv", "y")
    assert table.features.dtype == dtype and table.cards == (values, 3)
    fresh, trigger = tabular.fresh_trigger(table, "wide")
    assert trigger == (0, values) and tabular.plant(fresh.features[:2], trigger)[:, 0].tolist() == [values] * 2
    wide = fresh._replace(features=fresh.features.astype(np.int32))
    for samples, test in ((3000, 800), (500, 100)):                            # 4 * rows used >= table: one pass
        ours = collusion.run(fresh, {0: values}, 1, [50, 400], samples, test, seed=1)
        assert ours == collusion.run(wide, {0: values}, 1, [50, 400], samples, test, seed=1)
        assert ours[1]["success"] > 0                                          # the trigger is planted and read
