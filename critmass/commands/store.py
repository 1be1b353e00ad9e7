"""``critmass store show|export|merge``: a sweep store's results, read without critmass's internals."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from critmass.output import emit_json, table
from theory.errors import InputError


def register(sub) -> None:
    p = sub.add_parser("store", help="show, export or merge sweep stores",
                       description="Read a sweep store (it is opened read-only, also in a read-only folder): a "
                                   "summary per kind, or every finished configuration as CSV or Parquet (one row "
                                   "per configuration: its fields, metrics, seed, package versions, git commit); "
                                   "or merge the stores of a sharded sweep. From Python: "
                                   "numerics.store.dataframe(PATH, kind) returns the same table as a pandas "
                                   "DataFrame.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    actions.required = True

    show = actions.add_parser("show", help="rows, configurations in flight and failures per kind",
                              description="One line per kind: finished rows, configurations in flight (claimed "
                                          "by a live process), failures (results that could not be stored), "
                                          "seeds, git commits, first and last finish.")
    show.add_argument("store", type=Path, metavar="STORE")
    show.add_argument("--json", action="store_true", help="print one JSON document")
    show.set_defaults(func=cmd_show)

    export = actions.add_parser("export", help="every finished configuration as CSV (stdout or -o) or Parquet",
                                description="One row per finished configuration: kind, the configuration's fields "
                                            "(nested ones as a.b), metrics (prefixed metric. where a name is also "
                                            "a field), seed, git_commit, seconds, finished_at, version.PACKAGE. "
                                            "Needs pandas (and pyarrow for Parquet): pip install 'critmass[frames]'.")
    export.add_argument("store", type=Path, metavar="STORE")
    export.add_argument("--kind", help="only rows of this kind (see critmass store show)")
    fmt = export.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="CSV (the default)")
    fmt.add_argument("--parquet", action="store_true", help="Parquet (needs -o)")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="file to write (default: CSV on stdout)")
    export.set_defaults(func=cmd_export)

    merge = actions.add_parser("merge", help="copy the rows of several stores into one",
                               description="Copy every finished row of the input stores into OUT (created if "
                                           "missing), keeping each row's provenance. A configuration in several "
                                           "stores must have identical results; otherwise the first that differ "
                                           "are named and nothing is written.")
    merge.add_argument("output", type=Path, metavar="OUT")
    merge.add_argument("inputs", type=Path, nargs="+", metavar="IN")
    merge.add_argument("--json", action="store_true", help='print {"added", "identical", "stores"} as JSON')
    merge.set_defaults(func=cmd_merge)


def cmd_show(args) -> int:
    from numerics.store import SweepStore

    with SweepStore(args.store, readonly=True) as store:
        kinds = store.summary()
        for k in kinds:  # every row must decode: a damaged one is named (exit 1), never counted as a result
            store.rows(k["kind"])
        failures = store.failures()
        version = store.version
    if args.json:
        emit_json({"store": str(args.store), "schema_version": version, "kinds": kinds,
                   "failures": [{"kind": k, "config": c, "error": e} for k, c, e in failures]})
        return 0
    print(f"{args.store}: critmass sweep store, schema version {version}, {sum(k['rows'] for k in kinds)} rows")
    if kinds:
        shown = [{**k, "seeds": _span(k["seeds"]), "commits": " ".join(k["commits"]) or "-",
                  "last": k["last"] or "-"} for k in kinds]
        print(table(shown, ["kind", "rows", "in_flight", "failed", "seeds", "commits", "last"]))
    for kind, config, error in failures[:5]:
        print(f"failed ({kind}): {config}: {error}")
    if len(failures) > 5:
        print(f"... and {len(failures) - 5} more failures (--json lists all)")
    return 0


def _span(seeds: list) -> str:
    if not seeds:
        return "-"
    if len(seeds) > 3 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}..{seeds[-1]}"
    return " ".join(map(str, seeds))


def cmd_export(args) -> int:
    from numerics.store import dataframe, json_cells

    if args.parquet and args.output is None:
        raise InputError("--parquet writes a binary file: give it with -o FILE")
    if args.output is not None:
        if args.output.is_dir():
            raise InputError(f"-o {args.output} is a folder; expected a file name")
        if not args.output.parent.is_dir():
            raise InputError(f"-o {args.output}: folder {args.output.parent} does not exist")
    frame = dataframe(args.store, args.kind)
    if args.kind is not None and frame.empty:
        raise InputError(f"store {args.store} holds no rows of kind {args.kind!r}; see critmass store show {args.store}")
    frame = json_cells(frame)
    if args.output is None:
        frame.to_csv(sys.stdout, index=False)
        return 0
    if args.parquet:
        try:
            import pyarrow  # noqa: F401  (pandas' Parquet engine)
        except ImportError:
            raise InputError("--parquet needs pyarrow: pip install 'critmass[frames]' (pyarrow==26.0.1)") from None
    # Written next to the target and renamed over it: an interrupted export never leaves a damaged file.
    fd, tmp = tempfile.mkstemp(dir=args.output.parent, prefix=f".{args.output.name}.", suffix=".part")
    os.close(fd)
    try:
        if args.parquet:
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {len(frame)} rows x {len(frame.columns)} columns to {args.output}", file=sys.stderr)
    return 0


def cmd_merge(args) -> int:
    from numerics.store import merge

    out = merge(args.output, args.inputs)
    if args.json:
        emit_json({"store": str(args.output), **out})
    else:
        print(f"merged {out['stores']} stores into {args.output}: {out['added']} rows added, "
              f"{out['identical']} already there with identical results")
    return 0
