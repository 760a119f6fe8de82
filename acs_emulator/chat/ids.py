"""Identifiers the chat service mints, in the forms the real service uses."""

from __future__ import annotations

import base64
import secrets
import uuid


def new_thread_id() -> str:
    """`19:<32 hex>@thread.v2`, one of the thread id forms real ACS resources hand out."""
    return f"19:{uuid.uuid4().hex}@thread.v2"


def new_transaction_id() -> str:
    """An opaque per-operation id for Event Grid data (`transactionId`), like the service's."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii").rstrip("=") + ".1.1.1.1"
