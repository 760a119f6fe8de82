"""`twilio-acs migrate`: import a Twilio account's conversation history into ACS.

The source is a real Twilio account (``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``), or any
``twilio.rest.Client`` returned by ``--source-factory module:function``; the target is the
ACS resource and store of the usual settings (``ACS_CONNECTION_STRING``,
``TWILIO_COMPAT_STORE``, ``TWILIO_COMPAT_MEDIA``). Rerun it freely: it resumes where it
stopped and never imports anything twice.

Exit status: 0 when everything was imported, 1 when some items could not be (the summary names
each), 2 for a bad option or setting, 3 when Twilio or ACS cannot be reached or refuses the
credentials (nothing is reported as imported then).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from twilio_compat.commands._failures import (
    CONFIGURATION,
    FINDING,
    OK,
    UNREACHABLE,
    acs_failure,
    fail,
)


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


def source_failure(exc: Exception) -> NoReturn:
    """End the command on a source that cannot be read: refused, missing or out of reach."""
    from twilio_compat.migration import SourceError

    if isinstance(exc, SourceError) and exc.status in (401, 403):
        fail(f"Twilio refused the credentials: {exc}", UNREACHABLE)
    if isinstance(exc, SourceError) and exc.status == 404:
        fail(f"the source Conversation Service was not found: {exc}", CONFIGURATION)
    if isinstance(exc, SourceError):
        fail(f"Twilio answered an error: {exc}", UNREACHABLE)
    fail(f"Twilio cannot be reached: {exc}", UNREACHABLE)


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
    from requests import RequestException

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
    except ValueError as exc:
        fail(str(exc), CONFIGURATION)
    except AdapterError as exc:
        acs_failure(exc)
    options = ImportOptions(
        mode=mode,
        dry_run=dry_run,
        only=tuple(conversation or ()),
        keep_service_sid=keep_service_sid,
        workers=workers,
    )
    try:
        with TwilioSource(client, service_sid=service) as source:
            source.service()  # the source answers, and accepts the credentials
            if not dry_run:
                runtime.core.reach_acs()  # so does ACS
            with ImportProgress(enabled=progress) as shown:
                summary = HistoryImport(source, runtime.core, options, progress=shown).run()
    except AdapterError as exc:
        acs_failure(exc)
    except (SourceError, RequestException) as exc:
        source_failure(exc)
    finally:
        runtime.close()
    typer.echo(summary.to_text())
    if summary_json is not None:
        summary_json.write_text(summary.to_json() + "\n", encoding="utf-8")
    raise typer.Exit(OK if summary.ok else FINDING)
