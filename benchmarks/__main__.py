"""`make bench`: run every benchmark once, print one table, write `benchmarks/results.md`.

Benchmarks of parts that are optional in a checkout (the client face, the event source, history
import) run when their module is present. ``--quick`` runs each at the tiny sizes of its
``QUICK`` mapping and checks no goal, so CI proves every benchmark still runs without timing it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from benchmarks.report import Row, markdown, show

MODULES = (
    "benchmarks.emulator_throughput",
    "benchmarks.emulator_lists",
    "benchmarks.rest_ratios",
    "benchmarks.conversation_lists",
    "benchmarks.user_lists",
    "benchmarks.timer_lists",
    "benchmarks.cache_memory",
    "benchmarks.store_sessions",
    "benchmarks.replicas",
    "benchmarks.client_paging",
    "benchmarks.event_latency",
    "benchmarks.channels",
    "benchmarks.change_feed",
    "benchmarks.native_indexing",
    "benchmarks.catch_up",
    "benchmarks.ingestion_poll",
    "benchmarks.migration_import",
    "benchmarks.import_time",
)


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        # Only a missing benchmark module (or the part it measures) is skipped.
        if missing.name and (name.startswith(missing.name) or "twilio_compat" in missing.name):
            return None
        if missing.name and missing.name.startswith("acs_adapter"):
            return None
        raise


def _shrink(module: ModuleType) -> None:
    """Set the module's sizes to its ``QUICK`` values (each benchmark reads them at run time)."""
    for size, value in getattr(module, "QUICK", {}).items():
        if not hasattr(module, size):
            raise AttributeError(f"{module.__name__}.QUICK names {size}, which it does not have")
        setattr(module, size, value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, no goals checked, results.md untouched"
    )
    quick = parser.parse_args(argv).quick
    rows: list[Row] = []
    notes: list[str] = []
    for name in MODULES:
        module = _load(name)
        if module is None:
            print(f"skipping {name}: not present in this checkout", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        if quick:
            _shrink(module)
        rows += module.run()
        notes += list(getattr(module, "NOTES", ()))
    if quick:
        rows = [Row(row.name, row.measured) for row in rows]
        notes = ["quick mode: tiny sizes, figures mean nothing, no goal checked"]
    show(rows, notes)
    if not quick:
        Path(__file__).with_name("results.md").write_text(markdown(rows, notes), encoding="utf-8")


if __name__ == "__main__":
    main()
