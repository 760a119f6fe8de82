"""Every example of the migration guide runs, as a user would run it, on the embedded emulator.

Each example is a separate ``python`` process with ``ACS_CONNECTION_STRING=embedded`` and a
fresh store in a temporary folder, so it proves exactly what the guide promises: set the
environment, run the file, see the output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from migration_guide import generate

EXAMPLES = generate.EXAMPLES
ACCOUNT_SID = "AC" + "0" * 32

# What each example must print: the facts the guide's text claims about it.
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        r"^conversation CH[0-9a-f]{32} Order 1234$",
        r"^participant MB[0-9a-f]{32} alice$",
        r"^participant MB[0-9a-f]{32} bob$",
        r"^message 0 alice Where is my order\?$",
        r"^message 1 bob On its way!$",
        r"^state closed$",
        r"^deleted CH[0-9a-f]{32}$",
    ],
    "handling_errors.py": [
        r"^duplicate 409 50353$",
        r"^missing 404 20404$",
        r"^unsupported 400 20001 .*not supported on Azure Communication Services Chat because "
        r".+\.$",
        r"^invalid 400 50304$",
        r"^created \[\]$",
    ],
    "async_client.py": [r"^messages \['ping 0', 'ping 1', 'ping 2'\] \[0, 1, 2\]$"],
    "read_horizon.py": [
        r"^user US[0-9a-f]{32} carol@example.com Carol$",
        r"^read horizon 1$",
        r"^unread Team 2$",
    ],
    "sending_media.py": [
        r"^uploaded ME[0-9a-f]{32} image/png car.png 25$",
        r"^message media \[\('ME[0-9a-f]{32}', 'car.png'\)\]$",
        r"^downloaded 25 bytes$",
    ],
    "token_endpoint_twilio.py": [r"^twilio token for alice with 2 dots$"],
    "client_token_endpoint.py": [r"^twilio token for alice with 2 dots$"],
    "client_quickstart.py": [
        r"^sent 0 1$",
        r"^bob got 0 alice Here is the route \{'importance': 'high'\}$",
        r"^bob downloaded route.txt b'A7 then A9'$",
        r"^bob got 1 alice See you at 8 \{\}$",
        r"^history \[\(0, 'alice', 'Here is the route'\), \(1, 'alice', 'See you at 8'\)\]$",
    ],
    "webhooks_receiver.py": [
        r"^webhook onMessageAdded API Hello signature valid$",
        r"^vetoed 403 20403$",
        r"^webhook onMessageAdded SDK alice Sent with the ACS SDK$",
        r"^indices \[0, 1, 2\]$",
    ],
    "migrate_incrementally.py": [
        r"^conversation order-2001 on ACS$",
        r"^conversation order-2002 on Twilio$",
        r"^conversation order-1001 on Twilio$",
        r"^listed \['order-1001', 'order-2001', 'order-2002'\]$",
        r"^imported 3 messages, ok True$",
        r"^conversation order-1001 on ACS$",
        r"^same SIDs and indices True$",
        r"^next message 3 on ACS$",
    ],
    "sms_and_whatsapp.py": [
        r"^participant sms None$",
        r"^texted from \+18005550100 Your parcel arrives at 3pm\.$",
        r"^receipt delivered all$",
        r"^reply Great, thanks!$",
        r"^template text Hi Ann, your order 42 has been updated\.$",
        r"^whatsapp template order_update en_US$",
    ],
    "token_endpoint.py": [
        r"^acs user for alice is 8:acs:\S+$",
        r"^same user again: True$",
        r"^thread Hello from an ACS-native client$",
    ],
}
# Run through another example rather than alone: (launcher, script, expectations of).
LAUNCHED = {"run_unchanged.py": ("quickstart_twilio.py", "quickstart.py")}
# Not a script: a scenario file that `twilio-acs compare` runs.
SCENARIOS = {"compare_scenario.py"}


def run_example(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACS_", "TWILIO_", "AZURE_"))
    }
    env.update(
        ACS_CONNECTION_STRING="embedded",
        TWILIO_COMPAT_STORE=f"sqlite:///{folder / 'store.sqlite3'}",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN="local-auth-token",
        TWILIO_API_KEY="SK" + "1" * 32,
        TWILIO_API_SECRET="guide-test-api-key-secret-0123456789",
        TWILIO_STAND_IN_STORE=f"sqlite:///{folder / 'twilio-stand-in.sqlite3'}",
    )
    command = [sys.executable, *(str(EXAMPLES / name) for name in files)]
    return run(command, folder, env)


def run(command: list[str], folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def assert_prints(result: subprocess.CompletedProcess[str], patterns: list[str]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    for pattern in patterns:
        assert any(re.match(pattern, line) for line in lines), (pattern, lines)


def test_every_example_is_covered_here() -> None:
    on_disk = {path.name for path in EXAMPLES.glob("*.py")}
    covered = set(EXPECTED) | set(LAUNCHED) | {script for script, _ in LAUNCHED.values()}
    covered |= SCENARIOS
    assert on_disk == covered


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_and_prints_what_the_guide_says(name: str, tmp_path: Path) -> None:
    assert_prints(run_example(tmp_path, name), EXPECTED[name])


def test_twilio_script_runs_unchanged_through_install(tmp_path: Path) -> None:
    launcher = "run_unchanged.py"
    script, like = LAUNCHED[launcher]
    assert "from twilio.rest import Client" in (EXAMPLES / script).read_text()
    assert_prints(run_example(tmp_path, launcher, script), EXPECTED[like])
    assert (tmp_path / "store.sqlite3").is_file(), "it ran on the shim, not on Twilio"


def test_after_differs_from_before_only_in_the_import_and_docstring() -> None:
    before = (EXAMPLES / "quickstart_twilio.py").read_text().splitlines()
    after = (EXAMPLES / "quickstart.py").read_text().splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed[1:] == [
        ("from twilio.rest import Client", "from twilio_compat.rest import Client")
    ]
    assert changed[0][0].startswith('"""Before') and changed[0][1].startswith('"""After')


def test_client_token_endpoint_differs_only_in_its_imports() -> None:
    before = (EXAMPLES / "token_endpoint_twilio.py").read_text().split('"""', 2)[2]
    after = (EXAMPLES / "client_token_endpoint.py").read_text().split('"""', 2)[2]
    assert after == before.replace("from twilio.jwt.", "from twilio_compat.jwt.")
    assert after != before


def test_client_face_accepts_tokens_from_twilio_jwt_too() -> None:
    """The guide says a token endpoint may keep ``twilio.jwt``: the client face verifies it."""
    from twilio.jwt.access_token import AccessToken
    from twilio.jwt.access_token.grants import ChatGrant

    from twilio_compat.conversations import SigningKeys

    secret = "guide-test-api-key-secret-0123456789"
    token = AccessToken(ACCOUNT_SID, "SK" + "1" * 32, secret, identity="alice")
    token.add_grant(ChatGrant(service_sid="IS" + "2" * 32))
    keys = SigningKeys.load(
        api_key="SK" + "1" * 32, api_secret=secret, account_sid=ACCOUNT_SID, environ={}
    )
    verified = keys.verify(token.to_jwt())
    assert (verified.identity, verified.service_sid) == ("alice", "IS" + "2" * 32)


def test_compare_scenario_records_once_and_compares(tmp_path: Path) -> None:
    """The guide's compare workflow: record a transcript, then compare the shim against it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACS_", "TWILIO_"))}
    env.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN="local-auth-token")
    cli = [
        sys.executable,
        "-m",
        "twilio_compat.cli",
        "compare",
        str(EXAMPLES / "compare_scenario.py"),
    ]
    recorded = run([*cli, "--a", "acs", "--record", "recorded.json"], tmp_path, env)
    assert recorded.returncode == 0, recorded.stderr[-3000:]
    assert re.search(r"recorded 8 exchanges on acs .*\(completed\)", recorded.stdout)
    compared = run([*cli, "--a", "recorded.json", "--b", "acs", "--out", "report"], tmp_path, env)
    assert compared.returncode == 0, compared.stdout + compared.stderr[-3000:]
    assert "identical: 8 exchanges behave alike" in compared.stdout
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| 7 | `POST https://<conversations>/v1/Conversations` | 409 | 409 | same |" in report
    assert (tmp_path / "report" / "report.html").is_file()


@pytest.mark.slow
def test_examples_rerun_on_the_same_store(tmp_path: Path) -> None:
    """Users run examples twice; the second run must not trip over the first one's data."""
    for name in (
        "quickstart.py",
        "handling_errors.py",
        "read_horizon.py",
        "client_quickstart.py",
        "migrate_incrementally.py",
        "webhooks_receiver.py",
    ):
        assert_prints(run_example(tmp_path, name), EXPECTED[name])
        assert_prints(run_example(tmp_path, name), EXPECTED[name])
