"""One figure style for the report (vector PDF) and the docs (PNG), and the checks every figure must pass.

Figures are drawn at FIGSIZE and included in the report at that size, so a font's size in points is its size
on the page. ``problems(fig)`` lists what would mislead a reader: a legend entry that stands for several curves
or for none that can be seen, a curve with no entry, a line drawn across a non-monotone x, text under 8 pt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FIGSIZE = (6.4, 4.0)  # inches: the report includes figures at this size (the text is 6.5 in wide)
DPI = 100  # PNG for the docs: 640 x 400 pixels
MIN_POINTS = 8.0  # the least font size of any text in a figure, in points on the page

RC = {
    "figure.figsize": FIGSIZE, "figure.dpi": DPI, "figure.constrained_layout.use": True,
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.title_fontsize": 8, "legend.framealpha": 0.9, "legend.handlelength": 2.2,
    "lines.linewidth": 1.3, "lines.markersize": 3.5, "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5,
    "pdf.fonttype": 42, "savefig.dpi": DPI,
}


def pyplot():
    """matplotlib.pyplot on the Agg backend, with the report's style applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.style.use(RC)
    return plt


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` at FIGSIZE in the report's style."""
    return pyplot().subplots(nrows, ncols, figsize=FIGSIZE, **kwargs)


def save(fig, folder: Path, name: str) -> list[Path]:
    """Write ``fig`` as folder/name.pdf (vector) and folder/name.png (FIGSIZE at DPI), close it, return the paths."""
    import matplotlib.pyplot as plt

    fig.set_size_inches(*FIGSIZE)
    paths = [folder / f"{name}.pdf", folder / f"{name}.png"]
    fig.savefig(paths[0])
    fig.savefig(paths[1], dpi=DPI)
    plt.close(fig)
    return paths


def figure_legend(fig, axes, ncol: int = 3) -> None:
    """One legend below the panels for curves of the same kind in each panel (labels shared across panels)."""
    handles, labels = {}, []
    for ax in np.ravel(axes):
        for h, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = h
                labels.append(label)
    fig.legend([handles[label] for label in labels], labels, loc="outside lower center", ncol=ncol)


# ---- checks ----------------------------------------------------------------------------------------------

def _curves(ax) -> list:
    """The artists of an axes that draw curves: lines, filled areas and scattered points. A colour mesh (read off
    its colour bar) and contours (labelled in place) are not curves of a legend."""
    from matplotlib.collections import PathCollection, PolyCollection

    lines = [ln for ln in ax.get_lines() if ln.get_visible()]
    return lines + [c for c in ax.collections if isinstance(c, (PolyCollection, PathCollection)) and c.get_visible()]


def _seen(artist, ax) -> bool:
    """Whether some drawn point of ``artist`` lies inside the axes' view (so a reader can see it)."""
    from matplotlib.lines import Line2D

    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    if isinstance(artist, Line2D):
        x, y = (np.asarray(v, dtype=float) for v in artist.get_data())
        x, y = np.broadcast_arrays(x, y)
        # axhline/axvline use axes coordinates on one side
        if artist.get_transform() is not ax.transData:
            return bool(np.isfinite(x).any() and np.isfinite(y).any())
    else:
        pts = np.concatenate([p.vertices for p in artist.get_paths()] or [np.empty((0, 2))])
        x, y = pts[:, 0], pts[:, 1]
    ok = np.isfinite(x) & np.isfinite(y) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    if isinstance(artist, Line2D) and artist.get_marker() in (None, "", " ", "None", "none"):
        return bool((ok[1:] & ok[:-1]).any())  # a line without markers shows only where two points are joined
    return bool(ok.any())


def _drawn_across(line) -> bool:
    """A line with a line style (not markers only) whose x goes back and forth."""
    if line.get_linestyle() in ("None", "", " ", "none") or line.get_transform() is not line.axes.transData:
        return False
    x = np.asarray(line.get_xdata(), dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return False
    d = np.diff(x)
    return bool((d > 0).any() and (d < 0).any())


def problems(fig, include_width: float = FIGSIZE[0]) -> list[str]:
    """What in ``fig`` would mislead or be unreadable when it is printed ``include_width`` inches wide.

    Every curve (line or filled area) of every panel has exactly one legend entry, of the panel's or of the
    figure's legend, and is the only curve of its panel with that label; every legend entry names a curve
    whose drawn part can be seen; no line is drawn across a non-monotone x; every text is >= MIN_POINTS; every
    legend lies inside the figure (a saved figure cuts off what lies outside).
    """
    out = []
    scale = include_width / fig.get_size_inches()[0]
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    entries = {t.get_text() for lg in legends for t in lg.get_texts()}
    for i, ax in enumerate(fig.axes):
        where = f"panel {i} ({ax.get_title() or 'untitled'})"
        labels = []
        for artist in _curves(ax):
            label = artist.get_label()
            if not label or label.startswith("_"):
                out.append(f"{where}: a {type(artist).__name__} has no legend entry")
                continue
            labels.append(label)
            if label not in entries:
                out.append(f"{where}: curve {label!r} is in no legend")
            if not _seen(artist, ax):
                out.append(f"{where}: curve {label!r} shows nothing inside the axes")
            if hasattr(artist, "get_xdata") and _drawn_across(artist):
                out.append(f"{where}: curve {label!r} is a line across a non-monotone x (draw markers or sort)")
        for label in {lb for lb in labels if labels.count(lb) > 1}:
            out.append(f"{where}: {labels.count(label)} curves share the legend entry {label!r}")
    drawn = {a.get_label() for ax in fig.axes for a in _curves(ax)}
    for label in entries - drawn:
        out.append(f"legend entry {label!r} names no drawn curve")
    fig.canvas.draw()  # lays the figure out (constrained layout places the figure's legends)
    box, renderer = fig.bbox, fig.canvas.get_renderer()
    for lg in legends:
        ext = lg.get_window_extent(renderer)
        if ext.x0 < box.x0 - 1 or ext.x1 > box.x1 + 1 or ext.y0 < box.y0 - 1 or ext.y1 > box.y1 + 1:
            first = lg.get_texts()[0].get_text() if lg.get_texts() else ""
            out.append(f"the legend with {first!r} reaches outside the figure (cut off when saved)")
    for text in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text")):
        if text.get_text() and text.get_visible() and text.get_fontsize() * scale < MIN_POINTS - 1e-9:
            out.append(f"text {text.get_text()!r} is {text.get_fontsize() * scale:.1f} pt (< {MIN_POINTS:g})")
    return out
