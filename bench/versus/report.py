"""The terminal table, `latest.json` and the chart."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from versus.figures import Figures

COLUMNS = (
    ("scn", lambda f: f.scenario),
    ("tool", lambda f: f.tool),
    ("reported", lambda f: f.claimed),
    ("truth", lambda f: f.truth),
    ("right", lambda f: "yes" if f.correct else "NO"),
    ("detect s", lambda f: _num(f.detection_s)),
    ("end->exit s", lambda f: _num(f.end_to_exit_s)),
    ("calls", lambda f: str(sum(f.calls.values()))),
    ("desc/list", lambda f: str(f.describe_list_calls)),
    ("extra/svc", lambda f: f"{f.extra_describe_list_per_service:.2f}"),
    ("throttled", lambda f: str(sum(f.throttled.values()))),
    (
        "RSS MB",
        lambda f: f"{f.peak_rss_mb:.0f}" + (f" (x{f.processes})" if f.processes > 1 else ""),
    ),
    ("CPU s", lambda f: f"{f.cpu_s:.1f}"),
    ("wall s", lambda f: f"{f.wall_s:.1f}"),
    ("floor s", lambda f: _num(f.floor_wall_s)),
)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(figures: Sequence[Figures]) -> str:
    rows = [[name for name, _ in COLUMNS]] + [[cell(f) for _, cell in COLUMNS] for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(figures: Sequence[Figures]) -> str:
    """The table as Markdown, for the README."""
    rows = [[cell(f) for _, cell in COLUMNS] for f in figures]
    header = [name for name, _ in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def write_json(path: Path, figures: Sequence[Figures], meta: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": dict(meta), "runs": [f.as_json() for f in figures]}
    path.write_text(json.dumps(document, indent=2) + "\n")


def read_json(path: Path) -> list[Figures]:
    return [Figures(**run) for run in json.loads(path.read_text())["runs"]]


def chart(path: Path, figures: Sequence[Figures]) -> None:
    """Describe/list calls, detection latency and correctness, per scenario and tool."""
    import matplotlib  # noqa: PLC0415 (only the chart needs it)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    scenarios = sorted({f.scenario for f in figures})
    tools = list(dict.fromkeys(f.tool for f in figures))
    by_key = {(f.scenario, f.tool): f for f in figures}
    fig, axes = plt.subplots(3, 1, figsize=(11, 10), constrained_layout=True)
    width = 0.8 / max(1, len(tools))
    panels = (
        ("ECS describe/list calls (log scale)", lambda f: max(f.describe_list_calls, 0.9), "log"),
        (
            "detection latency, simulated s, log scale (crash scenarios; none: acted before the "
            "threshold, or no failure)",
            lambda f: None if f.detection_s is None else max(f.detection_s, 0.1),
            "log",
        ),
        (
            "reported outcome: right (+1) or wrong (-1)",
            lambda f: 1.0 if f.correct else -1.0,
            "linear",
        ),
    )
    for axis, (title, value, scale) in zip(axes, panels, strict=True):
        for t, tool in enumerate(tools):
            xs, ys = [], []
            for s, scenario in enumerate(scenarios):
                figure = by_key.get((scenario, tool))
                y = value(figure) if figure is not None else None
                if y is not None:
                    xs.append(s + t * width)
                    ys.append(y)
            axis.bar(xs, ys, width=width, label=tool)
        axis.set_title(title, fontsize="medium")
        axis.set_xticks([s + width * (len(tools) - 1) / 2 for s in range(len(scenarios))])
        axis.set_xticklabels(scenarios)
        axis.set_xlim(-0.5, len(scenarios) - 0.2)
        axis.set_yscale(scale)
    axes[0].legend(ncol=3, fontsize="small")
    fig.savefig(path, dpi=90)
    plt.close(fig)
