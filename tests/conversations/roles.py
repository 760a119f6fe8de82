"""Giving a test identity one of a service's roles, as an application does with the REST API."""

from __future__ import annotations

from twilio_compat.core import Core
from twilio_compat.core.roles import built_in_sid
from twilio_compat.core.users import UserFields

NOT_AUTHORIZED = 50107
"""Twilio's "User not authorized for command"."""


def grant_service_role(core: Core, identity: str, role: str = "service admin") -> None:
    """Make ``identity``'s user (a client has created it) hold a built-in service role."""
    service_sid = core.services.resolve(None)
    role_sid = built_in_sid(service_sid, role)
    core.users.update(service_sid, identity, UserFields(role_sid=role_sid))
