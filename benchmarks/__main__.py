"""`make bench`: run every benchmark once, print one table, write `benchmarks/results.md`."""

from __future__ import annotations

from pathlib import Path

from benchmarks import emulator_throughput
from benchmarks.report import markdown, show


def main() -> None:
    rows = emulator_throughput.run()
    show(rows)
    Path(__file__).with_name("results.md").write_text(markdown(rows), encoding="utf-8")


if __name__ == "__main__":
    main()
