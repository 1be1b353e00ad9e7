"""``critmass report``: the main job; ``critmass guide``: docs/results.md."""

from __future__ import annotations

from pathlib import Path

from critmass.output import emit_json


def _stage_list() -> str:
    from critmass.report.stages import stages

    return "; ".join(f"{s.key} ({s.summary})" for s in stages())


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="derive, verify and simulate everything, and write a compiled report",
        description=lambda: (
            "Run every stage and write DIR/report.tex, DIR/report.pdf (where pdflatex exists), DIR/results.json "
            "(every number of the report) and DIR/figures/*.{pdf,png}. Each stage's data is saved in a sweep store "
            "(DIR/stages.sqlite, or --report-store) as soon as it is computed: a killed or interrupted report, "
            "rerun with the same command, computes only the stages not yet saved (a stage is recomputed when its "
            "code, the package versions or its inputs changed). Progress goes to stderr. Stages: "
            + _stage_list() + "."))
    p.add_argument("-o", "--output", type=Path, default=Path("report"), metavar="DIR",
                   help="folder to write into (default: report/)")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="data directory of the real corpora for the text stage (default: the environment variable "
                        "CRITMASS_DATA; without either, the report says how to add it)")
    p.add_argument("--corpus", default="resume", choices=("resume", "sst2", "ag_news"),
                   help="the named corpus under the data directory the text stage trains on (default resume)")
    p.add_argument("--store", action="append", default=[], type=Path, metavar="FILE",
                   help="a sweep store of fine-tunes (from `critmass experiment`/`finetune`) to add (repeatable)")
    p.add_argument("--stage", action="append", default=None, metavar="KEY",
                   help="run only this stage (repeatable; default: every stage)")
    p.add_argument("--report-store", type=Path, default=None, metavar="FILE",
                   help="the sweep store that keeps each finished stage, read back by a rerun (default: "
                        "DIR/stages.sqlite; delete it to recompute every stage)")
    p.add_argument("--quick", action="store_true", help="small sizes: the whole run in about a minute (for tests)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no stage lines on stderr")
    p.add_argument("--json", action="store_true",
                   help='print {"output", "files", "seconds", "pdf", "overfull", "sections", "store"} as one JSON '
                        'document (store: the report\'s store of finished stages)')
    p.set_defaults(func=cmd_report)
    register_guide(sub)


def cmd_report(args) -> int:
    from critmass.report.run import build

    doc = build(args.output, args.store, quick=args.quick, data=args.data, corpus=args.corpus,
                only=tuple(args.stage) if args.stage else None, store=args.report_store,
                progress=False if args.quiet else None)
    if args.json:
        emit_json({"output": str(args.output), "files": doc["files"], "seconds": doc["seconds"], "pdf": doc["pdf"],
                   "overfull": doc["overfull"], "sections": list(doc["sections"]), "store": doc["store"]})
    else:
        print(f"wrote {len(doc['files'])} files to {args.output}/ in {doc['seconds']:.1f} s")
    return 0


def register_guide(sub) -> None:
    p = sub.add_parser("guide", help="write docs/results.md: one section per result, generated",
                       description="Write the per-result guide (statement, code, proof steps and their Z3 status, "
                                   "tests, the commands and report sections that evaluate it) generated from "
                                   "theory/, verify/, tests/ and the report's stages.")
    p.add_argument("-o", "--output", type=Path, default=Path("docs/results.md"), help="default: docs/results.md")
    p.set_defaults(func=cmd_guide)


def cmd_guide(args) -> int:
    from critmass.guide import render

    args.output.write_text(render())
    print(f"wrote {args.output}")
    return 0
