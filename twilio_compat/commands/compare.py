"""`twilio-acs compare`: run a scenario on two backends and report where they differ.

``SCENARIO`` is a Python file defining ``scenario(client)`` (or ``FILE.py:function``), called
with a ``twilio.rest.Client``. A backend (``--a``, ``--b``) is ``twilio`` (the account in
``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``), ``acs`` (the shim over the usual ACS settings;
an embedded emulator with a throwaway store when ``ACS_CONNECTION_STRING`` is unset), a
transcript file saved by ``--record``, or ``module:function`` returning a client.

Exit status: 0 when both behave alike, 1 when they diverge, 2 for a bad scenario, backend or
setting, 3 when a backend cannot be reached or refuses the credentials (then nothing is
compared).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer


def command(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO.py[:function]", help="the calls to compare")
    ],
    a: Annotated[
        str | None,
        typer.Option("--a", metavar="BACKEND", help="twilio | acs | FILE.json | module:function"),
    ] = None,
    b: Annotated[
        str | None,
        typer.Option("--b", metavar="BACKEND", help="twilio | acs | FILE.json | module:function"),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="run on --a only and save its transcript to FILE"),
    ] = None,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="folder for report.md and report.html")
    ] = Path("compare-report"),
    ignore: Annotated[
        list[str] | None,
        typer.Option(metavar="FIELD", help="field name or path (body.delivery) to leave out"),
    ] = None,
) -> None:
    """Run SCENARIO on two backends; write a Markdown and an HTML diff report."""
    from twilio_compat.commands._failures import CONFIGURATION, FINDING, OK, UNREACHABLE, fail
    from twilio_compat.migration.compare import (
        BackendUnavailable,
        CompareError,
        compare,
        load_scenario,
        open_backend,
    )
    from twilio_compat.migration.report import write

    if record is not None and b is not None:
        raise typer.BadParameter("--record runs one backend (--a); leave out --b")
    try:
        name, function = load_scenario(scenario)
    except CompareError as exc:
        raise typer.BadParameter(str(exc), param_hint="SCENARIO") from None
    with tempfile.TemporaryDirectory(prefix="twilio-acs-compare-") as scratch:
        specs = [a or "twilio"] if record is not None else [a or "twilio", b or "acs"]
        transcripts = []
        for label, spec in zip(("a", "b"), specs, strict=False):
            try:
                backend = open_backend(spec, scratch=Path(scratch) / label)
            except CompareError as exc:
                fail(str(exc), CONFIGURATION)
            try:
                transcripts.append(backend.run(name, function))
            except BackendUnavailable as exc:
                fail(str(exc), UNREACHABLE)
            except CompareError as exc:
                fail(str(exc), CONFIGURATION)
            finally:
                backend.close()
    if record is not None:
        transcripts[0].save(record)
        typer.echo(
            f"recorded {len(transcripts[0].exchanges)} exchanges on {transcripts[0].backend} "
            f"({transcripts[0].outcome}) to {record}"
        )
        return
    comparison = compare(transcripts[0], transcripts[1], ignore=ignore or ())
    markdown_file, html_file = write(comparison, out)
    typer.echo(comparison.summary())
    typer.echo(f"report: {markdown_file} and {html_file}")
    raise typer.Exit(FINDING if comparison.diverged else OK)
