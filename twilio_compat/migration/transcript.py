"""Every request a scenario made and every answer it got, recorded at twilio's http_client seam.

``RecordingHttpClient`` wraps any twilio ``HttpClient`` (Twilio's own, the shim's, a routing
one) and keeps an ``Exchange`` per call; a ``Transcript`` is the whole run, saved as JSON so
a run on Twilio today can be compared with a run on ACS tomorrow. Credentials and request
headers are never recorded; binary request bodies (media uploads) are kept as their size and
SHA-256, which is what a comparison needs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

from twilio_compat.rest.seam import RequestOptions, SeamHttpClient, forward

FORMAT = "twilio-acs-transcript/1"
_logger = logging.getLogger("twilio_compat.migration.transcript")


class TranscriptError(Exception):
    """A transcript file that cannot be read (missing, not JSON, not a transcript)."""


def _plain(value: object) -> Any:
    """A JSON-ready copy of a request value twilio passed (str, numbers, lists, bytes...)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes | bytearray):
        return {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def parse_body(text: str) -> Any:
    """A response body as JSON when it is JSON, else the text itself."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class Exchange:
    """One call: the request as twilio made it and the answer it got."""

    method: str
    url: str
    params: dict[str, Any] | None
    data: Any
    status: int
    body: Any

    @classmethod
    def of(
        cls, method: str, url: str, params: object, data: object, response: Response
    ) -> Exchange:
        plain_params = _plain(params) if params else None
        return cls(
            method=method.upper(),
            url=url,
            params=plain_params if isinstance(plain_params, dict) else None,
            data=_plain(data) if data else None,
            status=int(response.status_code),
            body=parse_body(response.text or ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "params": self.params,
            "data": self.data,
            "status": self.status,
            "body": self.body,
        }

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Exchange:
        return cls(
            method=str(item["method"]).upper(),
            url=str(item["url"]),
            params=item.get("params"),
            data=item.get("data"),
            status=int(item["status"]),
            body=item.get("body"),
        )


@dataclass
class Transcript:
    """A scenario's run on one backend: its exchanges and how the scenario ended.

    ``outcome`` is ``"completed"`` or the error the scenario raised (``TwilioRestException:
    HTTP 404 code 20404`` ...), so a call that fails on one side and not the other shows even
    when the scenario stops there.
    """

    backend: str
    scenario: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    outcome: str = "completed"
    recorded_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    )

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "backend": self.backend,
            "scenario": self.scenario,
            "recorded_at": self.recorded_at,
            "outcome": self.outcome,
            "exchanges": [e.as_dict() for e in self.exchanges],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(self.to_json(), encoding="utf-8")
        partial.replace(target)  # never a half-written transcript under the real name
        return target

    @classmethod
    def load(cls, path: str | Path) -> Transcript:
        source = Path(path)
        try:
            document = json.loads(source.read_text(encoding="utf-8"))
        except OSError as exc:
            raise TranscriptError(f"cannot read transcript {source}: {exc.strerror}") from None
        except ValueError as exc:
            raise TranscriptError(f"{source} is not JSON: {exc}") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise TranscriptError(f"{source} is not a {FORMAT} transcript")
        try:
            return cls(
                backend=str(document.get("backend") or source.name),
                scenario=str(document.get("scenario") or ""),
                exchanges=[Exchange.from_dict(e) for e in document.get("exchanges") or []],
                outcome=str(document.get("outcome") or "completed"),
                recorded_at=str(document.get("recorded_at") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TranscriptError(f"{source} has a malformed exchange: {exc!r}") from None


class RecordingHttpClient(SeamHttpClient):
    """A twilio ``HttpClient`` that forwards every call to ``inner`` and records it."""

    def __init__(self, inner: HttpClient, transcript: Transcript) -> None:
        super().__init__(_logger, False, getattr(inner, "timeout", None))
        self.inner = inner
        self.transcript = transcript
        self._lock = threading.Lock()

    def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        response = forward(self.inner, method, url, options)
        params, data = options["params"], options["data"]
        with self._lock:
            self.transcript.exchanges.append(Exchange.of(method, url, params, data, response))
        return response


__all__ = ["Exchange", "RecordingHttpClient", "Transcript", "TranscriptError", "parse_body"]
