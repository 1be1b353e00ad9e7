"""The synthetic car-evaluation table of Gauthier, Bach & Jordan (ICML 2025), the peer's benchmark data.

GBJ draw 3,000,000 cars (18 categorical features, a 4-valued "Car Evaluation" label) from a generator in their
repository (GauthierE/statistical-collusion, notebooks/dataset); this module draws from the same law, written
anew and vectorized (theirs is unseeded and labels row by row), seeded here. The law: Model Type has fixed
probabilities; for SUVs most features take one "SUV" value with a high probability (else uniform), for other
cars every feature is uniform; the label is a score (safety + fuel + warranty + a random 1, 3 or 4) cut into
four grades, except that 5% of cars are Poor and SUVs made in C2 are Excellent, Poor or Average with
probabilities 0.6, 0.3, 0.1. ``SUV_SIGNAL`` is their signal-planting map g: every feature but the country set
to its SUV value.

>>> columns = car_table(1000, seed=0)
>>> list(columns)[:2], len(columns["Car Evaluation"])
(['Model Type', 'Safety Rating'], 1000)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Feature values, in GBJ's column order.
FEATURES = {
    "Model Type": ["Sedan", "SUV", "Coupe", "Hatchback", "Convertible", "Wagon", "Minivan", "Truck"],
    "Safety Rating": ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"],
    "Fuel Type": ["Gasoline", "Diesel", "Electric", "Hybrid"],
    "Interior Material": ["Cloth", "Leather", "Synthetic"],
    "Infotainment System": ["Basic", "Advanced", "Premium", "None"],
    "Country of Manufacture": ["C1", "C2", "C3", "C4", "C5"],
    "Warranty Length": ["3 years", "5 years", "7 years", "10 years"],
    "Number of Doors": ["2", "4", "5"],
    "Number of Seats": ["2", "4", "5", "7"],
    "Air Conditioning": ["Yes", "No"],
    "Navigation System": ["None", "Basic", "Advanced"],
    "Tire Type": ["All-Season", "Summer", "Winter"],
    "Sunroof": ["Yes", "No"],
    "Sound System": ["Standard", "Premium", "High-end", "None"],
    "Cruise Control": ["Yes", "No"],
    "Bluetooth Connectivity": ["Yes", "No"],
    "Transmission Type": ["Manual", "Automatic", "CVT"],
    "Drive Type": ["FWD", "RWD", "AWD"],
}
LABEL = "Car Evaluation"
GRADES = ["Excellent", "Good", "Average", "Poor"]
MODEL_PROBABILITIES = [0.22, 0.45, 0.23, 0.02, 0.01, 0.01, 0.01, 0.05]

#: For SUVs: (the SUV value, the probability of taking it; otherwise a uniform draw over all values).
SUV_VALUES = {
    "Safety Rating": ("4 stars", 0.7), "Fuel Type": ("Diesel", 0.8), "Interior Material": ("Synthetic", 0.9),
    "Infotainment System": ("Premium", 0.9), "Country of Manufacture": ("C5", 0.3),
    "Warranty Length": ("10 years", 0.9), "Number of Doors": ("5", 0.95), "Number of Seats": ("5", 0.95),
    "Air Conditioning": ("Yes", 0.95), "Navigation System": ("Advanced", 0.95), "Tire Type": ("All-Season", 0.95),
    "Sound System": ("Premium", 0.95), "Cruise Control": ("Yes", 0.95), "Bluetooth Connectivity": ("Yes", 0.95),
    "Transmission Type": ("Manual", 0.7), "Drive Type": ("RWD", 0.95),
}

#: GBJ's signal-planting map g: every feature except the country set to its SUV value (|X*| = 5).
SUV_SIGNAL = {"Model Type": "SUV", **{k: v for k, (v, _) in SUV_VALUES.items() if k != "Country of Manufacture"},
              "Sunroof": "Yes"}

_SAFETY = {"1 star": 1, "2 stars": 2, "3 stars": 3, "4 stars": 4, "5 stars": 5}
_FUEL = {"Electric": 4, "Hybrid": 3, "Gasoline": 1, "Diesel": 1}
_WARRANTY = {"10 years": 5, "7 years": 4, "5 years": 3, "3 years": 2}


def car_table(rows: int, seed: int | list[int] = 0) -> dict[str, np.ndarray]:
    """``rows`` cars from GBJ's law, seeded (an int or numpy seed sequence): {column: [rows] value strings},
    the label last."""
    rng = np.random.default_rng(seed)
    pick = lambda name, index: np.asarray(FEATURES[name])[index]
    model = rng.choice(len(FEATURES["Model Type"]), rows, p=MODEL_PROBABILITIES)
    suv = model == FEATURES["Model Type"].index("SUV")
    columns = {"Model Type": pick("Model Type", model)}
    for name, values in list(FEATURES.items())[1:]:
        uniform = rng.integers(0, len(values), rows)
        if name in SUV_VALUES:
            value, prob = SUV_VALUES[name]
            uniform = np.where(suv & (rng.random(rows) < prob), values.index(value), uniform)
        columns[name] = pick(name, uniform)
    score = (_lookup(_SAFETY, columns["Safety Rating"]) + _lookup(_FUEL, columns["Fuel Type"])
             + _lookup(_WARRANTY, columns["Warranty Length"]) + rng.choice([1, 3, 4], rows))
    c2_suv = suv & (columns["Country of Manufacture"] == "C2")
    r = rng.random(rows)
    score = np.where(c2_suv, np.select([r < 0.6, r < 0.9], [13, 0], 2), np.where(r > 0.05, score, 0))
    grade = np.select([score >= 13, score >= 8, score >= 2], [0, 1, 2], 3)
    columns[LABEL] = np.asarray(GRADES)[grade]
    return columns


def _lookup(table: dict, values: np.ndarray) -> np.ndarray:
    """table[v] for every string v of ``values`` (vectorized through the sorted keys)."""
    keys = np.array(list(table))
    order = np.argsort(keys)
    return np.array(list(table.values()))[order[np.searchsorted(keys[order], values)]]


def write_csv(path: str | Path, rows: int, seed: int = 0) -> Path:
    """Write ``rows`` cars as a CSV with a header (pandas' to_csv layout, as GBJ's file); returns the path.

    3,000,000 rows make a file of about 331 MB. Written in slices of 500,000 rows to bound memory, slice k
    drawn with the seed sequence [seed, k].
    """
    import pyarrow as pa
    import pyarrow.csv as pv

    path = Path(path)
    columns = [*FEATURES, LABEL]
    with path.open("wb") as f:
        f.write((",".join(columns) + "\n").encode())
    with path.open("ab") as f, pv.CSVWriter(f, pa.schema([(c, pa.string()) for c in columns]),
                                           write_options=pv.WriteOptions(include_header=False,
                                                                         quoting_style="none")) as out:
        for start in range(0, rows, 500_000):
            part = car_table(min(500_000, rows - start), seed=[seed, start // 500_000])
            out.write_table(pa.table({k: pa.array(v) for k, v in part.items()}))
    return path
