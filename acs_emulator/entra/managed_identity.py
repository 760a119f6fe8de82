"""The managed-identity endpoints azure-identity can be pointed at, over plain HTTP as in Azure.

- IMDS: `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R` with
  `Metadata: true` (reached through `AZURE_POD_IDENTITY_AUTHORITY_HOST=<base URL>`);
- App Service: `GET /msi/token?api-version=2019-08-01&resource=R` with `X-IDENTITY-HEADER`
  (reached through `IDENTITY_ENDPOINT=<base URL>/msi/token` and `IDENTITY_HEADER`).

Both answer for the tenant's managed identity only (a `client_id` naming another is refused).
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from acs_emulator.entra.background import BackgroundServing
from acs_emulator.entra.models import TOKEN_LIFETIME, FakeEntra

IMDS_PATH = "/metadata/identity/oauth2/token"
APP_SERVICE_PATH = "/msi/token"


class _Handler(BaseHTTPRequestHandler):
    server: ManagedIdentityServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator has no access log."""

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        if url.path == IMDS_PATH:
            self._imds(query)
        elif url.path == APP_SERVICE_PATH:
            self._app_service(query)
        else:
            self._send(404, {"error": "not_found", "error_description": "No such endpoint."})

    def _identity_error(self, query: dict[str, str]) -> tuple[int, dict[str, str]] | None:
        entra = self.server.entra
        if not query.get("resource"):
            return 400, {"error": "invalid_request", "error_description": "Required resource."}
        asked = query.get("client_id")
        if asked is not None and asked != entra.managed_identity_client_id:
            return 400, {
                "error": "invalid_request",
                "error_description": "Identity not found",
            }
        return None

    def _answer(self, query: dict[str, str], fields: Callable[[int], dict[str, str]]) -> None:
        """The token answer: the fields every endpoint sends plus `fields(issued_at)`."""
        error = self._identity_error(query)
        if error is not None:
            self._send(*error)
            return
        entra = self.server.entra
        issued = int(time.time())
        body = {
            "access_token": entra.issue(entra.managed_identity_client_id, query["resource"]),
            "client_id": entra.managed_identity_client_id,
            "expires_on": str(issued + TOKEN_LIFETIME),
            "resource": query["resource"],
            "token_type": "Bearer",
        }
        self._send(200, {**body, **fields(issued)})

    def _imds(self, query: dict[str, str]) -> None:
        if self.headers.get("Metadata", "").lower() != "true":
            self._send(400, {"error": "invalid_request", "error_description": "Required metadata"})
            return
        self._answer(
            query,
            lambda issued: {
                "expires_in": str(TOKEN_LIFETIME),
                "ext_expires_in": str(TOKEN_LIFETIME),
                "not_before": str(issued),
            },
        )

    def _app_service(self, query: dict[str, str]) -> None:
        sent = self.headers.get("X-IDENTITY-HEADER", "")
        if not hmac.compare_digest(sent, self.server.entra.identity_header):
            self._send(401, {"error": "unauthorized", "error_description": "Bad identity header"})
            return
        self._answer(query, lambda issued: {})


class ManagedIdentityServer(ThreadingHTTPServer):
    """Serves both endpoints from a daemon thread until `close()`."""

    daemon_threads = True

    def __init__(self, entra: FakeEntra, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.entra = entra
        self._serving = BackgroundServing(self, "acs-emulator-managed-identity")

    @property
    def base_url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        shown = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}"

    def start(self) -> None:
        self._serving.start()

    def close(self) -> None:
        self._serving.close()
