"""Webhook targets: private, loopback and link-local addresses are refused unless allowed, the
address checked is the address connected to, and logs never show a URL's credentials."""

from __future__ import annotations

import base64
import logging
import uuid

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.webhooks.conftest import AUTH_TOKEN, WebhookServer
from twilio_compat.core.errors import TwilioApiError
from twilio_compat.rest import WireHandler
from twilio_compat.webhooks import TwilioWebhooks, Webhook, WebhookSender
from twilio_compat.webhooks.targets import Resolve, for_logs, is_public

PRE = {"EventType": "onMessageAdd", "Body": "hi"}
POST = {"EventType": "onMessageAdded", "Body": "hi"}


@pytest.mark.parametrize(
    "address",
    [
        "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
        "::",
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "100.127.255.254",
        "169.254.169.254",
        "fe80::1",
        "fe80::1%1",
        "fc00::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
        "::7f00:1",
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_global_addresses_are_public(address: str) -> None:
    assert is_public(address)


def test_logs_show_a_url_without_credentials_or_query() -> None:
    assert for_logs("https://u:p@[::1]:8443/a/b?token=x#f") == "https://[::1]:8443/a/b"
    assert for_logs("http://hooks.example.com/x?y=1") == "http://hooks.example.com/x"


def _resolving(answers: dict[str, list[str]], asked: list[str] | None = None) -> Resolve:
    """A resolver with fixed answers that notes each host it is asked for."""

    async def resolver(host: str, port: int) -> list[str]:
        if asked is not None:
            asked.append(host)
        return answers[host]

    return resolver


def test_a_pre_event_to_a_private_address_refuses_the_write(
    webhook_server: WebhookServer,
) -> None:
    sender = WebhookSender("token")
    try:
        with pytest.raises(TwilioApiError) as refused:
            sender.call_pre_event(Webhook(webhook_server.url, "POST", PRE))
    finally:
        sender.close()
    assert (refused.value.status, refused.value.code) == (403, 20403)
    assert webhook_server.hits == []


def test_localhost_is_refused(webhook_server: WebhookServer) -> None:
    sender = WebhookSender("token")
    try:
        with pytest.raises(TwilioApiError):
            url = f"http://localhost:{webhook_server.port}/hook"
            sender.call_pre_event(Webhook(url, "POST", PRE))
    finally:
        sender.close()
    assert webhook_server.hits == []


def test_a_public_name_that_resolves_to_a_private_address_is_refused(
    webhook_server: WebhookServer,
) -> None:
    """Every address a name resolves to is checked, not only the first."""
    asked: list[str] = []
    answers = {
        "hooks.example.com": ["127.0.0.1"],
        "mixed.example.com": ["93.184.216.34", "10.0.0.7"],
    }
    sender = WebhookSender("token", resolver=_resolving(answers, asked))
    try:
        for host in answers:
            with pytest.raises(TwilioApiError):
                url = f"http://{host}:{webhook_server.port}/hook"
                sender.call_pre_event(Webhook(url, "POST", PRE))
    finally:
        sender.close()
    assert asked == list(answers)
    assert webhook_server.hits == []


def test_the_connection_goes_to_the_address_that_was_checked(
    webhook_server: WebhookServer,
) -> None:
    """With private targets allowed, a name no DNS knows reaches the receiver: the one
    resolution the check saw is the address connected to, and the Host stays the name."""
    asked: list[str] = []
    answers = {"hooks.invalid": ["127.0.0.1"], "two.invalid": ["127.0.0.2", "127.0.0.1"]}
    sender = WebhookSender("token", allow_private=True, resolver=_resolving(answers, asked))
    try:
        url = f"http://hooks.invalid:{webhook_server.port}/hook"
        assert sender.call_pre_event(Webhook(url, "POST", PRE)).status == 200
        assert sender.call_pre_event(Webhook(url, "POST", PRE)).status == 200
        # Nothing listens on 127.0.0.2: the next checked address is tried.
        other = f"http://two.invalid:{webhook_server.port}/hook"
        assert sender.call_pre_event(Webhook(other, "POST", PRE)).status == 200
    finally:
        sender.close()
    assert asked == list(answers)  # once per connection, and the connection was reused
    hosts = [hit.host.split(":")[0] for hit in webhook_server.hits]
    assert hosts == ["hooks.invalid", "hooks.invalid", "two.invalid"]


def test_a_post_event_to_a_private_address_is_dropped_and_logged_once(
    webhook_server: WebhookServer, caplog: pytest.LogCaptureFixture
) -> None:
    sender = WebhookSender("token", base_delay=30.0)  # a retry would outlast the test
    try:
        with caplog.at_level(logging.INFO, logger="twilio_compat.webhooks"):
            sender.send(Webhook(webhook_server.url, "POST", POST))
            sender.send(Webhook(webhook_server.url, "POST", POST))
            assert sender.wait_idle(10)
    finally:
        sender.close()
    assert (sender.delivered, sender.dropped) == (0, 2)
    assert webhook_server.hits == []
    refusals = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert len(refusals) == 1 and "TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS" in refusals[0].getMessage()


def test_allowed_private_targets_are_called(webhook_server: WebhookServer) -> None:
    sender = WebhookSender("token", allow_private=True)
    try:
        assert sender.call_pre_event(Webhook(webhook_server.url, "POST", PRE)).status == 200
        sender.send(Webhook(webhook_server.url, "POST", POST))
        assert sender.wait_idle(10)
    finally:
        sender.close()
    assert [hit.event_type for hit in webhook_server.hits] == ["onMessageAdd", "onMessageAdded"]
    assert sender.delivered == 1


def test_a_refused_pre_event_refuses_a_rest_write_and_writes_nothing(
    client: Client, handler: WireHandler, webhook_server: WebhookServer
) -> None:
    hooks = TwilioWebhooks(handler.core, AUTH_TOKEN).install()  # private targets not allowed
    try:
        conversation = client.conversations.v1.conversations.create(friendly_name="Guarded")
        client.conversations.v1.configuration.webhooks().update(
            pre_webhook_url=webhook_server.url, filters=["onMessageAdd"], method="POST"
        )
        author = f"gus-{uuid.uuid4().hex[:8]}"
        with pytest.raises(TwilioRestException) as refused:
            conversation.messages.create(
                author=author, body="hello", x_twilio_webhook_enabled="true"
            )
        assert (refused.value.status, refused.value.code) == (403, 20403)
        assert conversation.messages.list() == []
    finally:
        hooks.close()
        handler.core.configuration.update_account_webhooks(
            {"pre_webhook_url": None, "post_webhook_url": None, "filters": []}
        )
    assert webhook_server.hits == []


def test_credentials_and_query_strings_never_reach_the_logs(
    webhook_server: WebhookServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused, unreachable, failing and answered calls, pre- and post-event, with every
    logger at DEBUG (httpcore's too); the receiver still gets the credentials as Basic auth."""
    secret_url = f"http://ann:pa55word@127.0.0.1:{webhook_server.port}/hook?token=qu3ry"
    closed_url = "http://ann:pa55word@127.0.0.1:9/hook?token=qu3ry"
    # Post-events fail (500) and are retried; pre-events are answered.
    webhook_server.answer = lambda hit: (500 if hit.event_type == "onMessageAdded" else 200, None)
    refusing = WebhookSender("token", max_attempts=1)
    allowing = WebhookSender("token", allow_private=True, max_attempts=2, base_delay=0.01)
    try:
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(TwilioApiError):
                refusing.call_pre_event(Webhook(secret_url, "POST", PRE))
            refusing.send(Webhook(secret_url, "POST", POST))
            assert allowing.call_pre_event(Webhook(secret_url, "GET", PRE)).status == 200
            assert allowing.call_pre_event(Webhook(closed_url, "POST", PRE)).status is None
            allowing.send(Webhook(secret_url, "POST", POST))
            allowing.send(Webhook(closed_url, "GET", POST))
            assert refusing.wait_idle(10) and allowing.wait_idle(10)
    finally:
        refusing.close()
        allowing.close()
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("pa55word", "ann:", "qu3ry", "token="):
        assert secret not in logged
    assert "http://127.0.0.1:9/hook" in logged
    assert f"http://127.0.0.1:{webhook_server.port}/hook" in logged
    basic = "Basic " + base64.b64encode(b"ann:pa55word").decode()
    assert {hit.authorization for hit in webhook_server.hits} == {basic}
