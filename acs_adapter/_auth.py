"""How chat clients get their bearer tokens, in azure-core's own terms.

Each ACS user gets a credential that reads from the process-wide `TokenCache`, and each chat
client gets a pipeline policy that, on a 401, asks the cache for a fresh token once and resends:
a revoked token is replaced without the caller noticing. The policy sits right after the retry
policy, before azure-core's `BearerTokenCredentialPolicy`, which drops its cached token on a 401
and so picks up the renewed one on the resend.
"""

from __future__ import annotations

from typing import Any, Protocol

from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

_BEARER = "bearer "


class TokenSource(Protocol):
    """What the credentials need from the token cache."""

    def token_for(self, acs_user_id: str) -> AccessToken: ...

    def renew(self, acs_user_id: str, rejected: str | None) -> AccessToken: ...


class UserTokenCredential:
    """A sync azure-core credential for one ACS user, backed by the shared cache."""

    def __init__(self, source: TokenSource, acs_user_id: str) -> None:
        self._source = source
        self.acs_user_id = acs_user_id

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._source.token_for(self.acs_user_id)

    def __repr__(self) -> str:
        return f"UserTokenCredential({self.acs_user_id!r})"


def _sent_token(request: PipelineRequest[Any]) -> str | None:
    header = request.http_request.headers.get("Authorization") or ""
    return header[len(_BEARER) :] if header.lower().startswith(_BEARER) else None


class RenewTokenOn401Policy(HTTPPolicy[Any, Any]):
    """On a 401, renew the user's token once and resend the request."""

    def __init__(self, source: TokenSource, acs_user_id: str) -> None:
        super().__init__()
        self._source = source
        self._user = acs_user_id

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = self.next.send(request)
        if response.http_response.status_code != 401:
            return response
        self._source.renew(self._user, _sent_token(request))
        return self.next.send(request)
