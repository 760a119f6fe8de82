"""The file part of a ``multipart/form-data`` media upload.

Twilio's Media Content Service takes either the raw bytes (with the file's own Content-Type)
or a form with one file field, which is what browsers and the client SDKs send from a
``FormData``. The standard library's MIME parser reads the form; nothing is hand-parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from twilio_compat.core import errors


@dataclass(frozen=True)
class UploadedFile:
    data: bytes
    content_type: str
    filename: str | None


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith("multipart/form-data")


def file_part(content_type: str, body: bytes) -> UploadedFile:
    """The first part carrying a file (else the first part); a clear 400 if there is none."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    parts = [p for p in message.iter_parts() if isinstance(p, EmailMessage)]
    if not message.is_multipart() or not parts:
        raise errors.invalid("The multipart media upload has no file part")
    chosen = next((p for p in parts if p.get_filename()), parts[0])
    payload = chosen.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    declared = chosen.get("content-type")
    return UploadedFile(
        data=data,
        content_type=chosen.get_content_type() if declared else "application/octet-stream",
        filename=chosen.get_filename() or None,
    )
