"""With the `otel` extra, a Twilio request served by `serve` and the ACS calls it makes form one
trace. The server runs in its own process, which records its spans in memory and writes them
out when it stops."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from .conftest import ACCOUNT_SID, AUTH_TOKEN
from .test_serve_operations import Process, _credentialled

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.instrumentation.asgi")

TRACED_SERVE = """
import json, sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from twilio_compat.rest.asgi import serve

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
try:
    serve(port=0, on_ready=lambda url: print(f"listening on {url}", flush=True))
finally:
    spans = [
        {
            "name": span.name,
            "kind": span.kind.name,
            "trace": span.context.trace_id,
            "id": span.context.span_id,
            "parent": span.parent.span_id if span.parent else None,
        }
        for span in exporter.get_finished_spans()
    ]
    with open(sys.argv[1], "w") as out:
        json.dump(spans, out)
"""


def test_a_twilio_request_and_its_acs_calls_share_one_trace(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    spans_file = tmp_path / "spans.json"
    process = Process(
        [sys.executable, "-c", TRACED_SERVE, str(spans_file)],
        _credentialled(emulator, tmp_path),
        tmp_path,
    )
    url = process.announced_url()
    created = requests.post(
        f"{url}/v1/Conversations",
        data={"FriendlyName": "traced"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    assert process.stop() == 0, process.stderr
    spans = json.loads(spans_file.read_text())
    served = [span for span in spans if span["kind"] == "SERVER"]
    assert [span["name"] for span in served] == ["conversation.create"], spans  # no /healthz
    trace = [span for span in spans if span["trace"] == served[0]["trace"]]
    acs_calls = [span for span in trace if span["kind"] == "CLIENT"]
    assert acs_calls, spans
    ids = {span["id"] for span in trace}
    assert all(span["parent"] in ids for span in trace if span is not served[0])
