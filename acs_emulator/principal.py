"""Who is calling: the identity a verified chat token stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request


@dataclass(frozen=True)
class Principal:
    """A caller authenticated by a Bearer token minted by this emulator.

    `raw_id` is the ACS user's rawId (`8:acs:<resource>_<suffix>`); `scopes` are the token's
    scopes (`chat`, `chat.join`, `chat.join.limited`, `voip`, ...).
    """

    raw_id: str
    scopes: frozenset[str]

    def can(self, scope: str) -> bool:
        return scope in self.scopes


class UserDirectory(Protocol):
    """What the chat backend asks the identity backend."""

    def user_exists(self, raw_id: str) -> bool:
        """True while the ACS user exists (created and not deleted)."""


def principal_of(request: Request) -> Principal:
    """The authenticated caller of a chat route, set by the app's guard before the endpoint."""
    principal = request.scope.get("acs.principal")
    if not isinstance(principal, Principal):
        raise RuntimeError("chat route reached without an authenticated principal")
    return principal
