"""The fake STS's routes (and its workload identity issuer's), served beside the ACS API on the
emulator's HTTPS port."""

from __future__ import annotations

from starlette.routing import Route

from acs_emulator.entra.federation import ISSUER_PATH, JWKS_PATH
from acs_emulator.entra.models import FakeEntra
from acs_emulator.entra.responses import StsResponses


def routes(entra: FakeEntra) -> list[Route]:
    sts = StsResponses(entra)
    return [
        # Before the tenant routes, whose `{tenant}` would take the issuer's first segment.
        Route(
            f"{ISSUER_PATH}/.well-known/openid-configuration",
            sts.workload_issuer_discovery,
            methods=["GET"],
        ),
        Route(JWKS_PATH, sts.workload_issuer_keys, methods=["GET"]),
        Route("/{tenant}/discovery/instance", sts.instance_discovery, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", sts.discovery_v2, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", sts.discovery_v1, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", sts.keys, methods=["GET"]),
        Route("/{tenant}/discovery/keys", sts.keys, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", sts.token, methods=["POST"]),
        Route("/{tenant}/oauth2/token", sts.token, methods=["POST"]),
    ]
