"""A string that refuses to be shown.

Access keys, tokens, SAS signatures and passwords inside URLs travel through settings, reprs,
log records and exception texts. Wrapping them in `Secret` makes every accidental display print
`Secret('***')`; code that really needs the value says so with `reveal()`.
"""

from __future__ import annotations

import hmac
from typing import final

_MASK = "Secret('***')"


@final
class Secret:
    """Holds a sensitive string; `repr`, `str` and f-strings all show `Secret('***')`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        """The wrapped value, for the one place that must send it somewhere."""
        return self._value

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)
