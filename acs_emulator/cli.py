"""`python -m acs_emulator`: serve the emulator until SIGINT or SIGTERM.

It prints the connection string and the CA bundle path as `NAME=value` lines, ready for the
environment (`ACS_CONNECTION_STRING`, `ACS_CA_BUNDLE`, and the azure-identity variables that
reach its Entra ID tenant), then the SMS numbers and WhatsApp channels the resource owns
(`ACS_PHONE_NUMBERS`, `ACS_WHATSAPP_CHANNELS` as `GUID=+number` pairs, comma-separated), and
serves until stopped, exiting 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acs_emulator.server import AcsEmulator

DEFAULT_PORT = 8443
EXTRA_HINT = "pip install 'twilio-acs-compat[emulator]'"


@dataclass(frozen=True)
class EmulatorOptions:
    """What the command line can set; the same for `python -m acs_emulator` and `twilio-acs`."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    state: str | None = None
    access_key: str | None = None
    resource_id: str | None = None
    throttle: bool = False
    eventgrid_webhooks: Sequence[str] = field(default_factory=tuple)
    eventgrid_ca: str | None = None
    phone_numbers: Sequence[str] | None = None
    whatsapp_channels: Mapping[str, str] | None = None
    eventgrid_entra_audience: str | None = None


def whatsapp_channels(pairs: Sequence[str]) -> dict[str, str] | None:
    """`GUID=+E164` option values as the emulator's channel map (None when there are none)."""
    if not pairs:
        return None
    channels: dict[str, str] = {}
    for pair in pairs:
        channel_id, sep, number = pair.partition("=")
        if not sep:
            raise ValueError(f"a WhatsApp channel is GUID=+E164, got {pair!r}")
        channels[channel_id.strip()] = number.strip()
    return channels


def serve(options: EmulatorOptions) -> int:
    """Run the emulator in the foreground; returns the process exit code: 0 when stopped,
    1 when it cannot listen on the address, 2 for a bad option or a missing extra."""
    try:
        from acs_emulator.server import AcsEmulator
    except ImportError as exc:
        missing = exc.name or "a dependency"
        print(
            f"error: the ACS emulator needs its extra ({missing} is not installed): {EXTRA_HINT}",
            file=sys.stderr,
        )
        return 2
    emulator: AcsEmulator
    try:
        emulator = AcsEmulator(
            host=options.host,
            port=options.port,
            state=options.state,
            access_key=options.access_key,
            resource_id=options.resource_id,
            eventgrid_webhooks=options.eventgrid_webhooks,
            throttle=options.throttle,
            eventgrid_ca=options.eventgrid_ca,
            phone_numbers=options.phone_numbers,
            whatsapp_channels=options.whatsapp_channels,
            eventgrid_entra_audience=options.eventgrid_entra_audience,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator.start()
        except OSError as exc:
            print(f"error: cannot serve on {options.host}:{options.port}: {exc}", file=sys.stderr)
            return 1
        print(f"ACS emulator listening on {emulator.endpoint}", flush=True)
        print(f"ACS_CONNECTION_STRING={emulator.connection_string}", flush=True)
        print(f"ACS_CA_BUNDLE={emulator.ca_bundle}", flush=True)
        for name, value in [*entra_lines(emulator), *number_lines(emulator)]:
            print(f"{name}={value}", flush=True)
        while not stop.wait(0.5):
            pass
        print("ACS emulator stopping", flush=True)
        return 0
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def entra_lines(emulator: AcsEmulator) -> list[tuple[str, str]]:
    """The Entra ID coordinates as the variables azure-identity reads (credentials also need
    the CA, `REQUESTS_CA_BUNDLE` or `connection_verify`, and `disable_instance_discovery=True`
    or `HTTPS_PROXY` set to `ACS_ENTRA_PROXY`)."""
    entra = emulator.entra
    return [
        *entra.environ().items(),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", entra.imds_authority),
        ("IDENTITY_ENDPOINT", entra.identity_endpoint),
        ("IDENTITY_HEADER", entra.identity_header),
        ("ACS_ENTRA_PROXY", entra.proxy),
    ]


def number_lines(emulator: AcsEmulator) -> list[tuple[str, str]]:
    """The SMS numbers and WhatsApp channels (`GUID=+number`) the emulated resource owns."""
    channels = emulator.whatsapp_channels.items()
    return [
        ("ACS_PHONE_NUMBERS", ",".join(emulator.phone_numbers)),
        ("ACS_WHATSAPP_CHANNELS", ",".join(f"{cid}={number}" for cid, number in channels)),
    ]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m acs_emulator",
        description="A local HTTPS emulator of Azure Communication Services Chat, Identity, "
        "SMS and Advanced Messaging (WhatsApp).",
        epilog="Exit codes: 0 stopped by SIGINT or SIGTERM; 1 cannot listen on the address; "
        "2 a bad option or the emulator extra missing.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 picks a free one)")
    p.add_argument("--state", metavar="FILE", help="SQLite file that keeps state across restarts")
    p.add_argument("--access-key", help="base64 access key (default: random, kept in --state)")
    p.add_argument("--resource-id", help="resource GUID used in user ids (default: random)")
    p.add_argument("--throttle", action="store_true", help="enforce ACS's published rate limits")
    p.add_argument(
        "--eventgrid-webhook",
        metavar="URL",
        action="append",
        default=[],
        help="deliver chat, SMS and WhatsApp events to this Event Grid webhook (repeatable)",
    )
    p.add_argument("--eventgrid-ca", metavar="PEM", help="extra CA to trust for webhook URLs")
    p.add_argument(
        "--phone-number",
        metavar="+E164",
        action="append",
        default=[],
        help="an SMS number the resource owns (repeatable; default +18005550100)",
    )
    p.add_argument(
        "--whatsapp-channel",
        metavar="GUID=+E164",
        action="append",
        default=[],
        help="a WhatsApp channel registration and its business number (repeatable; "
        "default 0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11=+18005550101)",
    )
    p.add_argument(
        "--eventgrid-entra-audience",
        metavar="APP",
        help="sign deliveries with Entra ID tokens of the emulator's tenant for this webhook app",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        channels = whatsapp_channels(args.whatsapp_channel)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return serve(
        EmulatorOptions(
            host=args.host,
            port=args.port,
            state=args.state,
            access_key=args.access_key,
            resource_id=args.resource_id,
            throttle=args.throttle,
            eventgrid_webhooks=tuple(args.eventgrid_webhook),
            eventgrid_ca=args.eventgrid_ca,
            phone_numbers=tuple(args.phone_number) or None,
            whatsapp_channels=channels,
            eventgrid_entra_audience=args.eventgrid_entra_audience,
        )
    )
