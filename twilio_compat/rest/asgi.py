"""The wire handler served over HTTP, so Twilio SDKs in any language can point at the shim.

Requests must carry HTTP Basic credentials equal to the configured account SID and auth token
(compared in constant time), as Twilio requires. The handler is synchronous; each request runs
in Starlette's thread pool. What `serve` adds for operators (health checks, metrics, logs) lives
in `twilio_compat.observability`; `app_factory` builds the same app in worker processes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import logging
import signal
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import replace
from types import FrameType
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from twilio_compat.core import errors
from twilio_compat.observability.health import Readiness, healthz
from twilio_compat.observability.logs import configure_logging
from twilio_compat.observability.metrics import (
    MISSING_EXTRA,
    MeasuredApp,
    load_metrics,
    metrics_endpoint,
)
from twilio_compat.observability.tracing import traced
from twilio_compat.rest._wire import WireRequest, multi
from twilio_compat.rest.handler import WireHandler
from twilio_compat.runtime import Runtime
from twilio_compat.settings import METRICS_FOLDER_ENV, Settings, hand_to_workers, metrics_folder
from twilio_compat.webhooks.service import start_event_services
from twilio_compat.wire import BASE_URL

_log = logging.getLogger("twilio_compat.serve")
_METHODS = ["GET", "POST", "DELETE"]
GRACEFUL_SHUTDOWN_SECONDS = 10
"""How long a stop signal waits for open requests; idle TLS keep-alives would hold it 30 s."""
EVENTGRID_PATH = "/eventgrid"
"""Where `serve` mounts the Event Grid receiver; deliveries carry the secret in the
`X-Event-Secret` header (a static delivery attribute) or the URL's `?secret=...`."""


def _credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def _authorized(given: tuple[str, str] | None, account_sid: str, auth_token: str) -> bool:
    if given is None:
        return False
    user_ok = hmac.compare_digest(given[0].encode("utf-8"), account_sid.encode("utf-8"))
    token_ok = hmac.compare_digest(given[1].encode("utf-8"), auth_token.encode("utf-8"))
    return user_ok and token_ok


def _twilio_error(
    error: errors.TwilioApiError, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(error.as_body()),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )


def _unauthorized() -> Response:
    error = errors.TwilioApiError(401, errors.AUTHENTICATION, "Authenticate")
    return _twilio_error(error, {"WWW-Authenticate": 'Basic realm="Twilio API"'})


def create_app(
    handler: WireHandler,
    *,
    account_sid: str,
    auth_token: str,
    public_url: str | None = None,
) -> Starlette:
    """An ASGI app answering Twilio Conversations v1 (and media uploads) from ``handler``.

    With ``public_url`` (where clients reach this app, e.g. ``https://chat.example.com``),
    the ``url``, ``links`` and paging URLs in responses point there instead of at Twilio, so
    SDKs that follow ``next_page_url`` stay on the shim.
    """
    if not account_sid or not auth_token:
        raise ValueError("the ASGI app needs an account SID and an auth token to check")
    rebase = public_url.rstrip("/") + "/v1" if public_url else None

    async def endpoint(request: Request) -> Response:
        credentials = _credentials(request)
        if not _authorized(credentials, account_sid, auth_token):
            return _unauthorized()
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        form: dict[str, list[str]] = {}
        raw = b""
        if content_type.startswith("application/x-www-form-urlencoded"):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return _twilio_error(errors.invalid("The form body is not valid UTF-8"))
            form = multi(parse_qsl(text, keep_blank_values=True))
        else:
            raw = body
        wire = WireRequest(
            method=request.method,
            host=request.url.hostname or "",
            path=request.url.path,
            query=multi(list(request.query_params.multi_items())),
            form=form,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=raw,
            username=credentials[0] if credentials else None,
        )
        answer = await run_in_threadpool(handler.handle, wire)
        text = answer.text.replace(BASE_URL, rebase) if rebase else answer.text
        return Response(text, status_code=answer.status, headers=answer.headers)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    public_url: str | None = None,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the REST face with uvicorn until interrupted (SIGINT or SIGTERM).

    Everything comes from ``settings`` (default: ``Settings.load(environ)``): clients
    authenticate with its account SID and auth token (``TWILIO_ACCOUNT_SID``,
    ``TWILIO_AUTH_TOKEN``), ACS is its adapter settings, logs follow its serve options. The
    socket is bound and listening before ``on_ready`` gets the URL it answers on (with the real
    port when ``port`` is 0), so whoever waits for that line can connect at once.

    Beside the REST face it runs the Twilio webhooks and their event source
    (`twilio_compat.webhooks.service`): the Event Grid receiver at ``/eventgrid`` when
    ``ACS_EVENTGRID_SECRET`` is set, else a poller acting as the service user; and, without
    credentials, ``/healthz``, ``/readyz`` and ``/metrics``.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if settings is None:
        settings = Settings.load(environ)
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ValueError("give both an SSL certificate file and its key file, or neither")
    workers = settings.serve.workers
    if workers > 1:
        app: ASGIApp | str
        app, resources = _prepare_workers(settings, public_url)
    else:
        app, resources = open_server_app(settings, public_url=public_url)
    with resources:
        listener = _listen(host, port)
        config = uvicorn.Config(
            app,
            factory=workers > 1,
            workers=workers,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            log_config=None,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        if on_ready is not None:
            on_ready(_shown_url(host, listener, ssl_certfile))
        with _stop_signals_end_quietly():
            if workers > 1:
                Multiprocess(config, sockets=[listener]).run()
            else:
                uvicorn.Server(config).run(sockets=[listener])


def _prepare_workers(
    settings: Settings, public_url: str | None
) -> tuple[str, contextlib.ExitStack]:
    """Ready the environment of worker processes that each run `app_factory` on the shared
    store; the factory's import string, and what to clean up once they stop.

    The workers load their settings from the environment, with this call's serve options
    added, and share a metrics folder (a temporary one unless ``PROMETHEUS_MULTIPROC_DIR`` is
    set) so `/metrics` sums them all. ACS is reached (and the store upgraded) once here first,
    so a bad setting fails at start-up rather than in every worker.
    """
    if settings.acs.embedded:
        raise ValueError(
            "several workers need a shared ACS: ACS_CONNECTION_STRING=embedded starts an "
            "emulator in each process"
        )
    _client_credentials(settings)
    with Runtime.open(settings) as runtime:
        runtime.core.reach_acs()
    options = replace(settings.serve, public_url=public_url or settings.serve.public_url)
    hand_to_workers(options.as_environment())
    configure_logging(options.log_level, json_lines=options.log_json)
    resources = contextlib.ExitStack()
    if metrics_folder() is None:
        folder = tempfile.TemporaryDirectory(prefix="twilio-acs-metrics-")
        hand_to_workers({METRICS_FOLDER_ENV: resources.enter_context(folder)})
    return f"{__name__}:app_factory", resources


def _client_credentials(settings: Settings) -> tuple[str, str]:
    """The account SID and auth token clients must present."""
    account_sid = settings.account.account_sid
    auth_token = settings.account.auth_token
    if not account_sid or auth_token is None:
        raise ValueError(
            "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: clients authenticate with them"
        )
    return account_sid, auth_token.reveal()


def _shown_url(host: str, listener: socket.socket, ssl_certfile: str | None) -> str:
    scheme = "https" if ssl_certfile else "http"
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{listener.getsockname()[1]}"


def open_server_app(
    settings: Settings, *, public_url: str | None = None
) -> tuple[ASGIApp, contextlib.ExitStack]:
    """Everything `serve` answers, as one ASGI app over a runtime opened from ``settings``,
    with what closes it (also closed by the app's lifespan shutdown).

    Logs are configured here, after the runtime is open, from the thread that will run the
    server (see `twilio_compat.observability.logs`).
    """
    account_sid, auth_token = _client_credentials(settings)
    public = public_url or settings.serve.public_url
    if public and settings.acs.media_base_url is None:
        # Local media is served here too, so its links stay valid across restarts.
        settings = replace(settings, acs=replace(settings.acs, media_base_url=public.rstrip("/")))
    settings = settings.for_serve()
    with contextlib.ExitStack() as resources:
        runtime = resources.enter_context(Runtime.open(settings, account_sid=account_sid))
        events = start_event_services(
            runtime.core, settings.account, settings.events, webhook_options=settings.webhooks
        )
        resources.callback(events.close)
        readiness = Readiness(runtime)
        resources.callback(readiness.close)
        configure_logging(settings.serve.log_level, json_lines=settings.serve.log_json)
        metrics = load_metrics()
        if metrics is None:
            _log.warning(MISSING_EXTRA)
        else:
            sender = events.webhooks.sender
            metrics.count_webhooks_from(lambda: (sender.delivered, sender.dropped))
            resources.callback(metrics.time_store(runtime.adapter.store.engine))
        rest = create_app(
            WireHandler(runtime.core),
            account_sid=account_sid,
            auth_token=auth_token,
            public_url=public,
        )
        receiver = [Route(EVENTGRID_PATH, events.receiver)] if events.receiver else []
        routes = [
            Route("/healthz", healthz),
            Route("/readyz", readiness.endpoint),
            Route("/metrics", metrics_endpoint(metrics)),
            *receiver,
            *runtime.served_media_routes(),
            Mount("/", app=rest),
        ]
        stack = resources.pop_all()

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            try:
                yield
            finally:
                await run_in_threadpool(stack.close)

        app = traced(Starlette(routes=routes, lifespan=lifespan))
        if metrics is None:
            return app, stack
        return MeasuredApp(app, metrics, eventgrid_path=EVENTGRID_PATH), stack
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def app_factory() -> ASGIApp:
    """The app of `serve` from the process environment, for any ASGI server's worker processes.

    ``uvicorn --factory twilio_compat.rest.asgi:app_factory --workers 4`` (or gunicorn with
    ``-k uvicorn_worker.UvicornWorker`` and ``'twilio_compat.rest.asgi:app_factory()'``):
    each worker opens its own runtime on the shared store and ACS, and closes it when the
    server stops it. ``ACS_CONNECTION_STRING=embedded`` starts one emulator per worker, so
    several workers need a real (or shared) ACS.
    """
    app, _ = open_server_app(Settings.load())
    return app


class _Stopped(Exception):
    """SIGINT or SIGTERM arrived after uvicorn's graceful shutdown."""


@contextlib.contextmanager
def _stop_signals_end_quietly() -> Iterator[None]:
    """Let a stop signal end ``serve`` normally, so the adapter is closed before exit.

    uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    that was installed before it: this one, instead of the default that kills the process.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stopped

    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, stop) for sig in stop_signals}
    try:
        yield
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it
    # each keep-alive answer waits for a delayed ACK (about 40 ms).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener
