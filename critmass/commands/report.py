"""``critmass report``: the main job."""

from __future__ import annotations

from pathlib import Path

from critmass.output import emit_json


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="derive, verify and simulate everything, and write a compiled report",
        description="Run every stage (derive the theory, prove the proof steps and check random exact instances, "
                    "simulate, and read fine-tune stores when given) and write DIR/report.tex, DIR/report.pdf "
                    "(where pdflatex exists), DIR/results.json and DIR/figures/*.{pdf,png}. Stage progress goes "
                    "to stderr.")
    p.add_argument("-o", "--output", type=Path, default=Path("report"), metavar="DIR",
                   help="folder to write into (default: report/)")
    p.add_argument("--store", action="append", default=[], type=Path, metavar="FILE",
                   help="a sweep store of fine-tunes (from `critmass experiment`/`finetune`) to add (repeatable)")
    p.add_argument("--quick", action="store_true", help="small sizes: the whole run in under a minute (for tests)")
    p.add_argument("--json", action="store_true",
                   help='print {"output", "files", "seconds", "pdf", "sections"} as one JSON document')
    p.set_defaults(func=cmd_report)
    register_guide(sub)


def cmd_report(args) -> int:
    from critmass.report import build

    doc = build(args.output, args.store, quick=args.quick)
    if args.json:
        emit_json({"output": str(args.output), "files": doc["files"], "seconds": doc["seconds"], "pdf": doc["pdf"],
                   "sections": list(doc["sections"])})
    else:
        print(f"wrote {len(doc['files'])} files to {args.output}/ in {doc['seconds']:.1f} s")
    return 0


def register_guide(sub) -> None:
    p = sub.add_parser("guide", help="write docs/results.md: one section per result, generated",
                       description="Write the per-result guide (statement, code, proof steps and their Z3 status, "
                                   "tests, simulations) generated from theory/, verify/ and tests/.")
    p.add_argument("-o", "--output", type=Path, default=Path("docs/results.md"), help="default: docs/results.md")
    p.set_defaults(func=cmd_guide)


def cmd_guide(args) -> int:
    from critmass.guide import render

    args.output.write_text(render())
    print(f"wrote {args.output}")
    return 0
