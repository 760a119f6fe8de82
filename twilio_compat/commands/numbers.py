"""`twilio-acs numbers`: the proxy addresses SMS/WhatsApp participants may be bound through.

The shim owns the numbers of `TWILIO_COMPAT_NUMBERS` (in embedded mode, the emulator's
defaults) and those added here, which are kept in the store for every process sharing it.
The store and ACS come from the same settings as `serve`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from twilio_compat.commands._failures import CONFIGURATION, FINDING, acs_failure, fail

if TYPE_CHECKING:
    from twilio_compat.core import Core

app = typer.Typer(
    help="List, add or remove the SMS numbers and WhatsApp senders the shim owns.",
    no_args_is_help=True,
    add_completion=False,
)


@contextmanager
def _core() -> Iterator[Core]:
    from twilio_compat.core.adapter_types import AdapterError, ConfigurationError
    from twilio_compat.core.errors import TwilioApiError
    from twilio_compat.runtime import Runtime
    from twilio_compat.settings import Settings

    try:
        settings = Settings.load()
    except (ConfigurationError, ValueError) as exc:
        fail(str(exc), CONFIGURATION)
    try:
        with Runtime.open(settings) as runtime:
            yield runtime.core
    except TwilioApiError as exc:
        fail(exc.message, CONFIGURATION)
    except AdapterError as exc:
        acs_failure(exc)


@app.command("list")
def list_() -> None:
    """Print each owned number: address, type, ACS channel id (WhatsApp) and where it is kept."""
    with _core() as core:
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
    with _core() as core:
        number = core.numbers.add(address, channel)
    typer.echo(f"{number.address} is owned ({number.type})")


@app.command()
def remove(address: Annotated[str, typer.Argument(help="an address added with `add`")]) -> None:
    """Stop owning a number kept in the store; bound participants keep their binding."""
    with _core() as core:
        removed = core.numbers.remove(address)
    if not removed:
        fail(f"{address} is not kept in the store", FINDING)
    typer.echo(f"{address} is no longer owned")
