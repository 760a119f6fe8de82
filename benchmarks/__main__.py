"""`make bench`: run every benchmark once, print one table, write `benchmarks/results.md`.

Benchmarks of parts that are optional in a checkout (the client face, the event source, history
import) run when their module is present.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from benchmarks.report import Row, markdown, show

MODULES = (
    "benchmarks.emulator_throughput",
    "benchmarks.rest_ratios",
    "benchmarks.client_paging",
    "benchmarks.event_latency",
    "benchmarks.migration_import",
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


def main() -> None:
    rows: list[Row] = []
    notes: list[str] = []
    for name in MODULES:
        module = _load(name)
        if module is None:
            print(f"skipping {name}: not present in this checkout", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += module.run()
        notes += list(getattr(module, "NOTES", ()))
    show(rows, notes)
    Path(__file__).with_name("results.md").write_text(markdown(rows, notes), encoding="utf-8")


if __name__ == "__main__":
    main()
