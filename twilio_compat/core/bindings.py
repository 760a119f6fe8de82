"""Messaging bindings: how an SMS or WhatsApp participant is reached, checked as Twilio does.

An SMS binding pairs two ``+E.164`` numbers; a WhatsApp binding two ``whatsapp:+E.164``
addresses (the prefix on both sides, as Twilio writes them). The proxy address must be one
of the shim's owned numbers (`Numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass

from acs_adapter.config import WHATSAPP_PREFIX, is_e164
from twilio_compat.core import errors
from twilio_compat.core.numbers import Numbers

ADDRESS_MAX = 256
NON_CHAT_MAX = 50
"""Twilio's limit of SMS/WhatsApp participants in one conversation (error 50417)."""
CHAT_MAX = 249
"""Chat participants an ACS thread can take: 250 members, one of them the service user."""

GROUP_MMS = (
    "MessagingBinding.ProjectedAddress (group MMS)",
    "Azure Communication Services SMS has no MMS, so a group texting conversation cannot "
    "be bridged",
)
"""Why a projected address is refused: the operation tables quote the same reason."""


@dataclass(frozen=True)
class Binding:
    """A checked binding: ``sms`` or ``whatsapp``, the participant's address, our proxy."""

    type: str
    address: str
    proxy_address: str


def address_type(address: str) -> str | None:
    """``sms`` for ``+E.164``, ``whatsapp`` for ``whatsapp:+E.164``, None for anything else."""
    if len(address) > ADDRESS_MAX:
        return None
    if address.startswith(WHATSAPP_PREFIX):
        return "whatsapp" if is_e164(address[len(WHATSAPP_PREFIX) :]) else None
    return "sms" if is_e164(address) else None


def refuse_projected_address(projected_address: str | None) -> None:
    """Group MMS has no ACS equivalent: refuse a projected address with a clear error."""
    if projected_address is not None:
        raise errors.not_supported(*GROUP_MMS)


def check_binding(numbers: Numbers, address: str | None, proxy_address: str | None) -> Binding:
    """The binding Twilio would accept, or the 504xx error Twilio gives for it."""
    if not address:
        raise errors.invalid(
            "MessagingBinding.Address is required for a non-chat participant",
            errors.BINDING_ADDRESS_MISSING,
        )
    if not proxy_address:
        raise errors.invalid(
            "MessagingBinding.ProxyAddress is required for a non-chat participant (an SMS "
            "participant with an Address alone belongs to group MMS, which ACS SMS cannot "
            "bridge: it has no MMS)",
            errors.BINDING_PROXY_MISSING,
        )
    kind = address_type(address)
    if kind is None:
        raise errors.invalid(
            f"Invalid messaging binding address: {address!r} (expected +E.164 or whatsapp:+E.164)",
            errors.BINDING_ADDRESS_INVALID,
        )
    proxy_kind = address_type(proxy_address)
    if proxy_kind is None:
        raise errors.invalid(
            f"Invalid messaging binding proxy address: {proxy_address!r} (expected +E.164 or "
            "whatsapp:+E.164)",
            errors.BINDING_PROXY_INVALID,
        )
    if address == proxy_address:
        raise errors.invalid(
            "Messaging binding address and proxy address must differ",
            errors.BINDING_SAME_ADDRESSES,
        )
    if kind != proxy_kind:
        raise errors.invalid(
            f"Messaging binding address type ({kind}) does not match the proxy address type "
            f"({proxy_kind})",
            errors.BINDING_TYPES_DIFFER,
        )
    if numbers.get(proxy_address) is None:
        raise errors.invalid(
            f"The account is not authorized to use the proxy address {proxy_address}: it is "
            "none of the shim's numbers (TWILIO_COMPAT_NUMBERS or `twilio-acs numbers add`)",
            errors.BINDING_PROXY_NOT_OWNED,
        )
    return Binding(kind, address, proxy_address)


def pair_in_use(conversation_sid: str) -> errors.TwilioApiError:
    """Twilio's 50416, naming the conversation that holds the pair."""
    return errors.TwilioApiError(
        409,
        errors.BINDING_IN_USE,
        "A binding for this participant and proxy address already exists in Conversation "
        f"{conversation_sid}",
    )


def pairs_in_use() -> errors.TwilioApiError:
    """Twilio's 50425: ConversationWithParticipants with a pair bound elsewhere."""
    return errors.TwilioApiError(
        409,
        errors.BINDINGS_IN_USE,
        "A binding for one or more participant and proxy address pairs already exists in "
        "another conversation",
    )


def too_many_non_chat() -> errors.TwilioApiError:
    return errors.invalid(
        f"A conversation can have at most {NON_CHAT_MAX} non-chat (SMS/WhatsApp) participants",
        errors.PARTICIPANT_LIMIT,
    )


def conversation_full() -> errors.TwilioApiError:
    return errors.invalid(
        f"The conversation is full: it can have at most {CHAT_MAX} chat participants on "
        "Azure Communication Services (250 thread members, one of them the shim's service user)",
        errors.PARTICIPANT_LIMIT,
    )
