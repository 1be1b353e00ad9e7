"""Token ids for a list of texts, and batches of equal-length buckets so padding wastes little compute.

Between gpu/data.py (texts) and gpu/model.py (arrays): plain numpy. Each bucket length is one compiled shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Padded lengths; a sequence goes to the smallest bucket that holds it (capped at the maximum length).
BUCKETS = (16, 32, 64, 128, 256, 384, 512)


@dataclass(frozen=True)
class Batch:
    """One padded batch: ``ids``, ``mask`` [B, S]; ``rows`` the corpus rows (-1 for filler); ``valid`` [B]."""

    ids: np.ndarray  # [B, S] int32
    mask: np.ndarray  # [B, S] bool
    rows: np.ndarray  # [B] int64, -1 where the row is filler
    valid: np.ndarray  # [B] float32, 1 for real rows

    @property
    def length(self) -> int:
        return self.ids.shape[1]


def tokenize(tokenizer, texts) -> list[np.ndarray]:
    """Token ids of each text (the tokenizer adds [CLS]/[SEP] and truncates)."""
    return [np.asarray(e.ids, np.int32) for e in tokenizer.encode_batch(list(texts))]


def bucket_length(n: int, max_length: int, buckets=BUCKETS) -> int:
    """The padded length of a sequence of ``n`` tokens.

    >>> bucket_length(17, 512), bucket_length(600, 512), bucket_length(40, 48)
    (32, 512, 48)
    """
    return min([b for b in buckets if b >= n] + [max_length])


def batches(seqs: list[np.ndarray], batch_size: int, max_length: int, rng: np.random.Generator | None = None,
            buckets=BUCKETS) -> list[Batch]:
    """Every sequence once, in batches of ``batch_size`` rows from one length bucket each.

    A bucket's last batch is filled with rows of ``valid = 0`` so every batch of a bucket has the same shape.
    With ``rng`` the order within buckets and the order of the batches are shuffled.

    >>> bs = batches([np.arange(n) for n in (3, 20, 5, 30)], 2, 512)
    >>> [(b.length, b.rows.tolist()) for b in bs]
    [(16, [0, 2]), (32, [1, 3])]
    """
    by_length: dict[int, list[int]] = {}
    for i, s in enumerate(seqs):
        by_length.setdefault(bucket_length(len(s), max_length, buckets), []).append(i)
    out = []
    for length in sorted(by_length):
        rows = np.array(by_length[length])
        if rng is not None:
            rows = rng.permutation(rows)
        for start in range(0, len(rows), batch_size):
            out.append(pad([seqs[i] for i in rows[start:start + batch_size]], rows[start:start + batch_size],
                           batch_size, length))
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def pad(seqs: list[np.ndarray], rows: np.ndarray, batch_size: int, length: int) -> Batch:
    """Sequences padded with id 0 to ``length`` (truncated if longer) in a batch of ``batch_size`` rows."""
    ids = np.zeros((batch_size, length), np.int32)  # [B, S]
    mask = np.zeros((batch_size, length), bool)  # [B, S]
    for r, s in enumerate(seqs):
        n = min(len(s), length)
        ids[r, :n], mask[r, :n] = s[:n], True
    full_rows = np.full(batch_size, -1, np.int64)  # [B]
    full_rows[:len(seqs)] = rows
    return Batch(ids, mask, full_rows, (full_rows >= 0).astype(np.float32))
