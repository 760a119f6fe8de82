"""The `twilio-acs` command line: one subcommand per module of `twilio_compat.commands`.

Every command ends on an expected problem with one `error: ...` line and an exit code of
`twilio_compat.commands._failures.EXIT_CODES` (listed under `--help`).
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from twilio_compat import commands
from twilio_compat.commands._failures import exit_codes_text

app = typer.Typer(
    name="twilio-acs",
    help="Tools for running Twilio Conversations code on Azure Communication Services.",
    epilog=exit_codes_text(),
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Tools for running Twilio Conversations code on Azure Communication Services."""


for _module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    if not _module.name.startswith("_"):
        _command = importlib.import_module(f"{commands.__name__}.{_module.name}").command
        app.command(_module.name, epilog=exit_codes_text())(_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
