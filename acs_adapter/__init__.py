"""The Azure side of twilio-acs-compat: everything that talks to Azure, nothing that knows Twilio.

Start with `AcsAdapter.open()` (settings from arguments, then the environment). Its parts are
usable alone too: `ChatGateway` for chat as a given ACS user (async code runs it in worker
threads), `IdentityDirectory` and `TokenCache` for users and tokens. Results are the records
below and failures the errors of `acs_adapter.errors`, never Azure SDK types.
"""

from typing import TYPE_CHECKING

from acs_adapter._lazy import lazy_exports
from acs_adapter.errors import (
    AdapterError,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Throttled,
    Unauthorized,
    Unavailable,
)
from acs_adapter.records import (
    CreatedThread,
    InvalidParticipant,
    MessageRecord,
    ParticipantRecord,
    ReadReceiptRecord,
    ThreadRecord,
    ThreadSummary,
)
from acs_adapter.secret import Secret

if TYPE_CHECKING:
    from acs_adapter._retry import RetrySettings
    from acs_adapter.adapter import AcsAdapter
    from acs_adapter.chat import ChatGateway, UserChat
    from acs_adapter.config import AcsConnection, Settings
    from acs_adapter.identities import IdentityDirectory, TokenCache

__getattr__ = lazy_exports(
    __name__,
    {
        "acs_adapter._retry": ("RetrySettings",),
        "acs_adapter.adapter": ("AcsAdapter",),
        "acs_adapter.chat": ("ChatGateway", "UserChat"),
        "acs_adapter.config": ("AcsConnection", "Settings"),
        "acs_adapter.identities": ("IdentityDirectory", "TokenCache"),
    },
)

__all__ = [
    "AcsAdapter",
    "AcsConnection",
    "AdapterError",
    "ChatGateway",
    "ConfigurationError",
    "Conflict",
    "CreatedThread",
    "Forbidden",
    "IdentityDirectory",
    "InvalidInput",
    "InvalidParticipant",
    "MessageRecord",
    "NotFound",
    "ParticipantRecord",
    "ReadReceiptRecord",
    "RetrySettings",
    "Secret",
    "Settings",
    "ThreadRecord",
    "ThreadSummary",
    "Throttled",
    "TokenCache",
    "Unauthorized",
    "Unavailable",
    "UserChat",
]
