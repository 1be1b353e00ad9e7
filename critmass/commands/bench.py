"""``critmass bench``: speed ratios against named baselines, measured side by side in one run.

Each layer that has benchmarks exposes a module with ``benchmarks(quick: bool, only: str | None) -> list[dict]``;
rows built with numerics.benchkit.compare follow its protocol (first call apart, outputs checked, interleaved
rounds, min and median); rows of modules that time themselves are kept and marked. The run's JSON document
(numerics.benchkit.SCHEMA) holds the machine, its load and every row; ``--write-docs`` writes it with
docs/benchmarks.md, which is rendered from it alone.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import sys
from pathlib import Path

from critmass.output import emit_json, table
from theory.errors import InputError

#: Modules with a ``benchmarks(quick, only)`` function; a module not yet written is skipped.
BENCH_MODULES = ("verify.bench", "numerics.bench", "numerics.bench_learners", "gpu.bench", "critmass.bench_startup")


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure speed ratios against named baselines",
                       description="Run every benchmark: our implementation and its named baselines side by side on "
                                   "identical inputs, outputs checked equal, first calls apart, then interleaved "
                                   "rounds; report min and median and the ratios baseline/ours.")
    p.add_argument("--json", action="store_true", help="print the run's JSON document (numerics.benchkit.SCHEMA)")
    p.add_argument("--quick", action="store_true", help="reduced sizes: every check in seconds, figures not final")
    p.add_argument("--only", metavar="SUBSTRING", help="run only benchmarks whose name contains SUBSTRING")
    p.add_argument("--write-docs", nargs="?", const="docs", metavar="DIR",
                   help="write DIR/benchmarks.json and DIR/benchmarks.md from this run (default DIR: docs)")
    p.add_argument("--render", metavar="FILE", help="print the markdown of a saved JSON run; runs nothing")
    p.set_defaults(func=cmd_bench)


def collect(quick: bool, only: str | None = None, command: str = "critmass bench") -> dict:
    """Run the benchmarks and return the run's JSON document."""
    from numerics import benchkit

    before = benchkit.cpu_seconds()
    mach = benchkit.machine(quick)
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    rows = []
    for name in BENCH_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        rows += [benchkit.legacy(r) for r in module.benchmarks(quick=quick, only=only)]
    for r in rows:
        counts = r.pop("limit_counts", None)
        if counts:
            ours = next(s for s in r["sides"] if s["role"] == "ours")
            r["limit"] = benchkit.limit(counts["bytes"], counts["flops"], mach, ours["min_s"])
    doc = {"schema": benchkit.SCHEMA_VERSION, "quick": quick, "command": command, "started": started,
           "machine": mach, "rows": rows, "load_average_after": list(os.getloadavg())}
    others = benchkit.others_use(before, benchkit.cpu_seconds())
    if others:
        doc["others"] = others
    benchkit.validate(json.loads(json.dumps(doc)))
    return doc


def cmd_bench(args) -> int:
    from numerics import benchkit

    if args.render:
        try:
            doc = json.loads(Path(args.render).read_text())
        except (OSError, ValueError) as e:
            raise InputError(f"--render {args.render}: cannot read a JSON run ({e})") from None
        try:
            benchkit.validate(doc)
        except Exception as e:  # jsonschema.ValidationError: one line naming the bad field
            raise InputError(f"--render {args.render}: not a bench run ({str(e).splitlines()[0]})") from None
        sys.stdout.write(benchkit.render(doc))
        return 0
    if args.write_docs and (args.only or args.quick):
        raise InputError("--write-docs: expected a full run (without --only and --quick)")
    command = "critmass bench" + "".join(f" {a}" for a in (
        "--quick" if args.quick else "", f"--only {args.only!r}" if args.only else "",
        "--write-docs" if args.write_docs else "") if a)
    doc = collect(args.quick, args.only, command)
    if args.write_docs:
        out = Path(args.write_docs)
        out.mkdir(parents=True, exist_ok=True)
        for name, text in (("benchmarks.json", json.dumps(doc, indent=1) + "\n"),
                           ("benchmarks.md", benchkit.render(doc))):
            tmp = out / (name + ".partial")
            tmp.write_text(text)
            tmp.replace(out / name)                                             # never a half-written file
    if args.json:
        emit_json(doc)
        return 0
    print(summary(doc))
    return 0


def summary(doc: dict) -> str:
    """The run as plain-text tables: one line per side of each comparison, then the other rows."""
    m = doc["machine"]
    head = (f"{m['processor']}, {m['cores']} cores, load {m['load_average'][0]:.1f}; bandwidth "
            f"{m['memory_bandwidth_Bps'] / 1e9:.3g} GB/s, float64 {m['flops_f64'] / 1e9:.3g} GFLOP/s")
    if doc.get("others"):
        head += f"; other processes used {doc['others']['others_cores']:.2f} cores during the run"
    lines, other = [], []
    fmt = lambda s: f"{s:.4g}"
    for r in doc["rows"]:
        if r["kind"] == "ratio":
            whole = {x["baseline"]: x for x in r["ratios"] if x["part"] is None}
            for s in r["sides"]:
                x = whole.get(s["label"])
                lines.append({"line": r["name"], "side": s["label"], "min_s": fmt(s["min_s"]),
                              "median_s": fmt(s["median_s"]), "first_s": fmt(s["first_s"]),
                              "ratio": f"{x['ratio_min']:.3g}x ({x['ratio_median']:.3g}x)" if x else ""})
            for x in r["ratios"]:
                if x["part"] is not None:
                    lines.append({"line": r["name"], "side": f"  {x['part']}: {x['baseline']} / {x['ours']}",
                                  "ratio": f"{x['ratio_min']:.3g}x ({x['ratio_median']:.3g}x)"})
        elif r["kind"] == "scale":
            other.append({"row": r["name"], "what": r["size"], "seconds": fmt(r["seconds"]),
                          "peak_MB": f"{r['peak_rss_bytes'] / 1e6:.0f}", "limit_MB": f"{r['limit_bytes'] / 1e6:.0f}"})
        elif r["kind"] == "compile":
            other.append({"row": r["name"], "what": "first call: fresh cache / second process / repeated call",
                          "seconds": f"{r['first_process_s']:.3g} / {r['second_process_s']:.3g} / {r['again_s']:.3g}"})
        elif r["kind"] == "legacy":
            other.append({"row": r["name"], "what": f"vs {r['baseline']}: {r['ratio']:.3g}x",
                          "seconds": f"{r['ours_s']:.4g} / {r['baseline_s']:.4g}"})
        else:
            other.append({"row": r["name"], "what": "wall time", "seconds": fmt(r["seconds"])})
    parts = [head]
    if lines:
        parts.append(table(lines, ["line", "side", "min_s", "median_s", "first_s", "ratio"]))
    if other:
        parts.append(table(other, ["row", "what", "seconds", "peak_MB", "limit_MB"]))
    return "\n\n".join(parts)
