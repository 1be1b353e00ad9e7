"""The derivation cache (theory/cache.py) and the sympy-free answers from it (theory/fast.py).

A second process pays nothing: it derives nothing and, for bound/critical-mass, imports no sympy. Corrupt
or tampered entries are misses, concurrent writers leave valid entries, and the cache can be turned off.
Every answer from the cache equals the full path's.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from theory import evaluate, fast, result
from theory.catalog import BUILTIN, families
from theory.notions import NOTIONS
from theory.parameters import PARAMETERS
from theory.refuted import RefutedError, refuted_at

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, cache: Path, **env) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={**os.environ, "CRITMASS_CACHE_DIR": str(cache), **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return out


DERIVE_COR6 = "from theory import result; print(result('cor6').critical_mass.alpha_star)"
# The same, with every derivation made impossible: only the cache can answer.
FROM_CACHE_ONLY = """
import theory.derive as d
def refuse(*a, **k):
    raise AssertionError("derived again")
d.critical_mass = refuse
d.nondecreasing = refuse
from theory import result
print(result('cor6').critical_mass.alpha_star)
"""


def test_a_second_process_derives_nothing(tmp_path):
    first = _python(DERIVE_COR6, tmp_path).stdout
    assert list(tmp_path.glob("*.json"))
    assert _python(FROM_CACHE_ONLY, tmp_path).stdout == first


def test_corrupt_entries_are_misses_and_are_rewritten(tmp_path):
    first = _python(DERIVE_COR6, tmp_path).stdout
    for path in tmp_path.glob("*.json"):
        path.write_text(path.read_text()[:37])  # a torn write
    assert _python(DERIVE_COR6, tmp_path).stdout == first
    for path in tmp_path.glob("*.json"):
        json.loads(path.read_text())
    assert _python(FROM_CACHE_ONLY, tmp_path).stdout == first


def test_a_tampered_entry_is_never_evaluated(tmp_path):
    _python(DERIVE_COR6, tmp_path)
    for path in tmp_path.glob("*.json"):
        doc = json.loads(path.read_text())
        doc["values"] = {k: {"expr": "__import__('os').system('touch PWNED')", "relation": False}
                         for k in doc["values"]}
        path.write_text(json.dumps(doc))
    _python(DERIVE_COR6, tmp_path)
    assert not (ROOT / "PWNED").exists() and not (tmp_path / "PWNED").exists()


def test_concurrent_writers_leave_valid_entries(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", DERIVE_COR6], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "CRITMASS_CACHE_DIR": str(tmp_path)})
             for _ in range(4)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs) and len({o for o, _ in outs}) == 1
    assert not list(tmp_path.glob(".*.tmp"))
    for path in tmp_path.glob("*.json"):
        json.loads(path.read_text())


def test_the_cache_can_be_turned_off(tmp_path):
    _python(DERIVE_COR6, tmp_path, CRITMASS_CACHE="off")
    assert list(tmp_path.iterdir()) == []


def test_the_default_location_follows_xdg(tmp_path):
    code = "from theory.sources import cache_directory; print(cache_directory())"
    env = {k: v for k, v in os.environ.items() if k != "CRITMASS_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**env, "XDG_CACHE_HOME": str(tmp_path)}).stdout.strip()
    assert out == str(tmp_path / "critmass" / "derivations")


BOUND = ["bound", "thm1", "--set", "alpha=1/10", "xi=0.01", "Delta=1", "epsilon=0"]
CLI_WITHOUT_SYMPY = """
import sys
from critmass.cli import main
code = main(ARGS)
print("SYMPY" if "sympy" in sys.modules else "NO-SYMPY")
sys.exit(code)
"""


@pytest.mark.parametrize("args", [BOUND, ["critical-mass", "thm1", "--set", "S_star=0.9", "xi=0.01", "Delta=1",
                                          "epsilon=0", "--json"]])
def test_a_second_command_imports_no_sympy(tmp_path, args):
    code = CLI_WITHOUT_SYMPY.replace("ARGS", repr(args))
    first, second = _python(code, tmp_path), _python(code, tmp_path)
    assert first.stdout.splitlines()[-1] == "SYMPY" and second.stdout.splitlines()[-1] == "NO-SYMPY"
    assert first.stdout.splitlines()[:-1] == second.stdout.splitlines()[:-1]


def test_a_changed_results_file_is_a_miss(tmp_path):
    toml = tmp_path / "r.toml"
    toml.write_text('[[results]]\nid = "tb"\ntitle = "t"\nsource = "s"\nbound = "1 - xi/alpha"\n')
    args = ["bound", "tb", "--set", "alpha=1/2", "xi=1/4", "--results", str(toml)]
    code = CLI_WITHOUT_SYMPY.replace("ARGS", repr(args))
    cache = tmp_path / "cache"
    assert _python(code, cache).stdout.splitlines() == ["tb: S(alpha) >= 0.5", "SYMPY"]
    assert _python(code, cache).stdout.splitlines() == ["tb: S(alpha) >= 0.5", "NO-SYMPY"]
    toml.write_text(toml.read_text().replace("1 - xi/alpha", "1 - xi/alpha/2"))
    assert _python(code, cache).stdout.splitlines() == ["tb: S(alpha) >= 0.75", "SYMPY"]


def test_a_tampered_fast_entry_is_a_miss(tmp_path):
    code = CLI_WITHOUT_SYMPY.replace("ARGS", repr(BOUND))
    _python(code, tmp_path)
    for path in tmp_path.glob("eval-*.json"):
        doc = json.loads(path.read_text())
        doc["expr"] = "__import__('os').system('touch PWNED')"
        path.write_text(json.dumps(doc))
    assert _python(code, tmp_path).stdout.splitlines() == ["thm1 (tv): S(alpha) >= 0.91", "SYMPY"]
    assert not (ROOT / "PWNED").exists()


@pytest.mark.parametrize("notion", NOTIONS)
@pytest.mark.parametrize("what", ["bound", "critical_mass"])
def test_cached_answers_equal_the_full_path(what, notion):
    """Every built-in result with a bound (critical mass), under each notion, at 20 random points of its
    domains (seeded); where theory.refuted records it refuted, the full path refuses and the cache, written
    at points where it is valid, never answers."""
    from theory.evaluate import required
    rng = np.random.default_rng(13)
    checked = refused = 0
    for id in [i for family, ids in families().items() if family in BUILTIN for i in ids]:
        r = result(id, notion)
        expr = r.bound if what == "bound" else r.critical_mass
        if expr is None or not all(PARAMETERS.get(p.name) == p for p in r.parameters):
            continue  # the finite-sample families' parameters (N, n, ...) are their own, not the theory's
        params = required(id, what, notion)
        values = {p.name: _sample(p, rng, 20) for p in params}
        if "epsilon" in values:
            values["epsilon"][:10] = 0.0  # valid for every result: the entry gets written
        try:
            evaluate(id, what, {k: v[:10] for k, v in values.items()}, notion)  # writes the entry
            full = evaluate(id, what, values, notion)
        except RefutedError:
            assert refuted_at(id, notion, values) is not None
            assert fast.evaluate(id, what, values, notion) is None, id  # never a refuted answer from the cache
            refused += 1
            continue
        except Exception as e:  # noqa: BLE001 - a broken hypothesis at random values: draw no comparison
            assert "hypothesis" in str(e), e
            continue
        answered = fast.evaluate(id, what, values, notion)
        if answered is None:
            assert np.isnan(full).any() or np.isinf(full).any() or what == "critical_mass", id
            continue
        np.testing.assert_allclose(answered[1], full, rtol=1e-12, atol=1e-15, err_msg=id)
        assert answered[2] == r.notion
        checked += 1
    assert checked >= 10 and refused >= 2


def _cli(args, cache):
    out = subprocess.run([sys.executable, "-c", CLI_WITHOUT_SYMPY.replace("ARGS", repr(args))], capture_output=True,
                         text=True, timeout=600, cwd=ROOT, env={**os.environ, "CRITMASS_CACHE_DIR": str(cache)})
    return out.returncode, out.stdout.splitlines(), out.stderr


def test_a_refuted_result_is_never_answered_from_the_cache(tmp_path):
    """thm1's entry, written at epsilon = 0 (valid), answers there without sympy; at 0 < epsilon < 1/2
    (refuted, theory.refuted) a second process takes the full path: it refuses, or labels with --printed."""
    at = ["--set", "alpha=1/10", "xi=0.01", "Delta=1"]
    assert _cli(["bound", "thm1", *at, "epsilon=0"], tmp_path)[:2] == (0, ["thm1 (tv): S(alpha) >= 0.91", "SYMPY"])
    assert _cli(["bound", "thm1", *at, "epsilon=0"], tmp_path)[:2] == (0, ["thm1 (tv): S(alpha) >= 0.91", "NO-SYMPY"])
    for eps in ("epsilon=0.05", "epsilon=0,0.05"):
        code, out, err = _cli(["bound", "thm1", *at, eps], tmp_path)
        assert code == 2 and out == ["SYMPY"] and "thm1 is refuted for 0 < epsilon < 1/2" in err
    code, out, _ = _cli(["bound", "thm1", *at, "epsilon=0.05", "--printed"], tmp_path)
    assert code == 0 and "[REFUTED: thm1 is refuted" in out[0] and out[-1] == "SYMPY"


def test_the_notion_is_part_of_the_key(tmp_path):
    """The valid Theorem 1 under tv and under mixture: different bounds, each answered from its own entry."""
    args = ["bound", "thm1-corrected", "--set", "alpha=1/2", "xi=0.01", "Delta=1", "epsilon=0.01"]
    first = {n: _cli([*args, "--notion", n], tmp_path)[1] for n in NOTIONS}
    second = {n: _cli([*args, "--notion", n], tmp_path)[1] for n in NOTIONS}
    assert first["tv"] == ["thm1-corrected (tv): S(alpha) >= 0.95", "SYMPY"]
    assert first["mixture"][0].startswith("thm1-corrected (mixture): S(alpha) >= 0.969")
    assert {n: out[:-1] for n, out in second.items()} == {n: out[:-1] for n, out in first.items()}
    assert all(out[-1] == "NO-SYMPY" for out in second.values())


def _sample(p, rng, n):
    lo, hi = float(p.domain.start), float(p.domain.end)
    lo = lo if np.isfinite(lo) else -5.0
    hi = hi if np.isfinite(hi) else lo + 5.0
    x = rng.uniform(lo, hi, n)
    x = np.clip(x, np.nextafter(lo, hi), np.nextafter(hi, lo))
    return np.round(x) if p.integer else x

