"""External identities paired one to one with the ACS users created for them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select

from acs_adapter.errors import Conflict
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository, upsert_insert
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import identities


class IdentityRepository(Repository):
    """Identity <-> ACS user id pairs; `insert_if_absent` settles races between writers."""

    table = identities

    def get(self, identity: str) -> str | None:
        """The ACS user id paired with `identity`, if any."""
        identity = check.text("identity", identity)
        with self._read() as conn:
            value = conn.scalar(
                select(identities.c.acs_user_id).where(identities.c.identity == identity)
            )
        return value

    def identity_for(self, acs_user_id: str) -> str | None:
        """The identity paired with an ACS user id, if any."""
        acs_user_id = check.text("acs_user_id", acs_user_id)
        with self._read() as conn:
            value = conn.scalar(
                select(identities.c.identity).where(identities.c.acs_user_id == acs_user_id)
            )
        return value

    def identities_for(self, acs_user_ids: Iterable[str]) -> dict[str, str]:
        """The identities paired with these ACS user ids, by id (one query; unpaired ids left
        out)."""
        wanted = sorted({check.text("acs_user_id", i) for i in acs_user_ids})
        if not wanted:
            return {}
        statement = select(identities.c.acs_user_id, identities.c.identity).where(
            identities.c.acs_user_id.in_(wanted)
        )
        with self._read() as conn:
            return {row.acs_user_id: row.identity for row in conn.execute(statement)}

    def insert_if_absent(self, identity: str, acs_user_id: str) -> str:
        """Pair `identity` with `acs_user_id` unless already paired; return the id that won.

        Several threads or processes may race to pair the same identity: exactly one pairing
        is kept and every caller gets it back. An ACS user id already paired with a different
        identity raises `Conflict`.
        """
        identity = check.text("identity", identity)
        acs_user_id = check.text("acs_user_id", acs_user_id)
        values = {"identity": identity, "acs_user_id": acs_user_id, "created_at": utc_now()}
        with self._write(values) as conn:
            statement = upsert_insert(conn, identities).values(values)
            conn.execute(statement.on_conflict_do_nothing(index_elements=["identity"]))
            winner: str | None = conn.scalar(
                select(identities.c.acs_user_id).where(identities.c.identity == identity)
            )
        if winner is None:  # pragma: no cover - the row was deleted between the two statements
            raise Conflict(f"identity {identity!r} was removed while being paired")
        return winner

    def delete(self, identity: str) -> bool:
        """Forget the pairing of `identity`; True if there was one."""
        identity = check.text("identity", identity)
        with self._write() as conn:
            result = conn.execute(delete(identities).where(identities.c.identity == identity))
        return result.rowcount > 0

    def count(self) -> int:
        """How many identities are paired."""
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(identities)) or 0
