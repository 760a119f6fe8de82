"""ACS user access tokens: minted, verified and revoked here.

Tokens are JWTs signed with HS256 and a per-emulator secret kept in the state database, so an
emulator restarted with `--state FILE` still accepts the tokens it issued before. Each token
carries a unique `jti`; revoking a user's tokens marks every token issued to that user so far,
which leaves tokens issued afterwards valid, exactly what "revoke before now" means.

The chat SDK decodes the payload segment with *standard* base64, so a payload whose base64url
text holds `-` or `_` makes it fail ("Token is not formatted correctly"). `mint` therefore
varies the length and text of the `jti` (the first claim, so it shifts the alignment of all
the others) until the payload segment is clean.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

from acs_emulator.db import Database

SETTINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS emulator_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS identity_tokens (
    token_id TEXT PRIMARY KEY,
    raw_id TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS identity_tokens_by_user ON identity_tokens (raw_id);
"""

ALGORITHM = "HS256"
CHAT_SCP = 1792
_MAX_ATTEMPTS = 1000
_CACHE_LIMIT = 50_000


class TokenError(Exception):
    """The token is malformed, forged, expired or revoked."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_on: datetime


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: whose it is, what it may do and until when."""

    token_id: str
    raw_id: str
    scopes: frozenset[str]
    expires_at: int


def setting(db: Database, name: str, default: str) -> str:
    """A persisted emulator setting, created with `default` on first use."""
    db.ensure_schema(SETTINGS_SCHEMA)
    with db.transaction() as conn:
        row = conn.execute("SELECT value FROM emulator_settings WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return str(row["value"])
        conn.execute("INSERT INTO emulator_settings (name, value) VALUES (?, ?)", (name, default))
        return default


def store_setting(db: Database, name: str, value: str) -> None:
    db.ensure_schema(SETTINGS_SCHEMA)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO emulator_settings (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


def format_expires_on(moment: datetime) -> str:
    """ACS's `expiresOn` text: seven fractional digits and an explicit `+00:00`."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}0+00:00"


class TokenService:
    """Mints and verifies the Bearer tokens the chat API accepts."""

    def __init__(self, db: Database, *, resource_id: str) -> None:
        db.ensure_schema(SCHEMA)
        self._db = db
        self._resource_id = resource_id
        self._secret = setting(db, "token_secret", secrets.token_urlsafe(48))
        self._lock = threading.Lock()
        self._cache: dict[str, TokenClaims] = {}
        now = time.time()
        with db.read() as conn:
            rows = conn.execute(
                "SELECT token_id FROM identity_tokens WHERE revoked = 1 AND expires_at > ?", (now,)
            ).fetchall()
        self._revoked: set[str] = {str(row["token_id"]) for row in rows}

    def mint(
        self, raw_id: str, scopes: list[str], lifetime: timedelta = timedelta(hours=24)
    ) -> IssuedToken:
        """Issue a token for `raw_id`; a negative `lifetime` gives an already expired one."""
        issued = datetime.now(timezone.utc)
        expires = issued + lifetime
        iat = int(issued.timestamp())
        exp = int(expires.timestamp())
        skype_id = raw_id[2:] if raw_id.startswith("8:") else raw_id
        for _ in range(_MAX_ATTEMPTS):
            token_id = secrets.token_hex(9)[: 16 + secrets.randbelow(3)]
            payload = {
                "jti": token_id,
                "skypeid": skype_id,
                "scp": CHAT_SCP,
                "csi": str(iat),
                "exp": exp,
                "acsScope": ",".join(scopes),
                "resourceId": self._resource_id,
                "iat": iat,
            }
            token = jwt.encode(payload, self._secret, algorithm=ALGORITHM)
            segment = token.split(".")[1]
            if "-" not in segment and "_" not in segment:
                break
        else:  # pragma: no cover - each attempt succeeds with high probability
            raise RuntimeError("could not mint a token the chat SDK can parse")
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO identity_tokens (token_id, raw_id, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (token_id, raw_id, issued.timestamp(), expires.timestamp()),
            )
        return IssuedToken(token=token, expires_on=expires)

    def revoke_all(self, raw_id: str) -> None:
        """Revoke every token issued to `raw_id` until now."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT token_id FROM identity_tokens WHERE raw_id = ? AND revoked = 0", (raw_id,)
            ).fetchall()
            conn.execute("UPDATE identity_tokens SET revoked = 1 WHERE raw_id = ?", (raw_id,))
        with self._lock:
            self._revoked.update(str(row["token_id"]) for row in rows)

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; `TokenError` if forged, malformed, expired or revoked."""
        claims = self._cache.get(token)
        if claims is None:
            claims = self._decode(token)
            with self._lock:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[token] = claims
        if claims.expires_at <= time.time():
            raise TokenError("token expired")
        if claims.token_id in self._revoked:
            raise TokenError("token revoked")
        return claims

    def _decode(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "jti", "skypeid"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        scopes = payload.get("acsScope", "")
        exp = payload["exp"]
        if not isinstance(scopes, str) or not isinstance(exp, int):
            raise TokenError("token claims have the wrong types")
        return TokenClaims(
            token_id=str(payload["jti"]),
            raw_id="8:" + str(payload["skypeid"]),
            scopes=frozenset(s for s in scopes.split(",") if s),
            expires_at=exp,
        )
