"""Text no wire can carry: a Python ``str`` holding a lone surrogate.

Such a value can reach the shim only in-process (the client face, or twilio-python's
http_client seam); the core refuses it with Twilio's 400 before anything is written.
"""

from __future__ import annotations

import pytest

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.hostile.wire import acs_writes, call, store_counts
from twilio_compat.core import errors
from twilio_compat.core.conversations import ConversationFields
from twilio_compat.core.messages import MessageFields
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.core.users import UserFields
from twilio_compat.rest import WireHandler

LONE = "half a pair \ud83d"


@pytest.mark.parametrize(
    "build",
    [
        lambda: ConversationFields(friendly_name=LONE),
        lambda: ConversationFields(attributes='{"a": "' + LONE + '"}'),
        lambda: MessageFields(body=LONE),
        lambda: MessageFields(author="a", body="b", media_sids=("ME" + "0" * 32, LONE)),
        lambda: ParticipantFields(identity=LONE),
        lambda: UserFields(friendly_name=LONE),
    ],
)
def test_fields_refuse_lone_surrogates(build: object) -> None:
    with pytest.raises(errors.TwilioApiError) as refused:
        build()  # type: ignore[operator]
    assert refused.value.status == 400 and "not valid Unicode" in refused.value.message


def test_core_write_with_lone_surrogate_changes_nothing(
    adapter: AcsAdapter, handler: WireHandler, emulator: AcsEmulator
) -> None:
    status, created = call(handler, "POST", "/Conversations", {"FriendlyName": ["target"]})
    assert status == 201
    counts, writes = store_counts(adapter), acs_writes(emulator)
    core = handler.core
    service = core.services.default_sid
    with pytest.raises(errors.TwilioApiError):
        core.messages.create(service, created["sid"], MessageFields(body=LONE))
    with pytest.raises(errors.TwilioApiError):
        core.conversations.update(service, created["sid"], ConversationFields(friendly_name=LONE))
    assert store_counts(adapter) == counts and acs_writes(emulator) == writes
