"""Match a request path against the operation table.

Paths are those of ``https://conversations.twilio.com/v1`` without the ``/v1`` prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from twilio_compat.core import errors
from twilio_compat.rest.operations import OPERATIONS, Operation

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Route:
    operation: Operation
    pattern: re.Pattern[str]


def _compile(operation: Operation) -> Route:
    pieces = _PLACEHOLDER.split(operation.path)
    # split() alternates literal text and placeholder names: "/A/", "sid", "/B"...
    regex = "".join(
        re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>[^/]+)" for i, piece in enumerate(pieces)
    )
    return Route(operation, re.compile(f"^{regex}$"))


_ROUTES = tuple(_compile(op) for op in OPERATIONS)


def match(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    """The operation for ``method path`` and its decoded path parameters.

    Unknown paths answer Twilio's 404 (20404); a known path with the wrong method answers 405.
    """
    path = path.rstrip("/") or "/"
    path_known = False
    for route in _ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        path_known = True
        if route.operation.method == method.upper():
            return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
    if path_known:
        raise errors.TwilioApiError(405, errors.METHOD_NOT_ALLOWED, "Method not allowed")
    raise errors.not_found(path)
