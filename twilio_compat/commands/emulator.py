"""`twilio-acs emulator`: serve the local ACS emulator in the foreground.

Exit status: 0 when stopped by SIGINT or SIGTERM, 1 when it cannot listen on the address, 2 for
a bad option or when the `emulator` extra is not installed.
"""

from __future__ import annotations

from typing import Annotated

import typer


def command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0 picks a free one)")] = 8443,
    state: Annotated[
        str | None, typer.Option(metavar="FILE", help="SQLite file that keeps state")
    ] = None,
    access_key: Annotated[
        str | None, typer.Option(help="base64 access key (default: random, kept in --state)")
    ] = None,
    resource_id: Annotated[
        str | None, typer.Option(help="resource GUID used in user ids (default: random)")
    ] = None,
    throttle: Annotated[bool, typer.Option(help="enforce ACS's published rate limits")] = False,
    eventgrid_webhook: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL",
            help="deliver chat, SMS and WhatsApp events to this webhook (repeatable)",
        ),
    ] = None,
    eventgrid_ca: Annotated[
        str | None, typer.Option(metavar="PEM", help="extra CA to trust for webhook URLs")
    ] = None,
    phone_number: Annotated[
        list[str] | None,
        typer.Option(
            metavar="+E164",
            help="an SMS number the resource owns (repeatable; default +18005550100)",
        ),
    ] = None,
    whatsapp_channel: Annotated[
        list[str] | None,
        typer.Option(
            metavar="GUID=+E164",
            help="a WhatsApp channel registration and its business number (repeatable; "
            "default 0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11=+18005550101)",
        ),
    ] = None,
    eventgrid_entra_audience: Annotated[
        str | None,
        typer.Option(
            metavar="APP",
            help="sign deliveries with Entra ID tokens of the emulator's tenant for this "
            "webhook app",
        ),
    ] = None,
) -> None:
    """Serve the local ACS emulator (same options as `python -m acs_emulator`)."""
    from acs_emulator.cli import EmulatorOptions, serve, whatsapp_channels

    try:
        channels = whatsapp_channels(whatsapp_channel or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--whatsapp-channel") from None
    code = serve(
        EmulatorOptions(
            host=host,
            port=port,
            state=state,
            access_key=access_key,
            resource_id=resource_id,
            throttle=throttle,
            eventgrid_webhooks=tuple(eventgrid_webhook or ()),
            eventgrid_ca=eventgrid_ca,
            phone_numbers=tuple(phone_number or ()) or None,
            whatsapp_channels=channels,
            eventgrid_entra_audience=eventgrid_entra_audience,
        )
    )
    raise typer.Exit(code)
