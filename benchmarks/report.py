"""One table for every benchmark, with the machine and versions it ran on."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    """One figure. `goal` None means the figure is reported for information only."""

    name: str
    measured: str
    goal: str | None = None
    met: bool = True

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "-"
        return "yes" if self.met else "NO"


def machine_line() -> str:
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("azure-communication-chat", "azure-communication-identity", "twilio")
    )
    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.platform()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; {packages}"
    )


def render(rows: list[Row], notes: Sequence[str] = ()) -> Table:
    caption = "\n".join([machine_line(), *notes])
    table = Table(title="twilio-acs-compat benchmarks", caption=caption)
    table.add_column("benchmark")
    table.add_column("measured", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("met", justify="center")
    for row in rows:
        table.add_row(row.name, row.measured, row.goal or "-", row.verdict)
    return table


def markdown(rows: list[Row], notes: Sequence[str] = ()) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine_line()}",
        "",
        "| benchmark | measured | goal | met |",
        "|---|---:|---:|:---:|",
    ]
    lines += [f"| {r.name} | {r.measured} | {r.goal or '-'} | {r.verdict} |" for r in rows]
    if notes:
        lines += ["", "## How these were measured", ""]
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def show(rows: list[Row], notes: Sequence[str] = ()) -> None:
    Console().print(render(rows, notes))
