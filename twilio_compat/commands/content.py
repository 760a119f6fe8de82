"""`twilio-acs content`: the Twilio ContentSids the shim sends as WhatsApp templates.

ACS has no Twilio Content API: each `HX...` SID a program sends with `ContentSid` is mapped
here to the approved WhatsApp template behind it (its name and language, as Meta approved it),
which an owned WhatsApp channel must list. The mapping is kept in the store for every process.
"""

from __future__ import annotations

from typing import Annotated

import typer

from twilio_compat.commands._failures import FINDING, fail
from twilio_compat.commands._runtime import opened_core

app = typer.Typer(
    help="List, add or remove the ContentSids sent as WhatsApp templates.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("list")
def list_() -> None:
    """Print each registered ContentSid: template name, language and body text."""
    with opened_core() as core:
        for template in core.content.list():
            typer.echo(f"{template.sid}\t{template.name}\t{template.language}\t{template.body}")


@app.command()
def add(
    sid: Annotated[str, typer.Argument(help="the Twilio content SID (HX...)")],
    template: Annotated[str, typer.Option(help="the WhatsApp template's name")],
    language: Annotated[str, typer.Option(help="its language, e.g. en_US")],
) -> None:
    """Send `sid` as the approved WhatsApp template `--template` in `--language`."""
    with opened_core() as core:
        added = core.content.register(sid, name=template, language=language)
    typer.echo(f"{added.sid} is sent as {added.name} ({added.language})")


@app.command()
def remove(sid: Annotated[str, typer.Argument(help="a content SID added with `add`")]) -> None:
    """Forget a ContentSid; messages naming it are then refused with 21655."""
    with opened_core() as core:
        removed = core.content.remove(sid)
    if not removed:
        fail(f"{sid} is not registered", FINDING)
    typer.echo(f"{sid} is no longer registered")
