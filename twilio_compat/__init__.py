"""Twilio Conversations on Azure Communication Services Chat.

Change ``from twilio.rest import Client`` to ``from twilio_compat.rest import Client``; or, for
code that cannot be edited, call ``twilio_compat.install()`` once at start-up.
"""

from __future__ import annotations

import threading
from typing import Any

__version__ = "0.1.0"

_lock = threading.Lock()
_original_init: Any = None


def install() -> None:
    """Make every ``twilio.rest.Client`` answer Conversations from ACS, unedited.

    Clients built after this call (however ``Client`` was imported) route Conversations and
    media requests to the shim and every other Twilio product to their usual http_client.
    ACS settings come from the process-wide runtime (``twilio_compat.runtime``; the environment
    unless ``open_shared_runtime(settings)`` came first), as for ``twilio_compat.rest.Client``.
    Each client's Conversations are answered as the account it is built with. Calling it twice
    is harmless.
    """
    global _original_init
    import wrapt
    from twilio.base.client_base import ClientBase

    from twilio_compat.rest.client import routed

    def route_after_init(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        wrapped(*args, **kwargs)
        instance.http_client = routed(instance.http_client, account_sid=instance.account_sid)

    with _lock:
        if _original_init is not None:
            return
        _original_init = ClientBase.__dict__["__init__"]
        wrapt.wrap_function_wrapper(ClientBase, "__init__", route_after_init)


def uninstall() -> None:
    """Undo ``install()`` for clients built from now on (existing clients keep their route)."""
    global _original_init
    from twilio.base.client_base import ClientBase

    with _lock:
        if _original_init is None:
            return
        ClientBase.__init__ = _original_init
        _original_init = None


def installed() -> bool:
    """True between ``install()`` and ``uninstall()``."""
    return _original_init is not None


__all__ = ["__version__", "install", "installed", "uninstall"]
