"""Every benchmark still runs: `python -m benchmarks --quick` (tiny sizes, no goals checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_benchmark_runs_in_quick_mode() -> None:
    results = ROOT / "benchmarks" / "results.md"
    before = results.read_bytes() if results.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    from benchmarks.__main__ import MODULES

    for name in MODULES:
        assert f"running {name} ..." in done.stderr
    assert "quick mode" in done.stdout
    assert (results.read_bytes() if results.exists() else None) == before
