"""The SMS route, named by the 2021-03-07 spec's operationId; the app puts the guard in front."""

from __future__ import annotations

from starlette.routing import Route

from acs_emulator.sms.models import SmsBackend
from acs_emulator.sms.responses import SmsResponses


def routes(backend: SmsBackend) -> list[Route]:
    sms = SmsResponses(backend)
    return [Route("/sms", sms.send, methods=["POST"], name="Sms_Send")]
