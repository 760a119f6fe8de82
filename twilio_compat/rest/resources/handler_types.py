"""The shape every resource handler has: the core and the request in, a status and body out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest.handler import Call, Result

Key: TypeAlias = tuple[str, str]
"""An operation's ``(resource, action)``, as in the operation table."""

ResourceHandler: TypeAlias = "Callable[[Core, Call], Result]"
