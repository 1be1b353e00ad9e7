"""docs/numerics.md names only files, tests and functions that exist."""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "docs" / "numerics.md").read_text()


def test_named_files_exist():
    paths = set(re.findall(r"\b((?:numerics|tests|theory|docs)/[\w/]+\.(?:py|md))", TEXT))
    assert paths and [p for p in paths if not (ROOT / p).exists()] == []


def test_named_tests_exist():
    names = set(re.findall(r"`(test_\w+)`", TEXT))
    source = "".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert names and [n for n in names if f"def {n}(" not in source] == []


def test_named_functions_exist():
    dotted = set(re.findall(r"`(numerics\.\w+\.\w+)", TEXT))
    missing = [d for d in dotted if not hasattr(importlib.import_module(d.rsplit(".", 1)[0]), d.rsplit(".", 1)[1])]
    assert dotted and missing == []
    exact = importlib.import_module("numerics.exact")
    for name in ("success_grid", "success_intervals", "random_block", "random_summary", "BLOCK", "success_one"):
        assert f"`{name}`" in TEXT and hasattr(exact, name)


def test_the_finite_bounds_table_is_what_simulate_gives():
    import numpy as np

    from numerics.bench_runs import _instance
    from numerics.bounds import binomial_bound, gbj_bound
    from numerics.finite import simulate

    section = TEXT[TEXT.index("### On simulations"):]
    assert "500 seeds of root seed 0" in section.splitlines()[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if re.match(r"\| \d+ \(", line)]
    claim = re.search(r"binomial bound needs n = (\d+), GBJ n = (\d+): \*\*([\d.]+)x smaller\*\*", section)
    ours_n, gbj_n = int(claim.group(1)), int(claim.group(2))
    ns = [int(r[0].split()[0]) for r in rows]
    grid = sorted(set(ns) | {ours_n - 1, ours_n, gbj_n - 1, gbj_n})
    inst, n_samples = _instance(), 20_000
    out = simulate(inst, [n / n_samples for n in grid], n_samples, n_samples, 500, seed=0)
    assert out["n"].tolist() == grid
    median = {}
    for i, n in enumerate(grid):
        s = out["success_test"][i]
        for name, fn in (("gbj", gbj_bound), ("binomial", binomial_bound)):
            b = fn(out["c"][i], out["m"][i], n, n_samples, n_samples, inst.target, 1, 0.05)
            median[name, n] = float(np.median(b))
            if n in ns:
                r = rows[ns.index(n)]
                assert r[0] == f"{n} ({n / n_samples:g})"
                col = 1 if name == "gbj" else 2
                assert r[col] == f"{median[name, n]:.3f}".replace("0.000", "0") and r[col + 2] == \
                    f"{100 * np.mean(s >= b):.0f}%", (n, name, r)
    for name, n in (("binomial", ours_n), ("gbj", gbj_n)):  # the smallest n whose median bound reaches 0.95
        assert median[name, n] >= 0.95 > median[name, n - 1], (name, n)
    assert claim.group(3) == f"{gbj_n / ours_n:.1f}"
