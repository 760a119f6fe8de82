"""`/metrics` of `twilio-acs serve` times the store: every transaction, on either path."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from acs_emulator import AcsEmulator
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.webhooks.test_serve_events import _free_port, _serving

AUTH = (ACCOUNT_SID, AUTH_TOKEN)


def _store_count(text: str) -> float:
    found = re.search(r"^twilio_compat_store_seconds_count (\S+)$", text, re.MULTILINE)
    assert found is not None, text
    return float(found.group(1))


def test_store_operations_are_timed_in_metrics(tmp_path: Path) -> None:
    with AcsEmulator() as emulator, _serving(emulator, tmp_path, _free_port()) as url:
        before = _store_count(requests.get(f"{url}/metrics", timeout=10).text)
        created = requests.post(
            f"{url}/v1/Conversations", data={"FriendlyName": "timed"}, auth=AUTH, timeout=30
        )
        assert created.status_code == 201, created.text
        sid = created.json()["sid"]
        sent = requests.post(
            f"{url}/v1/Conversations/{sid}/Messages",
            data={"Author": "ada", "Body": "hello"},
            auth=AUTH,
            timeout=30,
        )
        assert sent.status_code == 201, sent.text
        text = requests.get(f"{url}/metrics", timeout=10).text
    assert _store_count(text) >= before + 2
    assert "# TYPE twilio_compat_store_seconds histogram" in text
    assert re.search(r'^twilio_compat_store_seconds_bucket\{le="0\.05"\} \d', text, re.MULTILINE)
    total = re.search(r"^twilio_compat_store_seconds_sum (\S+)$", text, re.MULTILINE)
    assert total is not None and float(total.group(1)) > 0
