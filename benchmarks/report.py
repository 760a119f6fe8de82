"""One table for every benchmark, with the machine and versions it ran on."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    name: str
    measured: str
    goal: str
    met: bool


def machine_line() -> str:
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("azure-communication-chat", "azure-communication-identity", "twilio")
    )
    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.platform()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; {packages}"
    )


def render(rows: list[Row]) -> Table:
    table = Table(title="twilio-acs-compat benchmarks", caption=machine_line())
    table.add_column("benchmark")
    table.add_column("measured", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("met", justify="center")
    for row in rows:
        table.add_row(row.name, row.measured, row.goal, "yes" if row.met else "NO")
    return table


def markdown(rows: list[Row]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine_line()}",
        "",
        "| benchmark | measured | goal | met |",
        "|---|---:|---:|:---:|",
    ]
    lines += [f"| {r.name} | {r.measured} | {r.goal} | {'yes' if r.met else 'no'} |" for r in rows]
    return "\n".join(lines) + "\n"


def show(rows: list[Row]) -> None:
    Console().print(render(rows))
