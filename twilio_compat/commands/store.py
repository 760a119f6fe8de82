"""`twilio-acs store`: the mapping store's schema, upgraded or inspected on its own.

The shim migrates its store when it opens it. Where the application's database role may not
change the schema, run `twilio-acs store upgrade` with a role that may (once per release, before
the new version starts); the application then finds the schema current and changes nothing.
The store is ``--url``, else ``TWILIO_COMPAT_STORE``, else the default file.

Exit status: 0 when the schema is at the newest revision (after `upgrade`), 1 when `current`
finds it behind or unknown to this version, 2 for a malformed URL, 3 when the database cannot be
reached.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from twilio_compat.commands._failures import CONFIGURATION, FINDING, OK, UNREACHABLE, fail

app = typer.Typer(
    help="Inspect or upgrade the mapping store's schema.",
    no_args_is_help=True,
    add_completion=False,
)

Url = Annotated[
    str | None,
    typer.Option(metavar="URL", help="SQLAlchemy URL of the store (default: TWILIO_COMPAT_STORE)"),
]


def _store_failure(exc: Exception) -> NoReturn:
    from twilio_compat.core.adapter_types import ConfigurationError

    fail(str(exc), CONFIGURATION if isinstance(exc, ConfigurationError) else UNREACHABLE)


@app.command()
def current(url: Url = None) -> None:
    """Print the store's schema revision and the newest one this version knows."""
    from twilio_compat.core.adapter_types import AdapterError
    from twilio_compat.runtime import schema_revision

    try:
        revision = schema_revision(url)
    except AdapterError as exc:
        _store_failure(exc)
    typer.echo(f"store:   {revision.url}")
    typer.echo(f"current: {revision.current or '(empty: no schema yet)'}")
    typer.echo(f"newest:  {revision.head}")
    if revision.up_to_date:
        typer.echo("the schema is current")
        raise typer.Exit(OK)
    if not revision.known:
        typer.echo("the schema is newer than this version of the package: upgrade the package")
    else:
        typer.echo("the schema is behind: run `twilio-acs store upgrade`")
    raise typer.Exit(FINDING)


@app.command()
def upgrade(url: Url = None) -> None:
    """Create the store's schema or migrate it to the newest revision (a no-op when current)."""
    from twilio_compat.core.adapter_types import AdapterError
    from twilio_compat.runtime import schema_revision, upgrade_schema

    try:
        before = schema_revision(url).current
        revision = upgrade_schema(url)
    except AdapterError as exc:
        _store_failure(exc)
    if before == revision.current:
        typer.echo(f"{revision.url} is already at revision {revision.current}")
    else:
        typer.echo(f"{revision.url} upgraded from {before or '(empty)'} to {revision.current}")
