"""Twilio's Media Content Service (``mcs.us1.twilio.com/v1/Services/IS.../Media``).

Uploads take the raw bytes (with their own Content-Type) or a multipart form, as the client
SDKs send them. ``GET .../Media/ME...`` answers the media resource, whose ``links.content``
is ``.../Media/ME.../Content``: that URL answers a ``307`` redirect to the media's temporary
URL (the ``links.content_direct_temporary`` one, valid for five minutes), as Twilio's service
redirects to its short-lived storage URL, so any HTTP client that follows redirects gets the
bytes.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import TYPE_CHECKING

from twilio_compat import wire
from twilio_compat.core import errors
from twilio_compat.rest._multipart import file_part, is_multipart
from twilio_compat.rest._wire import WireRequest, WireResponse

if TYPE_CHECKING:
    from twilio_compat.core import Core

_MEDIA_PATH = re.compile(r"^/Services/[^/]+/Media(/[^/]+(/Content)?)?$")


def is_media_request(request: WireRequest, relative: str) -> bool:
    """Whether the request is for the Media Content Service (its host, or its paths)."""
    return request.host.startswith("mcs.") or _MEDIA_PATH.match(relative) is not None


def answer(core: Core, request: WireRequest, relative: str) -> WireResponse:
    """Upload, fetch, download or delete one ``ME...``; 404 for any other path."""
    parts = relative.strip("/").split("/")
    if len(parts) < 3 or parts[0] != "Services" or parts[2] != "Media":
        raise errors.not_found(relative)
    service_sid = core.services.resolve(parts[1])
    method, depth = request.method, len(parts)
    if method == "POST" and depth == 3:
        return _upload(core, service_sid, request)
    if method == "GET" and depth == 4:
        item = core.media.get(service_sid, parts[3])
        body = wire.media_resource(core.account_sid, item, core.media.temporary_url(item))
        return WireResponse(200, wire.dumps(body))
    if method == "GET" and depth == 5 and parts[4] == "Content":
        return _content(core, service_sid, parts[3])
    if method == "DELETE" and depth == 4:
        core.media.delete(service_sid, parts[3])
        return WireResponse(204, "", {})
    raise errors.not_found(relative)


def _upload(core: Core, service_sid: str, request: WireRequest) -> WireResponse:
    content_type = request.header("content-type") or "application/octet-stream"
    data, filename = request.body, _filename(request.header("content-disposition"))
    if is_multipart(content_type):
        uploaded = file_part(content_type, request.body)
        data, content_type, filename = uploaded.data, uploaded.content_type, uploaded.filename
    item = core.media.upload(service_sid, data, content_type=content_type, filename=filename)
    body = wire.media_resource(core.account_sid, item, core.media.temporary_url(item))
    return WireResponse(201, wire.dumps(body))


def _content(core: Core, service_sid: str, sid: str) -> WireResponse:
    item = core.media.get(service_sid, sid)
    url = core.media.temporary_url(item)
    if url is None:  # the record outlived its bytes
        raise errors.ResourceNotFound(f"/Services/{service_sid}/Media/{sid}/Content")
    return WireResponse(307, "", {"Location": url})


def _filename(disposition: str | None) -> str | None:
    """The ``filename`` of a ``Content-Disposition`` header, as uploads name their file."""
    if not disposition:
        return None
    message = EmailMessage()
    message["content-disposition"] = disposition
    name = message.get_filename()
    return str(name) if name else None
