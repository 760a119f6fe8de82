"""``/ConversationWithParticipants``: a conversation created with its first participants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import bindings, errors
from twilio_compat.core.text import parse_json
from twilio_compat.rest.resources.conversations import conversation_fields
from twilio_compat.rest.resources.limits import CONVERSATION_WITH_PARTICIPANTS_MAX, IDENTITY_MAX

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result
    from twilio_compat.rest.resources.handler_types import Key, ResourceHandler


Bound = tuple[str | None, str | None]


def _participants(call: Call) -> tuple[list[str], list[Bound]]:
    """The identity of each chat ``Participant`` JSON object, and the (address, proxy
    address) of each ``messaging_binding`` one."""
    requests = call.form.many("Participant")
    if len(requests) > CONVERSATION_WITH_PARTICIPANTS_MAX:
        raise errors.invalid(
            "ConversationWithParticipants accepts at most 10 participants",
            errors.TOO_MANY_PARTICIPANTS,
        )
    identities: list[str] = []
    bound: list[Bound] = []
    for text in requests:
        try:
            request = parse_json(text)
        except ValueError:
            raise errors.invalid("Parameter 'Participant' must be a JSON object") from None
        if not isinstance(request, dict):
            raise errors.invalid("Parameter 'Participant' must be a JSON object")
        binding = request.get("messaging_binding")
        if binding is not None:
            if "identity" in request or not isinstance(binding, dict):
                raise errors.invalid(
                    "Each Participant has either an identity or a messaging_binding object"
                )
            bindings.refuse_projected_address(binding.get("projected_address"))
            address, proxy = binding.get("address"), binding.get("proxy_address")
            bound.append(
                (
                    address if isinstance(address, str) else None,
                    proxy if isinstance(proxy, str) else None,
                )
            )
            continue
        identity = request.get("identity")
        if not isinstance(identity, str) or not identity or len(identity) > IDENTITY_MAX:
            raise errors.invalid("Each Participant needs an identity of 1 to 256 characters")
        identities.append(identity)
    return identities, bound


def create(core: Core, call: Call) -> Result:
    fields = conversation_fields(call)
    identities, bound = _participants(call)
    item = core.participants.create_conversation_with(call.service, fields, identities, bound)
    return 201, wire.conversation(call.scope, item)


HANDLERS: dict[Key, ResourceHandler] = {
    ("conversation_with_participants", "create"): create,
}
