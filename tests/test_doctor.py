"""`twilio-acs doctor`, `store` and `--version` as real processes, on the real emulator and
real sockets: healthy in embedded mode, and each broken dependency named in the report."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.store._database import Database
from acs_adapter.store._engine import create_store_engine
from acs_adapter.store._migrate import alembic_config, head_revision
from tests.test_cli import _environment, closed_port, dead_acs
from twilio_compat import __version__
from twilio_compat.commands._doctor_checks import Report, eventgrid_receiver, run_check
from twilio_compat.commands._failures import CONFIGURATION, FINDING, OK
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.settings import Settings

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

CLI = str(Path(sys.executable).parent / "twilio-acs")
ACCOUNT_SID = "AC" + "4" * 32


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


def _doctor(env: dict[str, str], cwd: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = _run(["doctor", "--json", *extra], env, cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


def test_embedded_mode_is_healthy(tmp_path: Path) -> None:
    env = _environment(tmp_path, ACS_CONNECTION_STRING="embedded")
    code, report = _doctor(env, tmp_path)
    assert code == OK, report
    assert report["healthy"] is True
    assert _statuses(report) == {
        "store schema": "ok",
        "ACS identity": "ok",
        "ACS chat": "ok",
        "media store": "ok",
        "owned numbers": "ok",
    }
    numbers = next(check for check in report["checks"] if check["name"] == "owned numbers")
    assert numbers["detail"] == "+18005550100 (sms), whatsapp:+18005550101 (whatsapp)"
    assert report["verdict"].startswith("healthy")
    table = _run(["doctor"], env, tmp_path)
    assert table.returncode == OK, table.stderr
    assert "healthy: every configured dependency works" in table.stdout


def test_unreachable_acs_is_named_and_fails_the_verdict(tmp_path: Path) -> None:
    env = _environment(tmp_path, ACS_CONNECTION_STRING=dead_acs())
    code, report = _doctor(env, tmp_path)
    assert code == FINDING
    assert report["healthy"] is False
    identity = next(check for check in report["checks"] if check["name"] == "ACS identity")
    assert identity["status"] == "failed"
    assert "could not be reached: connection refused" in identity["detail"]
    assert _statuses(report)["ACS chat"] == "skipped"
    assert "ACS identity" in report["verdict"]
    table = _run(["doctor"], env, tmp_path)
    assert table.returncode == FINDING
    assert "unhealthy: ACS identity" in " ".join(table.stdout.split())


def test_a_missing_setting_exits_2(tmp_path: Path) -> None:
    done = _run(["doctor"], _environment(tmp_path), tmp_path)
    assert done.returncode == CONFIGURATION
    assert done.stderr.startswith("error: ACS_CONNECTION_STRING is not set")


def test_event_grid_receiver_and_webhook_hosts_are_checked(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    env = _environment(
        tmp_path,
        ACS_CONNECTION_STRING=emulator.connection_string,
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
    )
    settings = Settings.load(env)
    with AcsAdapter.open(settings.acs) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        client = Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
        conversation = client.conversations.v1.conversations.create()
        conversation.webhooks.create(
            target="webhook", configuration_url="https://hooks.does-not-exist.invalid/w?key=k"
        )
        handler.close()
    receiver = f"http://127.0.0.1:{closed_port()}/eventgrid"
    code, report = _doctor(env, tmp_path, "--eventgrid-url", receiver)
    assert code == FINDING
    statuses = _statuses(report)
    assert statuses["ACS chat"] == "ok"
    assert statuses["Event Grid receiver"] == "failed"
    assert statuses["webhook targets (DNS)"] == "failed"
    details = {check["name"]: check["detail"] for check in report["checks"]}
    assert "name not resolved: hooks.does-not-exist.invalid" in details["webhook targets (DNS)"]
    assert "key=k" not in json.dumps(report)


def test_store_upgrade_and_current(tmp_path: Path) -> None:
    """A store left at an older revision: `current` and `doctor` report it, `upgrade` fixes it,
    and nothing else changes the schema on the way."""
    env = _environment(tmp_path, ACS_CONNECTION_STRING="embedded")
    database = Database(create_store_engine(env["TWILIO_COMPAT_STORE"]))
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
    database.dispose()

    behind = _run(["store", "current"], env, tmp_path)
    assert behind.returncode == FINDING
    assert "current: 0002" in behind.stdout and "twilio-acs store upgrade" in behind.stdout

    code, report = _doctor(env, tmp_path)
    assert code == FINDING
    assert _statuses(report)["store schema"] == "failed"
    assert _statuses(report)["ACS identity"] == "skipped"
    assert "0002" in _run(["store", "current"], env, tmp_path).stdout

    upgraded = _run(["store", "upgrade"], env, tmp_path)
    assert upgraded.returncode == OK, upgraded.stderr
    assert f"upgraded from 0002 to {head_revision()}" in upgraded.stdout
    current = _run(["store", "current"], env, tmp_path)
    assert current.returncode == OK
    assert "the schema is current" in current.stdout
    again = _run(["store", "upgrade", "--url", env["TWILIO_COMPAT_STORE"]], env, tmp_path)
    assert f"already at revision {head_revision()}" in again.stdout


def test_version(tmp_path: Path) -> None:
    done = _run(["--version"], _environment(tmp_path), tmp_path)
    assert (done.returncode, done.stdout.strip()) == (OK, f"twilio-acs {__version__}")


def _serve(env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """`twilio-acs serve` with `env`; yields `env` and the URL of its Event Grid receiver."""
    log = tmp_path / "serve.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [CLI, "serve", "--port", "0"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on" in line, log.read_text()
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield {**env, "URL": line.rsplit(" ", 1)[1].strip().rstrip("/") + "/eventgrid"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _serve_environment(emulator: AcsEmulator, tmp_path: Path, **values: str) -> dict[str, str]:
    return _environment(
        tmp_path,
        PYTHONUNBUFFERED="1",
        ACS_CONNECTION_STRING=emulator.connection_string,
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN="token",
        **values,
    )


@pytest.fixture
def serve_with_eventgrid(emulator: AcsEmulator, tmp_path: Path) -> Iterator[dict[str, str]]:
    """`twilio-acs serve` receiving Event Grid with a secret; yields its environment and URL."""
    env = _serve_environment(
        emulator, tmp_path, ACS_EVENTGRID_SECRET="doctor-grid-secret-0123456789"
    )
    yield from _serve(env, tmp_path)


@pytest.fixture
def serve_with_entra(emulator: AcsEmulator, tmp_path: Path) -> Iterator[dict[str, str]]:
    """`twilio-acs serve` receiving Event Grid with Entra ID tokens only (no secret)."""
    env = _serve_environment(
        emulator,
        tmp_path,
        ACS_EVENTGRID_TENANT_ID=emulator.entra.tenant_id,
        ACS_EVENTGRID_AUDIENCE="api://doctor-webhook",
        AZURE_AUTHORITY_HOST=emulator.entra.authority,
    )
    yield from _serve(env, tmp_path)


def test_a_running_event_grid_receiver_passes_and_a_wrong_secret_is_named(
    serve_with_eventgrid: dict[str, str], tmp_path: Path
) -> None:
    env = dict(serve_with_eventgrid)
    url = env.pop("URL")
    code, report = _doctor(env, tmp_path, "--eventgrid-url", url)
    assert code == OK, report
    assert _statuses(report)["Event Grid receiver"] == "ok"
    assert "doctor-grid-secret-0123456789" not in json.dumps(report)

    code, report = _doctor(
        {**env, "ACS_EVENTGRID_SECRET": "another-secret-0123456789"},
        tmp_path,
        "--eventgrid-url",
        url,
    )
    assert code == FINDING
    receiver = next(c for c in report["checks"] if c["name"] == "Event Grid receiver")
    assert "refused the secret" in receiver["detail"]


def test_an_entra_only_receiver_that_refuses_the_tokenless_probe_is_healthy(
    serve_with_entra: dict[str, str], tmp_path: Path
) -> None:
    env = dict(serve_with_entra)
    url = env.pop("URL")
    code, report = _doctor(env, tmp_path, "--eventgrid-url", url)
    assert code == OK, report
    receiver = next(c for c in report["checks"] if c["name"] == "Event Grid receiver")
    assert receiver["status"] == "ok"
    assert "refuses a request without an Entra ID token (401), as it should" in receiver["detail"]


class _AnswerWith(BaseHTTPRequestHandler):
    """Answers every request with the status of the server it belongs to."""

    server: _StatusServer

    def do_OPTIONS(self) -> None:
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _StatusServer(ThreadingHTTPServer):
    status = 200


@contextmanager
def _answering(status: int) -> Iterator[str]:
    """A real HTTP server answering `status` to every request; yields its receiver URL."""
    server = _StatusServer(("127.0.0.1", 0), _AnswerWith)
    server.status = status
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/eventgrid"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (401, None),
        (200, "answered 200 to a request without an Entra ID token: the receiver is not protected"),
        (204, "answered 204 to a request without an Entra ID token: the receiver is not protected"),
        (403, "answered 403"),
        (503, "answered 503"),
    ],
)
def test_the_entra_only_probe_reports_what_the_receiver_answers(
    status: int, verdict: str | None
) -> None:
    with _answering(status) as url:
        report = Report()
        passed = run_check(
            report, "Event Grid receiver", eventgrid_receiver(url, None, None, entra_only=True)
        )
    detail = report.checks[0].detail
    assert passed is (verdict is None), detail
    assert (verdict or "refuses a request without an Entra ID token") in detail


def test_the_entra_only_probe_reports_an_unreachable_receiver() -> None:
    url = f"http://127.0.0.1:{closed_port()}/eventgrid"
    report = Report()
    check = eventgrid_receiver(url, None, None, entra_only=True)
    assert not run_check(report, "Event Grid receiver", check)
    assert "could not be reached" in report.checks[0].detail
