"""Identity routes, each named by its operationId in the 2023-10-01 spec."""

from __future__ import annotations

from starlette.routing import Route

from acs_emulator.identity.models import IdentityBackend
from acs_emulator.identity.responses import IdentityResponses


def routes(backend: IdentityBackend) -> list[Route]:
    face = IdentityResponses(backend)
    return [
        Route("/identities", face.create, methods=["POST"], name="CommunicationIdentity_Create"),
        Route(
            "/identities/{identity}",
            face.delete,
            methods=["DELETE"],
            name="CommunicationIdentity_Delete",
        ),
        Route(
            "/identities/{identity}/:revokeAccessTokens",
            face.revoke_tokens,
            methods=["POST"],
            name="CommunicationIdentity_RevokeAccessTokens",
        ),
        Route(
            "/identities/{identity}/:issueAccessToken",
            face.issue_token,
            methods=["POST"],
            name="CommunicationIdentity_IssueAccessToken",
        ),
        Route(
            "/teamsUser/:exchangeAccessToken",
            face.exchange_teams_token,
            methods=["POST"],
            name="CommunicationIdentity_ExchangeTeamsUserAccessToken",
        ),
    ]
