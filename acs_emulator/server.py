"""`AcsEmulator`: the whole emulator served over HTTPS from a background thread.

Start it with `with AcsEmulator() as emu:` and point the real Azure SDKs at
`emu.connection_string` with `connection_verify=emu.ca_bundle`. A fresh local certificate
authority (trustme) is made at every start unless the state keeps one; the server certificate
names `localhost` and `127.0.0.1`. With `state=FILE` every user, token secret, access key,
chat record and the CA itself live in that SQLite file, so a restarted emulator (on a port of
the caller's choosing) keeps them; its CA bundle is then written beside it (`FILE.ca.pem`), at
a path that stays.

Besides Identity and Chat it serves ACS SMS (2021-03-07) from the phone numbers it owns
(`phone_numbers`) and Advanced Messaging for WhatsApp (2024-08-30) through its channel
registrations (`whatsapp_channels`, each with templates), and plays the phones on the other
side: `sms_outbox()` / `whatsapp_outbox()` show what was sent, `send_inbound_sms()` /
`send_inbound_whatsapp()` write to the resource, and `set_delivery_outcome()` decides what the
delivery reports say. The same surface is served over HTTP under `/_emulator/` (handset.py).

The emulator is also a Microsoft Entra ID tenant (`emu.entra`: authority, tenant, an app's
client id and secret, the CA): identity, SMS and Advanced Messaging requests may carry its
tokens instead of an HMAC signature, as on Azure.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
import uvicorn
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

try:  # the emulator extra's C parser: about a third of the emulator's CPU per request with h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # without it, uvicorn's pure-Python HTTP/1.1
    from uvicorn.protocols.http.h11_impl import (  # type: ignore[assignment]
        H11Protocol as _HttpProtocol,
    )

from acs_emulator.app import build_app
from acs_emulator.auth import BearerVerifier, EntraVerifier, HmacVerifier, decode_access_key
from acs_emulator.chat import ChatBackend
from acs_emulator.chat import routes as chat_routes
from acs_emulator.chat.timestamps import now_ms
from acs_emulator.db import Database
from acs_emulator.delivery_outcomes import DeliveryOutcomes, FollowUpEvents
from acs_emulator.entra import FakeEntra
from acs_emulator.entra import urls as entra_urls
from acs_emulator.entra.eventgrid import EventGridTokens
from acs_emulator.entra.managed_identity import ManagedIdentityServer
from acs_emulator.entra.state import load_entra
from acs_emulator.entra.tunnel import PUBLIC_ENTRA_HOST, EntraTunnel
from acs_emulator.eventgrid import (
    VALIDATION_PATH,
    DeliveryStats,
    EventGridDelivery,
    resource_topic,
    validation_routes,
)
from acs_emulator.events import EventSink, NullSink
from acs_emulator.faults import ABORT_SCOPE_KEY, FaultInjector, FaultPlan
from acs_emulator.guard import Guard
from acs_emulator.handset import routes as handset_routes
from acs_emulator.identity import urls as identity_urls
from acs_emulator.identity.models import IdentityBackend
from acs_emulator.messages import MessagesBackend
from acs_emulator.messages import routes as messages_routes
from acs_emulator.numbers import NumberRegistry, WhatsAppTemplate
from acs_emulator.sms import SmsBackend
from acs_emulator.sms import routes as sms_routes
from acs_emulator.throttle import Throttle
from acs_emulator.tokens import TokenService, setting, store_setting

_START_TIMEOUT = 30.0
_CA_NAME = "ACS emulator local CA"
_GRACEFUL_STOP = 5.0


class _AbortableProtocol(_HttpProtocol):
    """uvicorn's HTTP/1.1 protocol, also telling the app how to cut the connection (faults)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        app: ASGIApp = self.app

        async def app_with_abort(scope: Scope, receive: Receive, send: Send) -> None:
            scope[ABORT_SCOPE_KEY] = transport.abort
            await app(scope, receive, send)

        self.app = app_with_abort

    def shutdown(self) -> None:
        """Cut idle keep-alive connections at once: a TLS close would wait up to 30 s for
        the client's close_notify, which idle pooled clients never send."""
        if self.cycle is None or self.cycle.response_complete:
            self.transport.abort()
        else:
            super().shutdown()


class AcsEmulator:
    """A local ACS Chat + Identity service the real Azure SDKs cannot tell from Azure."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: str | None = None,
        access_key: str | None = None,
        resource_id: str | None = None,
        eventgrid_webhooks: Sequence[str] = (),
        throttle: bool = False,
        faults: FaultPlan | None = None,
        eventgrid_ca: str | None = None,
        chat_clock: Callable[[], int] = now_ms,
        phone_numbers: Sequence[str] | None = None,
        whatsapp_channels: Mapping[str, str] | None = None,
        whatsapp_templates: Mapping[str, Iterable[WhatsAppTemplate]] | None = None,
        messaging_clock: Callable[[], int] = now_ms,
        eventgrid_entra_audience: str | None = None,
        eventgrid_filtered_webhooks: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> None:
        """`chat_clock` gives the epoch milliseconds chat stamps threads and messages with;
        tests pass one they can move forward instead of sleeping. `messaging_clock` does the
        same for SMS and WhatsApp (the WhatsApp 24-hour window runs on it).

        `phone_numbers` (+E.164) are the resource's SMS numbers and `whatsapp_channels` its
        WhatsApp channel registrations (channel GUID -> +E.164 business number); None gives
        the default set (`numbers.DEFAULT_*`). `whatsapp_templates` adds templates per
        channel to the default ones.

        `eventgrid_entra_audience` protects the Event Grid subscription with Microsoft Entra
        ID: every delivery carries a token of the emulator's tenant for that webhook app (its
        client id or App ID URI). `eventgrid_filtered_webhooks` are more subscriptions, each
        receiving only the event types it names (Event Grid's `includedEventTypes`)."""
        if access_key is not None:
            decode_access_key(access_key)
        if resource_id is not None:
            try:
                uuid.UUID(resource_id)
            except ValueError:
                raise ValueError(f"the resource id must be a GUID, got {resource_id!r}") from None
        for url in [*eventgrid_webhooks, *(url for url, _ in eventgrid_filtered_webhooks)]:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"an Event Grid webhook must be an http(s) URL, got {url!r}")
        self.host = host
        self._requested_port = port
        self._state = state
        self._access_key_arg = access_key
        self._resource_id_arg = resource_id
        self._webhooks = list(eventgrid_webhooks)
        self._filtered_webhooks = [
            (url, tuple(types)) for url, types in eventgrid_filtered_webhooks
        ]
        self._eventgrid_ca = eventgrid_ca
        self._eventgrid_audience = eventgrid_entra_audience
        self._faults = FaultInjector(faults)
        self._chat_clock = chat_clock
        self._messaging_clock = messaging_clock
        self._registry = NumberRegistry(phone_numbers, whatsapp_channels, whatsapp_templates)
        self._followups: FollowUpEvents | None = None
        self._outcomes: DeliveryOutcomes | None = None
        self.sms: SmsBackend | None = None
        self.messages: MessagesBackend | None = None
        self._throttle = Throttle() if throttle else None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._tempdir: Path | None = None
        self._db: Database | None = None
        self._guard: Guard | None = None
        self._events: EventSink = NullSink()
        self._delivery: EventGridDelivery | None = None
        self._socket: socket.socket | None = None
        self._entra: FakeEntra | None = None
        self._managed_identity: ManagedIdentityServer | None = None
        self._entra_tunnel: EntraTunnel | None = None
        self._port = 0
        self._access_key = ""
        self._resource_id = ""
        self._ca_bundle = ""
        self.tokens: TokenService | None = None
        self.identity: IdentityBackend | None = None
        self.chat: ChatBackend | None = None

    # Lifecycle

    def __enter__(self) -> AcsEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> AcsEmulator:
        """Open the state, make the certificates and serve until `stop()`."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        db = self._db = Database(self._state)
        self._resource_id = self._setting("resource_id", self._resource_id_arg, str(uuid.uuid4()))
        self._access_key = self._setting(
            "access_key", self._access_key_arg, base64.b64encode(secrets.token_bytes(32)).decode()
        )
        self.tokens = TokenService(db, resource_id=self._resource_id)
        self.identity = IdentityBackend(db, self.tokens, resource_id=self._resource_id)
        cert_file, key_file = self._make_certificates()
        sock = self._bind()
        entra = self._entra = load_entra(
            db, authority=self.endpoint.rstrip("/"), ca_bundle=self._ca_bundle
        )
        # Managed-identity endpoints are machine-local plain HTTP on Azure too.
        self._managed_identity = ManagedIdentityServer(entra, "127.0.0.1")
        self._managed_identity.start()
        entra.set_managed_identity_endpoints(self._managed_identity.base_url)
        self._entra_tunnel = self._open_entra_tunnel()
        entra.proxy = self._entra_tunnel.url
        unguarded: list[Route] = entra_urls.routes(entra)
        if self._webhooks or self._filtered_webhooks:
            self._delivery = EventGridDelivery(
                self._webhooks,
                filtered=self._filtered_webhooks,
                topic=resource_topic(self._resource_id),
                ca_bundle=self._eventgrid_ca,
                validation_url=self.endpoint + VALIDATION_PATH.lstrip("/"),
                authorization=(
                    EventGridTokens(entra, self._eventgrid_audience).authorization
                    if self._eventgrid_audience
                    else None
                ),
            )
            self._events = self._delivery
            unguarded += validation_routes(self._delivery)
        else:
            self._events = NullSink()
        self.chat = ChatBackend(
            db, self._events, self.identity, resource_id=self._resource_id, clock=self._chat_clock
        )
        self._registry.attach(db)
        followups = self._followups = FollowUpEvents(self._events)
        outcomes = self._outcomes = DeliveryOutcomes(db)
        self.sms = SmsBackend(
            db, self._registry, outcomes, followups, self._messaging_clock, self._throttle
        )
        self.messages = MessagesBackend(
            db, self._registry, outcomes, followups, self._messaging_clock
        )
        self._guard = Guard(
            hmac=HmacVerifier(decode_access_key(self._access_key)),
            bearer=BearerVerifier(self.tokens, self.identity),
            faults=self._faults,
            throttle=self._throttle,
            entra=EntraVerifier(entra),
        )
        app = build_app(
            self._guard,
            identity_urls.routes(self.identity),
            chat_routes(self.chat),
            unguarded,
            {
                "sms": sms_routes(self.sms),
                "messages": messages_routes(self.messages, self._registry),
                "handset": handset_routes(self._registry, self.sms, self.messages, outcomes),
            },
        )
        config = uvicorn.Config(
            app,
            ssl_certfile=cert_file,
            ssl_keyfile=key_file,
            http=_AbortableProtocol,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_keep_alive=75,
            timeout_graceful_shutdown=int(_GRACEFUL_STOP),
        )
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="acs-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator's server failed to start (see the log)")
            time.sleep(0.01)

    def _open_entra_tunnel(self) -> EntraTunnel:
        """The proxy that leads Entra's public host (instance discovery) to this emulator."""
        served = self.endpoint.split("//", 1)[1].rstrip("/")  # host:port, [v6]:port
        own = {served, f"localhost:{self._port}", f"127.0.0.1:{self._port}"}
        tunnel = EntraTunnel("127.0.0.1", (served.rsplit(":", 1)[0].strip("[]"), self._port), own)
        tunnel.start()
        return tunnel

    def _setting(self, name: str, given: str | None, default: str) -> str:
        assert self._db is not None
        if given is not None:
            store_setting(self._db, name, given)
            return given
        return setting(self._db, name, default)

    def _make_certificates(self) -> tuple[str, str]:
        """A server certificate from the emulator's CA: a new CA per start, or with a state
        file the CA kept in it, so a bundle a client trusts stays valid across restarts."""
        self._tempdir = Path(tempfile.mkdtemp(prefix="acs-emulator-"))
        ca = self._certificate_authority()
        names = ["localhost", "127.0.0.1", PUBLIC_ENTRA_HOST]  # that host through the tunnel
        if self.host not in names and self.host not in ("0.0.0.0", "::", ""):  # noqa: S104
            names.append(self.host)
        cert = ca.issue_cert(*names)
        ca_file = self._tempdir / "ca.pem"
        if self._state is not None:
            ca_file = Path(f"{self._state}.ca.pem")  # beside the state it belongs to
        ca.cert_pem.write_to_path(str(ca_file))
        cert_file = self._tempdir / "server.pem"
        key_file = self._tempdir / "server.key"
        cert.private_key_pem.write_to_path(str(key_file))
        cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        self._ca_bundle = str(ca_file)
        return str(cert_file), str(key_file)

    def _certificate_authority(self) -> trustme.CA:
        if self._state is None:
            return trustme.CA(organization_name=_CA_NAME)
        assert self._db is not None
        cert, key = setting(self._db, "ca_certificate", ""), setting(self._db, "ca_private_key", "")
        if cert and key:
            return trustme.CA.from_pem(cert.encode(), key.encode())
        ca = trustme.CA(organization_name=_CA_NAME)
        store_setting(self._db, "ca_certificate", ca.cert_pem.bytes().decode())
        store_setting(self._db, "ca_private_key", ca.private_key_pem.bytes().decode())
        return ca

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without
        # it small keep-alive responses wait on delayed ACKs (~40 ms each).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        self._port = sock.getsockname()[1]
        self._socket = sock
        return sock

    def stop(self) -> None:
        """Stop serving (undelivered events are abandoned); release state and certificates.

        Safe to call more than once; `start()` may be called again afterwards."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=_GRACEFUL_STOP)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout=_START_TIMEOUT)
        self._server = self._thread = None
        if self._socket is not None:
            self._socket.close()  # uvicorn closes it too; this covers a failed start
            self._socket = None
        if self._managed_identity is not None:
            self._managed_identity.close()
            self._managed_identity = None
        if self._entra_tunnel is not None:
            self._entra_tunnel.close()
            self._entra_tunnel = None
        if self._followups is not None:
            self._followups.close()
            self._followups = None
        if self._delivery is not None:
            self._delivery.close()
            self._delivery = None
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    # What callers need

    @property
    def port(self) -> int:
        return self._port

    @property
    def endpoint(self) -> str:
        host = self.host
        if host in ("0.0.0.0", "", "::"):  # noqa: S104
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{self._port}/"

    @property
    def connection_string(self) -> str:
        return f"endpoint={self.endpoint};accesskey={self._access_key}"

    @property
    def access_key(self) -> str:
        return self._access_key

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM file of the local CA that signed the server certificate."""
        return self._ca_bundle

    @property
    def entra(self) -> FakeEntra:
        """The emulator's Entra ID tenant (`authority`, `tenant_id`, `client_id`,
        `client_secret`, `ca_bundle`, managed-identity endpoints); set while running."""
        if self._entra is None:
            raise RuntimeError("the emulator's Entra ID exists while it runs: start it first")
        return self._entra

    @property
    def resource_id(self) -> str:
        return self._resource_id

    # Test controls

    @property
    def counters(self) -> dict[str, int]:
        """Requests received per operationId since start (or the last `reset_counters()`)."""
        return self._guard.counters if self._guard is not None else {}

    def reset_counters(self) -> None:
        if self._guard is not None:
            self._guard.reset_counters()

    def set_faults(self, plan: FaultPlan | None) -> None:
        self._faults.set_plan(plan)

    def clear_faults(self) -> None:
        self._faults.set_plan(None)

    @property
    def events(self) -> EventSink:
        """Where the chat backend publishes events (Event Grid delivery, or a null sink)."""
        return self._events

    @property
    def eventgrid_stats(self) -> DeliveryStats:
        """Delivered, failed-attempt, dropped and pending counts of Event Grid delivery."""
        return self._delivery.stats if self._delivery is not None else DeliveryStats()

    def wait_for_deliveries(self, timeout: float = 30.0) -> bool:
        """Wait until every event raised so far (delivery reports and status updates that
        follow a send included) was delivered or dropped."""
        deadline = time.monotonic() + timeout
        if self._followups is not None and not self._followups.wait_idle(timeout):
            return False
        if self._delivery is None:
            return True
        return self._delivery.wait_for_deliveries(max(0.0, deadline - time.monotonic()))

    # The resource's numbers and the phones on the other side

    @property
    def phone_numbers(self) -> list[str]:
        """The SMS numbers the resource owns (+E.164)."""
        return self._registry.phone_numbers

    @property
    def whatsapp_channels(self) -> dict[str, str]:
        """The WhatsApp channel registrations: channel GUID -> +E.164 business number."""
        return self._registry.whatsapp_channels

    def sms_outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """Texts the resource sent, one dict per recipient (`from`, `to`, `body`,
        `message_id`, plus `tag`, `status`, `error_code`), oldest first."""
        return self._running_sms().outbox(to)

    def send_inbound_sms(self, from_: str, to: str, body: str) -> str:
        """A phone texts one of the resource's numbers; returns the `SMSReceived` message id."""
        return self._running_sms().receive(from_, to, body)

    def add_whatsapp_template(
        self,
        channel_id: str,
        name: str,
        language: str,
        body_text: str,
        status: str = "approved",
    ) -> None:
        """Give a channel one more template (or replace the one of that name and language);
        `body_text` holds `{{1}}`-style slots, each a body parameter of a send."""
        self._registry.add_template(channel_id, WhatsAppTemplate(name, language, body_text, status))

    def whatsapp_outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """WhatsApp messages the resource sent, one dict per recipient (`from`, `to`, `body`,
        `message_id`, `channel_id`, `template`, `media`, plus `status`, `error_code`)."""
        return self._running_messages().outbox(to)

    def send_inbound_whatsapp(
        self,
        from_: str,
        channel_id: str,
        body: str | None = None,
        media: dict[str, Any] | None = None,
    ) -> str:
        """A WhatsApp user (+E.164) writes to a channel; `media` is a dict with `content`
        (bytes), `content_type` and optional `filename` / `caption`, then downloadable from
        `/messages/streams/{id}`. Opens the user's 24-hour window; returns the message id."""
        return self._running_messages().receive(from_, channel_id, body, media)

    def set_delivery_outcome(self, to: str, outcome: str, error_code: str | None = None) -> None:
        """What later sends to `to` report: "delivered" (the default), "failed" (with
        `error_code` as the failure detail) or "none" (no report at all)."""
        if self._outcomes is None:
            raise RuntimeError("the emulator is not running: start it first")
        self._outcomes.set(to, outcome, error_code)

    def _running_messages(self) -> MessagesBackend:
        if self.messages is None:
            raise RuntimeError("the emulator is not running: start it first")
        return self.messages

    def _running_sms(self) -> SmsBackend:
        if self.sms is None:
            raise RuntimeError("the emulator is not running: start it first")
        return self.sms

    def __repr__(self) -> str:
        return f"AcsEmulator(endpoint={self.endpoint!r}, state={self._state or 'memory'!r})"
