"""`Directory`: who is who in ACS, for the faces and the webhooks.

Twilio names people by identity; ACS by user id. The faces need both directions (a client's
own ACS user, the identity behind an event's actor) and need to act as a user, so ACS itself
decides what that user may see. The account's own service user is here too, so event
consumers can tell the shim's own actions from everybody else's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat.core._context import Context

if TYPE_CHECKING:
    from acs_adapter.chat import UserChat


class Directory:
    """Identities and their ACS users (created on first use), and chat as one of them."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def acs_user_for(self, identity: str) -> str:
        """The ACS user id of `identity`, created on first use and then kept."""
        return self._context.adapter.directory.acs_user_for(identity)

    def identity_for(self, acs_user: str) -> str | None:
        """The identity an ACS user id stands for, or None for a user the shim never made."""
        return self._context.adapter.directory.identity_for(acs_user)

    @property
    def service_user(self) -> str:
        """The ACS user id through which the account itself acts."""
        return self._context.service_user

    def service_chat(self) -> UserChat:
        """ACS chat as the service user: what the account itself may see and do in ACS."""
        return self._context.service_chat()

    def chat_as(self, acs_user: str) -> UserChat:
        """ACS chat with `acs_user`'s own token: ACS refuses what that user may not do."""
        return self._context.chat_as(acs_user)
