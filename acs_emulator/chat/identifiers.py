"""`CommunicationIdentifierModel` in and out.

Out: `{"rawId": ..., "communicationUser": {"id": ...}}` without `kind`, exactly what the real
service returns (the Python SDK needs the `communicationUser` object to build a user identifier).
In: any identifier kind; the kind-specific id wins over `rawId` and both must agree. Identifiers
that are not ACS users still resolve to their raw id form, so the backend can report them as
unknown participants rather than failing the request.
"""

from __future__ import annotations

from typing import Any

from acs_emulator.exceptions import bad_request


def identifier_model(raw_id: str) -> dict[str, Any]:
    return {"rawId": raw_id, "communicationUser": {"id": raw_id}}


def raw_id_of(model: Any, *, field: str) -> str:
    """The raw id a request's identifier stands for; a clear 400 if there is none."""
    if not isinstance(model, dict):
        raise bad_request(f"{field} must be a communication identifier object.", target=field)
    raw = model.get("rawId")
    if raw is not None and (not isinstance(raw, str) or not raw):
        raise bad_request(f"{field}.rawId must be a non-empty string.", target=field)
    specific = _kind_specific_raw_id(model, field)
    if specific is not None and raw is not None and specific != raw:
        raise bad_request(f"{field}.rawId does not match the identifier it names.", target=field)
    resolved = specific if specific is not None else raw
    if resolved is None:
        raise bad_request(f"{field} must carry rawId or communicationUser.id.", target=field)
    return resolved


def _kind_specific_raw_id(model: dict[str, Any], field: str) -> str | None:
    user = model.get("communicationUser")
    if user is not None:
        return _required_string(user, "id", f"{field}.communicationUser")
    phone = model.get("phoneNumber")
    if phone is not None:
        return "4:" + _required_string(phone, "value", f"{field}.phoneNumber")
    teams_user = model.get("microsoftTeamsUser")
    if teams_user is not None:
        user_id = _required_string(teams_user, "userId", f"{field}.microsoftTeamsUser")
        prefix = "8:teamsvisitor:" if teams_user.get("isAnonymous") is True else "8:orgid:"
        return prefix + user_id
    teams_app = model.get("microsoftTeamsApp")
    if teams_app is not None:
        return "28:orgid:" + _required_string(teams_app, "appId", f"{field}.microsoftTeamsApp")
    return None


def _required_string(model: Any, key: str, field: str) -> str:
    value = model.get(key) if isinstance(model, dict) else None
    if not isinstance(value, str) or not value:
        raise bad_request(f"{field}.{key} must be a non-empty string.", target=field)
    return value
