"""`twilio-acs numbers`: the proxy addresses SMS/WhatsApp participants may be bound through.

The shim owns the numbers of `TWILIO_COMPAT_NUMBERS` (in embedded mode, the emulator's
defaults) and those added here, which are kept in the store for every process sharing it.
The store and ACS come from the same settings as `serve`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from twilio_compat.commands._failures import FINDING, fail
from twilio_compat.commands._runtime import opened_core

app = typer.Typer(
    help="List, add or remove the SMS numbers and WhatsApp senders the shim owns.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("list")
def list_() -> None:
    """Print each owned number: address, type, ACS channel id (WhatsApp) and where it is kept."""
    with opened_core() as core:
        configured = {number.address for number in core.numbers.configured}
        for number in core.numbers.list():
            source = "settings" if number.address in configured else "store"
            channel = number.channel_id or "-"
            typer.echo(f"{number.address}\t{number.type}\t{channel}\t{source}")


@app.command()
def add(
    address: Annotated[str, typer.Argument(help="+E.164 (SMS) or whatsapp:+E.164")],
    channel: Annotated[
        str | None,
        typer.Option(metavar="GUID", help="the ACS WhatsApp channel registration id"),
    ] = None,
) -> None:
    """Own a number from now on (kept in the store)."""
    with opened_core() as core:
        number = core.numbers.add(address, channel)
    typer.echo(f"{number.address} is owned ({number.type})")


@app.command()
def remove(address: Annotated[str, typer.Argument(help="an address added with `add`")]) -> None:
    """Stop owning a number kept in the store; bound participants keep their binding."""
    with opened_core() as core:
        removed = core.numbers.remove(address)
    if not removed:
        fail(f"{address} is not kept in the store", FINDING)
    typer.echo(f"{address} is no longer owned")
