"""Several `twilio-acs serve` replicas on one store post each webhook once, in order, and keep
posting when one of them is killed (-9) mid-run and started again."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.rest import Client

from acs_emulator import AcsEmulator
from tests.rest.test_serve import CLI, ShimHttpClient, _environment
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN, WebhookServer

pytestmark = pytest.mark.slow

REPLICAS = 3
MESSAGES = 24
BOUND = 90.0


class Replica:
    """One `twilio-acs serve` process; `kill()` is SIGKILL, as an OOM killer or a node loss."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self._log = log
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Replica:
        with self._log.open("a") as errors:
            self.process = subprocess.Popen(
                [CLI, "serve", "--port", "0"],
                env=self._env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.process.kill()
            pytest.fail(f"a replica did not start: {line}{self._log.read_text()}")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.url = line.rsplit(" ", 1)[1].strip()
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


@pytest.fixture
def replicas(tmp_path: Path, store_url: str) -> Iterator[tuple[AcsEmulator, list[Replica]]]:
    with AcsEmulator() as emulator:
        env = _environment(
            emulator,
            tmp_path,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_COMPAT_POLL_INTERVAL="0.5",
            TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS="true",  # the receiver is on 127.0.0.1
        )
        env["TWILIO_COMPAT_STORE"] = store_url
        started = [Replica(env, tmp_path / f"replica-{n}.log").start() for n in range(REPLICAS)]
        try:
            yield emulator, started
        finally:
            for replica in started:
                replica.stop()


def _client(replica: Replica) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(replica.url))


def test_each_webhook_is_posted_once_across_replicas_while_one_is_killed(
    replicas: tuple[AcsEmulator, list[Replica]],
) -> None:
    _, servers = replicas
    with WebhookServer().running() as hooks:
        first = _client(servers[0])
        first.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=["onMessageAdded"], method="POST"
        )
        conversation = first.conversations.v1.conversations.create(friendly_name="Replicated")
        conversation.participants.create(identity="rita")
        sent: list[str] = []
        for number in range(MESSAGES):
            if number == MESSAGES // 3:
                servers[0].kill()  # the first replica most likely holds the posting lease
            if number == 2 * MESSAGES // 3:
                servers[0].start()
            alive = [s for s in servers if s.process is not None and s.process.poll() is None]
            replica = alive[number % len(alive)]
            message = (
                _client(replica)
                .conversations.v1.conversations(conversation.sid)
                .messages.create(
                    author="rita", body=f"message {number}", x_twilio_webhook_enabled="true"
                )
            )
            sent.append(message.sid)

        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            posted = {h.params["MessageSid"] for h in hooks.of("onMessageAdded")}
            if posted >= set(sent):
                break
            time.sleep(0.1)
        time.sleep(1.0)  # anything posted twice would arrive by now
        hits = hooks.of("onMessageAdded")

    posted_sids = [h.params["MessageSid"] for h in hits]
    assert set(posted_sids) == set(sent), "every message's webhook is posted"
    assert all(h.signed() for h in hits)
    repeats = {sid: n for sid, n in Counter(posted_sids).items() if n > 1}
    for sid in repeats:  # only a post cut short by the kill may come again, as a retry
        assert len({h.token for h in hits if h.params["MessageSid"] == sid}) == 1, sid
    assert len(repeats) <= 1, repeats
    first_posts = list(dict.fromkeys(posted_sids))
    assert first_posts == sent, "posted in the order the messages were sent"
