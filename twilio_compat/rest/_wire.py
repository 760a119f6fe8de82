"""The shim's HTTP exchange, independent of how it travelled (twilio's http_client or ASGI)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class WireRequest:
    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    username: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class WireResponse:
    status: int
    text: str
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "application/json; charset=utf-8"}
    )


def multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def flatten(values: Mapping[str, object] | None) -> dict[str, list[str]]:
    """twilio-python's ``params``/``data`` dicts as wire values (lists are repeated keys)."""
    out: dict[str, list[str]] = {}
    for name, value in (values or {}).items():
        if value is None:
            continue
        items = value if isinstance(value, list | tuple) else [value]
        out[name] = [_as_text(item) for item in items if item is not None]
    return out


def from_twilio_call(
    method: str,
    url: str,
    params: Mapping[str, object] | None,
    data: object,
    headers: Mapping[str, str] | None,
    auth: tuple[str, str] | None,
) -> WireRequest:
    """Build a request from the arguments twilio passes to ``HttpClient.request``."""
    parts = urlsplit(url)
    query = multi(parse_qsl(parts.query, keep_blank_values=True))
    for name, values in flatten(params if isinstance(params, Mapping) else None).items():
        query.setdefault(name, []).extend(values)
    form: dict[str, list[str]] = {}
    body = b""
    if isinstance(data, bytes | bytearray):
        body = bytes(data)
    elif isinstance(data, str):
        body = data.encode("utf-8")
    elif isinstance(data, Mapping):
        form = flatten(data)
    return WireRequest(
        method=method.upper(),
        host=parts.hostname or "",
        path=parts.path,
        query=query,
        form=form,
        headers={k.lower(): v for k, v in (headers or {}).items()},
        body=body,
        username=auth[0] if auth else None,
    )
