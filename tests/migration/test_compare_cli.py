"""`twilio-acs compare`: record a run, compare it with ACS, exit non-zero on divergence.

The "Twilio" backend is ``module:function`` returning the REST face over its own emulator and
store (``tests.migration.source_factory``); ``acs`` is the embedded default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from twilio.http.response import Response
from twilio.rest import Client
from typer.testing import CliRunner

from tests.migration.source_factory import make_client
from tests.migration.test_compare import Tampering
from twilio_compat.cli import app
from twilio_compat.migration.transcript import Transcript

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

SCENARIO = """
def scenario(client):
    rooms = client.conversations.v1.conversations
    room = rooms.create(friendly_name="Front desk", unique_name="cli-front-desk")
    rooms(room.sid).participants.create(identity="ann")
    rooms(room.sid).messages.create(author="ann", body="hi")
    rooms(room.sid).messages.list()
    rooms(room.sid).delete()
"""
FACTORY = "tests.migration.test_compare_cli"


def source_client() -> Client:
    """The "Twilio" backend: the REST face over the source emulator (see the fixture)."""
    return make_client()


def _author_changed(method: str, url: str, answer: Response) -> Response:
    if method == "POST" and url.endswith("/Messages"):
        body = {**json.loads(answer.text), "author": "someone else"}
        return Response(answer.status_code, json.dumps(body), answer.headers)
    return answer


def tampered_client() -> Client:
    """The same backend with one field of one answer altered: an injected divergence."""
    client = make_client()
    client.http_client = Tampering(client.http_client, _author_changed)
    return client


@pytest.fixture
def setup(source_emulator: AcsEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for the source factory, an unset ACS (embedded), a scenario file."""
    monkeypatch.setenv("MIGRATION_SOURCE_CONNECTION", source_emulator.connection_string)
    monkeypatch.setenv("MIGRATION_SOURCE_CA", str(source_emulator.ca_bundle))
    monkeypatch.setenv("MIGRATION_SOURCE_STORE", f"sqlite:///{tmp_path / 'source.sqlite3'}")
    monkeypatch.setenv("MIGRATION_SOURCE_MEDIA", (tmp_path / "source-media").as_uri())
    for name in ("ACS_CONNECTION_STRING", "TWILIO_COMPAT_STORE", "TWILIO_COMPAT_MEDIA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "front_desk.py"
    scenario.write_text(SCENARIO)
    return scenario


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["compare", *args])
    return result.exit_code, result.output


def test_record_then_compare_with_embedded_acs_passes(setup: Path, tmp_path: Path) -> None:
    saved = tmp_path / "twilio.json"
    code, output = invoke(str(setup), "--a", f"{FACTORY}:source_client", "--record", str(saved))
    assert code == 0, output
    assert "recorded 5 exchanges" in output
    assert len(Transcript.load(saved).exchanges) == 5

    code, output = invoke(str(setup), "--a", str(saved), "--b", "acs", "--out", "out")
    assert code == 0, output
    assert "identical: 5 exchanges" in output
    assert "behave alike" in (tmp_path / "out" / "report.md").read_text()
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_an_injected_divergence_exits_one_with_the_field_in_the_report(
    setup: Path, tmp_path: Path
) -> None:
    code, output = invoke(
        f"{setup}:scenario",
        "--a",
        f"{FACTORY}:source_client",
        "--b",
        f"{FACTORY}:tampered_client",
    )
    assert code == 1, output
    assert "DIVERGED: 1 of 5 exchanges differ" in output
    report = (tmp_path / "compare-report" / "report.md").read_text()
    assert '| `body.author` | `"ann"` | `"someone else"` |' in report

    code, output = invoke(
        str(setup),
        "--a",
        f"{FACTORY}:source_client",
        "--b",
        f"{FACTORY}:tampered_client",
        "--ignore",
        "author",
    )
    assert code == 0, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py"], "does not exist"),
        (["{scenario}:nothing"], "defines no function nothing(client)"),
        (["{scenario}", "--a", "nowhere"], "unknown backend 'nowhere'"),
        (["{scenario}", "--a", "broken.json"], "broken.json is not JSON"),
        (["{scenario}", "--a", "acs", "--b", "acs", "--record", "x.json"], "leave out --b"),
        (["{scenario}", "--a", "no_such_module:f"], "No module named 'no_such_module'"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_two(
    setup: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    code, output = invoke(*(a.format(scenario=setup) for a in args))
    assert code == 2
    assert message in " ".join(output.split())
    assert "Traceback" not in output
