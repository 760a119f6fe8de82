"""Run one scenario on two backends and say where their answers differ.

A **scenario** is a Python file with a function ``scenario(client)`` (or any function named
with ``FILE.py:function``) that takes a ``twilio.rest.Client`` and makes the calls a product
makes. It must use only the client it is given, and should create what it reads (unique names
with a fixed text, not random ones), so two runs make the same calls.

Each run is recorded at twilio's http_client seam (``transcript.RecordingHttpClient``). The two
transcripts are then **normalised**, so only behaviour is compared:

- SIDs become ``CH#1``, ``CH#2``... by first appearance per prefix across the whole run, so
  ``CH9f...`` on Twilio and ``CH0c...`` on ACS compare equal when they play the same role;
- ISO 8601 timestamps become ``<timestamp>``, page tokens ``<page-token>``;
- URLs lose their host (``https://<conversations>/v1/...``); URLs off Twilio's API hosts
  or signed ones (temporary media links) become ``<url>``;
- fields named with ``ignore`` (a key anywhere, or a path such as ``body.delivery``) are
  dropped, for what one backend cannot give (ACS has no delivery receipts, for example).

Exchanges are aligned with ``difflib.SequenceMatcher`` on their requests, so one extra call on
one side shows as one extra call instead of shifting every later pair; each aligned pair is
compared field by field.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from requests import RequestException
from twilio.base.exceptions import TwilioRestException

from twilio_compat.core.adapter_types import AdapterError, ConfigurationError
from twilio_compat.migration.transcript import (
    Exchange,
    RecordingHttpClient,
    Transcript,
    TranscriptError,
)

Scenario = Callable[[Any], object]
DEFAULT_FUNCTION = "scenario"
PLACEHOLDER_ACCOUNT_SID = "AC" + "0" * 32

_SID = re.compile(r"\b([A-Z]{2})[0-9a-fA-F]{32}\b")
_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?![\d:])"
)
_URL = re.compile(r"https?://[^\s\"'<>]+")
_SIGNED = frozenset(
    {"signature", "expires", "sig", "se", "sp", "sv", "token", "x-amz-signature", "x-amz-expires"}
)
_PAGING_PARAM = "pagetoken"  # Twilio's PageToken, compared case-insensitively


class CompareError(Exception):
    """A scenario or backend that cannot be used, said plainly (no stack trace for users)."""


class BackendUnavailable(CompareError):
    """A backend could not be reached, or refused the credentials: its run says nothing about
    its behaviour, so there is nothing to compare (never reported as a divergence)."""


UNAVAILABLE_CODES = {
    20003: "refused the credentials",
    20503: "is unavailable (ACS could not be reached)",
}
"""Twilio error codes that mean the backend, not the scenario, failed (Twilio answers 20003
with 401 to wrong credentials; the shim answers 20003 when ACS refuses its access key, 20503
when ACS is out of reach)."""


# -- normalising ------------------------------------------------------------------------------


class Normaliser:
    """Rewrites one transcript's values so two backends' runs compare on behaviour only.

    One instance per transcript: SID numbering is by first appearance across that run.
    """

    def __init__(self, ignore: Iterable[str] = ()) -> None:
        self._ignore = frozenset(ignore)
        self._numbers: dict[str, str] = {}
        self._per_prefix: dict[str, int] = {}

    def sid(self, value: str) -> str:
        """The placeholder of one SID (``CH#3``), numbered on first sight."""
        if value not in self._numbers:
            prefix = value[:2]
            self._per_prefix[prefix] = self._per_prefix.get(prefix, 0) + 1
            self._numbers[value] = f"{prefix}#{self._per_prefix[prefix]}"
        return self._numbers[value]

    def _url(self, match: re.Match[str]) -> str:
        parts = urlsplit(match.group(0))
        host = (parts.hostname or "").lower()
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not (host == "twilio.com" or host.endswith(".twilio.com")):
            return "<url>"
        if any(name.lower() in _SIGNED or name.lower().startswith("x-amz-") for name, _ in query):
            return "<url>"
        kept = [(n, "<page-token>" if n.lower() == _PAGING_PARAM else v) for n, v in query]
        text = f"https://<{host.split('.')[0]}>{parts.path}"
        return f"{text}?{urlencode(kept, safe='<>')}" if kept else text

    def text(self, value: str) -> str:
        value = _URL.sub(self._url, value)
        value = _SID.sub(lambda m: self.sid(m.group(0)), value)
        return _TIMESTAMP.sub("<timestamp>", value)

    def value(self, value: Any, path: str = "") -> Any:
        """A normalised copy: dict keys in sorted order (so SIDs number alike on both sides)."""
        if isinstance(value, dict):
            out = {}
            for key in sorted(value, key=str):
                child = f"{path}.{key}" if path else str(key)
                if key in self._ignore or child in self._ignore:
                    continue
                out[str(key)] = self.value(value[key], child)
            return out
        if isinstance(value, list):
            return [self.value(item, f"{path}[]") for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def exchange(self, exchange: Exchange) -> dict[str, Any]:
        """The parts of an exchange that are compared, in a fixed order."""
        return {
            "request": f"{exchange.method} {self.text(exchange.url)}",
            "params": self.value(exchange.params, "params"),
            "data": self.value(exchange.data, "data"),
            "status": exchange.status,
            "body": self.value(exchange.body, "body"),
        }


# -- comparing ---------------------------------------------------------------------------------

_ABSENT = object()


@dataclass(frozen=True)
class FieldDifference:
    """One value that differs: where (``body.messages[2].author``) and each side's value."""

    path: str
    a: Any
    b: Any

    @staticmethod
    def show(value: Any) -> str:
        if value is _ABSENT:
            return "(absent)"
        return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class ExchangePair:
    """The n-th aligned exchange of both runs; one side is None when only the other made it."""

    number: int
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    differences: tuple[FieldDifference, ...]

    @property
    def same(self) -> bool:
        return self.a is not None and self.b is not None and not self.differences

    @property
    def title(self) -> str:
        view = self.a if self.a is not None else self.b
        return str(view["request"]) if view else ""


@dataclass
class Comparison:
    """Two runs of a scenario, aligned and compared."""

    a: Transcript
    b: Transcript
    pairs: list[ExchangePair] = field(default_factory=list)
    outcome_a: str = "completed"
    outcome_b: str = "completed"

    @property
    def diverged(self) -> bool:
        return self.outcome_a != self.outcome_b or any(not p.same for p in self.pairs)

    @property
    def differing(self) -> list[ExchangePair]:
        return [p for p in self.pairs if not p.same]

    def summary(self) -> str:
        if not self.diverged:
            return (
                f"identical: {len(self.pairs)} exchanges behave alike on "
                f"{self.a.backend} and {self.b.backend}"
            )
        parts = [
            f"DIVERGED: {len(self.differing)} of {len(self.pairs)} exchanges differ "
            f"between {self.a.backend} and {self.b.backend}"
        ]
        if self.outcome_a != self.outcome_b:
            parts.append(f"scenario outcome: {self.outcome_a!r} vs {self.outcome_b!r}")
        return "; ".join(parts)


def field_differences(a: Any, b: Any, path: str = "") -> Iterator[FieldDifference]:
    """Every leaf where two normalised values differ (dicts by key, lists by position)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            child = f"{path}.{key}" if path else key
            yield from field_differences(a.get(key, _ABSENT), b.get(key, _ABSENT), child)
    elif isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            left = a[index] if index < len(a) else _ABSENT
            right = b[index] if index < len(b) else _ABSENT
            yield from field_differences(left, right, f"{path}[{index}]")
    elif a != b or type(a) is not type(b):
        yield FieldDifference(path, a, b)


def compare(a: Transcript, b: Transcript, *, ignore: Iterable[str] = ()) -> Comparison:
    """Normalise both runs, align their exchanges and compare each aligned pair."""
    ignored = tuple(ignore)
    norm_a, norm_b = Normaliser(ignored), Normaliser(ignored)
    views_a = [norm_a.exchange(e) for e in a.exchanges]
    views_b = [norm_b.exchange(e) for e in b.exchanges]
    matcher = difflib.SequenceMatcher(
        None, [v["request"] for v in views_a], [v["request"] for v in views_b], autojunk=False
    )
    comparison = Comparison(
        a, b, outcome_a=norm_a.text(a.outcome), outcome_b=norm_b.text(b.outcome)
    )

    def add(left: dict[str, Any] | None, right: dict[str, Any] | None) -> None:
        if left is not None and right is not None:
            found = tuple(field_differences(left, right))
        else:
            found = (
                FieldDifference(
                    "request",
                    left["request"] if left is not None else _ABSENT,
                    right["request"] if right is not None else _ABSENT,
                ),
            )
        comparison.pairs.append(ExchangePair(len(comparison.pairs) + 1, left, right, found))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = views_a[i1:i2], views_b[j1:j2]
        if tag in ("equal", "replace"):
            for index in range(max(len(left), len(right))):
                add(
                    left[index] if index < len(left) else None,
                    right[index] if index < len(right) else None,
                )
        else:
            for view in left:
                add(view, None)
            for view in right:
                add(None, view)
    return comparison


# -- scenarios and backends ------------------------------------------------------------------


def load_scenario(spec: str) -> tuple[str, Scenario]:
    """``FILE.py`` (function ``scenario``) or ``FILE.py:function`` -> (its name, the function)."""
    path_text, _, function = spec.partition(".py:")
    path = Path(path_text + ".py" if function else spec)
    name = function or DEFAULT_FUNCTION
    if not path.is_file():
        raise CompareError(f"scenario file {path} does not exist")
    module_name = f"_twilio_acs_scenario_{abs(hash(path.resolve()))}"
    loader = importlib.util.spec_from_file_location(module_name, path)
    if loader is None or loader.loader is None:
        raise CompareError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(loader)
    sys.modules[module_name] = module
    try:
        loader.loader.exec_module(module)
    except Exception as exc:
        raise CompareError(f"scenario {path} failed to import: {exc!r}") from None
    found = getattr(module, name, None)
    if not callable(found):
        raise CompareError(f"{path} defines no function {name}(client)")
    return f"{path.name}:{name}", found


def describe_failure(exc: BaseException) -> str:
    """How a scenario ended, in words that compare across backends."""
    if isinstance(exc, TwilioRestException):
        return f"raised TwilioRestException (HTTP {exc.status}, code {exc.code})"
    return f"raised {type(exc).__name__}: {exc}"


def run_scenario(scenario: Scenario, client: Any, transcript: Transcript) -> Transcript:
    """Run the scenario with ``client``, recording every call into ``transcript``.

    Raises ``BackendUnavailable`` when a request could not reach the backend or an answer
    says the backend itself failed (``UNAVAILABLE_CODES``), whatever the scenario did with it.
    """
    original = client.http_client
    client.http_client = RecordingHttpClient(original, transcript)
    try:
        scenario(client)
    except ConfigurationError as exc:  # the shim's settings, found wanting on first use
        raise CompareError(f"{transcript.backend} backend: {exc}") from None
    except (RequestException, AdapterError) as exc:
        raise BackendUnavailable(f"{transcript.backend} backend cannot be reached: {exc}") from None
    except Exception as exc:
        transcript.outcome = describe_failure(exc)
    finally:
        client.http_client = original
    for exchange in transcript.exchanges:
        body = exchange.body if isinstance(exchange.body, dict) else {}
        code = body.get("code") if isinstance(body.get("code"), int) else None
        if code in UNAVAILABLE_CODES or exchange.status == 401:
            reason = UNAVAILABLE_CODES[code if code in UNAVAILABLE_CODES else 20003]
            raise BackendUnavailable(
                f"{transcript.backend} backend {reason} (HTTP {exchange.status}, code {code}, "
                f"{exchange.method} {exchange.url})"
            )
    return transcript


@dataclass
class Backend:
    """One side of a comparison: a client to run the scenario with, or a recorded run."""

    label: str
    client: Any = None
    recorded: Transcript | None = None
    _close: Callable[[], None] | None = None

    def run(self, scenario_name: str, scenario: Scenario) -> Transcript:
        if self.recorded is not None:
            return self.recorded
        return run_scenario(scenario, self.client, Transcript(self.label, scenario_name))

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def open_backend(spec: str, *, scratch: Path, environ: Mapping[str, str] | None = None) -> Backend:
    """``twilio``, ``acs``, a transcript file (``*.json``) or ``module:function`` -> a backend.

    ``acs`` uses the usual ACS settings; without ``ACS_CONNECTION_STRING`` it runs an embedded
    emulator with a throwaway store and media folder under ``scratch``. Settings come from
    ``environ`` (default: the process environment).
    """
    if spec == "twilio":
        return _twilio_backend(environ)
    if spec == "acs":
        return _acs_backend(environ, scratch)
    if spec.endswith(".json") or Path(spec).is_file():
        try:
            recorded = Transcript.load(spec)
        except TranscriptError as exc:
            raise CompareError(str(exc)) from None
        return Backend(f"{recorded.backend} (recorded {Path(spec).name})", recorded=recorded)
    if ":" in spec:
        return _factory_backend(spec)
    raise CompareError(
        f"unknown backend {spec!r}: use twilio, acs, a transcript .json file or module:function"
    )


def _twilio_backend(environ: Mapping[str, str] | None) -> Backend:
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    try:
        # twilio reads its own variables (credentials, region, edge) from this mapping.
        client = Client(environment=None if environ is None else dict(environ))
    except TwilioException as exc:
        raise CompareError(
            f"twilio backend: {exc} (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)"
        ) from None
    return Backend("twilio", client=client)


def _acs_backend(environ: Mapping[str, str] | None, scratch: Path) -> Backend:
    from twilio.rest import Client

    from twilio_compat.core.adapter_types import AdapterError
    from twilio_compat.rest import AcsHttpClient
    from twilio_compat.settings import (
        CONNECTION_STRING_ENV,
        EMBEDDED,
        AdapterSettings,
        Settings,
        configured,
    )

    embedded = CONNECTION_STRING_ENV not in configured(environ)
    try:
        if embedded:
            scratch.mkdir(parents=True, exist_ok=True)
            throwaway = AdapterSettings.load(
                connection_string=EMBEDDED,
                store_url=f"sqlite:///{scratch / 'store.sqlite3'}",
                media=(scratch / "media").as_uri(),
                environ={},
            )
            settings = Settings.load(environ, acs=throwaway)
        else:
            settings = Settings.load(environ)
    except (AdapterError, ValueError) as exc:
        raise CompareError(f"acs backend: {exc}") from None
    account = settings.account.account_sid or PLACEHOLDER_ACCOUNT_SID
    token = settings.account.auth_token
    http = AcsHttpClient(settings, account_sid=account)
    client = Client(account, token.reveal() if token else "unused", http_client=http)
    return Backend("acs (embedded)" if embedded else "acs", client=client, _close=http.close)


def _factory_backend(spec: str) -> Backend:
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise CompareError(f"backend {spec}: {exc}") from None
    if not callable(factory):
        raise CompareError(f"backend {spec} is not callable")
    client = factory()
    if not hasattr(client, "http_client"):
        raise CompareError(f"backend {spec} did not return a twilio.rest.Client")
    closer = getattr(client.http_client, "close", None)
    return Backend(attribute, client=client, _close=closer if callable(closer) else None)


__all__ = [
    "UNAVAILABLE_CODES",
    "Backend",
    "BackendUnavailable",
    "CompareError",
    "Comparison",
    "ExchangePair",
    "FieldDifference",
    "Normaliser",
    "compare",
    "field_differences",
    "load_scenario",
    "open_backend",
    "run_scenario",
]
