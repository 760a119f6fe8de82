"""Helpers for the emulator's server tests: SDK clients, raw signed requests, a webhook receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient

from acs_emulator import AcsEmulator
from tests.fixtures.chat_sdk import get_chat_thread_client


def identity_client(emu: AcsEmulator, **kwargs: Any) -> CommunicationIdentityClient:
    return CommunicationIdentityClient.from_connection_string(
        emu.connection_string, connection_verify=emu.ca_bundle, **kwargs
    )


def chat_client(emu: AcsEmulator, token: str, **kwargs: Any) -> ChatClient:
    return ChatClient(
        emu.endpoint,
        CommunicationTokenCredential(token),
        connection_verify=emu.ca_bundle,
        **kwargs,
    )


def thread_client(emu: AcsEmulator, token: str, thread_id: str, **kwargs: Any) -> ChatThreadClient:
    return get_chat_thread_client(
        chat_client(emu, token, **kwargs), thread_id, connection_verify=emu.ca_bundle, **kwargs
    )


def new_user(emu: AcsEmulator, scopes: list[str] | None = None) -> tuple[str, str]:
    """A fresh ACS user and a token for it: (rawId, token)."""
    user, token = identity_client(emu).create_user_and_token(scopes or ["chat"])
    return user.properties["id"], token.token


def hmac_headers(
    access_key: str,
    method: str,
    url: str,
    body: bytes,
    *,
    date: datetime | None = None,
) -> dict[str, str]:
    """Headers signing a request the way ACS's HMAC scheme is documented."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    stamp = format_datetime(date or datetime.now(timezone.utc), usegmt=True)
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    to_sign = f"{method}\n{target}\n{stamp};{parts.netloc};{digest}"
    signature = base64.b64encode(
        hmac.new(base64.b64decode(access_key), to_sign.encode(), hashlib.sha256).digest()
    ).decode()
    return {
        "x-ms-date": stamp,
        "x-ms-content-sha256": digest,
        "Authorization": (
            f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
        ),
    }


def signed_request(
    emu: AcsEmulator,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    date: datetime | None = None,
    send_body: bytes | None = None,
    send_path: str | None = None,
) -> httpx.Response:
    """An identity request signed with the emulator's key; `send_body` / `send_path` send
    something other than what was signed."""
    url = emu.endpoint.rstrip("/") + path
    headers = hmac_headers(emu.access_key, method, url, body, date=date)
    if send_path is not None:
        url = emu.endpoint.rstrip("/") + send_path
    headers["Content-Type"] = "application/json"
    with httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_bundle)) as client:
        return client.request(
            method, url, content=body if send_body is None else send_body, headers=headers
        )


def bearer_request(
    emu: AcsEmulator, method: str, path: str, token: str | None, **kwargs: Any
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_bundle)) as client:
        return client.request(method, emu.endpoint.rstrip("/") + path, headers=headers, **kwargs)


@dataclass(frozen=True)
class Received:
    """One POST the receiver got."""

    kind: str
    headers: dict[str, str]
    events: list[dict[str, Any]]
    status: int


StatusRule = Callable[[dict[str, Any], int], int]


class WebhookReceiver:
    """A real HTTP server playing an Event Grid webhook subscriber, recording every POST.

    `handshake_failures` first handshakes get a 400; `status_for(event, times_seen_before)`
    picks the answer to each notification (200 by default).
    """

    def __init__(
        self,
        *,
        handshake_failures: int = 0,
        status_for: StatusRule | None = None,
        manual_validation_ca: Callable[[], str] | None = None,
    ):
        self.handshake_failures = handshake_failures
        self.manual_validation_ca = manual_validation_ca
        self.status_for = status_for or (lambda event, seen: 200)
        self.received: list[Received] = []
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                events = json.loads(self.rfile.read(length))
                status, answer = receiver._answer(dict(self.headers.items()), events)
                payload = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/events"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _answer(self, headers: dict[str, str], events: list[dict[str, Any]]) -> tuple[int, Any]:
        lowered = {k.lower(): v for k, v in headers.items()}
        kind = lowered.get("aeg-event-type", "")
        with self._lock:
            if kind == "SubscriptionValidation":
                if self.handshake_failures > 0:
                    self.handshake_failures -= 1
                    status, answer = 400, None
                elif self.manual_validation_ca is not None:
                    url = events[0]["data"]["validationUrl"]
                    threading.Thread(target=self._visit, args=(url,), daemon=True).start()
                    status, answer = 200, None
                else:
                    code = events[0]["data"]["validationCode"]
                    status, answer = 200, {"validationResponse": code}
            else:
                event = events[0]
                seen = self._seen.get(event["id"], 0)
                self._seen[event["id"]] = seen + 1
                status, answer = self.status_for(event, seen), None
            self.received.append(Received(kind, lowered, events, status))
        return status, answer

    def _visit(self, url: str) -> None:
        """Validate by hand, as a receiver that cannot echo the code would."""
        assert self.manual_validation_ca is not None
        context = ssl.create_default_context(cafile=self.manual_validation_ca())
        with httpx.Client(verify=context) as client:
            client.get(url).raise_for_status()

    def notifications(self, *, delivered_only: bool = True) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.received
                if r.kind == "Notification" and (not delivered_only or r.status < 300)
            ]

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def printed_settings(process: subprocess.Popen[str], last_line: str) -> dict[str, str]:
    """The `NAME=value` lines a started emulator printed, read up to `last_line`."""
    settings: dict[str, str] = {}
    assert process.stdout is not None
    while last_line not in settings:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the emulator stopped before printing {last_line}")
        name, sep, value = line.strip().partition("=")
        if sep:
            settings[name] = value
    return settings
