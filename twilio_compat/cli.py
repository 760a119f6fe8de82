"""The `twilio-acs` command line: one subcommand (or group, such as `store`) per module of
`twilio_compat.commands`.

Every command ends on an expected problem with one `error: ...` line and an exit code of
`twilio_compat.commands._failures.EXIT_CODES` (listed under `--help`).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from typing import Annotated

try:
    import rich  # noqa: F401 (the commands' tables and progress)
    import typer
except ImportError as missing:  # installed without the extra: one line, never a traceback
    if (missing.name or "").partition(".")[0] not in {"typer", "rich", "click"}:
        raise
    sys.stderr.write(
        "error: twilio-acs needs the cli extra: pip install 'twilio-acs-compat[cli]'\n"
    )
    raise SystemExit(2) from None

from twilio_compat import commands
from twilio_compat.commands._failures import exit_codes_text

app = typer.Typer(
    name="twilio-acs",
    help="Tools for running Twilio Conversations code on Azure Communication Services.",
    epilog=exit_codes_text(),
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from twilio_compat import __version__

        typer.echo(f"twilio-acs {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Tools for running Twilio Conversations code on Azure Communication Services."""
    # A command that fails on ACS says why in its one `error:` line; without this the adapter's
    # warning about the same failure would reach stderr too (through logging's last resort).
    # Handlers an application installs (a `serve` log configuration) still receive it.
    adapter_logger = logging.getLogger("acs_adapter")
    if not any(isinstance(handler, logging.NullHandler) for handler in adapter_logger.handlers):
        adapter_logger.addHandler(logging.NullHandler())


for _module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    if not _module.name.startswith("_"):
        _loaded = importlib.import_module(f"{commands.__name__}.{_module.name}")
        if isinstance(getattr(_loaded, "app", None), typer.Typer):
            # A module with subcommands (`twilio-acs store upgrade`) defines a Typer `app`.
            app.add_typer(_loaded.app, name=_module.name, epilog=exit_codes_text())
        else:
            app.command(_module.name, epilog=exit_codes_text())(_loaded.command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
