"""``/ConversationWithParticipants``: a conversation created with its first participants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.core.text import parse_json
from twilio_compat.rest.resources.conversations import conversation_fields
from twilio_compat.rest.resources.limits import CONVERSATION_WITH_PARTICIPANTS_MAX, IDENTITY_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


def _identities(call: Call) -> list[str]:
    """The identity of each ``Participant`` JSON object; chat participants only."""
    requests = call.form.many("Participant")
    if len(requests) > CONVERSATION_WITH_PARTICIPANTS_MAX:
        raise errors.invalid(
            "ConversationWithParticipants accepts at most 10 participants",
            errors.TOO_MANY_PARTICIPANTS,
        )
    identities: list[str] = []
    for text in requests:
        try:
            request = parse_json(text)
        except ValueError:
            raise errors.invalid("Parameter 'Participant' must be a JSON object") from None
        if not isinstance(request, dict):
            raise errors.invalid("Parameter 'Participant' must be a JSON object")
        if "messaging_binding" in request:
            raise errors.not_supported(
                "Adding a participant with a messaging_binding", errors.ONLY_CHAT_PARTICIPANTS
            )
        identity = request.get("identity")
        if not isinstance(identity, str) or not identity or len(identity) > IDENTITY_MAX:
            raise errors.invalid("Each Participant needs an identity of 1 to 256 characters")
        identities.append(identity)
    return identities


def create(core: Core, call: Call) -> Result:
    fields = conversation_fields(call)
    identities = _identities(call)
    item = core.participants.create_conversation_with(call.service, fields, identities)
    return 201, wire.conversation(call.scope, item)


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation_with_participants", "create"): create,
}
