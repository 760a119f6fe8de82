"""`twilio-acs doctor`: check every dependency the settings configure, and say which one fails.

It reads the same settings as `serve` (``ACS_CONNECTION_STRING``, ``ACS_CA_BUNDLE``,
``TWILIO_COMPAT_STORE``, ``TWILIO_COMPAT_MEDIA``) and checks, in order: the store's schema
revision against the newest one; ACS's endpoint and credential (an identity call); a chat round
trip (create a thread, send, delete); the media store (write, read, fetch the temporary URL);
the Event Grid receiver at ``--eventgrid-url``, if given (one protected by Entra ID alone must
refuse the probe, which has no token, with 401); and whether the host of every webhook
stored resolves. It writes nothing that it does not delete, and never changes the schema (a
store behind the newest revision is reported, and the checks that need it are skipped).

Exit status: 0 when everything configured is healthy, 1 when a check failed (the report names
it), 2 for a missing or malformed setting.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from twilio_compat.commands._failures import CONFIGURATION, FINDING, OK, fail

if TYPE_CHECKING:
    from twilio_compat.commands._doctor_checks import Report
    from twilio_compat.settings import Settings

ACS_CHECKS = ["ACS identity", "ACS chat", "media store"]


def command(
    as_json: Annotated[
        bool, typer.Option("--json", help="print the report as JSON, for scripts")
    ] = False,
    eventgrid_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="where Event Grid delivers to the shim (e.g. https://host/eventgrid); "
            "checked when given",
        ),
    ] = None,
) -> None:
    """Check ACS, the store, the media store, Event Grid and webhook targets; print a verdict."""
    from twilio_compat.core.adapter_types import ConfigurationError
    from twilio_compat.settings import Settings

    try:
        settings = Settings.load()
    except (ConfigurationError, ValueError) as exc:
        fail(str(exc), CONFIGURATION)
    report = diagnose(settings, eventgrid_url=eventgrid_url)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        _print_table(report)
    raise typer.Exit(OK if report.healthy else FINDING)


def diagnose(settings: Settings, *, eventgrid_url: str | None = None) -> Report:
    """Run every check the settings call for, in dependency order."""
    from twilio_compat.commands import _doctor_checks as checks
    from twilio_compat.core.adapter_types import AdapterError
    from twilio_compat.runtime import Runtime, stored_webhook_urls

    report = checks.Report()
    if not checks.run_check(report, "store schema", checks.store_schema(settings)):
        checks.skip(report, ACS_CHECKS, "needs a usable store")
        return report
    try:
        runtime = Runtime.open(settings)
    except AdapterError as exc:
        report.checks.append(checks.CheckResult("open the shim", "failed", exc.message))
        checks.skip(report, ACS_CHECKS, "needs the shim open")
        return report
    with runtime:
        if checks.run_check(report, "ACS identity", checks.acs_identity(runtime)):
            checks.run_check(report, "ACS chat", checks.acs_chat(runtime))
        else:
            checks.skip(report, ["ACS chat"], "needs ACS identity")
        checks.run_check(report, "media store", checks.media_store(runtime))
        owned = runtime.core.numbers.list()
        if owned:
            checks.run_check(report, "owned numbers", lambda: checks.numbers_text(owned))
        else:
            report.not_configured.append(
                "owned numbers (TWILIO_COMPAT_NUMBERS or `twilio-acs numbers add`)"
            )
        ca_bundle = str(runtime.adapter.ca_bundle) if runtime.adapter.ca_bundle else None
    if eventgrid_url:
        secret = settings.events.eventgrid_secret
        receiver = checks.eventgrid_receiver(
            eventgrid_url,
            ca_bundle,
            secret.reveal() if secret is not None else None,
            entra_only=secret is None and settings.events.eventgrid_entra is not None,
        )
        checks.run_check(report, "Event Grid receiver", receiver)
    else:
        report.not_configured.append("Event Grid receiver (give --eventgrid-url)")
    try:
        urls = stored_webhook_urls(settings.acs.store_url.reveal())
    except AdapterError as exc:
        report.checks.append(checks.CheckResult("webhook targets (DNS)", "failed", exc.message))
        return report
    if urls:
        checks.run_check(report, "webhook targets (DNS)", checks.webhook_dns(urls))
    else:
        report.not_configured.append("webhook targets (none stored)")
    return report


def _print_table(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    style = {"ok": "green", "failed": "bold red", "skipped": "yellow"}
    table = Table(title="twilio-acs doctor")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        status = f"[{style[check.status]}]{check.status}[/]"
        table.add_row(check.name, status, check.detail)
    for name in report.not_configured:
        table.add_row(name, "[dim]not configured[/]", "")
    console = Console()
    console.print(table)
    colour = "green" if report.healthy else "bold red"
    console.print(f"[{colour}]{report.verdict}[/]")
