"""One ``twilio.rest.Client`` over Twilio and ACS at once, conversation by conversation.

``MigrationRoutingHttpClient(twilio=..., acs=..., policy=...)`` is a twilio ``HttpClient``:

- a request about one conversation (by SID or unique name, with its participants, messages,
  webhooks, or a user's view of it) goes to the backend that owns the conversation: ACS when
  the ACS store has it and no import of it is still running, else Twilio. A conversation
  therefore moves to ACS the moment its history import finishes;
- creating a conversation asks the ``RoutingPolicy`` (all, none, a percentage, or a predicate
  on the unique name, friendly name and attributes);
- list calls over conversations (``/Conversations``, ``/ParticipantConversations``,
  ``/Users/{id}/Conversations``) merge both backends oldest first, with one page token;
- account-level resources are served by Twilio (users, roles, services, configuration,
  credentials, media uploads); user writes are mirrored into the ACS store under the same
  ``US...`` SID, so both sides name each user alike. A message sent on ACS that refers to
  media uploaded to Twilio brings those bytes over first, under the same ``ME...`` SID.

Not to be confused with ``twilio_compat.rest.routing.RoutingHttpClient``, which splits by
Twilio *product* (Conversations to the shim, SMS/Voice/... to Twilio); this one splits
Conversations themselves between the two backends during a migration.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response

from twilio_compat.core import errors
from twilio_compat.core.adapter_types import AdapterError, Conflict
from twilio_compat.core.imports import ImportedMedia, ImportedUser
from twilio_compat.migration import _merge
from twilio_compat.migration.download import DownloadFailed, download, new_client
from twilio_compat.rest.seam import RequestOptions, SeamHttpClient, forward

if TYPE_CHECKING:
    from twilio_compat.core import Core
    from twilio_compat.rest import AcsHttpClient

_logger = logging.getLogger("twilio_compat.migration.routing")
_PREFIX = r"^/v1(?:/Services/(?P<service>[^/]+))?"
_ONE_CONVERSATION = re.compile(_PREFIX + r"/Conversations/(?P<key>[^/]+)(?:/.*)?$")
_USER_CONVERSATION = re.compile(_PREFIX + r"/Users/[^/]+/Conversations/(?P<key>[^/]+)$")
_CREATE = re.compile(_PREFIX + r"/(?:Conversations|ConversationWithParticipants)$")
_MERGED_LISTS = re.compile(
    _PREFIX + r"/(?:Conversations|ParticipantConversations|Users/[^/]+/Conversations)$"
)
_MEDIA_URL = "https://mcs.us1.twilio.com/v1"
_USERS = re.compile(_PREFIX + r"/Users(?:/(?P<key>[^/]+))?$")
_MESSAGES = re.compile(_PREFIX + r"/Conversations/[^/]+/Messages$")


@dataclass(frozen=True)
class NewConversation:
    """What the policy sees of a conversation about to be created."""

    unique_name: str | None
    friendly_name: str | None
    attributes: dict[str, Any]


class RoutingPolicy:
    """Where new conversations go: ``RoutingPolicy.all()``, ``.none()``, ``.percentage(10)``,
    or ``.where(lambda new: new.attributes.get("tenant") == "acme")``."""

    def __init__(self, to_acs: Callable[[NewConversation], bool]) -> None:
        self._to_acs = to_acs

    def sends_to_acs(self, new: NewConversation) -> bool:
        return bool(self._to_acs(new))

    @classmethod
    def all(cls) -> RoutingPolicy:
        return cls(lambda new: True)

    @classmethod
    def none(cls) -> RoutingPolicy:
        return cls(lambda new: False)

    @classmethod
    def percentage(cls, percent: float) -> RoutingPolicy:
        """This share of new conversations; the same unique name always lands on one side."""
        if not 0 <= percent <= 100:
            raise ValueError("percent must be between 0 and 100")

        def decide(new: NewConversation) -> bool:
            if new.unique_name:
                digest = hashlib.sha256(new.unique_name.encode("utf-8")).digest()
                draw = int.from_bytes(digest[:8], "big") / 2**64
            else:
                draw = random.random()
            return draw * 100 < percent

        return cls(decide)

    @classmethod
    def where(cls, predicate: Callable[[NewConversation], bool]) -> RoutingPolicy:
        return cls(predicate)


def _new_conversation(data: dict[str, object] | None) -> NewConversation:
    values = data or {}
    try:
        attributes = json.loads(str(values.get("Attributes") or "{}"))
    except ValueError:
        attributes = {}
    return NewConversation(
        unique_name=str(values["UniqueName"]) if values.get("UniqueName") else None,
        friendly_name=str(values["FriendlyName"]) if values.get("FriendlyName") else None,
        attributes=attributes if isinstance(attributes, dict) else {},
    )


class MigrationRoutingHttpClient(SeamHttpClient):
    """Twilio and ACS behind one http_client; see the module docstring for the rules."""

    def __init__(self, twilio: HttpClient, acs: AcsHttpClient, policy: RoutingPolicy) -> None:
        super().__init__(_logger, False, getattr(twilio, "timeout", None))
        self.twilio = twilio
        self.acs = acs
        self.policy = policy
        self._on_acs: set[str] = set()
        self._auth: tuple[str, str] | None = None
        self._http = new_client()

    def close(self) -> None:
        """Release the HTTP client media is brought over with (the backends stay open)."""
        self._http.close()

    @property
    def core(self) -> Core:
        return self.acs.handler.core

    # -- ownership -------------------------------------------------------------------------

    def owner_is_acs(self, key: str, service_sid: str | None = None) -> bool:
        """True when ACS owns the conversation with this SID or unique name."""
        if key in self._on_acs:
            return True
        core = self.core
        try:
            scope = core.services.resolve(service_sid)
        except errors.TwilioApiError:
            return False
        found = core.imports.find_conversation(scope, key)
        if found is None or core.imports.is_importing(found.sid):
            return False
        self._on_acs.update(filter(None, (found.sid, found.unique_name)))
        return True

    # -- the seam --------------------------------------------------------------------------

    def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        params, auth = options["params"], options["auth"]
        data = cast("dict[str, object] | None", options["data"])
        self._auth = auth or self._auth
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path
        method = method.upper()
        if not host.startswith("conversations."):
            return forward(self.twilio, method, url, options)
        if method == "GET" and _MERGED_LISTS.match(path):
            return self._merged(url, params, auth)
        found = _USER_CONVERSATION.match(path) or _ONE_CONVERSATION.match(path)
        if found:
            on_acs = self.owner_is_acs(found["key"], found["service"])
            if on_acs and method == "POST" and _MESSAGES.match(path):
                refused = self._bring_media(data, found["service"])
                if refused is not None:
                    return _error_response(refused)
            return forward(self.acs if on_acs else self.twilio, method, url, options)
        created = _CREATE.match(path)
        if created and method == "POST":
            target = self.acs if self.policy.sends_to_acs(_new_conversation(data)) else self.twilio
            return forward(target, method, url, options)
        response = forward(self.twilio, method, url, options)
        users = _USERS.match(path)
        if users and method in ("POST", "DELETE") and 200 <= response.status_code < 300:
            self._mirror_user(method, users["service"], users["key"], response)
        return response

    # -- merged lists ------------------------------------------------------------------------

    def _merged(
        self, url: str, params: dict[str, object] | None, auth: tuple[str, str] | None
    ) -> Response:
        extra = {k: str(v) for k, v in (params or {}).items() if v is not None}
        if extra:
            parts = urlsplit(url)
            query = [*parse_qsl(parts.query, keep_blank_values=True), *extra.items()]
            url = parts._replace(query=urlencode(query)).geturl()

        def fetch_from(target: HttpClient) -> _merge.Fetch:
            def fetch(page_url: str) -> dict[str, Any] | None:
                answer = target.request("GET", page_url, auth=auth)
                if answer.status_code == 404:
                    return None
                if answer.status_code != 200:
                    raise _BackendFailed(answer)
                return dict(json.loads(answer.text))

            return fetch

        try:
            body = _merge.merged_page(
                url, {"twilio": fetch_from(self.twilio), "acs": fetch_from(self.acs)}
            )
        except _merge.InvalidToken:
            return _error_response(
                errors.invalid("Parameter 'PageToken' is not a valid page token")
            )
        except _BackendFailed as failed:
            return failed.response
        if body is None:
            return _error_response(errors.not_found(urlsplit(url).path))
        return Response(200, json.dumps(body), {"Content-Type": "application/json"})

    # -- keeping the sides in step ---------------------------------------------------------

    def _mirror_user(
        self, method: str, service_sid: str | None, key: str | None, response: Response
    ) -> None:
        """Twilio's user write, repeated in the ACS store under the same SID (best effort)."""
        imports = self.core.imports
        try:
            scope = self.core.services.resolve(service_sid)
            if method == "DELETE":
                if key:
                    imports.forget_user(scope, key)
                return
            body = json.loads(response.text)
            imports.mirror_user(
                ImportedUser(
                    sid=body["sid"],
                    scope=scope,
                    identity=body["identity"],
                    friendly_name=body.get("friendly_name"),
                    attributes=body.get("attributes") or "{}",
                    role_sid=body.get("role_sid"),
                )
            )
        except (AdapterError, errors.TwilioApiError, ValueError, KeyError) as exc:
            _logger.warning("could not mirror a user write to ACS: %s", exc)

    def _bring_media(
        self, data: dict[str, object] | None, service_sid: str | None
    ) -> errors.TwilioApiError | None:
        """Copy media uploaded to Twilio into ACS (same ME SID) before ACS sends the message;
        the error to answer with when one cannot be copied (nothing is sent then)."""
        wanted = (data or {}).get("MediaSid")
        sids = wanted if isinstance(wanted, list) else [wanted] if wanted else []
        for sid in (str(s) for s in sids):
            if self.core.imports.media_exists(sid):
                continue
            try:
                self._copy_media(sid, service_sid)
            except errors.TwilioApiError as refused:
                _logger.warning("could not bring media %s over from Twilio: %s", sid, refused)
                return refused
        return None

    def _copy_media(self, sid: str, service_sid: str | None) -> None:
        """Raises the Twilio error that says why the media could not be copied."""
        imports = self.core.imports
        service = service_sid or self._twilio_default_service(sid)
        path = f"/Services/{service}/Media/{sid}"
        direct, content_type, filename = self._twilio_media(sid, path)
        try:
            with download(self._http, direct, max_bytes=imports.media_max_bytes) as content:
                key, size = imports.put_media(
                    sid, content, content_type=content_type, filename=filename
                )
            imports.add_media(
                ImportedMedia(
                    sid=sid,
                    scope=self.core.services.resolve(service_sid),
                    content_type=content_type,
                    size=size,
                    storage_key=key,
                    filename=filename,
                )
            )
        except DownloadFailed as failed:
            raise _not_copied(sid, failed.reason, failed.status) from None
        except Conflict:
            return  # recorded meanwhile by another request
        except AdapterError as exc:
            raise errors.from_adapter(exc, path) from None

    def _twilio_media(self, sid: str, path: str) -> tuple[str, str, str | None]:
        """The download link, content type and file name of a media item on Twilio."""
        answer = self.twilio.request("GET", f"{_MEDIA_URL}{path}", auth=self._auth)
        if answer.status_code == 404:
            raise errors.invalid(f"Media {sid} was not found")
        if not 200 <= answer.status_code < 300:
            raise _not_copied(sid, f"Twilio answered HTTP {answer.status_code}", answer.status_code)
        try:
            resource = json.loads(answer.text)
            direct, content_type = (
                resource["links"]["content_direct_temporary"],
                resource["content_type"],
            )
            filename = resource.get("filename")
        except (ValueError, KeyError, TypeError, AttributeError):
            direct = content_type = filename = None
        if not (isinstance(direct, str) and direct and isinstance(content_type, str)):
            raise _not_copied(sid, "Twilio's media resource has no download link", 400)
        return direct, content_type, filename if isinstance(filename, str) else None

    def _twilio_default_service(self, media_sid: str) -> str:
        answer = self.twilio.request(
            "GET", "https://conversations.twilio.com/v1/Configuration", auth=self._auth
        )
        try:
            return str(json.loads(answer.text)["default_chat_service_sid"])
        except (ValueError, KeyError, TypeError):
            reason = f"Twilio's configuration answered HTTP {answer.status_code}"
            raise _not_copied(media_sid, reason, answer.status_code) from None


def _not_copied(sid: str, reason: str, status: int | None) -> errors.TwilioApiError:
    """Twilio's answer to a message whose media could not be brought over: 503 (retry) when
    Twilio or its media host failed or could not be reached, else 400 (MediaSid refused)."""
    message = f"Media {sid} could not be copied from Twilio: {reason}"
    if status is None or status >= 500 or status == 429:
        return errors.TwilioApiError(503, errors.UNAVAILABLE, message)
    return errors.invalid(message)


def _error_response(error: errors.TwilioApiError) -> Response:
    return Response(error.status, json.dumps(error.as_body()), {})


class _BackendFailed(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


__all__ = ["MigrationRoutingHttpClient", "NewConversation", "RoutingPolicy"]
