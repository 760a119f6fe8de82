"""External identities to ACS users, and the ACS tokens those users chat with.

`IdentityDirectory` gives every external identity (a Twilio identity, an e-mail, any string)
exactly one ACS user, created on first use. The mapping store decides races: whoever inserts
first wins and the loser deletes the ACS user it created, so concurrent threads or processes
end with one user per identity.

`TokenCache` issues one chat token per ACS user and reuses it until it is close to expiry or
ACS rejects it, so chatting never costs an identity call per request. It keeps the tokens of
the most recently active users only (`max_users`), so a long-running process that has seen
many users holds a bounded number of tokens; a user evicted gets a new token when next active.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from azure.communication.chat import CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.credentials import AccessToken

from acs_adapter._auth import UserTokenCredential
from acs_adapter._errors_map import translated
from acs_adapter._lru import LruCache
from acs_adapter._retry import RETRY_ANY_METHOD
from acs_adapter._validate import text_id
from acs_adapter.config import DEFAULT_CACHED_USERS
from acs_adapter.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_IDENTITY_LENGTH = 256
_LOCK_STRIPES = 64


class IdentityMappings(Protocol):
    """The part of the mapping store the directory uses (`store.identities`)."""

    def get(self, identity: str) -> str | None: ...

    def insert_if_absent(self, identity: str, acs_user_id: str) -> str: ...

    def identity_for(self, acs_user_id: str) -> str | None: ...


class MappingStore(Protocol):
    @property
    def identities(self) -> IdentityMappings: ...


class _StripedLocks:
    """A fixed set of locks picked by key: per-key exclusion without a lock per key forever."""

    def __init__(self, stripes: int = _LOCK_STRIPES) -> None:
        self._locks = [threading.Lock() for _ in range(stripes)]

    def __call__(self, key: str) -> threading.Lock:
        return self._locks[hash(key) % len(self._locks)]


def check_identity(identity: object) -> str:
    """An external identity: any Unicode text of 1 to 256 characters, no NUL or lone surrogate."""
    if not isinstance(identity, str) or not identity:
        raise InvalidInput("identity must be a non-empty string")
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise InvalidInput(f"identity is longer than {MAX_IDENTITY_LENGTH} characters")
    if "\x00" in identity or any(unicodedata.category(ch) == "Cs" for ch in identity):
        raise InvalidInput("identity contains a NUL character or an unpaired surrogate")
    return identity


class IdentityDirectory:
    """Maps external identities to ACS users, creating each user once."""

    def __init__(self, store: MappingStore, identity_client: CommunicationIdentityClient) -> None:
        self._store = store
        self._client = identity_client
        self._locks = _StripedLocks()

    def acs_user_for(self, identity: str) -> str:
        """The ACS user id (`8:acs:…`) for `identity`, created on first use."""
        identity = check_identity(identity)
        known = self._store.identities.get(identity)
        if known is not None:
            return known
        with self._locks(identity):
            known = self._store.identities.get(identity)
            if known is not None:
                return known
            return self._create(identity)

    def identity_for(self, acs_user_id: str) -> str | None:
        """The external identity an ACS user was created for, if it was created here."""
        return self._store.identities.identity_for(text_id(acs_user_id, "acs_user_id"))

    def _create(self, identity: str) -> str:
        with translated():
            user = self._client.create_user()
        created = str(user.properties["id"])
        try:
            winner = self._store.identities.insert_if_absent(identity, created)
        except BaseException:
            self._delete_quietly(created)
            raise
        if winner != created:
            self._delete_quietly(created)
        return winner

    def _delete_quietly(self, acs_user_id: str) -> None:
        """Remove an ACS user nobody will use; failing leaves a harmless orphan."""
        try:
            self._client.delete_user(CommunicationUserIdentifier(acs_user_id))
        except Exception as error:
            reason = type(error).__name__
            log.warning("could not delete unused ACS user %s: %s", acs_user_id, reason)


class TokenCache:
    """Chat tokens per ACS user, issued once and reused until near expiry or rejection.

    `refresh_margin` is how long before expiry a token counts as stale (the SDK's proactive
    refresh window is 10 minutes). `max_users` bounds the tokens kept: the least recently used
    goes first. The cache is thread-safe, so every thread of one process shares its tokens.
    """

    def __init__(
        self,
        identity_client: CommunicationIdentityClient,
        *,
        scopes: Sequence[str] = ("chat",),
        refresh_margin: float = 600.0,
        clock: Callable[[], float] = time.time,
        max_users: int = DEFAULT_CACHED_USERS,
    ) -> None:
        self._client = identity_client
        self._scopes = list(scopes)
        self._margin = refresh_margin
        self._clock = clock
        # user -> (token, the remaining lifetime below which it counts as stale)
        self._tokens: LruCache[str, tuple[AccessToken, float]] = LruCache(max_users)
        self._locks = _StripedLocks()

    def token_for(self, acs_user_id: str) -> AccessToken:
        """A valid token for the user, issuing one only when none is cached or it is stale."""
        cached = self.fresh_token(acs_user_id)
        if cached is not None:
            return cached
        with self._locks(acs_user_id):
            cached = self.fresh_token(acs_user_id)
            if cached is not None:
                return cached
            return self._issue(acs_user_id)

    def fresh_token(self, acs_user_id: str) -> AccessToken | None:
        """The cached token if it is not within the refresh margin of expiry (no I/O)."""
        entry = self._tokens.get(acs_user_id)
        if entry is None:
            return None
        token, stale_below = entry
        return token if token.expires_on - self._clock() > stale_below else None

    def renew(self, acs_user_id: str, rejected: str | None) -> AccessToken:
        """Replace a token ACS rejected; concurrent callers with the same rejection share one."""
        with self._locks(acs_user_id):
            entry = self._tokens.get(acs_user_id)
            if entry is not None and rejected is not None and entry[0].token != rejected:
                return entry[0]  # another caller already replaced the rejected token
            return self._issue(acs_user_id)

    def forget(self, acs_user_id: str) -> None:
        """Drop a user's token, e.g. after deleting the user."""
        self._tokens.discard(acs_user_id)

    def credential(self, acs_user_id: str) -> UserTokenCredential:
        """An azure-core credential for sync chat clients acting as this user."""
        return UserTokenCredential(self, text_id(acs_user_id, "acs_user_id"))

    def _issue(self, acs_user_id: str) -> AccessToken:
        with translated():
            issued = self._client.get_token(
                CommunicationUserIdentifier(acs_user_id),
                self._scopes,
                retry_on_methods=RETRY_ANY_METHOD,
            )
        # The identity SDK returns `expires_on` as the raw service string; read the expiry the
        # way the chat SDK does, from the token's own `exp` claim.
        # (`get_token` there has no annotations, hence `Any`.)
        reader: Any = CommunicationTokenCredential(issued.token)
        token: AccessToken = reader.get_token()
        lifetime = token.expires_on - self._clock()
        # A token shorter-lived than the margin would otherwise be re-issued on every call.
        self._tokens.put(acs_user_id, (token, min(self._margin, lifetime / 2)))
        return token

    def __len__(self) -> int:
        """How many users have a token kept."""
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"TokenCache(users={len(self._tokens)}, max_users={self._tokens.capacity})"
