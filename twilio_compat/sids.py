"""Twilio-style SIDs: a two-letter prefix and 32 lowercase hex digits.

The shim mints its own SIDs (ACS has none of them) and keeps them in the mapping store, so a SID
handed to a user stays valid for the life of the resource.
"""

from __future__ import annotations

import hashlib
import re
import secrets

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def new_sid(prefix: str) -> str:
    """A fresh random SID such as ``CH`` + 32 hex digits."""
    _check_prefix(prefix)
    return prefix + secrets.token_hex(16)


def stable_sid(prefix: str, *parts: str) -> str:
    """A SID derived from ``parts``: the same inputs give the same SID in every process.

    Used for things that exist without being created, such as the default Conversation
    Service of an account or Twilio's built-in roles.
    """
    _check_prefix(prefix)
    digest = hashlib.sha256("\x1f".join((prefix, *parts)).encode("utf-8")).hexdigest()
    return prefix + digest[:32]


def is_sid(value: str, prefix: str) -> bool:
    """True when ``value`` has the shape of a SID with this prefix."""
    return value[:2] == prefix and _SID.match(value) is not None


def looks_like_conversation_sid(value: str) -> bool:
    """Twilio refuses unique names of this shape (error 50390): they would shadow SIDs."""
    return re.match(r"^CH[0-9a-f]{32}", value) is not None


def _check_prefix(prefix: str) -> None:
    if len(prefix) != 2 or not prefix.isalpha() or not prefix.isupper():
        raise ValueError(f"a SID prefix is two capital letters, not {prefix!r}")
