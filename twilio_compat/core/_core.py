"""`Core`: Twilio Conversations semantics over one `AcsAdapter`, shared by every face."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio_compat.core._context import Context
from twilio_compat.core.configuration import Configuration
from twilio_compat.core.conversations import Conversations
from twilio_compat.core.directory import Directory
from twilio_compat.core.events import Events
from twilio_compat.core.imports import Imports
from twilio_compat.core.media import MediaLibrary
from twilio_compat.core.messages import Messages
from twilio_compat.core.participants import Participants
from twilio_compat.core.roles import Roles
from twilio_compat.core.services import Services
from twilio_compat.core.users import Users
from twilio_compat.core.webhooks import ConversationWebhooks

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter


class Core:
    """One per adapter; thread-safe (all state lives in ACS and the store)."""

    def __init__(self, adapter: AcsAdapter, *, account_sid: str | None = None) -> None:
        self.context = Context(adapter, account_sid)
        self.services = Services(self.context)
        self.conversations = Conversations(self.context)
        self.participants = Participants(self.context, self.conversations)
        self.media = MediaLibrary(self.context)
        self.messages = Messages(self.context, self.participants, self.media)
        self.users = Users(self.context, self.participants, self.messages)
        self.roles = Roles(self.context)
        self.configuration = Configuration(self.context, self.roles)
        self.webhooks = ConversationWebhooks(self.context, self.participants)
        self.imports = Imports(self.context)
        self.directory = Directory(self.context)
        self.events = Events(self.context)

    def close(self) -> None:
        """Stop what the core started itself (the local media server); the adapter stays open."""
        self.media.close()

    @property
    def account_sid(self) -> str:
        return self.context.account_sid
