"""A result's output: JSON-safe numbers, the plain-text table of claims, the figure's style,
and the atomic writes of ``NAME.json`` and ``NAME.png``."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from common.files import atomic_write_bytes


def jsonable(obj: Any) -> Any:
    """numpy and non-finite floats made JSON-safe (inf and nan become strings; uint8 arrays,
    i.e. images, become base64 bytes with their shape)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype == np.uint8:  # images: raw bytes, base64, not a list of integers
            return {"uint8_base64": base64.b64encode(obj.tobytes()).decode(), "shape": list(obj.shape)}
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    return obj


def fmt(v: Any) -> str:
    """Short human form of a measured or expected value."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v) + 0.0  # -0.0 prints as 0
        if not math.isfinite(v):
            return str(v)
        return f"{v:.4g}" if (v == 0 or 1e-3 <= abs(v) < 1e5) else f"{v:.3e}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v[:6]) + (", ..." if len(v) > 6 else "") + "]"
    return str(v)


def claims_table(claims: list[dict], width: int = 54) -> str:
    """A plain-text table: kind, claim (wrapped, never cut), expected, measured, holds, and the
    verdict (a finding's; ``pass`` or ``FAIL`` for a sanity check)."""
    import textwrap

    rows = [("kind", "claim", "expected", "measured", "holds", "verdict")]
    rows += [(c.get("kind", ""), c["statement"], fmt(c["expected"]), fmt(c["measured"]),
              "-" if c["holds"] is None else "yes" if c["holds"] else "NO", verdict_cell(c)) for c in claims]
    widths = [7, width] + [min(24, max(len(r[i]) for r in rows)) for i in (2, 3)] + [5, 14]
    lines = []
    for r in rows:
        cells = [textwrap.wrap(v, w) or [""] for v, w in zip(r, widths)]
        for k in range(max(len(c) for c in cells)):
            lines.append("  ".join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict_cell(c: dict) -> str:
    """A claim's verdict for a table: the finding's verdict, or ``pass`` / ``FAIL`` for a sanity check."""
    if c.get("kind") == "sanity":
        return "pass" if c["holds"] else "FAIL"
    return c.get("verdict") or "-"


def verdict_line(counts: dict) -> str:
    """One line of verdict counts (:func:`claims.record.tally`): each paper's findings by verdict,
    those beyond the papers apart, then the sanity checks. Papers without findings are left out."""
    parts = []
    for paper, v in counts.items():
        if paper == "sanity" or not sum(v.values()):
            continue
        label = f"{paper} (apart)" if paper.startswith("beyond") else paper
        parts.append(f"{label}: {sum(v.values())} findings, " + ", ".join(f"{n} {k}" for k, n in v.items()))
    s = counts.get("sanity", {"pass": 0, "fail": 0})
    parts.append(f"sanity checks: {s['pass']} of {s['pass'] + s['fail']} pass")
    return "; ".join(parts)


def save(name: str, result: dict, fig, out: Path) -> tuple[Path, Path]:
    """Write ``NAME.json`` and ``NAME.png`` atomically; returns their paths."""
    import io

    out = Path(out)
    js, png = out / f"{name}.json", out / f"{name}.png"
    atomic_write_bytes(js, json.dumps(jsonable(result), indent=1).encode())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(png, buf.getvalue())
    return js, png


def write_figure(name: str, result: dict, plot: Callable, out: Path) -> tuple[Path, Path]:
    """Draw a result in the papers' style and write ``NAME.json`` and ``NAME.png`` to ``out``."""
    style()
    import matplotlib.pyplot as plt

    fig = plot(result)
    try:
        return save(name, result, fig, out)
    finally:
        plt.close(fig)


#: seaborn's ``set_theme(style="whitegrid", context="notebook", font_scale=0.95)``, written out: the
#: same look without importing seaborn (and pandas): about 1 s of every toy's start (issue 20)
STYLE = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": 11.4, "axes.linewidth": 1.25, "axes.titlesize": 11.4,
    "axes.prop_cycle": "cycler('color', ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860', "
                       "'#da8bc3', '#8c8c8c', '#ccb974', '#64b5cd'])",
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "font.size": 11.4, "grid.color": ".8", "grid.linewidth": 1.0, "legend.fontsize": 10.45,
    "legend.title_fontsize": 11.4, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.labelsize": 10.45, "xtick.major.size": 6.0, "xtick.major.width": 1.25, "xtick.minor.size": 4.0,
    "xtick.minor.width": 1.0, "ytick.color": ".15", "ytick.labelsize": 10.45, "ytick.left": False,
    "ytick.major.size": 6.0, "ytick.major.width": 1.25, "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
}


def style() -> None:
    """The papers' plotting style: seaborn's whitegrid at a readable font size (:data:`STYLE`)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(STYLE)
