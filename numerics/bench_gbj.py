"""The peer's signal-planting computation, as Gauthier, Bach & Jordan wrote it, for ``critmass bench``.

GBJ (GauthierE/statistical-collusion, src/utils.py, class SignalPlanting; run per collective size n by
notebooks/run/signal-planting.ipynb) compute, with pandas: three train_test_split calls (random_state 42); for
every combination of X* (itertools.product over the values of the columns g leaves, each fixed column at g's
value) a boolean filter over all 18 feature columns (and the label) for each quantity; a Python loop with
``iloc`` over the collective's rows for the lower bound and over the test rows for the success, keyed by the
concatenated feature values. This module re-implements those steps (not their code) so the benchmark times
their method on their data at their sizes; a user with their repository can compare against it directly.
Benchmark-only: pandas and scikit-learn are not dependencies of the engine.
"""

from __future__ import annotations

import itertools

import numpy as np

from numerics.bounds import hoeffding_radius

#: GBJ's hard-coded label orders: the argmax scan (strictly greater wins, starting from 0 with "Good") and
#: the rivals of the target.
ARGMAX_ORDER = ["Good", "Average", "Poor", "Excellent"]
RIVAL_ORDER = ["Excellent", "Good", "Average", "Poor"]


class PandasSignalPlanting:
    """One collective size n of GBJ's experiment on a pandas frame of strings (their ``df.astype('str')``)."""

    def __init__(self, frame, label: str, n_train: int, n: int, n_test: int, g: dict, target: str, delta: float,
                 epsilon: float = 0.0):
        from sklearn.model_selection import train_test_split

        self.frame, self.label, self.g, self.target = frame, label, g, target
        self.n, self.n_train, self.n_test, self.delta, self.epsilon = n, n_train, n_test, delta, epsilon
        self.features = [c for c in frame.columns if c != label]
        train, rest = train_test_split(frame, train_size=n_train, random_state=42)
        self.test, _ = train_test_split(rest, train_size=n_test, random_state=42)
        self.collective, self.others = train_test_split(train, train_size=n, random_state=42)
        self.delta_at, self.proba_at = {}, {}

    def values(self, column: str) -> list:
        return list(set(self.frame[column].values))

    def combinations(self):
        return itertools.product(*([self.g[c]] if c in self.g else self.values(c) for c in self.features))

    def share(self, frame, combination, label=None) -> float:
        """The fraction of ``frame``'s rows equal to ``combination`` (and ``label``): one boolean filter."""
        mask = frame[self.features[0]] == combination[0]
        for column, value in zip(self.features[1:], combination[1:]):
            mask = mask & (frame[column] == value)
        if label is not None:
            mask = mask & (frame[self.label] == label)
        return frame[mask].shape[0] / len(frame)

    def apply_g(self, frame):
        out = frame.copy()
        for column, value in self.g.items():
            out[column] = value
        return out

    def compute_delta(self, frame) -> None:
        rivals = [y for y in RIVAL_ORDER if y != self.target]
        for combination in self.combinations():
            rival = 0.0
            for y in rivals:
                rival = max(rival, self.share(frame, combination, y))
            self.delta_at["".join(combination)] = rival - self.share(frame, combination, self.target)

    def compute_proba(self, frame) -> None:
        for combination in self.combinations():  # g applied to the frame for each combination, as theirs
            self.proba_at["".join(combination)] = self.share(self.apply_g(frame), combination)

    def x_star_size(self) -> int:
        return int(np.prod([len(self.values(c)) for c in self.features if c not in self.g]))

    def lower_bound(self) -> float:
        planted = self.apply_g(self.collective)
        d = self.delta / (2 + 2 * self.x_star_size() + 2 * self.x_star_size() * len(self.values(self.label)))
        r_n, r_rest, r_test = (hoeffding_radius(d, k) for k in (self.n, self.n_train - self.n, self.n_test))
        a, count = self.n / self.n_train, 0
        for i in range(len(planted)):
            key = "".join(planted.iloc[i, j] for j in range(len(self.features)))
            if (a * (self.proba_at[key] - 2 * r_n) - (1 - a) * (self.delta_at[key] + 2 * r_n + 2 * r_rest)
                    - self.epsilon / (1 - self.epsilon) > 0):
                count += 1
        return count / self.n - r_n - r_test

    def success(self) -> float:
        import pandas as pd

        planted = self.apply_g(self.collective)
        planted[self.label] = self.target
        mixed = pd.concat([planted, self.others], ignore_index=True)
        argmax = {}
        for combination in self.combinations():
            best, label = 0.0, ARGMAX_ORDER[0]
            for y in ARGMAX_ORDER:
                p = self.share(mixed, combination, y)
                if p > best:
                    best, label = p, y
            argmax["".join(combination)] = label
        hits = 0
        for i in range(len(self.test)):
            key = "".join(self.g[c] if c in self.g else self.test.iloc[i, j] for j, c in enumerate(self.features))
            hits += argmax[key] == self.target
        return hits / self.n_test

    def run(self) -> tuple[float, float]:
        """(success, lower bound), the steps of their notebook for one n."""
        self.compute_delta(self.collective)
        self.compute_proba(self.collective)
        return self.success(), self.lower_bound()
