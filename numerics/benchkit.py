"""The harness of ``critmass bench``: a benchmark line is a small function that returns measured sides.

A line builds its inputs once, hands ``compare`` one zero-argument callable per side (ours and each baseline,
all on identical inputs) and a check of their outputs. ``compare`` calls every side once on its own (the first
call: compilation and cold caches, reported on its own), checks the outputs (a mismatch stops the benchmark),
then times ``repeats`` rounds in which every side runs once in turn (interleaved, so a change of load hits all
sides alike), and reports min and median per side and the ratios baseline / ours. A side may return
``Parts(output, {part: seconds})`` to report the parts of one call too (e.g. each collective size of a sweep).

Memory-bounded runs and compile-cache runs go in child processes (``child_run``): a child's peak resident
memory is its own. ``machine`` measures the memory bandwidth and float64 flop rate that the physical limit of
each kernel is stated against. The JSON document of a run follows ``SCHEMA``; ``render`` turns it into
docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

SCHEMA_VERSION = 1
GIB = 1 << 30


class Parts(NamedTuple):
    """What a side returns when it also times parts of its call: the output and {part: seconds}."""

    output: Any
    seconds: dict[str, float]


def _ready(value):
    """Wait for asynchronous JAX results (a JAX call returns before it finishes). Only the JAX arrays among the
    output's leaves are waited on: ``jax.block_until_ready`` on a whole output of thousands of Python values
    (the instance checks' Fractions) costs milliseconds of the timed call, on that side only."""
    try:
        import jax
    except ImportError:  # pragma: no cover - JAX is a dependency
        return value
    arrays = [leaf for leaf in jax.tree_util.tree_leaves(value) if isinstance(leaf, jax.Array)]
    if arrays:
        jax.block_until_ready(arrays)
    return value


def _call(fn: Callable[[], Any]) -> tuple[Any, float, dict[str, float]]:
    start = time.perf_counter()
    out = _ready(fn())
    seconds = time.perf_counter() - start
    if isinstance(out, Parts):
        return out.output, seconds, dict(out.seconds)
    return out, seconds, {}


def _stats(times: list[float]) -> dict:
    return {"min_s": min(times), "median_s": statistics.median(times), "times_s": times}


def compare(name: str, size: str, sides: dict[str, Callable[[], Any]], ours: str,
            check: Callable[[dict[str, Any]], str], repeats: int = 3, against: dict[str, str] | None = None,
            **extra) -> dict:
    """One benchmark row: every side of ``sides`` (label -> callable) timed as the module docstring says.

    ``ours`` names our side (other labels starting with ``ours`` are ours too: e.g. one call per n as well as
    one call for all); ``against`` {baseline label: ours label} pairs a baseline with another of our sides for
    its whole-call ratio (a baseline run one call per n against ours run the same way), else ``ours``;
    ``check`` receives {label: output of the first call}, raises AssertionError when they differ and returns a
    one-line description of what was compared. ``extra`` fields go into the row.
    """
    if repeats < 3:
        raise ValueError(f"repeats = {repeats}: at least 3 timed calls per side")
    outputs, first, parts = {}, {}, {label: {} for label in sides}
    for label, fn in sides.items():
        outputs[label], first[label], _ = _call(fn)
    verdict = check(outputs)
    times = {label: [] for label in sides}
    for _ in range(repeats):
        for label, fn in sides.items():
            _, seconds, part = _call(fn)
            times[label].append(seconds)
            for k, v in part.items():
                parts[label].setdefault(k, []).append(v)
    rows = []
    for label in sides:
        side = {"label": label, "role": "ours" if label.startswith("ours") else "baseline",
                "first_s": first[label], **_stats(times[label])}
        if parts[label]:
            side["parts"] = {k: _stats(v) for k, v in parts[label].items()}
        rows.append(side)
    return {"kind": "ratio", "name": name, "size": size, "sides": rows, "ratios": ratios(rows, ours, against),
            "check": verdict, "device": device(), **extra}


def ratios(sides: list[dict], ours: str, against: dict[str, str] | None = None) -> list[dict]:
    """baseline / ours for every baseline side, on whole calls (against ``against``'s side for that baseline,
    else ``ours``), and part by part where both sides have parts."""
    by = {s["label"]: s for s in sides}
    against = against or {}
    unknown = {k: v for k, v in against.items() if k not in by or v not in by or by[v]["role"] != "ours"}
    if unknown:
        raise ValueError(f"against {unknown}: expected baseline labels paired with labels of our sides")
    out = []
    for s in sides:
        if s["role"] != "baseline":
            continue
        mine = by[against.get(s["label"], ours)]
        out.append({"baseline": s["label"], "ours": mine["label"], "part": None,
                    "ratio_min": s["min_s"] / mine["min_s"], "ratio_median": s["median_s"] / mine["median_s"]})
        for o in sides:
            if o["role"] == "ours" and s.get("parts") and o.get("parts"):
                for part in s["parts"]:
                    if part in o["parts"]:
                        b, a = s["parts"][part], o["parts"][part]
                        out.append({"baseline": s["label"], "ours": o["label"], "part": part,
                                    "ratio_min": b["min_s"] / a["min_s"],
                                    "ratio_median": b["median_s"] / a["median_s"]})
    return out


def device() -> str:
    import jax

    d = jax.devices()[0]
    return f"{d.platform}:{getattr(d, 'device_kind', d.platform)} x{jax.device_count()}"


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far: VmHWM of /proc/self/status on Linux (getrusage's ru_maxrss
    keeps the parent's peak across fork and exec, so a child would report at least its parent's)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_run(module: str, args: list[str], env: dict | None = None, timeout: int = 1800) -> dict:
    """Run ``python -m module args`` in a fresh process; it prints one JSON object as its last line (with
    its own ``peak_rss_bytes``). ``env`` adds variables; with it, inherited JAX_* variables are dropped (the
    child sets its own compilation cache). A failure raises RuntimeError with the child's last lines."""
    base = {k: v for k, v in os.environ.items() if not (env and k.startswith("JAX_"))}
    run = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout,
                         env={**base, **(env or {})})
    if run.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} failed: {run.stderr[-1500:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def machine(quick: bool = False) -> dict:
    """This machine, its load, and the two rates kernels are held against (best of 3 runs each): memory
    bandwidth (a jitted float64 copy-and-add over arrays far larger than the caches: bytes read + written per
    second) and the float64 flop rate (a jitted matmul)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    with jax.enable_x64(True):
        n = (1 << 22) if quick else (1 << 26)                                  # 32 MB or 512 MB per array
        x = jnp.ones(n, jnp.float64)
        add = jax.jit(lambda v: v + 1.0)
        add(x).block_until_ready()
        bw = max(2 * 8 * n / _seconds(lambda: add(x).block_until_ready()) for _ in range(3))
        k = 1024 if quick else 2048
        a = jnp.asarray(np.random.default_rng(0).random((k, k)))
        mm = jax.jit(lambda u: u @ u)
        mm(a).block_until_ready()
        flops = max(2 * k**3 / _seconds(lambda: mm(a).block_until_ready()) for _ in range(3))
    return {"platform": platform.platform(), "processor": _cpu_name(), "cores": os.cpu_count(),
            "python": platform.python_version(), "jax": jax.__version__, "device": device(),
            "load_average": list(os.getloadavg()), "memory_bandwidth_Bps": bw, "flops_f64": flops}


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def limit(bytes_moved: float, flops: float, mach: dict, ours_s: float) -> dict:
    """The physical limit of one run: the time the bytes it must move and the flops it must do take at the
    measured rates (the larger of the two), and the fraction of that limit our measured time reaches."""
    bound = max(bytes_moved / mach["memory_bandwidth_Bps"], flops / mach["flops_f64"])
    return {"bytes": bytes_moved, "flops": flops, "bound_s": bound, "fraction": bound / ours_s}


def legacy(row: dict) -> dict:
    """A row from a module that times itself (``ours_s``, ``baseline_s``): kept, marked as not following
    this harness's protocol (gpu/bench.py times the best of a few calls after a warm-up, not interleaved)."""
    if row.get("kind"):
        return row
    if row.get("baseline_s") is None:
        return {"kind": "timing", "name": row["name"], "seconds": row["ours_s"], "device": row.get("device"),
                **{k: v for k, v in row.items() if k not in ("name", "ours_s", "baseline_s", "ratio", "device",
                                                           "baseline")}}
    return {"kind": "legacy", **row}


#: The JSON document of one ``critmass bench --json`` run.
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "quick", "command", "machine", "rows"],
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "quick": {"type": "boolean"},
        "command": {"type": "string"},
        "started": {"type": "string"},
        "machine": {"type": "object", "required": ["cores", "load_average", "memory_bandwidth_Bps", "flops_f64"]},
        "load_average_after": {"type": "array"},
        "others": {"type": "object", "required": ["wall_s", "others_cores", "steal_cores"],
                   "properties": {"wall_s": {"$ref": "#/$defs/seconds"},
                                  "others_cores": {"type": "number", "minimum": 0},
                                  "steal_cores": {"type": "number", "minimum": 0}}},
        "rows": {"type": "array", "items": {"oneOf": [
            {"$ref": "#/$defs/ratio"}, {"$ref": "#/$defs/scale"}, {"$ref": "#/$defs/compile"},
            {"$ref": "#/$defs/legacy"}, {"$ref": "#/$defs/timing"}]}},
    },
    "$defs": {
        "seconds": {"type": "number", "exclusiveMinimum": 0},
        "stats": {"type": "object", "required": ["min_s", "median_s", "times_s"],
                  "properties": {"min_s": {"$ref": "#/$defs/seconds"}, "median_s": {"$ref": "#/$defs/seconds"},
                                 "times_s": {"type": "array", "minItems": 3, "items": {"$ref": "#/$defs/seconds"}}}},
        "side": {"allOf": [{"$ref": "#/$defs/stats"}, {
            "type": "object", "required": ["label", "role", "first_s"],
            "properties": {"label": {"type": "string"}, "role": {"enum": ["ours", "baseline"]},
                           "first_s": {"$ref": "#/$defs/seconds"},
                           "parts": {"type": "object", "additionalProperties": {"$ref": "#/$defs/stats"}}}}]},
        "ratio": {"type": "object", "required": ["kind", "name", "size", "sides", "ratios", "check", "device"],
                  "properties": {
                      "kind": {"const": "ratio"}, "name": {"type": "string"}, "size": {"type": "string"},
                      "check": {"type": "string", "minLength": 1}, "device": {"type": "string"},
                      "sides": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/side"},
                                "contains": {"properties": {"role": {"const": "baseline"}}}},
                      "ratios": {"type": "array", "minItems": 1, "items": {
                          "type": "object", "required": ["baseline", "ours", "ratio_min", "ratio_median"],
                          "properties": {"ratio_min": {"type": "number", "exclusiveMinimum": 0},
                                         "ratio_median": {"type": "number", "exclusiveMinimum": 0}}}},
                      "limit": {"type": "object", "required": ["bytes", "flops", "bound_s", "fraction"]}}},
        "scale": {"type": "object", "required": ["kind", "name", "size", "seconds", "peak_rss_bytes", "limit_bytes"],
                  "properties": {"kind": {"const": "scale"}, "seconds": {"$ref": "#/$defs/seconds"},
                                 "peak_rss_bytes": {"type": "integer", "minimum": 1},
                                 "limit_bytes": {"type": "integer", "minimum": 1},
                                 "limit_s": {"type": ["number", "null"]}}},
        "compile": {"type": "object", "required": ["kind", "name", "first_process_s", "second_process_s",
                                                    "again_s", "second_process_misses"],
                    "properties": {"kind": {"const": "compile"}, "first_process_s": {"$ref": "#/$defs/seconds"},
                                   "second_process_s": {"$ref": "#/$defs/seconds"},
                                   "again_s": {"$ref": "#/$defs/seconds"},
                                   "second_process_misses": {"type": "integer", "minimum": 0}}},
        "legacy": {"type": "object", "required": ["kind", "name", "baseline", "ours_s", "baseline_s", "ratio"],
                   "properties": {"kind": {"const": "legacy"}, "baseline": {"type": "string"},
                                  "ours_s": {"$ref": "#/$defs/seconds"}, "baseline_s": {"$ref": "#/$defs/seconds"},
                                  "ratio": {"type": "number"}}},
        "timing": {"type": "object", "required": ["kind", "name", "seconds"],
                   "properties": {"kind": {"const": "timing"}, "seconds": {"$ref": "#/$defs/seconds"}}},
    },
}


def validate(doc: dict) -> None:
    """Raise jsonschema.ValidationError unless ``doc`` follows SCHEMA."""
    import jsonschema

    jsonschema.validate(doc, SCHEMA)


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


#: Other processes' mean CPU use (in cores) above which a run is said to have shared its machine.
SHARED_CORES = 0.25


def cpu_seconds() -> dict | None:
    """CPU seconds used so far by the whole machine (``busy_s``: user, nice, system, irq and softirq time of
    every core in /proc/stat; ``steal_s``: time the hypervisor gave the cores to others) and by this process
    with its waited-for children (``own_s``: os.times), read at one instant; None where /proc/stat is missing
    (not Linux). Two readings bracket a run: busy minus own is what other processes used meanwhile, which the
    load average cannot tell apart from the run's own threads and child processes."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    t = os.times()
    return {"busy_s": (user + nice + system + irq + softirq) / tick, "steal_s": steal / tick,
            "own_s": t.user + t.system + t.children_user + t.children_system, "wall_s": time.monotonic()}


def others_use(start: dict | None, end: dict | None) -> dict | None:
    """What other processes used between two ``cpu_seconds`` readings: {wall_s, others_cores (their CPU time
    over the wall time, in cores; 0 when they used less than the clock's resolution), steal_cores}."""
    if not start or not end:
        return None
    wall = max(end["wall_s"] - start["wall_s"], 1e-9)
    others = (end["busy_s"] - start["busy_s"]) - (end["own_s"] - start["own_s"])
    return {"wall_s": wall, "others_cores": max(others, 0.0) / wall,
            "steal_cores": (end["steal_s"] - start["steal_s"]) / wall}


def loaded(doc: dict) -> bool:
    """Whether the run shared its machine: other processes used more than ``SHARED_CORES`` cores on average
    over the run (``others``, from ``others_use``). A run recorded without that reading falls back to the load
    average, above half the cores at its start or end (which counts the run's own threads as well)."""
    if doc.get("others"):
        return doc["others"]["others_cores"] > SHARED_CORES
    cores = doc["machine"]["cores"] or 1
    return max(doc["machine"]["load_average"][0], (doc.get("load_average_after") or [0])[0]) > cores / 2


def _sharing(doc: dict) -> list[str]:
    """The line of docs/benchmarks.md that says whether the run had the machine to itself."""
    m, o = doc["machine"], doc.get("others")
    if o:
        use = (f"other processes used {o['others_cores']:.2f} cores on average over the run's "
               f"{o['wall_s']:.0f} s (the machine's busy CPU time minus the run's own, /proc/stat and os.times; "
               f"hypervisor steal {o['steal_cores']:.2f} cores)")
        if loaded(doc):
            return [f"**Taken on a shared machine: {use}, more than {SHARED_CORES} cores. The absolute times and "
                    "the ratios are noisy; to be re-measured in a quiet run.**", ""]
        return [f"The machine was quiet: {use}.", ""]
    if loaded(doc):
        return [f"**Taken on a shared machine (load average {m['load_average'][0]:.1f} at the start, "
                f"{(doc.get('load_average_after') or [float('nan')])[0]:.1f} at the end, on {m['cores']} cores): "
                "the absolute times and the ratios are noisy; to be re-measured in a quiet run.**", ""]
    return []


def render(doc: dict) -> str:
    """docs/benchmarks.md from one run's JSON document (every figure in it comes from the document)."""
    m = doc["machine"]
    out = ["# Benchmarks", "",
           f"Generated by `{doc['command']}` from one run ({doc.get('started', 'time not recorded')}); every "
           "figure below is in `docs/benchmarks.json`, which a test checks against this file and its schema. "
           "Do not edit by hand: rerun the command.", ""]
    if doc["quick"]:
        out += ["**A quick run (reduced sizes, `--quick`): these are not the full-size figures.**", ""]
    out += _sharing(doc)
    out += [f"Machine: {m['processor']}, {m['cores']} cores, {m['platform']}; Python {m['python']}, JAX {m['jax']}, "
            f"device {m['device']}. Measured rates (best of 3): memory bandwidth {_bytes(m['memory_bandwidth_Bps'])}/s "
            f"(a jitted float64 copy-and-add, bytes read + written), float64 {m['flops_f64'] / 1e9:.3g} GFLOP/s "
            "(a jitted matmul).", "",
            PROTOCOL, ""]
    rows = doc["rows"]
    ratio_rows = [r for r in rows if r["kind"] == "ratio"]
    if ratio_rows:
        out += ["## Speed ratios", "",
                "| line | size | side | min | median | first call | ratio min (median) |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in ratio_rows:
            whole = {x["baseline"]: x for x in r["ratios"] if x["part"] is None}
            main = next(s["label"] for s in r["sides"] if s["role"] == "ours")
            for i, s in enumerate(r["sides"]):
                ratio = whole.get(s["label"])
                cell = f"**{ratio['ratio_min']:.3g}x** ({ratio['ratio_median']:.3g}x)" if ratio else ""
                if ratio and ratio["ours"] != main:
                    cell += f" vs {ratio['ours']}"
                out.append(f"| {r['name'] if i == 0 else ''} | {r['size'] if i == 0 else ''} | {s['label']} | "
                           f"{_s(s['min_s'])} | {_s(s['median_s'])} | {_s(s['first_s'])} | {cell} |")
        out += ["", "What each line checked before its timings counted:", ""]
        out += [f"- {r['name']}: {r['check']}" for r in ratio_rows]
        parts = [(r, x) for r in ratio_rows for x in r["ratios"] if x["part"] is not None]
        if parts:
            out += ["", "Part by part (each part timed inside the same calls):", "",
                    "| line | part | baseline | ours | ratio min (median) |", "| --- | --- | --- | --- | --- |"]
            out += [f"| {r['name']} | {x['part']} | {x['baseline']} | {x['ours']} | "
                    f"**{x['ratio_min']:.3g}x** ({x['ratio_median']:.3g}x) |" for r, x in parts]
        limits = [r for r in ratio_rows if r.get("limit")]
        if limits:
            out += ["", "## Physical limits", "",
                    "The least a run must move and compute, at the measured rates above: its limit is the larger of "
                    "bytes / bandwidth and flops / flop rate; *fraction* is that limit over our measured minimum "
                    "(1 would be at the limit). How the bytes and flops are counted is in each line's note.", "",
                    "| line | bytes | flops | limit | ours (min) | fraction | counted |",
                    "| --- | --- | --- | --- | --- | --- | --- |"]
            for r in limits:
                lim, ours = r["limit"], next(s for s in r["sides"] if s["role"] == "ours")
                out.append(f"| {r['name']} | {_bytes(lim['bytes'])} | {lim['flops']:.3g} | {_s(lim['bound_s'])} | "
                           f"{_s(ours['min_s'])} | {lim['fraction']:.2g} | {r.get('limit_note', '')} |")
    scale = [r for r in rows if r["kind"] == "scale"]
    if scale:
        out += ["", "## Memory-bounded runs", "",
                "Each in a fresh process; peak = that process's peak resident memory (everything: Python, JAX, "
                "data).", "", "| run | size | time | peak memory | limit | within |",
                "| --- | --- | --- | --- | --- | --- |"]
        for r in scale:
            ok = r["peak_rss_bytes"] <= r["limit_bytes"] and (r.get("limit_s") is None or r["seconds"] <= r["limit_s"])
            lim = _bytes(r["limit_bytes"]) + (f", {_s(r['limit_s'])}" if r.get("limit_s") else "")
            out.append(f"| {r['name']} | {r['size']} | {_s(r['seconds'])} | {_bytes(r['peak_rss_bytes'])} | {lim} | "
                       f"{'yes' if ok else '**no**'} |")
    comp = [r for r in rows if r["kind"] == "compile"]
    if comp:
        out += ["", "## Compilation", "",
                "The first call of a kernel in a fresh process with an empty persistent compilation cache, then in "
                "a second process that finds the cache the first one filled (numerics/compile_cache.py), and a "
                "repeated call (no compilation at all); first call minus repeated call is the compilation (or "
                "cache loading) paid.", "",
                "| kernel | first call, fresh cache | first call, second process | repeated call | compilation paid by "
                "the second process | compilations in the second |", "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {r['name']} | {_s(r['first_process_s'])} | {_s(r['second_process_s'])} | {_s(r['again_s'])} | "
                f"{_s(max(r['second_process_s'] - r['again_s'], 0.0))} | {r['second_process_misses']} |" for r in comp]
    old = [r for r in rows if r["kind"] == "legacy"]
    if old:
        out += ["", "## Lines timed by their own module", "",
                "These modules time themselves (best of a few calls after a warm-up, sides not interleaved).", "",
                "| line | baseline | ours | baseline time | ratio |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {r['name']} | {r['baseline']} | {_s(r['ours_s'])} | {_s(r['baseline_s'])} | {r['ratio']:.3g}x |"
                for r in old]
    timing = [r for r in rows if r["kind"] == "timing"]
    if timing:
        out += ["", "## Wall times (no baseline exists)", "", "| what | time |", "| --- | --- |"]
        out += [f"| {r['name']} | {_s(r['seconds'])} |" for r in timing]
    out += ["", *REPRODUCE]
    return "\n".join(out)


PROTOCOL = ("Protocol (numerics/benchkit.py): each side runs on identical inputs; its first call is timed on its own "
            "(compilation, cold caches: the *first call* column) and the outputs of the first calls are checked "
            "equal before any timing counts; then every side runs once per round, in turn, for at least 3 rounds. "
            "Ratios are baseline / ours on the minimum (and on the median) of the rounds; a baseline run one call "
            "per n is divided by our side run the same way (the cell says *vs* which). The first call is timed "
            "alone, the rounds interleaved, so where nothing compiles a first call can come out faster than the "
            "rounds' minimum when the load changed between them. Nothing is "
            "extrapolated: a side too slow to run in full is run at a size where both run, and the size says so.")
REPRODUCE = ["## Reproduce", "", "```",
             "critmass bench                      # every line, a table on stdout",
             "critmass bench --only NAME --quick  # one line at reduced size (its checks, in seconds)",
             "critmass bench --write-docs         # the full run, written to docs/benchmarks.json and this file",
             "critmass bench --render FILE.json   # this file from a saved run, without running anything", "```", ""]


def render_pending() -> str:
    """docs/benchmarks.md while no full run has been written (no docs/benchmarks.json): it says so and holds no
    figure. ``critmass bench --write-docs`` replaces it, with the JSON, in one run."""
    return "\n".join([
        "# Benchmarks", "",
        "**Not measured yet: to be re-measured in one quiet full run.** `critmass bench --write-docs` runs every line "
        "at full size (the speed ratios, the memory-bounded runs with their peak memory: 10^7 instances x 64 alphas "
        "of exact success, 10^9 finite-sample draws, GBJ's 331 MB car CSV; the compilation cache; the physical "
        "limits) and writes `docs/benchmarks.json` and this page from that one run. Figures from a machine shared "
        "with other jobs are not published here.", "",
        PROTOCOL, "", *REPRODUCE])
