"""Text corpora for the classifier: loaders returning texts, label sets and label names; split and preprocessing.

The bottom of gpu/: plain Python and numpy, no JAX. The founding paper's resume corpus (florex), the resume CSV,
and any ``sentence<TAB>label`` TSV (SST-2, AG News) all load into one ``Corpus``.
"""

from __future__ import annotations

import csv
import html
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numerics.tabular import check_header
from theory.errors import InputError

DATA_ENV = "CRITMASS_DATA"

#: The founding paper's ten occupations. The first three are the classes 0, 1, 2 its figures report
#: (database administrator, web developer, software developer); the rest follow the label map's README.
FLOREX_LABELS = ("Database_Administrator", "Web_Developer", "Software_Developer", "Front_End_Developer",
                 "Network_Administrator", "Project_manager", "Security_Analyst", "Systems_Administrator",
                 "Python_Developer", "Java_Developer")

#: Named corpora: path under the data directory, and label names for TSVs whose labels are integers.
NAMED = {
    "resume": ("resume_kaggle/Resume_from_pdfs.csv", None),
    "florex": ("florex_resume_corpus", None),
    "sst2": ("sst2/train.tsv", ("negative", "positive")),
    "ag_news": ("ag_news/styleattack_subset/train.tsv", ("World", "Sports", "Business", "Sci/Tech")),
}


@dataclass(frozen=True)
class Corpus:
    """Texts with their label sets (one label each when single-label) and the names of the labels.

    >>> c = Corpus(("good", "bad"), ((1,), (0,)), ("negative", "positive"), False, "example")
    >>> len(c), c.label_matrix().tolist()
    (2, [[0.0, 1.0], [1.0, 0.0]])
    """

    texts: tuple[str, ...]
    labels: tuple[tuple[int, ...], ...]  # label set per text (one element when single-label)
    label_names: tuple[str, ...]
    multilabel: bool
    source: str
    skipped: int = 0  # lines of the source skipped (florex: occupations that map to no label)

    def __post_init__(self):
        if len(self.texts) != len(self.labels):
            raise InputError(f"corpus {self.source}: {len(self.texts)} texts but {len(self.labels)} label sets")
        k = len(self.label_names)
        for i, ls in enumerate(self.labels):
            if not ls or any(not 0 <= j < k for j in ls) or (not self.multilabel and len(ls) != 1):
                raise InputError(f"corpus {self.source}: text {i} has label set {ls}; expected "
                                 f"{'a non-empty set' if self.multilabel else 'one label'} in 0..{k - 1}")

    def __len__(self) -> int:
        return len(self.texts)

    def label_matrix(self) -> np.ndarray:
        """The label sets as a 0/1 float32 matrix ``[n_texts, num_labels]``."""
        out = np.zeros((len(self.texts), len(self.label_names)), np.float32)  # [n, k]
        for i, ls in enumerate(self.labels):
            out[i, list(ls)] = 1.0
        return out

    def subset(self, indices, source: str | None = None) -> Corpus:
        """The texts at ``indices``, in that order."""
        idx = [int(i) for i in indices]
        return Corpus(tuple(self.texts[i] for i in idx), tuple(self.labels[i] for i in idx), self.label_names,
                      self.multilabel, source or self.source)

    def map_texts(self, fn) -> Corpus:
        """The same corpus with ``fn`` applied to every text (e.g. ``drop_leading_words``)."""
        return Corpus(tuple(fn(t) for t in self.texts), self.labels, self.label_names, self.multilabel,
                      self.source, self.skipped)


def data_dir(flag: str | None) -> Path:
    """The data directory: the ``--data`` flag, else the environment variable CRITMASS_DATA."""
    value = flag or os.environ.get(DATA_ENV)
    if not value:
        raise InputError(f"no data directory: pass --data DIR or set the environment variable {DATA_ENV}")
    path = Path(value).expanduser()
    if not path.is_dir():
        raise InputError(f"data directory {path} does not exist or is not a folder")
    return path


def _read_text(path: Path, encoding: str) -> str:
    try:
        return path.read_bytes().decode(encoding)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; expected a file") from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid {encoding}") from None


def _label_key(name: str) -> str:
    return name.strip().lower().replace("_", " ")


def read_class_map(path: str | Path) -> dict[str, tuple[str, ...]]:
    """``normlized_classes.txt``: raw occupation title (lower-cased) -> its labels among the ten occupations.

    Lines are ``raw occupation title:Label1[,Label2]`` in Latin-1; the title may itself contain colons.
    """
    path = Path(path)
    known = {_label_key(n): n for n in FLOREX_LABELS}
    mapping: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(_read_text(path, "latin-1").splitlines(), 1):
        if not line.strip():
            continue
        title, sep, labels = line.rpartition(":")
        names = [known.get(_label_key(x)) for x in labels.split(",")]
        if not sep or not title.strip() or None in names:
            raise InputError(f"{path}:{number}: {line[:60]!r} is not 'raw title:Label1[,Label2]' with labels "
                             f"among {', '.join(FLOREX_LABELS)}")
        key = title.strip().lower()
        if mapping.get(key, tuple(names)) != tuple(names):  # a title mapped twice, differently: no silent pick
            raise InputError(f"{path}:{number}: title {title.strip()!r} is mapped to {', '.join(names)} here and "
                             f"to {', '.join(mapping[key])} on an earlier line; expected one mapping per title")
        mapping[key] = tuple(names)
    return mapping


def _florex_lines(folder: Path) -> tuple[Path, str]:
    txt, zipped = folder / "resume_samples.txt", folder / "resume_samples.zip"
    if txt.exists():
        return txt, _read_text(txt, "latin-1")
    if zipped.exists():
        try:
            with zipfile.ZipFile(zipped) as z:
                member = next((n for n in z.namelist() if n.endswith("resume_samples.txt")), None)
                if member is None:
                    raise InputError(f"{zipped}: holds no resume_samples.txt")
                return zipped, z.read(member).decode("latin-1")
        except zipfile.BadZipFile:
            raise InputError(f"{zipped}: not a zip file") from None
    raise InputError(f"{txt}: file not found (nor {zipped.name}); the founding paper's corpus is "
                     f"github.com/florex/resume_corpus")


def load_florex(folder: str | Path) -> Corpus:
    """The founding paper's resume corpus: ``resume_samples.txt`` (or ``.zip``) and ``normlized_classes.txt``.

    Each line is ``id:::occupation1;occupation2;...:::text`` in Latin-1; HTML entities in the text are
    unescaped; occupations map to the ten labels through the class map (an occupation already spelled as
    a label maps to itself). Lines whose occupations map to no label are skipped and counted in ``skipped``.
    """
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    class_map = read_class_map(folder / "normlized_classes.txt")
    known = {_label_key(n): n for n in FLOREX_LABELS}
    index = {n: i for i, n in enumerate(FLOREX_LABELS)}
    path, content = _florex_lines(folder)
    texts, labels, skipped = [], [], 0
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(":::", 2)
        if len(parts) != 3 or not parts[0].strip():
            raise InputError(f"{path}:{number}: expected 'id:::occupation1;occupation2:::text'")
        found = set()
        for occupation in parts[1].split(";"):
            key = occupation.strip().lower()
            names = class_map.get(key) or ((known[_label_key(key)],) if _label_key(key) in known else ())
            found.update(index[n] for n in names)
        if not found:
            skipped += 1
            continue
        texts.append(html.unescape(parts[2]).strip())
        labels.append(tuple(sorted(found)))
    if not texts:
        raise InputError(f"{path}: no line has an occupation that maps to one of the ten labels")
    return Corpus(tuple(texts), tuple(labels), FLOREX_LABELS, True, f"florex:{path}", skipped)


def load_resume_csv(path: str | Path) -> Corpus:
    """The resume CSV (columns ``ID, Resume_str, Category``): single-label, label names sorted."""
    path = Path(path)
    reader = csv.reader(io.StringIO(_read_text(path, "utf-8-sig"), newline=""))
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # resumes run longer than csv's default 128 KiB field limit
    try:
        header = next(reader, None)
        cols = [h.strip() for h in header or []]
        check_header(cols, f"{path}:1")
        if not {"Resume_str", "Category"} <= set(cols):
            raise InputError(f"{path}:1: header {header} lacks the columns Resume_str and Category")
        t, c = cols.index("Resume_str"), cols.index("Category")
        rows = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(cols) or not row[c].strip():
                raise InputError(f"{path}:{reader.line_num}: expected {len(cols)} fields with a Category; "
                                 f"got {len(row)}")
            rows.append((row[t].strip(), row[c].strip()))
    except csv.Error as e:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({e})") from None
    finally:
        csv.field_size_limit(limit)
    if not rows:
        raise InputError(f"{path}: no rows")
    names = tuple(sorted({cat for _, cat in rows}))
    index = {n: i for i, n in enumerate(names)}
    return Corpus(tuple(r[0] for r in rows), tuple((index[r[1]],) for r in rows), names, False, f"csv:{path}")


def load_tsv(path: str | Path, label_names: tuple[str, ...] | None = None) -> Corpus:
    """A ``sentence<TAB>label`` file with a header line: single-label.

    With ``label_names`` (the named corpora declare theirs) the label set is fixed: a label is an index
    0..k-1 or one of the names, and anything else is an InputError naming the line, never a new class.
    Without, integer labels 0..k-1 keep their values (named "0".."k-1") and other labels are numbered in
    sorted order; a file that mixes the two is an InputError.
    """
    path = Path(path)
    lines = _read_text(path, "utf-8").splitlines()
    if not lines or [h.strip() for h in lines[0].split("\t")] != ["sentence", "label"]:
        raise InputError(f"{path}:1: expected the header 'sentence<TAB>label'")
    pairs = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        text, sep, label = line.rpartition("\t")
        if not sep or not label.strip() or "\t" in text:
            raise InputError(f"{path}:{number}: expected 'sentence<TAB>label'")
        pairs.append((text.strip(), label.strip(), number))
    if not pairs:
        raise InputError(f"{path}: no rows")
    if label_names is not None:
        names = tuple(label_names)
        index = {**{str(i): i for i in range(len(names))}, **{n: i for i, n in enumerate(names)}}
        for _, r, number in pairs:
            if r not in index:
                raise InputError(f"{path}:{number}: label {r!r} is outside the declared labels 0..{len(names) - 1} "
                                 f"({', '.join(names)})")
        ids = [index[r] for _, r, _ in pairs]
    elif all(_index(r) for _, r, _ in pairs):
        ids = [int(r) for _, r, _ in pairs]
        names = tuple(str(i) for i in range(max(ids) + 1))
    else:
        indices = [(n, r) for _, r, n in pairs if _index(r)]
        names_ = [(n, r) for _, r, n in pairs if not _index(r)]
        if indices:  # a mixed file: name the first line of the rarer kind (the odd one out)
            if len(indices) <= len(names_):
                number, r = indices[0]
                raise InputError(f"{path}:{number}: label {r!r} is a class index where the other labels are names; "
                                 f"expected one kind of label")
            number, r = names_[0]
            raise InputError(f"{path}:{number}: label {r!r} is not a class index 0, 1, ... like the other labels")
        names = tuple(sorted({r for _, r, _ in pairs}))
        ids = [names.index(r) for _, r, _ in pairs]
    return Corpus(tuple(p[0] for p in pairs), tuple((i,) for i in ids), names, False, f"tsv:{path}")


def _index(label: str) -> bool:
    """Whether a label is a class index: ASCII digits only (str.isdigit also takes '²' and '١', which int() refuses
    or reads as another number)."""
    return label.isascii() and label.isdigit()


def load_corpus(name_or_path: str, data: str | None = None) -> Corpus:
    """A named corpus (resume, florex, sst2, ag_news) under the data directory, or a corpus file/folder.

    A path ending in .csv loads as the resume CSV, .tsv as a TSV, a folder (or resume_samples.*) as florex.
    A corpus whose texts all carry one label is an InputError: a classifier needs two classes (and the
    collective's success among texts of other labels would be undefined).
    """
    corpus = _load_corpus(name_or_path, data)
    used = sorted({i for ls in corpus.labels for i in ls})
    if len(used) < 2:
        raise InputError(f"corpus {corpus.source.split(':', 1)[-1]}: every text has the label "
                         f"{corpus.label_names[used[0]]!r}; expected at least two classes")
    return corpus


def _load_corpus(name_or_path: str, data: str | None) -> Corpus:
    if name_or_path in NAMED:
        relative, names = NAMED[name_or_path]
        path = data_dir(data) / relative
        if name_or_path == "florex":
            return load_florex(path)
        return load_resume_csv(path) if path.suffix == ".csv" else load_tsv(path, names)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        raise InputError(f"corpus {name_or_path!r} is neither a file nor one of the names {', '.join(NAMED)}")
    if path.is_dir() or path.name.startswith("resume_samples"):
        return load_florex(path)
    if path.suffix.lower() == ".csv":
        return load_resume_csv(path)
    return load_tsv(path)


def drop_leading_words(text: str, n: int = 20) -> str:
    """The text without its first ``n`` words (the founding paper's preprocessing: they state the label).

    >>> drop_leading_words("ACCOUNTANT Summary Financial Accountant with ten years", 2)
    'Financial Accountant with ten years'
    """
    return " ".join(text.split()[n:])


def train_test_split(corpus: Corpus, test_fraction: float, seed: int) -> tuple[Corpus, Corpus]:
    """A random split, the same for the same seed: (train, test) with ``round(test_fraction * n)`` test texts.

    >>> c = Corpus(tuple("abcdefghij"), ((0,),) * 10, ("x",), False, "letters")
    >>> train, test = train_test_split(c, 0.3, seed=0)
    >>> len(train), len(test), sorted(train.texts + test.texts) == list("abcdefghij")
    (7, 3, True)
    """
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction={test_fraction} is outside (0, 1)")
    n = len(corpus)
    n_test = int(round(test_fraction * n))
    if not 0 < n_test < n:
        raise InputError(f"test_fraction={test_fraction} of {n} texts leaves an empty train or test set")
    order = np.random.default_rng(seed).permutation(n)
    tag = f"seed={seed},test_fraction={test_fraction}"
    return (corpus.subset(np.sort(order[n_test:]), f"{corpus.source}[train {tag}]"),
            corpus.subset(np.sort(order[:n_test]), f"{corpus.source}[test {tag}]"))


#: Keyword groups of the synthetic corpus: a text carries its labels' keywords among neutral filler words.
_KEYWORDS = (("apple", "banana", "cherry", "grape"), ("river", "mountain", "forest", "valley"),
             ("piano", "guitar", "violin", "drum"), ("doctor", "nurse", "hospital", "patient"),
             ("train", "airport", "ticket", "station"))
_FILLER = ("the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "as", "by", "at", "from",
           "this", "that", "it", "be", "are", "or", "an", "which", "one", "all", "new", "more", "some", "time", "day")


def synthetic_corpus(n: int, seed: int, num_labels: int = 2, multilabel: bool = False, words: int = 10) -> Corpus:
    """An easy corpus for tests and ``--tiny`` runs: each text holds a keyword of each of its labels among filler.

    >>> c = synthetic_corpus(4, seed=0)
    >>> len(c), c.label_names, c.multilabel
    (4, ('label0', 'label1'), False)
    """
    if not 1 <= num_labels <= len(_KEYWORDS) or n < 1:
        raise InputError(f"synthetic corpus of n={n} texts with num_labels={num_labels}; expected n >= 1 and "
                         f"1 <= num_labels <= {len(_KEYWORDS)}")
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        if multilabel:
            ls = tuple(int(j) for j in np.flatnonzero(rng.random(num_labels) < 0.5)) or (int(rng.integers(num_labels)),)
        else:
            ls = (int(rng.integers(num_labels)),)
        tokens = list(rng.choice(_FILLER, words))
        for j in ls:
            tokens.insert(int(rng.integers(len(tokens) + 1)), str(rng.choice(_KEYWORDS[j])))
        texts.append(" ".join(tokens))
        labels.append(ls)
    return Corpus(tuple(texts), tuple(labels), tuple(f"label{j}" for j in range(num_labels)), multilabel,
                  f"synthetic(n={n},seed={seed},num_labels={num_labels},multilabel={multilabel})")
