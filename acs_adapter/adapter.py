"""`AcsAdapter`: everything the Twilio faces need from Azure, opened from one `Settings`.

It owns, and closes in reverse order: the embedded emulator (when configured), the mapping
store, the media store (with a loopback server when local files have no public base URL), one
identity client (on the access key or a Microsoft Entra ID credential), the identity directory,
the token cache and the chat gateway. The gateway is
blocking and thread-safe; async faces run it in worker threads rather than keep an async copy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from azure.communication.identity import CommunicationIdentityClient
from azure.core.pipeline.transport import RequestsTransport

from acs_adapter._errors_map import translated
from acs_adapter._retry import retry_policy
from acs_adapter.chat import ChatGateway
from acs_adapter.config import MEDIA_SECRET_ENV, AcsConnection, Settings
from acs_adapter.credentials import BLOB_WITHOUT_KEY, acs_credential, default_azure_credential
from acs_adapter.errors import ConfigurationError
from acs_adapter.identities import IdentityDirectory, TokenCache
from acs_adapter.media import MediaStore, media_store_from_setting
from acs_adapter.media.local import LocalMediaStore
from acs_adapter.observing import ObservedCalls
from acs_adapter.secret import Secret
from acs_adapter.sms import SmsGateway
from acs_adapter.store import MappingStore, open_store
from acs_adapter.whatsapp import WhatsAppGateway

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential, TokenCredential

    from acs_adapter.events.embedded import EmbeddedEvents
    from acs_emulator import AcsEmulator

_MEDIA_KEY_LABEL = b"twilio-acs-compat/media-url-signing/v1"
_EMULATOR_EXTRA_MODULES = frozenset({"acs_emulator", "trustme", "jwt"})
"""The emulator and the modules its `[emulator]` extra installs: missing, they mean the extra is."""


def media_signing_key(connection: AcsConnection, secret: Secret | None = None) -> bytes:
    """The HMAC key for local media URLs, derived (HKDF-expand style) from the media secret when
    one is set, else from the ACS access key.

    Every process sharing a configuration derives the same key, so a URL signed by one is
    accepted by another, and the access key itself never signs anything but ACS requests.
    """
    if secret is not None:
        material = secret.reveal().encode()
    elif connection.access_key is not None:
        material = connection.key_bytes
    else:
        raise ConfigurationError(
            f"local media URLs need {MEDIA_SECRET_ENV} when ACS is reached with Microsoft Entra ID "
            "(there is no access key to derive their signing key from)"
        )
    prk = hmac.new(b"twilio-acs-compat", material, hashlib.sha256).digest()
    return hmac.new(prk, _MEDIA_KEY_LABEL + b"\x01", hashlib.sha256).digest()


def _adapter_media_key(connection: AcsConnection, settings: Settings) -> bytes:
    """The media key for this adapter. With Entra ID and no media secret, local media is only
    ever served by this adapter's own loopback server (its URLs die with the process), so a
    random key of this process signs them: nothing guessable, nothing shared."""
    if settings.media_secret is None and connection.access_key is None:
        return secrets.token_bytes(32)
    return media_signing_key(connection, settings.media_secret)


class AcsAdapter:
    """The composed adapter. Open with `AcsAdapter.open()`, use as a context manager."""

    def __init__(
        self,
        *,
        settings: Settings,
        endpoint: str,
        ca_bundle: Path | None,
        store: MappingStore,
        media: MediaStore,
        identity_client: CommunicationIdentityClient,
        tokens: TokenCache,
        directory: IdentityDirectory,
        chat: ChatGateway,
        emulator: AcsEmulator | None,
        resources: ExitStack,
        credential: AzureKeyCredential | TokenCredential | None = None,
        embedded_events: EmbeddedEvents | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.ca_bundle = ca_bundle
        self.store = store
        self.media = media
        self.identity_client = identity_client
        self.tokens = tokens
        self.directory = directory
        self.chat = chat
        self.emulator = emulator
        self._resources = resources
        self._credential = credential
        self.embedded_events = embedded_events
        """The embedded emulator's loopback Event Grid webhook (None unless `embedded`)."""
        self._channels_lock = threading.Lock()
        self._sms: SmsGateway | None = None
        self._whatsapp: WhatsAppGateway | None = None

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, credential: TokenCredential | None = None
    ) -> AcsAdapter:
        """Open everything `settings` (default: `Settings.load()`) describes.

        `credential` (else `settings.credential`) is a Microsoft Entra ID credential for ACS
        identity calls; without one, the access key is used, or `DefaultAzureCredential` when
        the connection string has none. If any part fails to open, the parts already open are
        closed before the error propagates.
        """
        settings = settings or Settings.load()
        with ExitStack() as resources:
            emulator, embedded_events = (
                _start_embedded(settings, resources) if settings.embedded else (None, None)
            )
            if emulator is not None:
                connection = AcsConnection.parse(emulator.connection_string)
                ca_bundle: Path | None = Path(emulator.ca_bundle)
            elif settings.connection is not None:
                connection, ca_bundle = settings.connection, settings.ca_bundle
            else:
                raise ConfigurationError("ACS_CONNECTION_STRING is not set")
            verify = str(ca_bundle) if ca_bundle is not None else None

            store = open_store(settings.store_url.reveal(), pool_size=settings.store_pool_size)
            resources.callback(store.close)
            media = media_store_from_setting(
                settings.media.reveal(),
                secret=_adapter_media_key(connection, settings),
                public_base_url=settings.media_base_url,
                ca_bundle=verify,
                credential=credential or settings.credential,
                make_credential=lambda: default_azure_credential(
                    ca_bundle=verify,
                    authority_host=settings.authority_host,
                    reason=BLOB_WITHOUT_KEY,
                ),
            )
            resources.callback(media.close)  # also stops the server started below
            if isinstance(media, LocalMediaStore) and media.base_url is None:
                # Without a public base URL nothing else serves the files, and temporary URLs
                # handed to clients must work: serve them on loopback while the adapter is open.
                media.serve()
            identity_transport = RequestsTransport(
                connection_verify=verify if verify is not None else True,
                connection_timeout=settings.retry.timeout,
                read_timeout=settings.retry.timeout,
            )
            resources.callback(identity_transport.close)
            acs_auth, owned = acs_credential(
                connection,
                credential or settings.credential,
                ca_bundle=verify,
                authority_host=settings.authority_host,
            )
            if owned:
                resources.callback(getattr(acs_auth, "close", lambda: None))
            identity_client = CommunicationIdentityClient(
                connection.endpoint,
                acs_auth,
                transport=identity_transport,
                retry_policy=retry_policy(settings.retry),
                per_retry_policies=[ObservedCalls("identity")],
            )
            tokens = TokenCache(identity_client, max_users=settings.cached_users)
            chat = ChatGateway(
                connection.endpoint,
                tokens,
                ca_bundle=verify,
                retry=settings.retry,
                max_users=settings.cached_users,
                max_thread_clients=settings.cached_thread_clients,
            )
            resources.callback(chat.close)
            return cls(
                settings=settings,
                endpoint=connection.endpoint,
                ca_bundle=ca_bundle,
                store=store,
                media=media,
                identity_client=identity_client,
                tokens=tokens,
                directory=IdentityDirectory(store, identity_client),
                chat=chat,
                emulator=emulator,
                resources=resources.pop_all(),
                credential=acs_auth,
                embedded_events=embedded_events,
            )
        raise AssertionError("unreachable")  # ExitStack does not swallow exceptions

    @contextmanager
    def throwaway_user(self) -> Iterator[str]:
        """A new ACS user, deleted on exit: proves the endpoint and the credential work
        (health checks); failures are the adapter's errors."""
        with translated():
            user = self.identity_client.create_user()
        try:
            yield str(user.properties["id"])
        finally:
            with translated():
                self.identity_client.delete_user(user)

    @property
    def sms(self) -> SmsGateway:
        """ACS SMS on the resource's credential, opened on first use (the omnichannel extra)."""
        with self._channels_lock:
            if self._sms is None:
                self._sms = SmsGateway(
                    self.endpoint,
                    self._channel_credential(),
                    ca_bundle=self.ca_bundle,
                    retry=self.settings.retry,
                )
            return self._sms

    @property
    def whatsapp(self) -> WhatsAppGateway:
        """ACS Advanced Messaging on the resource's credential, opened on first use."""
        with self._channels_lock:
            if self._whatsapp is None:
                self._whatsapp = WhatsAppGateway(
                    self.endpoint,
                    self._channel_credential(),
                    ca_bundle=self.ca_bundle,
                    retry=self.settings.retry,
                )
            return self._whatsapp

    def _channel_credential(self) -> AzureKeyCredential | TokenCredential:
        if self._credential is None:
            raise ConfigurationError("this adapter was opened without an ACS credential")
        return self._credential

    def close(self) -> None:
        """Close the channel gateways, the chat gateway, identity client, media and store,
        then the embedded emulator."""
        with self._channels_lock:
            gateways, self._sms, self._whatsapp = (self._sms, self._whatsapp), None, None
        for gateway in gateways:
            if gateway is not None:
                gateway.close()
        self._resources.close()

    def __enter__(self) -> AcsAdapter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AcsAdapter(endpoint={self.endpoint!r}, store={self.settings.store_display!r})"


def _start_embedded(settings: Settings, resources: ExitStack) -> tuple[AcsEmulator, EmbeddedEvents]:
    """Start the emulator `embedded` asks for, subscribed to a loopback receiver for its SMS
    and WhatsApp events; the only place acs_adapter imports it."""
    try:
        from acs_emulator import AcsEmulator
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] not in _EMULATOR_EXTRA_MODULES:
            raise
        raise ConfigurationError(
            "ACS_CONNECTION_STRING=embedded needs the emulator extra: "
            "pip install 'twilio-acs-compat[emulator]'"
        ) from None
    from acs_adapter.events.embedded import EmbeddedEvents

    state = settings.embedded_state
    state.parent.mkdir(parents=True, exist_ok=True)
    events = EmbeddedEvents().start()
    resources.callback(events.close)
    emulator = resources.enter_context(
        AcsEmulator(state=str(state), eventgrid_filtered_webhooks=[events.subscription])
    )
    return emulator, events
