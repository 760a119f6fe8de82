"""Idempotency keys: the stored result of a request, so a retried request is answered the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository, upsert_insert
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import idempotency_keys


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """The result first stored for (scope, key)."""

    scope: str
    key: str
    result: str
    created_at: datetime


class IdempotencyRepository(Repository):
    """(scope, key) -> result; `insert_if_absent` keeps the first and returns it to everyone."""

    table = idempotency_keys

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record for (scope, key), if any."""
        row = self._first(
            select(idempotency_keys).where(
                idempotency_keys.c.scope == check.text("scope", scope),
                idempotency_keys.c.key == check.text("key", key),
            )
        )
        return None if row is None else IdempotencyRecord(**row._mapping)

    def insert_if_absent(self, scope: str, key: str, result: str) -> IdempotencyRecord:
        """Store `result` unless (scope, key) has one; return the record that was kept."""
        values = {
            "scope": check.text("scope", scope),
            "key": check.text("key", key),
            "result": check.free_text("result", result),
            "created_at": utc_now(),
        }
        with self._write(values) as conn:
            statement = upsert_insert(conn, idempotency_keys).values(values)
            conn.execute(statement.on_conflict_do_nothing(index_elements=["scope", "key"]))
            row = conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
                )
            ).one()
        return IdempotencyRecord(**row._mapping)

    def delete(self, scope: str, key: str) -> bool:
        """Forget one key; True if it existed."""
        with self._write() as conn:
            statement = delete(idempotency_keys).where(
                idempotency_keys.c.scope == check.text("scope", scope),
                idempotency_keys.c.key == check.text("key", key),
            )
            return conn.execute(statement).rowcount > 0

    def delete_older_than(self, cutoff: datetime, *, scope: str | None = None) -> int:
        """Forget keys created before `cutoff` (in one scope, if given); how many went."""
        cutoff = check.timestamp("cutoff", cutoff)
        statement = delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
        if scope is not None:
            statement = statement.where(idempotency_keys.c.scope == check.text("scope", scope))
        with self._write() as conn:
            return conn.execute(statement).rowcount
