"""`twilio-acs` on expected problems: one `error:` line and a documented exit code.

Each command runs as a real process. A missing extra is a package that fails to import
(a `trustme` shadowed on PYTHONPATH); an unreachable side is a closed local port; refused
credentials are a wrong ACS access key on the real emulator.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from twilio.rest import Client

from tests.migration.source_factory import make_client
from tests.rest.test_serve import ShimHttpClient
from twilio_compat.commands._failures import (
    CONFIGURATION,
    EXIT_CODES,
    UNREACHABLE,
    exit_codes_table,
)

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "twilio-acs")
KEY = base64.b64encode(b"k" * 32).decode()
SCENARIO = """
def scenario(client):
    client.conversations.v1.conversations.create(friendly_name="Front desk")
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dead_acs() -> str:
    """A connection string whose endpoint nothing listens on."""
    return f"endpoint=https://127.0.0.1:{closed_port()}/;accesskey={KEY}"


def unreachable_twilio() -> Client:
    """`--source-factory` / backend: a Twilio whose hosts cannot be reached."""
    http = ShimHttpClient(f"http://127.0.0.1:{closed_port()}")
    return Client("AC" + "2" * 32, "token", http_client=http)


class _RefusingTwilio(http.server.BaseHTTPRequestHandler):
    """Twilio's answer to an account SID / auth token pair it does not know."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            }
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def refusing_twilio() -> Client:
    """`--source-factory`: a Twilio (a real local HTTP server) that refuses the credentials."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RefusingTwilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    http_client = ShimHttpClient(f"http://127.0.0.1:{server.server_address[1]}")
    return Client("AC" + "2" * 32, "wrong-token", http_client=http_client)


def _environment(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ACS_"))}
    python_path = [str(ROOT), env.get("PYTHONPATH", "")]
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in python_path if p),
        TWILIO_COMPAT_STORE=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        TWILIO_COMPAT_MEDIA=(tmp_path / "media").as_uri(),
        **values,
    )
    return env


def fails_in_one_line(command: list[str], env: dict[str, str], code: int, cwd: Path) -> str:
    """Run a command in `cwd` that must fail with `code` and one `error:` line; return it."""
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.returncode == code, done.stderr
    return lines[0]


def test_every_exit_code_is_documented_in_help_and_readme() -> None:
    shown = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True).stdout
    for code, _ in EXIT_CODES:
        assert f" {code} " in " ".join(shown.split())
    assert exit_codes_table() in (ROOT / "README.md").read_text()


def without_the_emulator_extra(env: dict[str, str], folder: Path) -> dict[str, str]:
    """`env` in which `import trustme` fails, as where the `emulator` extra is not installed."""
    shadow = folder / "no-extra" / "trustme"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'trustme'\", name='trustme')\n"
    )
    return {**env, "PYTHONPATH": os.pathsep.join([str(shadow.parent), env["PYTHONPATH"]])}


def test_the_emulator_without_its_extra_names_the_extra(tmp_path: Path) -> None:
    env = without_the_emulator_extra(_environment(tmp_path), tmp_path)
    for command in ([CLI, "emulator", "--port", "0"], [sys.executable, "-m", "acs_emulator"]):
        line = fails_in_one_line(command, env, CONFIGURATION, tmp_path)
        assert "trustme" in line and "twilio-acs-compat[emulator]" in line


def test_compare_on_embedded_acs_without_the_extra_says_so(
    source_env: None, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenario.py"
    scenario.write_text(SCENARIO)
    source = "tests.migration.source_factory:make_client"
    command = [CLI, "compare", str(scenario), "--a", source, "--b", "acs"]
    env = without_the_emulator_extra(_environment(tmp_path), tmp_path)
    line = fails_in_one_line(command, env, CONFIGURATION, tmp_path)
    assert "needs the emulator extra" in line


def test_serve_with_acs_out_of_reach(tmp_path: Path) -> None:
    env = _environment(
        tmp_path,
        ACS_CONNECTION_STRING=dead_acs(),
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="token",
    )
    line = fails_in_one_line([CLI, "serve", "--port", "0"], env, UNREACHABLE, tmp_path)
    assert "could not be reached" in line


def test_serve_with_a_refused_access_key(emulator: AcsEmulator, tmp_path: Path) -> None:
    endpoint = emulator.connection_string.split(";")[0]
    env = _environment(
        tmp_path,
        ACS_CONNECTION_STRING=f"{endpoint};accesskey={KEY}",
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="token",
    )
    line = fails_in_one_line([CLI, "serve", "--port", "0"], env, UNREACHABLE, tmp_path)
    assert "refused the access key" in line


@pytest.fixture
def source_env(emulator: AcsEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A "Twilio" source (the shim over the session emulator) holding one conversation."""
    source = tmp_path / "source"
    source.mkdir()
    values = {
        "MIGRATION_SOURCE_CONNECTION": emulator.connection_string,
        "MIGRATION_SOURCE_CA": str(emulator.ca_bundle),
        "MIGRATION_SOURCE_STORE": f"sqlite:///{source / 'store.sqlite3'}",
        "MIGRATION_SOURCE_MEDIA": (source / "media").as_uri(),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    conversation = make_client().conversations.v1.conversations.create(friendly_name="Orders")
    conversation.messages.create(author="ann", body="where is my order?")


def test_migrate_with_acs_out_of_reach_imports_nothing(source_env: None, tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    command = [
        CLI,
        "migrate",
        "--source-factory",
        "tests.migration.source_factory:make_client",
        "--connection-string",
        dead_acs(),
        "--no-progress",
        "--summary-json",
        str(summary),
    ]
    line = fails_in_one_line(command, _environment(tmp_path), UNREACHABLE, tmp_path)
    assert "could not be reached" in line
    assert not summary.exists()


def test_migrate_with_twilio_out_of_reach(emulator: AcsEmulator, tmp_path: Path) -> None:
    env = _environment(
        tmp_path,
        ACS_CONNECTION_STRING=emulator.connection_string,
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
    )
    command = [CLI, "migrate", "--source-factory", "tests.test_cli:unreachable_twilio"]
    line = fails_in_one_line(command, env, UNREACHABLE, tmp_path)
    assert "Twilio cannot be reached" in line


def test_migrate_with_twilio_refusing_the_credentials(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    env = _environment(
        tmp_path,
        ACS_CONNECTION_STRING=emulator.connection_string,
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
    )
    summary = tmp_path / "summary.json"
    command = [
        CLI,
        "migrate",
        "--source-factory",
        "tests.test_cli:refusing_twilio",
        "--summary-json",
        str(summary),
    ]
    line = fails_in_one_line(command, env, UNREACHABLE, tmp_path)
    assert "401" in line or "credential" in line.lower() or "Authenticate" in line, line
    assert not summary.exists()


def test_compare_reports_an_unreachable_side_as_an_error(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.py"
    scenario.write_text(SCENARIO)
    command = [CLI, "compare", str(scenario), "--a", "tests.test_cli:unreachable_twilio"]
    line = fails_in_one_line(command, _environment(tmp_path), UNREACHABLE, tmp_path)
    assert "unreachable_twilio backend cannot be reached" in line
    assert not (tmp_path / "compare-report").exists()


def test_compare_reports_acs_out_of_reach_or_refusing_its_key(
    source_env: None, emulator: AcsEmulator, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenario.py"
    scenario.write_text(SCENARIO)
    command = [
        CLI,
        "compare",
        str(scenario),
        "--a",
        "tests.migration.source_factory:make_client",
        "--b",
        "acs",
    ]
    unreachable = _environment(tmp_path, ACS_CONNECTION_STRING=dead_acs())
    line = fails_in_one_line(command, unreachable, UNREACHABLE, tmp_path)
    assert "acs backend is unavailable" in line
    endpoint = emulator.connection_string.split(";")[0]
    refused = _environment(
        tmp_path,
        ACS_CONNECTION_STRING=f"{endpoint};accesskey={KEY}",
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
    )
    line = fails_in_one_line(command, refused, UNREACHABLE, tmp_path)
    assert "acs backend refused the credentials" in line
