"""The fake STS's routes, served beside the ACS API on the emulator's HTTPS port."""

from __future__ import annotations

from starlette.routing import Route

from acs_emulator.entra.models import FakeEntra
from acs_emulator.entra.responses import StsResponses


def routes(entra: FakeEntra) -> list[Route]:
    sts = StsResponses(entra)
    return [
        Route("/{tenant}/discovery/instance", sts.instance_discovery, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", sts.discovery_v2, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", sts.discovery_v1, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", sts.keys, methods=["GET"]),
        Route("/{tenant}/discovery/keys", sts.keys, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", sts.token, methods=["POST"]),
        Route("/{tenant}/oauth2/token", sts.token, methods=["POST"]),
    ]
