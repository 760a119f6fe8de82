"""What operators of `twilio-acs serve` rely on, checked on real processes: health checks,
Prometheus metrics, logs that keep secrets out, and several workers on one store."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from .conftest import ACCOUNT_SID, AUTH_TOKEN
from .test_serve import CLI, _environment

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
START_TIMEOUT = 90.0


class Process:
    """A server process whose output goes to files, read once it has stopped."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.out_path, self.err_path = folder / "stdout.log", folder / "stderr.log"
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.popen = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        self.stdout = self.stderr = self.url = ""

    def announced_url(self) -> str:
        """The URL `twilio-acs serve` prints once it listens (kept as `url`)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            first = self.out_path.read_text().partition("\n")
            if first[1]:
                assert "listening on" in first[0], first[0] + self.err_path.read_text()
                self.url = first[0].rsplit(" ", 1)[1]
                return self.url
            self._check_alive()
            time.sleep(0.1)
        pytest.fail("the server did not announce its URL")

    def wait_healthy(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or no worker up yet
                time.sleep(0.2)
        pytest.fail("the server never became healthy")

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        code = self.popen.wait(timeout=60)
        self.stdout, self.stderr = self.out_path.read_text(), self.err_path.read_text()
        return code

    def _check_alive(self) -> None:
        if self.popen.poll() is not None:
            pytest.fail(f"the server exited: {self.err_path.read_text()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fetch_until_both_workers_answer(process: Process, url: str, created: dict[str, str]) -> int:
    """Fetch a created conversation by unique name, each time on a new connection, until the
    JSON access log shows two worker processes answering; how many fetches it took."""
    path = f"/v1/Conversations/{created['unique_name']}"
    fetches = 0
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for _ in range(10):
            fetched = requests.get(url + path, auth=AUTH, timeout=30)
            assert fetched.status_code == 200, fetched.text
            assert fetched.json()["sid"] == created["sid"]
            fetches += 1
        lines = process.out_path.read_text().splitlines()
        access = [json.loads(line) for line in lines if line.startswith("{")]
        if len({line["pid"] for line in access if line.get("path") == path}) == 2:
            return fetches
    pytest.fail("one worker answered every request")


def _credentialled(emulator: AcsEmulator, folder: Path, **extra: str) -> dict[str, str]:
    return _environment(
        emulator, folder, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, **extra
    )


@pytest.fixture(scope="module")
def served(emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """`twilio-acs serve --log-json` on the shared emulator; stopped after the module's tests."""
    folder = tmp_path_factory.mktemp("serve-ops")
    process = Process(
        [CLI, "serve", "--port", "0", "--log-json"], _credentialled(emulator, folder), folder
    )
    process.announced_url()
    yield process
    assert process.stop() == 0, process.stderr


@pytest.fixture(scope="module")
def url(served: Process) -> str:
    return served.url


def test_healthz_answers_without_credentials(url: str) -> None:
    answer = requests.get(f"{url}/healthz", timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
    assert answer.headers["content-type"] == "application/json"


def test_readyz_checks_the_store_and_acs(url: str) -> None:
    answer = requests.get(f"{url}/readyz", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready", "checks": {"store": "ok", "acs": "ok"}}


def test_metrics_count_requests_by_operation_and_status(url: str) -> None:
    created = requests.post(
        f"{url}/v1/Conversations", data={"FriendlyName": "metered"}, auth=AUTH, timeout=30
    )
    assert created.status_code == 201, created.text
    missing = requests.get(f"{url}/v1/Conversations/CH{'0' * 32}", auth=AUTH, timeout=30)
    assert missing.status_code == 404
    scraped = requests.get(f"{url}/metrics", timeout=10)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert 'twilio_compat_requests_total{operation="conversation.create",status="201"} 1.0' in text
    assert 'twilio_compat_requests_total{operation="conversation.fetch",status="404"} 1.0' in text
    assert 'twilio_compat_request_seconds_bucket{le="+Inf",operation="conversation.create"}' in text
    assert "twilio_compat_webhooks_total" in text
    assert "twilio_compat_eventgrid_deliveries_total" in text
    assert 'twilio_compat_acs_requests_total{service="chat",status="201"}' in text
    assert 'twilio_compat_acs_request_seconds_bucket{le="+Inf",service="chat"}' in text


def test_logs_are_json_and_access_lines_carry_no_query_string(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    process = Process(
        [CLI, "serve", "--port", "0", "--log-json", "--log-level", "debug"],
        _credentialled(emulator, tmp_path),
        tmp_path,
    )
    url = process.announced_url()
    listed = requests.get(f"{url}/v1/Conversations?PageSize=1", auth=AUTH, timeout=30)
    assert listed.status_code == 200
    probed = requests.get(f"{url}/healthz?secret=never-logged", timeout=30)
    assert probed.status_code == 200
    assert process.stop() == 0, process.stderr
    assert "never-logged" not in process.stdout + process.stderr
    access = [json.loads(line) for line in process.stdout.splitlines()[1:]]
    assert [(line["method"], line["path"], line["status"]) for line in access] == [
        ("GET", "/v1/Conversations", 200),
        ("GET", "/healthz", 200),
    ]
    assert access[0]["logger"] == "uvicorn.access"
    logged = [json.loads(line) for line in process.stderr.splitlines()]
    assert {line["logger"] for line in logged} >= {"uvicorn.error"}
    assert all({"time", "level", "pid", "message"} <= line.keys() for line in logged)


def test_readyz_names_acs_when_it_is_out_of_reach(tmp_path: Path) -> None:
    from acs_emulator import AcsEmulator

    with AcsEmulator() as doomed:
        process = Process([CLI, "serve", "--port", "0"], _credentialled(doomed, tmp_path), tmp_path)
        url = process.announced_url()
        assert requests.get(f"{url}/readyz", timeout=10).status_code == 200
    try:
        started = time.monotonic()
        answer = requests.get(f"{url}/readyz", timeout=30)
        assert time.monotonic() - started < 10
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unready" and body["checks"]["store"] == "ok"
        assert body["checks"]["acs"] != "ok"
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    finally:
        assert process.stop() == 0, process.stderr


def test_embedded_emulator_access_lines_stay_out_of_the_output(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ACS_"))}
    env.update(
        PYTHONUNBUFFERED="1",
        ACS_CONNECTION_STRING="embedded",
        TWILIO_COMPAT_STORE=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
    )
    process = Process([CLI, "serve", "--port", "0"], env, tmp_path)
    url = process.announced_url()
    created = requests.post(
        f"{url}/v1/Conversations", data={"FriendlyName": "quiet"}, auth=AUTH, timeout=30
    )
    assert created.status_code == 201, created.text
    assert process.stop() == 0, process.stderr
    access = [line for line in process.stdout.splitlines()[1:] if line.strip()]
    assert len(access) == 1 and '"POST /v1/Conversations HTTP/1.1" 201' in access[0], access
    for emulator_path in ("/identities", "/chat/threads", "api-version"):
        assert emulator_path not in process.stdout + process.stderr
    # The emulator's and media server's uvicorn keep their start and stop lines to themselves.
    assert process.stderr.count("Finished server process") == 1, process.stderr


def test_uvicorn_factory_workers_share_the_store(emulator: AcsEmulator, tmp_path: Path) -> None:
    """Two worker processes from the documented factory: what one creates, both serve, and
    /metrics sums both when they share PROMETHEUS_MULTIPROC_DIR."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = _credentialled(
        emulator,
        tmp_path,
        TWILIO_COMPAT_LOG_JSON="true",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    port = _free_port()
    args = [sys.executable, "-m", "uvicorn", "--factory", "twilio_compat.rest.asgi:app_factory"]
    process = Process([*args, "--workers", "2", "--port", str(port)], env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        process.wait_healthy(url)
        created = requests.post(
            f"{url}/v1/Conversations",
            data={"UniqueName": "two-workers"},
            auth=AUTH,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        fetches = _fetch_until_both_workers_answer(process, url, created.json())
        scraped = requests.get(f"{url}/metrics", timeout=10).text
    finally:
        process.stop()
    assert "Traceback" not in process.stderr, process.stderr
    total = f'twilio_compat_requests_total{{operation="conversation.fetch",status="200"}} {fetches}'
    assert f"{total}.0" in scraped, scraped  # both workers' counts, summed


def test_serve_workers_share_the_store(emulator: AcsEmulator, tmp_path: Path) -> None:
    env = _credentialled(emulator, tmp_path, TWILIO_COMPAT_WORKERS="2")
    process = Process([CLI, "serve", "--port", "0", "--log-json"], env, tmp_path)
    url = process.announced_url()
    try:
        process.wait_healthy(url)
        created = requests.post(
            f"{url}/v1/Conversations", data={"UniqueName": "serve-workers"}, auth=AUTH, timeout=30
        )
        assert created.status_code == 201, created.text
        fetches = _fetch_until_both_workers_answer(process, url, created.json())
        scraped = requests.get(f"{url}/metrics", timeout=10).text
    finally:
        assert process.stop() == 0, process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    total = f'twilio_compat_requests_total{{operation="conversation.fetch",status="200"}} {fetches}'
    assert f"{total}.0" in scraped, scraped  # both workers' counts, summed


def test_serve_refuses_several_workers_on_an_embedded_emulator(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ACS_"))}
    env.update(ACS_CONNECTION_STRING="embedded", TWILIO_ACCOUNT_SID=ACCOUNT_SID)
    env.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_COMPAT_STORE=f"sqlite:///{tmp_path}/s.db")
    result = subprocess.run(
        [CLI, "serve", "--port", "0", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "several workers need a shared ACS" in result.stderr


def test_the_log_level_drops_quieter_lines(emulator: AcsEmulator, tmp_path: Path) -> None:
    process = Process(
        [CLI, "serve", "--port", "0", "--log-level", "warning"],
        _credentialled(emulator, tmp_path),
        tmp_path,
    )
    url = process.announced_url()
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    assert process.stop() == 0, process.stderr
    assert process.stdout.splitlines()[1:] == []  # access lines are info
    assert "Application startup complete" not in process.stderr


def test_without_prometheus_client_metrics_answer_404_and_serve_says_which_extra(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    hide = "import sys; sys.modules['prometheus_client'] = None"  # as if it were not installed
    run = "sys.argv = ['twilio-acs', 'serve', '--port', '0']; from twilio_compat.cli import main"
    process = Process(
        [sys.executable, "-c", f"{hide}; {run}; main()"],
        _credentialled(emulator, tmp_path),
        tmp_path,
    )
    url = process.announced_url()
    assert requests.get(f"{url}/metrics", timeout=10).status_code == 404
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    assert process.stop() == 0, process.stderr
    extra = [line for line in process.stderr.splitlines() if "[serve]" in line]
    assert len(extra) == 1 and "prometheus-client" in extra[0], process.stderr


def test_eventgrid_deliveries_are_counted_and_their_secret_never_logged(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    secret = "eventgrid-secret-" + "s" * 32
    env = _credentialled(emulator, tmp_path, ACS_EVENTGRID_SECRET=secret)
    process = Process([CLI, "serve", "--port", "0"], env, tmp_path)
    url = process.announced_url()
    validation = {
        "id": "validation-1",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "subject": "",
        "eventTime": "2026-01-01T00:00:00Z",
        "dataVersion": "1",
        "data": {"validationCode": "code-1"},
    }
    try:
        accepted = requests.post(f"{url}/eventgrid?secret={secret}", json=[validation], timeout=30)
        assert accepted.status_code == 200, accepted.text
        refused = requests.post(f"{url}/eventgrid?secret=wrong", json=[validation], timeout=30)
        assert refused.status_code == 401
        scraped = requests.get(f"{url}/metrics", timeout=10).text
    finally:
        assert process.stop() == 0, process.stderr
    assert 'twilio_compat_eventgrid_deliveries_total{status="200"} 1.0' in scraped
    assert 'twilio_compat_eventgrid_deliveries_total{status="401"} 1.0' in scraped
    assert secret not in process.stdout + process.stderr
    assert '"POST /eventgrid HTTP/1.1" 401' in process.stdout
