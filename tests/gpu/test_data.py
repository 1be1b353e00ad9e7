"""Corpus loaders: the florex format on a fixture, the real corpora where ../shared/data exists, bad input."""

import zipfile
from pathlib import Path

import pytest

from gpu.data import (FLOREX_LABELS, Corpus, data_dir, drop_leading_words, load_corpus, load_florex,
                      load_resume_csv, load_tsv, read_class_map, train_test_split)
from theory.errors import InputError

FIXTURE = Path(__file__).parent / "fixtures" / "florex"
SHARED = Path("/work/shared/data")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not on this machine")


def test_florex_fixture_labels_entities_and_skips():
    c = load_florex(FIXTURE)
    assert c.multilabel and c.label_names == FLOREX_LABELS and c.skipped == 2 and len(c) == 10
    names = [{c.label_names[i] for i in ls} for ls in c.labels]
    assert names[0] == {"Database_Administrator"}
    assert names[2] == {"Software_Developer", "Systems_Administrator"}  # one title, two labels
    assert names[4] == {"Front_End_Developer", "Web_Developer"}  # two titles
    assert names[8] == {"Java_Developer"}  # a title with a colon in it
    assert names[9] == {"Software_Developer", "Database_Administrator"}  # occupations spelled as labels
    assert c.texts[0].startswith("Experienced DBA & SQL")
    assert "<b>and</b>" in c.texts[1] and "& threat" in c.texts[6]
    assert "Politécnico" in c.texts[3] and "café" in c.texts[2]  # Latin-1 decoded
    assert not any("Croissants" in t for t in c.texts)


def test_florex_from_zip_equals_folder(tmp_path):
    (tmp_path / "normlized_classes.txt").write_bytes((FIXTURE / "normlized_classes.txt").read_bytes())
    with zipfile.ZipFile(tmp_path / "resume_samples.zip", "w") as z:
        z.write(FIXTURE / "resume_samples.txt", "resume_corpus/resume_samples.txt")
    a, b = load_florex(tmp_path), load_florex(FIXTURE)
    assert (a.texts, a.labels, a.skipped) == (b.texts, b.labels, b.skipped)
    assert load_corpus(str(tmp_path)).labels == b.labels


def test_florex_malformed_line_names_file_and_line(tmp_path):
    (tmp_path / "normlized_classes.txt").write_bytes((FIXTURE / "normlized_classes.txt").read_bytes())
    (tmp_path / "resume_samples.txt").write_bytes(b"r1:::security analyst:::fine\nr2 security analyst text\n")
    with pytest.raises(InputError, match=r"resume_samples.txt:2: expected 'id:::"):
        load_florex(tmp_path)
    (tmp_path / "normlized_classes.txt").write_bytes(b"dba:Database_Administrator\nchef:Cook\n")
    with pytest.raises(InputError, match=r"normlized_classes.txt:2: "):
        load_florex(tmp_path)


@pytest.mark.parametrize("header, match", [
    ("ID,Resume_str,Category,Category", r"duplicate column name 'Category' \(columns 3, 4\)"),
    ("ID,Resume_str,Resume_str,Category", "duplicate column name 'Resume_str'"),
    (",Resume_str,Category", "empty column name in column 1"),
    ("", "no header line"),
])
def test_resume_csv_refuses_a_header_without_one_name_per_column(tmp_path, header, match):
    path = tmp_path / "r.csv"
    width = header.count(",") + 1
    path.write_text(header + "\n" + ",".join(["x"] * width) + "\n")
    with pytest.raises(InputError, match=match):
        load_resume_csv(path)


def test_class_map_refuses_a_title_mapped_two_ways(tmp_path):
    path = tmp_path / "normlized_classes.txt"
    path.write_bytes(b"dba:Database_Administrator\nDBA:Database_Administrator\n")
    assert read_class_map(path) == {"dba": ("Database_Administrator",)}  # the same mapping twice is harmless
    path.write_bytes(b"dba:Database_Administrator\nweb:Web_Developer\nDBA :Web_Developer\n")
    with pytest.raises(InputError, match=r"normlized_classes.txt:3: title 'DBA' is mapped to Web_Developer"):
        read_class_map(path)


def test_missing_files_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="normlized_classes.txt: file not found"):
        load_florex(tmp_path)
    with pytest.raises(InputError, match="nope.csv: file not found"):
        load_resume_csv(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="neither a file nor one of the names"):
        load_corpus(str(tmp_path / "nothing.tsv"))


def test_data_dir_flag_then_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("CRITMASS_DATA", raising=False)
    with pytest.raises(InputError, match="--data DIR .* CRITMASS_DATA"):
        data_dir(None)
    monkeypatch.setenv("CRITMASS_DATA", str(tmp_path))
    assert data_dir(None) == tmp_path
    assert data_dir(str(FIXTURE)) == FIXTURE
    with pytest.raises(InputError, match="does not exist"):
        data_dir(str(tmp_path / "missing"))


def test_tsv_labels_header_and_malformed_line(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("sentence\tlabel\ngood film\t1\nbad film\t0\n")
    c = load_tsv(p, ("negative", "positive"))
    assert c.texts == ("good film", "bad film") and c.labels == ((1,), (0,)) and not c.multilabel
    assert load_tsv(p).label_names == ("0", "1")
    p.write_text("sentence\tlabel\nfine\tpos\nalso fine\tneg\n")
    assert load_tsv(p).labels == ((1,), (0,))  # string labels, numbered in sorted order
    p.write_text("sentence\tlabel\ngood\t1\nno tab on this line\n")
    with pytest.raises(InputError, match=r"t.tsv:3: expected 'sentence<TAB>label'"):
        load_tsv(p)
    p.write_text("text,label\n")
    with pytest.raises(InputError, match=r"t.tsv:1: expected the header"):
        load_tsv(p)


def test_tsv_label_outside_the_declared_set_is_an_error_not_a_new_class(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("sentence\tlabel\ngood film\tpositive\nbad film\t0\n")
    assert load_tsv(p, ("negative", "positive")).labels == ((1,), (0,))  # a name or an index of the set
    for bad, line in (("neutral", 3), ("2", 3)):
        p.write_text(f"sentence\tlabel\ngood film\t1\nmeh\t{bad}\n")
        with pytest.raises(InputError, match=rf"t.tsv:{line}: label '{bad}' is outside the declared labels 0..1"):
            load_tsv(p, ("negative", "positive"))
    sst2 = tmp_path / "sst2"
    sst2.mkdir()
    (sst2 / "train.tsv").write_text("sentence\tlabel\nfine\t1\nodd\tpositve\n")  # a typo in a named corpus
    with pytest.raises(InputError, match="train.tsv:3: label 'positve' is outside"):
        load_corpus("sst2", str(tmp_path))
    p.write_text("sentence\tlabel\nfine\tpos\nodd\t1\n")  # undeclared labels: one kind only
    with pytest.raises(InputError, match="t.tsv:3: label '1' is a class index where the other labels are names"):
        load_tsv(p)
    p.write_text("sentence\tlabel\n" + "".join(f"t{i}\t{i % 2}\n" for i in range(6)) + "odd\t-1\nx\t²\n")
    with pytest.raises(InputError, match="t.tsv:8: label '-1' is not a class index 0, 1, ... like the other labels"):
        load_tsv(p)  # a 0/1 corpus with a stray '-1' is refused, not read as a third class


def test_csv_malformed_row(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('ID,Resume_str,Category\n1,"CHEF cooks, bakes",CHEF\n2,"missing category"\n')
    with pytest.raises(InputError, match=r"r.csv:3: expected 3 fields"):
        load_resume_csv(p)


def test_drop_leading_words_and_split_determinism():
    assert drop_leading_words(" ".join(f"w{i}" for i in range(25))) == "w20 w21 w22 w23 w24"
    assert drop_leading_words("short text") == ""
    c = load_florex(FIXTURE)
    a1, b1 = train_test_split(c, 0.3, seed=7)
    a2, b2 = train_test_split(c, 0.3, seed=7)
    assert (a1.texts, b1.texts) == (a2.texts, b2.texts) and len(b1) == 3
    assert sorted(a1.texts + b1.texts) == sorted(c.texts)
    assert {train_test_split(c, 0.3, seed=s)[1].texts for s in range(6)} != {b1.texts}
    with pytest.raises(InputError, match="test_fraction=1.5"):
        train_test_split(c, 1.5, seed=0)


def test_corpus_rejects_out_of_range_labels():
    with pytest.raises(InputError, match="text 0 has label set"):
        Corpus(("a",), ((2,),), ("x", "y"), False, "bad")


@needs_shared
def test_real_class_map():
    m = read_class_map(SHARED / "florex_resume_corpus" / "normlized_classes.txt")
    assert len(m) > 19000 and {n for ns in m.values() for n in ns} == set(FLOREX_LABELS)
    assert m["software engineer/ systems analyst"] == ("Software_Developer", "Systems_Administrator")
    with pytest.raises(InputError, match="resume_samples.txt: file not found"):
        load_corpus("florex", str(SHARED))  # only the label map is on this machine


@needs_shared
def test_real_corpora_counts():
    resume = load_corpus("resume", str(SHARED))
    assert len(resume) == 2484 and len(resume.label_names) == 24
    assert sum(ls == (resume.label_names.index("ACCOUNTANT"),) for ls in resume.labels) == 118
    assert resume.texts[0].split()[0] == "ACCOUNTANT"  # why the paper drops the leading words
    sst2 = load_corpus("sst2", str(SHARED))
    assert len(sst2) == 67349 and sum(ls == (1,) for ls in sst2.labels) == 37569
    ag = load_corpus("ag_news", str(SHARED))
    assert len(ag) == 11106 and ag.label_names[1] == "Sports" and {ls[0] for ls in ag.labels} == {0, 1, 2, 3}
