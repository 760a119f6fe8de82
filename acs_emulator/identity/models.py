"""The identity service's state and rules: users, their tokens, revocation and deletion.

Decisions where the real service is unverified: deleting a user that does not exist (or was
already deleted) answers 404, as does issuing or revoking tokens for such a user; a user id
from another resource is simply unknown here.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from acs_emulator.db import Database
from acs_emulator.exceptions import AcsError, bad_request
from acs_emulator.tokens import IssuedToken, TokenService

SCHEMA = """
CREATE TABLE IF NOT EXISTS identity_users (
    raw_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    deleted_at REAL
);
"""

SCOPES = frozenset({"chat", "voip", "chat.join", "chat.join.limited", "voip.join"})
MIN_MINUTES = 60
MAX_MINUTES = 1440
DEFAULT_MINUTES = 1440


def identity_not_found(raw_id: str) -> AcsError:
    return AcsError(404, "IdentityNotFound", f"Identity '{raw_id}' was not found.")


@dataclass(frozen=True)
class TokenRequest:
    """A validated request for a token: known scopes and a lifetime within 60..1440 minutes."""

    scopes: list[str]
    minutes: int = DEFAULT_MINUTES

    @classmethod
    def parse(cls, scopes: object, minutes: object, *, scopes_field: str) -> TokenRequest:
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise bad_request(f"'{scopes_field}' must be a list of scopes.", target=scopes_field)
        if not scopes:
            raise bad_request(f"'{scopes_field}' must not be empty.", target=scopes_field)
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise bad_request(
                f"Unknown scope '{unknown[0]}'; expected one of {', '.join(sorted(SCOPES))}.",
                target=scopes_field,
            )
        if minutes is None:
            minutes = DEFAULT_MINUTES
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise bad_request("'expiresInMinutes' must be an integer.", target="expiresInMinutes")
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise bad_request(
                f"'expiresInMinutes' must be between {MIN_MINUTES} and {MAX_MINUTES}.",
                target="expiresInMinutes",
            )
        return cls(scopes=list(dict.fromkeys(scopes)), minutes=minutes)


class IdentityBackend:
    """ACS users of one resource; also the `UserDirectory` the chat backend asks."""

    def __init__(self, db: Database, tokens: TokenService, *, resource_id: str) -> None:
        db.ensure_schema(SCHEMA)
        self._db = db
        self._tokens = tokens
        self.resource_id = resource_id
        self._lock = threading.Lock()
        with db.read() as conn:
            rows = conn.execute("SELECT raw_id FROM identity_users WHERE deleted_at IS NULL")
            self._live: set[str] = {str(row["raw_id"]) for row in rows.fetchall()}

    def user_exists(self, raw_id: str) -> bool:
        return raw_id in self._live

    def create_user(self) -> str:
        hex_ = uuid.uuid4().hex
        suffix = f"00000008-{hex_[0:4]}-{hex_[4:8]}-{hex_[8:12]}-{hex_[12:24]}"
        raw_id = f"8:acs:{self.resource_id}_{suffix}"
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO identity_users (raw_id, created_at) VALUES (?, ?)",
                (raw_id, time.time()),
            )
        with self._lock:
            self._live.add(raw_id)
        return raw_id

    def issue_token(self, raw_id: str, request: TokenRequest) -> IssuedToken:
        self._require(raw_id)
        return self._tokens.mint(raw_id, request.scopes, timedelta(minutes=request.minutes))

    def revoke_tokens(self, raw_id: str) -> None:
        self._require(raw_id)
        self._tokens.revoke_all(raw_id)

    def delete_user(self, raw_id: str) -> None:
        """Delete the user; its tokens stop working because the user no longer exists."""
        self._require(raw_id)
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE identity_users SET deleted_at = ? WHERE raw_id = ?", (time.time(), raw_id)
            )
        with self._lock:
            self._live.discard(raw_id)
        self._tokens.revoke_all(raw_id)

    def _require(self, raw_id: str) -> None:
        if raw_id not in self._live:
            raise identity_not_found(raw_id)
