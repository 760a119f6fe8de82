"""What the import line costs: ``import twilio_compat.rest`` against ``import twilio.rest``.

Each run is a fresh interpreter that times the one import statement (``time.perf_counter``
around it, so interpreter start-up is left out) and counts the modules it loaded; the two
imports alternate so drift hits both alike, and the figure is the ratio of their medians. The
shim's import includes twilio's (it builds on ``twilio.rest``); everything heavy the shim needs
later (the store, SQLAlchemy, the Azure SDKs) loads on the first request instead.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from benchmarks.report import Row

RUNS = 15
QUICK = {"RUNS": 1}
GOAL = 2.0
NOTES = [
    f"Import time: median of {RUNS} fresh interpreters each, alternating, timing only the "
    "import statement; the shim's figure includes importing twilio.rest, which it builds on.",
]

_PROBE = """
import json, sys, time
before = len(sys.modules)
start = time.perf_counter()
import {module}
print(json.dumps([time.perf_counter() - start, len(sys.modules) - before]))
"""


def _import_once(module: str) -> tuple[float, int]:
    """Seconds the import took in a fresh interpreter, and the modules it loaded."""
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed module name)
        [sys.executable, "-c", _PROBE.format(module=module)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seconds, modules = json.loads(done.stdout)
    return float(seconds), int(modules)


def run() -> list[Row]:
    shim: list[tuple[float, int]] = []
    twilio: list[tuple[float, int]] = []
    for _ in range(RUNS):
        shim.append(_import_once("twilio_compat.rest"))
        twilio.append(_import_once("twilio.rest"))
    shim_time = statistics.median(seconds for seconds, _ in shim)
    twilio_time = statistics.median(seconds for seconds, _ in twilio)
    ratio = shim_time / twilio_time
    return [
        Row(
            "import twilio_compat.rest vs import twilio.rest (fresh interpreter)",
            f"{ratio:.2f}x ({shim_time * 1000:.0f} ms vs {twilio_time * 1000:.0f} ms)",
            f"<= {GOAL:.1f}x",
            ratio <= GOAL,
        ),
        Row(
            "modules loaded by import twilio_compat.rest vs import twilio.rest",
            f"{shim[-1][1]} vs {twilio[-1][1]}",
        ),
    ]
