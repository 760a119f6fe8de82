"""The checks `twilio-acs doctor` runs, each against the real dependency it names.

Every check does the smallest real round trip that proves the dependency works as the shim uses
it, cleans up after itself, and reports what failed in the words of the adapter's errors (which
never carry a secret). URLs are shown without their query string.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import OwnedNumber
    from twilio_compat.runtime import Runtime
    from twilio_compat.settings import Settings

Status = Literal["ok", "failed", "skipped"]
PROBE_TEXT = b"twilio-acs doctor"
HTTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: which dependency, how it went, and what was seen."""

    name: str
    status: Status
    detail: str
    seconds: float = 0.0


@dataclass
class Report:
    """The results in order, and the dependencies that are not configured (not checked)."""

    checks: list[CheckResult] = field(default_factory=list)
    not_configured: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(check.status == "ok" for check in self.checks)

    @property
    def verdict(self) -> str:
        failed = [check.name for check in self.checks if check.status != "ok"]
        if not failed:
            return "healthy: every configured dependency works"
        return "unhealthy: " + ", ".join(failed) + " failed"

    def as_json(self) -> dict[str, object]:
        return {
            "healthy": self.healthy,
            "verdict": self.verdict,
            "checks": [
                {
                    "name": check.name,
                    "status": check.status,
                    "detail": check.detail,
                    "seconds": round(check.seconds, 3),
                }
                for check in self.checks
            ],
            "not_configured": self.not_configured,
        }


class CheckFailed(Exception):
    """A check's own finding (not an exception of the dependency)."""


def run_check(report: Report, name: str, check: Callable[[], str]) -> bool:
    """Run `check`, record its outcome under `name`, and say whether it passed."""
    from twilio_compat.core.adapter_types import AdapterError

    started = time.monotonic()
    try:
        detail = check()
    except (AdapterError, CheckFailed, OSError) as exc:
        message = exc.message if isinstance(exc, AdapterError) else str(exc)
        report.checks.append(
            CheckResult(name, "failed", message or type(exc).__name__, _since(started))
        )
        return False
    report.checks.append(CheckResult(name, "ok", detail, _since(started)))
    return True


def skip(report: Report, names: list[str], why: str) -> None:
    report.checks.extend(CheckResult(name, "skipped", why) for name in names)


def _since(started: float) -> float:
    return time.monotonic() - started


def origin(url: str) -> str:
    """`scheme://host[:port]/path` without user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path or '/'}"


def host_of(url: str) -> str:
    """`scheme://host[:port]/` alone: temporary URLs carry keys and signatures in the rest."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}/"


def store_schema(settings: Settings) -> Callable[[], str]:
    def check() -> str:
        from twilio_compat.runtime import schema_revision

        revision = schema_revision(settings.acs.store_url.reveal())
        if revision.up_to_date:
            return f"{revision.url} at revision {revision.current} (the newest)"
        if revision.current is None:
            return f"{revision.url} is empty; the shim creates revision {revision.head} at open"
        if not revision.known:
            raise CheckFailed(
                f"{revision.url} is at revision {revision.current}, unknown to this version "
                "of the package: upgrade the package"
            )
        raise CheckFailed(
            f"{revision.url} is at revision {revision.current}, the newest is "
            f"{revision.head}: run `twilio-acs store upgrade`"
        )

    return check


def acs_identity(runtime: Runtime) -> Callable[[], str]:
    def check() -> str:
        with runtime.adapter.throwaway_user():
            pass
        return f"{host_of(runtime.adapter.endpoint)}: created and deleted a user"

    return check


def acs_chat(runtime: Runtime) -> Callable[[], str]:
    def check() -> str:
        with runtime.adapter.throwaway_user() as user_id:
            chat = runtime.adapter.chat.as_user(user_id)
            thread = chat.create_thread("twilio-acs doctor").thread
            try:
                chat.send_message(thread.id, PROBE_TEXT.decode())
            finally:
                chat.delete_thread(thread.id)
        return "created a thread, sent a message, deleted the thread"

    return check


def media_store(runtime: Runtime) -> Callable[[], str]:
    def check() -> str:
        import requests

        media = runtime.adapter.media
        stored = media.put(PROBE_TEXT, content_type="text/plain", filename="doctor.txt")
        try:
            if media.get(stored.key)[1] != PROBE_TEXT:
                raise CheckFailed("the media store returned other bytes than it was given")
            url = media.temporary_url(stored.key)
            ca_bundle = runtime.adapter.ca_bundle
            verify: str | bool = str(ca_bundle) if ca_bundle is not None else True
            answer = requests.get(url, timeout=HTTP_TIMEOUT, verify=verify)
            if answer.status_code != 200 or answer.content != PROBE_TEXT:
                raise CheckFailed(
                    f"the temporary URL at {host_of(url)} answered {answer.status_code}, "
                    "not the stored bytes"
                )
        finally:
            media.delete(stored.key)
        return f"wrote, read and fetched a temporary URL at {host_of(url)}"

    return check


def eventgrid_receiver(
    url: str, ca_bundle: str | None, secret: str | None, *, entra_only: bool = False
) -> Callable[[], str]:
    """Event Grid's own handshake (an OPTIONS request with `WebHook-Request-Origin`), with the
    configured secret added when the URL carries none, as the subscription's URL would.

    A receiver protected by Entra ID alone (`entra_only`) cannot be probed with a token, as
    only Event Grid gets one: its 401 to the bare handshake is the healthy answer, and a 2xx
    means it lets anyone in."""

    def check() -> str:
        import requests

        params = {"secret": secret} if secret and "secret=" not in url else None
        try:
            answer = requests.options(
                url,
                params=params,
                headers={"WebHook-Request-Origin": "eventgrid.azure.net"},
                timeout=HTTP_TIMEOUT,
                verify=ca_bundle or True,
            )
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise CheckFailed(f"{origin(url)} could not be reached ({reason})") from None
        if entra_only and "secret=" not in url:
            return _tokenless_answer(url, answer.status_code)
        if answer.status_code == 401:
            raise CheckFailed(
                f"{origin(url)} refused the secret (is ACS_EVENTGRID_SECRET the one it uses?)"
            )
        if answer.status_code >= 400:
            raise CheckFailed(f"{origin(url)} answered {answer.status_code}")
        return f"{origin(url)} answered Event Grid's handshake ({answer.status_code})"

    return check


def _tokenless_answer(url: str, status: int) -> str:
    """The verdict on an Entra ID receiver's answer to a handshake without a token."""
    if status == 401:
        return (
            f"{origin(url)} is reachable and refuses a request without an Entra ID token "
            "(401), as it should (only Event Grid's tokens can show that it accepts them)"
        )
    if status < 300:
        raise CheckFailed(
            f"{origin(url)} answered {status} to a request without an Entra ID token: "
            "the receiver is not protected"
        )
    raise CheckFailed(f"{origin(url)} answered {status}")


def webhook_dns(urls: list[str]) -> Callable[[], str]:
    def check() -> str:
        hosts = sorted({urlsplit(url).hostname or "" for url in urls} - {""})
        unresolved = []
        for host in hosts:
            try:
                socket.getaddrinfo(host, None)
            except OSError:
                unresolved.append(host)
        if unresolved:
            raise CheckFailed("name not resolved: " + ", ".join(unresolved))
        return f"{len(hosts)} host(s) resolved: " + ", ".join(hosts)

    return check


def numbers_text(numbers: list[OwnedNumber]) -> str:
    """The proxy addresses SMS/WhatsApp participants may use, each with its type."""
    return ", ".join(f"{number.address} ({number.type})" for number in numbers)
