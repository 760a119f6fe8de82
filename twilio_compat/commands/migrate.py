"""`twilio-acs migrate`: import a Twilio account's conversation history into ACS.

The source is a real Twilio account (``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``), or any
``twilio.rest.Client`` returned by ``--source-factory module:function``; the target is the
ACS resource and store of the usual settings (``ACS_CONNECTION_STRING``,
``TWILIO_COMPAT_STORE``, ``TWILIO_COMPAT_MEDIA``). Rerun it freely: it resumes where it
stopped and never imports anything twice.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer


def load_factory(spec: str) -> Any:
    """``package.module:function`` -> the function (a clear error for anything else)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise typer.BadParameter(
            "use the form package.module:function", param_hint="--source-factory"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--source-factory") from None
    if not callable(factory):
        raise typer.BadParameter(f"{spec} is not callable", param_hint="--source-factory")
    return factory


def source_client(factory: str | None) -> Any:
    if factory is not None:
        return load_factory(factory)()
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    try:
        return Client()
    except TwilioException as exc:
        raise typer.BadParameter(
            f"{exc}: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or give --source-factory"
        ) from None


def command(
    mode: Annotated[
        str, typer.Option(help="archive: keep history in the store; replay: re-send it to ACS")
    ] = "archive",
    dry_run: Annotated[bool, typer.Option(help="report what would happen, write nothing")] = False,
    conversation: Annotated[
        list[str] | None,
        typer.Option(metavar="SID_OR_UNIQUE_NAME", help="import only this one (repeatable)"),
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(metavar="IS...", help="source Conversation Service (default: the account's)"),
    ] = None,
    keep_service_sid: Annotated[
        bool, typer.Option(help="keep the source IS... SID as the target service")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="conversations replayed at once")] = 8,
    source_factory: Annotated[
        str | None,
        typer.Option(metavar="MODULE:FUNCTION", help="returns the twilio.rest.Client to read"),
    ] = None,
    summary_json: Annotated[
        Path | None, typer.Option(metavar="FILE", help="also write the summary as JSON")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress display")] = True,
    connection_string: Annotated[
        str | None, typer.Option(help="ACS connection string (default: ACS_CONNECTION_STRING)")
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="mapping store URL (default: TWILIO_COMPAT_STORE)")
    ] = None,
    media: Annotated[
        str | None, typer.Option(help="media store (default: TWILIO_COMPAT_MEDIA)")
    ] = None,
    ca_bundle: Annotated[
        str | None, typer.Option(help="PEM of a CA to trust (default: ACS_CA_BUNDLE)")
    ] = None,
) -> None:
    """Import Twilio conversations, participants, users and messages (with media) into ACS."""
    from twilio_compat.core.adapter_types import AdapterError
    from twilio_compat.migration import HistoryImport, ImportOptions, SourceError, TwilioSource
    from twilio_compat.migration.progress import ImportProgress
    from twilio_compat.runtime import Runtime
    from twilio_compat.settings import Settings

    if mode not in ("archive", "replay"):
        raise typer.BadParameter("must be archive or replay", param_hint="--mode")
    client = source_client(source_factory)
    try:
        settings = Settings.load(
            connection_string=connection_string, ca_bundle=ca_bundle, store_url=store, media=media
        )
        runtime = Runtime.open(settings)
    except (AdapterError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    options = ImportOptions(
        mode=mode,
        dry_run=dry_run,
        only=tuple(conversation or ()),
        keep_service_sid=keep_service_sid,
        workers=workers,
    )
    try:
        with (
            TwilioSource(client, service_sid=service) as source,
            ImportProgress(enabled=progress) as shown,
        ):
            summary = HistoryImport(source, runtime.core, options, progress=shown).run()
    except (SourceError, AdapterError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    typer.echo(summary.to_text())
    if summary_json is not None:
        summary_json.write_text(summary.to_json() + "\n", encoding="utf-8")
    raise typer.Exit(0 if summary.ok else 1)
