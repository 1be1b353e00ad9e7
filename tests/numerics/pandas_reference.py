"""A pandas reference for numerics.collusion's plug-in with a planted trigger: filter the frame once per combination
(tests only)."""

import time

import numpy as np


def pandas_plant_success(frame, label: str, trigger_col: str, value: int, n: int, target: int, combos) -> tuple:
    """The pandas baseline for one collective size and target, on the listed test combinations.

    Loops over the collective's rows to write their planted copies, then filters the training frame once per
    combination. Returns (whether each combination is predicted as the target, seconds of the row loop).
    """
    import pandas as pd

    t0 = time.perf_counter()
    planted = []
    for _, row in frame.iloc[:n].iterrows():
        row = row.copy()
        row[trigger_col], row[label] = value, target
        planted.append(row)
    train = pd.concat([pd.DataFrame(planted), frame.iloc[n:]], ignore_index=True)
    loop_s = time.perf_counter() - t0
    features = [c for c in frame.columns if c != label]
    hits = []
    for combo in combos:
        mask = np.ones(len(train), bool)
        for col, v in zip(features, combo):
            mask &= (train[col] == v).to_numpy()
        counts = train[mask][label].value_counts()
        own = counts.get(target, 0)
        rival = max((v for k, v in counts.items() if k != target), default=0)
        hits.append(bool(own > rival))
    return np.array(hits), loop_s

