"""The Media Content Service (``mcs.us1.twilio.com``) body of an uploaded ``ME...``."""

from __future__ import annotations

from twilio_compat.core import records
from twilio_compat.wire.scope import MEDIA_BASE_URL, Json, timestamp


def media_resource(account_sid: str, item: records.Media, temporary_url: str | None) -> Json:
    """The body answered to an upload or a fetch of ``ME...``."""
    url = f"{MEDIA_BASE_URL}/Services/{item.service_sid}/Media/{item.sid}"
    return {
        "sid": item.sid,
        "account_sid": account_sid,
        "service_sid": item.service_sid,
        "date_created": timestamp(item.date_created),
        "date_upload_updated": timestamp(item.date_created),
        "date_updated": timestamp(item.date_created),
        "channel_sid": None,
        "message_sid": item.message_sid,
        "author": None,
        "category": "media",
        "content_type": item.content_type,
        "filename": item.filename,
        "size": item.size,
        "is_multipart_upstream": False,
        "url": url,
        "links": {
            "content": f"/v1/Services/{item.service_sid}/Media/{item.sid}/Content",
            "content_direct_temporary": temporary_url,
        },
    }
