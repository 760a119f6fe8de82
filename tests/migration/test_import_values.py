"""Imported history gets what Twilio would have given it: default roles, JSON attributes."""

from __future__ import annotations

from tests.migration.conftest import Side
from twilio_compat.core import Core
from twilio_compat.core.configuration import ROLE_SETTINGS
from twilio_compat.core.roles import built_in_sid
from twilio_compat.migration import HistoryImport, ImportOptions, TwilioSource
from twilio_compat.sids import new_sid


def test_history_without_roles_gets_the_default_roles_and_nan_is_not_kept(
    twilio_side: Side, acs_side: Side, unique: str
) -> None:
    """Twilio gives every participant and user a role (the service configuration's defaults,
    twilio.com/docs/conversations/api/service-configuration-resource); an export without
    them gets those defaults. ``NaN`` is not JSON, so attributes holding it are not kept."""
    twilio = twilio_side.client.conversations.v1
    service_sid = twilio.configuration().fetch().default_chat_service_sid
    store = twilio_side.adapter.store
    store.users.insert(
        sid=new_sid("US"),
        scope=service_sid,
        identity=f"old-{unique}",
        attributes='{"a":NaN}',
    )
    conversation = twilio.conversations.create(unique_name=f"old-{unique}")
    store.participants.insert(
        sid=new_sid("MB"),
        conversation_sid=conversation.sid,
        identity=f"old-{unique}",
        attributes='{"b":Infinity}',
    )

    core = Core(acs_side.adapter)
    try:
        summary = HistoryImport(
            TwilioSource(twilio_side.client), core, ImportOptions(keep_service_sid=True)
        ).run()
    finally:
        core.close()

    assert summary.ok, summary.to_text()
    acs = acs_side.client.conversations.v1
    user = acs.users(f"old-{unique}").fetch()
    assert user.role_sid == built_in_sid(
        service_sid, ROLE_SETTINGS["default_chat_service_role_sid"][0]
    )
    assert user.attributes == "{}"
    (participant,) = acs.conversations(conversation.sid).participants.list()
    assert participant.role_sid == built_in_sid(
        service_sid, ROLE_SETTINGS["default_conversation_role_sid"][0]
    )
    assert participant.attributes == "{}"
