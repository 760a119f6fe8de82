"""Keyset pages of lists ordered by creation time, then SID.

A page asks for the rows just after a position (or just before it), not for the rows after
skipping an offset, so a page deep in a long list costs what the first one does, and the
pages stay put while rows are added or removed elsewhere in the list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, tuple_

from acs_adapter.errors import InvalidInput
from acs_adapter.store import _validate as check

Position = tuple[datetime, str]
"""A place in list order: creation time, then SID to break ties."""


def seek(
    statement: Select[Any],
    created_at: ColumnElement[Any],
    sid: ColumnElement[Any],
    *,
    after: Position | None,
    before: Position | None,
    limit: int,
) -> Select[Any]:
    """`statement` limited to the `limit` rows just after `after` (oldest first), or just
    before `before` (newest first), in (`created_at`, `sid`) order."""
    if after is not None and before is not None:
        raise InvalidInput("give at most one of after and before")
    key = tuple_(created_at, sid)
    if before is not None:
        statement = statement.where(key < _bound("before", before, created_at, sid))
        statement = statement.order_by(created_at.desc(), sid.desc())
    else:
        if after is not None:
            statement = statement.where(key > _bound("after", after, created_at, sid))
        statement = statement.order_by(created_at, sid)
    return statement.limit(check.count("limit", limit, minimum=1))


def _bound(
    name: str, position: object, created_at: ColumnElement[Any], sid: ColumnElement[Any]
) -> Any:
    if not isinstance(position, tuple) or len(position) != 2:
        raise InvalidInput(f"{name} must be a (created_at, sid) pair")
    return tuple_(
        bindparam(None, check.timestamp(f"{name} created_at", position[0]), type_=created_at.type),
        bindparam(None, check.sid(f"{name} sid", position[1]), type_=sid.type),
    )
