"""Every entry point answers as the Twilio account its client is built with.

Twilio stamps each resource with the account that owns it (``account_sid`` in every body,
``AccountSid`` in every webhook, signed with that account's auth token:
twilio.com/docs/usage/webhooks/webhooks-security). The shim answers as the account of the
twilio client (its credentials), else ``TWILIO_ACCOUNT_SID``, in every entry point alike.
"""

from __future__ import annotations

from typing import Any

import twilio.rest
from twilio.request_validator import RequestValidator

import twilio_compat
from tests.webhooks.conftest import WebhookServer
from twilio_compat.rest import AcsHttpClient
from twilio_compat.settings import Settings
from twilio_compat.webhooks import TwilioWebhooks

from .conftest import ENV_ACCOUNT_SID, ENV_AUTH_TOKEN

MINE = "AC" + "a" * 32
OTHER = "AC" + "b" * 32


def _accounts_seen(client: Any, unique: str) -> set[str]:
    """The ``account_sid`` of every kind of resource the client creates or reads."""
    v1 = client.conversations.v1
    conversation = v1.conversations.create(unique_name=f"acct-{unique}-{client.account_sid}")
    participant = v1.conversations(conversation.sid).participants.create(identity=f"ada-{unique}")
    message = v1.conversations(conversation.sid).messages.create(author="ada", body="hi")
    user = v1.users(f"ada-{unique}").fetch()
    service = v1.services(conversation.chat_service_sid).fetch()
    configuration = v1.configuration().fetch()
    items = (conversation, participant, message, user, service, configuration)
    return {item.account_sid for item in items}


def test_rest_client_answers_as_the_account_it_is_built_with(
    acs_environment: None, unique: str
) -> None:
    from twilio_compat.rest import Client

    assert _accounts_seen(Client(MINE, "token"), unique) == {MINE}
    assert _accounts_seen(Client(OTHER, "token"), unique) == {OTHER}
    assert _accounts_seen(Client(), unique) == {ENV_ACCOUNT_SID}


def test_api_key_clients_answer_as_their_account(acs_environment: None, unique: str) -> None:
    from twilio_compat.rest import Client

    client = Client("SK" + "1" * 32, "key-secret", MINE)
    assert _accounts_seen(client, unique) == {MINE}


def test_install_answers_as_each_clients_account(acs_environment: None, unique: str) -> None:
    twilio_compat.install()
    try:
        assert _accounts_seen(twilio.rest.Client(MINE, "token"), unique) == {MINE}
    finally:
        twilio_compat.uninstall()


def test_acs_http_client_answers_as_the_clients_account(acs_environment: None, unique: str) -> None:
    with AcsHttpClient() as http:
        client = twilio.rest.Client(MINE, "token", http_client=http)
        assert _accounts_seen(client, unique) == {MINE}
        api_key = twilio.rest.Client("SK" + "1" * 32, "secret", OTHER, http_client=http)
        assert _accounts_seen(api_key, unique + "k") == {ENV_ACCOUNT_SID}  # no account in its auth


def test_webhooks_carry_the_configured_account_and_its_signature(
    acs_environment: None, unique: str
) -> None:
    """A program that posts webhooks beside ``AcsHttpClient()`` signs them as
    ``TWILIO_ACCOUNT_SID`` with ``TWILIO_AUTH_TOKEN``, never as an account made up from ACS."""
    settings = Settings.load(allow_private_webhooks=True)  # the receiver is on 127.0.0.1
    with AcsHttpClient(settings) as http, WebhookServer().running() as hooks_server:
        webhooks = TwilioWebhooks.for_account(
            http.handler.core, settings.account, settings.webhooks
        ).install()
        try:
            client = twilio.rest.Client(ENV_ACCOUNT_SID, ENV_AUTH_TOKEN, http_client=http)
            client.conversations.v1.configuration.webhooks().update(
                pre_webhook_url=hooks_server.url, filters=["onConversationAdd"], method="POST"
            )
            created = client.conversations.v1.conversations.create(
                friendly_name=f"hooked-{unique}", x_twilio_webhook_enabled="true"
            )
        finally:
            webhooks.close()
    assert created.account_sid == ENV_ACCOUNT_SID
    (hit,) = hooks_server.of("onConversationAdd")
    assert hit.params["AccountSid"] == ENV_ACCOUNT_SID
    assert RequestValidator(ENV_AUTH_TOKEN).validate(hit.url, hit.params, hit.signature)
