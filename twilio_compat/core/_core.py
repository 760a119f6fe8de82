"""`Core`: Twilio Conversations semantics over one `AcsAdapter`, shared by every face."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from twilio_compat.core._context import AdapterState, Context
from twilio_compat.core.address_configurations import AddressConfigurations
from twilio_compat.core.channels import Channels
from twilio_compat.core.channels.auto_creation import AutoCreation
from twilio_compat.core.configuration import Configuration
from twilio_compat.core.content import ContentTemplates
from twilio_compat.core.conversations import Conversations
from twilio_compat.core.directory import Directory
from twilio_compat.core.events import Events
from twilio_compat.core.imports import Imports
from twilio_compat.core.media import MediaLibrary
from twilio_compat.core.messages import Messages
from twilio_compat.core.numbers import Numbers
from twilio_compat.core.participants import Participants
from twilio_compat.core.roles import Roles
from twilio_compat.core.services import Services
from twilio_compat.core.users import Users
from twilio_compat.core.webhooks import ConversationWebhooks

if TYPE_CHECKING:
    from acs_adapter.adapter import AcsAdapter


class Core:
    """Twilio semantics for one account over one adapter; thread-safe (all state lives in ACS
    and the store).

    The account is what the core answers as: every ``account_sid`` it renders, every webhook's
    ``AccountSid``. A process that serves several Twilio accounts over one adapter (twilio
    clients built with different credentials) gets one core per account from
    ``for_account``: each core keeps its own account and write hooks (webhooks are signed
    with one account's token, so they belong to that account's core), and all of them share
    what belongs to the adapter (the service user, the marks of shim-made writes). No core
    ever changes its account, so no request can render another account's SID.
    """

    def __init__(
        self,
        adapter: AcsAdapter,
        *,
        account_sid: str | None = None,
        shared: AdapterState | None = None,
    ) -> None:
        self._context = Context(adapter, account_sid, shared=shared)
        self._accounts: dict[str, Core] = {}
        self._accounts_lock = threading.Lock()
        self.services = Services(self._context)
        self.conversations = Conversations(self._context)
        self.numbers = Numbers(self._context)
        self.participants = Participants(self._context, self.conversations, self.numbers)
        self.media = MediaLibrary(self._context)
        self.content = ContentTemplates(self._context, self.numbers)
        self.messages = Messages(self._context, self.participants, self.media, self.content)
        self.users = Users(self._context, self.participants, self.messages)
        self.roles = Roles(self._context)
        self.configuration = Configuration(self._context, self.roles)
        self.webhooks = ConversationWebhooks(self._context, self.participants)
        self.imports = Imports(self._context)
        self.address_configurations = AddressConfigurations(
            self._context, self.numbers, self.services
        )
        self.directory = Directory(self._context)
        self.events = Events(self._context, self.messages.indexer)
        self.channels = Channels(
            self._context,
            self.events,
            self.messages,
            self.participants,
            self.media,
            AutoCreation(
                self.address_configurations,
                self.services,
                self.conversations,
                self.participants,
                self.webhooks,
            ),
        )
        self.participants.non_chat_added = self.channels.start
        self.events.channel_events = self.channels.ingest

    def for_account(self, account_sid: str | None) -> Core:
        """The core answering as ``account_sid`` over this core's adapter: this core for its
        own account (or None), else one made on first use and kept while this core lives."""
        if account_sid is None or account_sid == self.account_sid:
            return self
        with self._accounts_lock:
            core = self._accounts.get(account_sid)
            if core is None:
                core = Core(
                    self._context.adapter, account_sid=account_sid, shared=self._context.shared
                )
                self._accounts[account_sid] = core
            return core

    def reach_acs(self) -> None:
        """Make one ACS request as the service user (an identity token, one threads page), so
        a tool fails at once, with the adapter's error, when ACS is out of reach or refuses
        the access key."""
        next(iter(self._context.service_chat().list_threads(page_size=1)), None)

    def close(self) -> None:
        """Stop what the core (and its other accounts' cores) started; the adapter stays open."""
        with self._accounts_lock:
            others, self._accounts = list(self._accounts.values()), {}
        for core in others:
            core.close()
        self.channels.close()
        self.messages.follower.close()
        self.media.close()

    @property
    def account_sid(self) -> str:
        return self._context.account_sid
