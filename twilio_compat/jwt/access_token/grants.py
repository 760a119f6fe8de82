"""Grants carried by an access token; ``ChatGrant`` is the one Conversations clients need."""

from __future__ import annotations

from typing import Any


class ChatGrant:
    """Access to a Conversations service, as ``twilio.jwt.access_token.grants.ChatGrant``.

    Only ``service_sid`` matters on ACS (it picks the service the client acts in); the push
    fields are carried for compatibility and ignored, since ACS Chat has no push registration.
    """

    key = "chat"

    def __init__(
        self,
        service_sid: str | None = None,
        endpoint_id: str | None = None,
        deployment_role_sid: str | None = None,
        push_credential_sid: str | None = None,
    ) -> None:
        self.service_sid = service_sid
        self.endpoint_id = endpoint_id
        self.deployment_role_sid = deployment_role_sid
        self.push_credential_sid = push_credential_sid

    def to_payload(self) -> dict[str, Any]:
        fields = {
            "service_sid": self.service_sid,
            "endpoint_id": self.endpoint_id,
            "deployment_role_sid": self.deployment_role_sid,
            "push_credential_sid": self.push_credential_sid,
        }
        return {name: value for name, value in fields.items() if value}

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self.to_payload()}>"
