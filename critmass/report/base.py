"""What a report stage is: compute (plain data), figures (each drawn from that data) and write (LaTeX from it).

The bottom of critmass.report: it imports no stage. A stage is a module of critmass.report.stages that
defines ``STAGE``; the registry there finds it, so adding a stage is adding a module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The founding paper's ICML date; the report's root seed, recorded in results.json.
SEED = 20230723


@dataclass(frozen=True)
class Context:
    """What a stage's compute may read: where the report goes, its sizes, the stores and corpus it was given."""

    out: Path
    quick: bool = False
    stores: tuple[Path, ...] = ()
    data: str | None = None  # data directory of the real corpora (--data, else CRITMASS_DATA)
    corpus: str = "resume"  # the named corpus the text stage trains on
    seed: int = SEED
    #: The report's store and this stage's row key there (set by critmass.report.run): ``resume.each`` keeps the
    #: parts of a stage in it. None where a stage is computed on its own (tests): parts are computed in memory.
    store: Path | None = None
    stage_row: str = ""

    @property
    def figures(self) -> Path:
        return self.out / "figures"


@dataclass(frozen=True)
class Plot:
    """One figure: its file stem, its caption (built from the data) and the function that draws it from the data."""

    name: str
    caption: str
    draw: Callable[[dict], object]  # data -> matplotlib.figure.Figure


@dataclass(frozen=True)
class Stage:
    """One section of the report.

    ``compute(ctx)`` returns plain JSON-able data (it goes into results.json under ``key``); ``figures(data)``
    lists the plots that data supports; ``write(data)`` returns the section's LaTeX, every number in it taken
    from ``data``. ``results`` are the ids of the results whose formulas the stage evaluates (docs/results.md
    cites the section for them).
    """

    key: str
    title: str
    order: int
    compute: Callable[[Context], dict]
    write: Callable[[dict], str]
    figures: Callable[[dict], list[Plot]] = lambda data: []
    results: tuple[str, ...] = ()
    summary: str = ""  # one line for `critmass report --help` and the docs
    #: The Context fields beyond ``quick`` and ``seed`` that ``compute`` reads, of ``INPUTS``. The others reach it
    #: at their defaults, so that a stage's stored result (critmass.report.resume) is keyed by all it depends on.
    uses: tuple[str, ...] = ()


#: The Context fields a stage may declare in ``Stage.uses``.
INPUTS = ("data", "corpus", "stores")
