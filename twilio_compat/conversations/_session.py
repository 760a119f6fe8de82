"""What every object of one client shares: the core, who the client is, and how to call out.

The core is synchronous (it does blocking I/O), so calls run in a worker thread and the event
loop stays free; the core's and the adapter's errors come back as ``ConversationsError``.

The workers are one bounded pool for the whole client face (``OFFLOAD``), not one per client:
the clients of a process share one core, a pool each would multiply idle threads by the
number of clients, and the face's pool keeps a burst of client calls off the loop's default
executor (which other code on the loop may need).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from twilio_compat.conversations.errors import FORBIDDEN, ConversationsError
from twilio_compat.core import Core
from twilio_compat.core import errors as core_errors
from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.hooks import Origin, write_origin
from twilio_compat.core.offload import Offload
from twilio_compat.runtime import shared_runtime

if TYPE_CHECKING:
    from twilio_compat.conversations.client import Client
    from twilio_compat.core.adapter_types import UserChat

T = TypeVar("T")

OFFLOAD = Offload("twilio-conversations")
"""The worker threads every client of this process runs the core on."""


def shared_core() -> Core:
    """The core of the process-wide runtime (`twilio_compat.runtime.shared_runtime`)."""
    return shared_runtime().core


def translate(error: Exception) -> ConversationsError:
    if isinstance(error, core_errors.TwilioApiError):
        return ConversationsError.from_api(error)
    if isinstance(error, AdapterError):
        if error.status in (401, 403):
            return ConversationsError(
                "Forbidden: Azure Communication Services refused this user's access",
                code=FORBIDDEN,
                status=403,
            )
        return ConversationsError.from_api(core_errors.from_adapter(error, ""))
    raise error


def parse_json(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


class Session:
    """One client's identity, ACS user and core."""

    def __init__(self, client: Client, core: Core, identity: str, service_sid: str) -> None:
        self.client = client
        self.core = core
        self.identity = identity
        self.service_sid = service_sid
        self.acs_user = ""

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call the core in a worker thread; its errors become ``ConversationsError``."""
        self.client._check_usable()

        def as_this_client() -> T:
            # Writes from the client face are Twilio's `Source=SDK`, by this identity.
            with write_origin(Origin.sdk(self.identity)):
                return function(*args, **kwargs)

        try:
            return await OFFLOAD.run(as_this_client)
        except (core_errors.TwilioApiError, AdapterError) as error:
            raise translate(error) from None

    def chat(self) -> UserChat:
        """ACS chat as this client's own user: ACS itself decides what it may see."""
        return self.core.directory.chat_as(self.acs_user)
