"""`twilio-acs serve`: the REST face over HTTP, for Twilio SDKs in any language.

Everything comes from the shim's settings (`twilio_compat.settings`), loaded once at start-up.
Clients authenticate with HTTP Basic credentials equal to ``TWILIO_ACCOUNT_SID`` and
``TWILIO_AUTH_TOKEN``; ACS comes from ``ACS_CONNECTION_STRING`` and friends (``embedded`` for
a local emulator). Webhooks configured the Twilio way are posted,
signed with ``TWILIO_AUTH_TOKEN``; ACS events arrive through the Event Grid receiver at
``/eventgrid`` when ``ACS_EVENTGRID_SECRET`` (or ``ACS_EVENTGRID_TENANT_ID`` and
``ACS_EVENTGRID_AUDIENCE``, for Microsoft Entra ID) is set, else by polling every
``TWILIO_COMPAT_POLL_INTERVAL`` seconds (default 2).

Exit status: 0 when stopped by SIGINT or SIGTERM, 1 when it cannot listen on the address, 2 for
a missing or malformed setting, 3 when ACS cannot be reached or refuses the credentials.

Without credentials it answers ``/healthz`` (the process is up), ``/readyz`` (the store and ACS
answer within 2 s, else 503 naming what failed) and ``/metrics`` (Prometheus, with the
``serve`` extra; see `twilio_compat.observability.metrics`). ``--workers N`` runs N processes
on the shared store, each built by ``twilio_compat.rest.asgi:app_factory``. With
``--public-url`` it also serves local media at ``<public URL>/media/...``: the links it hands
out stay valid across restarts and reach it from other machines.
"""

from __future__ import annotations

from typing import Annotated

import typer


def command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0 picks a free one)")] = 8080,
    public_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="where clients reach this server; resource, paging and local media URLs point "
            "there (default: Twilio's own URLs, media on a loopback port)",
        ),
    ] = None,
    ssl_certfile: Annotated[
        str | None, typer.Option(metavar="PEM", help="serve HTTPS with this certificate")
    ] = None,
    ssl_keyfile: Annotated[
        str | None, typer.Option(metavar="PEM", help="the private key of --ssl-certfile")
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            metavar="LEVEL",
            help="critical, error, warning, info or debug (default: TWILIO_COMPAT_LOG_LEVEL, "
            "else info)",
        ),
    ] = None,
    log_json: Annotated[
        bool | None,
        typer.Option(
            "--log-json/--log-text",
            help="one JSON object per log line (default: TWILIO_COMPAT_LOG_JSON, else text)",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="worker processes on the shared store (default: TWILIO_COMPAT_WORKERS, else 1)",
        ),
    ] = None,
) -> None:
    """Serve Twilio Conversations v1 (and media uploads) from ACS over HTTP."""
    from twilio_compat.commands._failures import CONFIGURATION, FINDING, acs_failure, fail
    from twilio_compat.core.adapter_types import AdapterError
    from twilio_compat.rest.asgi import serve
    from twilio_compat.settings import Settings

    def announce(url: str) -> None:
        typer.echo(f"Twilio Conversations API on ACS listening on {url}")

    try:
        settings = Settings.load(
            public_url=public_url, log_level=log_level, log_json=log_json, workers=workers
        )
        serve(
            settings=settings,
            host=host,
            port=port,
            public_url=public_url,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            on_ready=announce,
        )
    except ValueError as exc:
        fail(str(exc), CONFIGURATION)
    except AdapterError as exc:
        acs_failure(exc)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc}", FINDING)
