"""Explain a database integrity error in the store's words: which record clashed, on what.

The database names the constraint (PostgreSQL) or its columns (SQLite); the schema's naming
convention lets both be traced back to a `UniqueConstraint` or `ForeignKey` of the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import ForeignKeyConstraint, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from acs_adapter.errors import AdapterError, Conflict, InvalidInput, NotFound

NOUNS = {
    "identities": "identity pair",
    "conversations": "conversation",
    "participants": "participant",
    "messages": "message",
    "media": "media item",
    "users": "user",
    "user_conversations": "user conversation setting",
    "roles": "role",
    "configuration": "configuration document",
    "webhooks": "conversation webhook",
    "cursors": "cursor",
    "idempotency_keys": "idempotency key",
    "migration_checkpoints": "migration checkpoint",
    "bindings": "binding",
    "numbers": "owned number",
    "address_configurations": "address configuration",
}

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def integrity_error(
    exc: IntegrityError, table: Table, values: Mapping[str, object]
) -> AdapterError:
    """`Conflict` for a duplicate, `NotFound` for a missing parent, naming the values involved."""
    constraint = _constraint(exc, table)
    noun = NOUNS.get(table.name, table.name)
    if isinstance(constraint, ForeignKeyConstraint):
        parent = constraint.referred_table.name
        column = constraint.column_keys[0]
        shown = f" {values[column]!r}" if column in values else ""
        return NotFound(
            f"{NOUNS.get(parent, parent)}{shown} does not exist", code="store_missing_parent"
        )
    if constraint is not None:
        shown = ", ".join(
            f"{column.name}={values[column.name]!r}"
            for column in constraint.columns
            if column.name in values
        )
        return Conflict(
            f"{_article(noun)} {noun} with {shown or 'the same key'} already exists",
            code=constraint.name if isinstance(constraint.name, str) else None,
        )
    message = str(exc.orig)
    if "NOT NULL" in message.upper() or "CHECK" in message.upper():
        return InvalidInput(f"a {noun} is missing a required value")
    return Conflict(f"the change clashes with an existing {noun}")


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def _constraint(exc: IntegrityError, table: Table) -> ColumnCollectionConstraint | None:
    candidates = [c for c in table.constraints if isinstance(c, ColumnCollectionConstraint)]
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return next((c for c in candidates if c.name == name), None)
    message = str(exc.orig)
    if "FOREIGN KEY constraint failed" in message:
        foreign = [c for c in candidates if isinstance(c, ForeignKeyConstraint)]
        return foreign[0] if len(foreign) == 1 else None
    match = _SQLITE_UNIQUE.search(message)
    if match is None:
        return None
    columns = {part.strip().rsplit(".", 1)[-1] for part in match.group(1).split(",")}
    for constraint in candidates:
        if (
            not isinstance(constraint, ForeignKeyConstraint)
            and {c.name for c in constraint.columns} == columns
        ):
            return constraint
    return None
