"""Uploading chat media the way Twilio code does, at the same seam.

Twilio code uploads media with a raw ``POST`` to the Media Content Service
(``https://mcs.us1.twilio.com/v1/Services/{IS}/Media``) and then sends a message with the
returned ``ME...`` SID as ``media_sid``. Through ``client.request(...)`` that request reaches
the shim's http_client like any other; ``upload_media`` is the one-line version of it.
"""

from __future__ import annotations

import json
from typing import Any

from twilio.base.exceptions import TwilioRestException

MEDIA_URL = "https://mcs.us1.twilio.com/v1/Services/{service_sid}/Media"


def upload_media(
    client: Any,
    service_sid: str,
    data: bytes,
    *,
    content_type: str,
    filename: str | None = None,
) -> dict[str, Any]:
    """Upload ``data`` for a Conversation Service and return Twilio's media JSON (``sid``...).

    ``client`` is a ``twilio.rest.Client`` whose http_client is the shim's.
    """
    headers = {"Content-Type": content_type}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    url = MEDIA_URL.format(service_sid=service_sid)
    response = client.request("POST", url, data=data, headers=headers)
    body = json.loads(response.text) if response.text else {}
    if response.status_code != 201:
        raise TwilioRestException(
            response.status_code,
            url,
            f"Unable to upload media: {body.get('message', '')}",
            body.get("code", response.status_code),
            "POST",
        )
    return dict(body)
