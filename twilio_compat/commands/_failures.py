"""How every `twilio-acs` command ends when it cannot do its work: one line on stderr
(`error: ...`) and an exit code from `EXIT_CODES`, never a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import AdapterError

OK = 0
FINDING = 1
CONFIGURATION = 2
UNREACHABLE = 3

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "done (`compare`: both backends behave alike)"),
    (
        FINDING,
        "done, with a finding: `compare` saw the backends diverge, `migrate` could not import "
        "some items, `doctor` found a dependency unhealthy, `store current` found the schema "
        "behind; `serve` / `emulator` could not listen on the address",
    ),
    (CONFIGURATION, "a bad option, a missing or malformed setting, or a missing extra"),
    (UNREACHABLE, "Twilio or ACS could not be reached, or refused the credentials"),
)
"""Every exit code of every `twilio-acs` command and what it means (README and `--help`)."""


def exit_codes_table() -> str:
    """The README's table of exit codes, rendered from `EXIT_CODES`."""
    rows = [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES]
    return "\n".join(["| exit code | meaning |", "|---|---|", *rows])


def exit_codes_text() -> str:
    """The exit codes as `--help` shows them."""
    shown = "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES)
    return "Exit codes: " + shown.replace("`", "")


def fail(message: str, code: int) -> NoReturn:
    """End the command with `error: message` on stderr and exit code `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def acs_failure(exc: AdapterError) -> NoReturn:
    """End the command on an adapter error: the setting at fault, or ACS out of reach."""
    from twilio_compat.core.adapter_types import (
        ConfigurationError,
        Forbidden,
        Unauthorized,
        Unavailable,
    )

    if isinstance(exc, ConfigurationError):
        fail(str(exc), CONFIGURATION)
    if isinstance(exc, Unauthorized | Forbidden):
        fail(f"ACS refused the access key of ACS_CONNECTION_STRING ({exc.message})", UNREACHABLE)
    if isinstance(exc, Unavailable):
        fail(f"{exc.message} (check ACS_CONNECTION_STRING and the network)", UNREACHABLE)
    fail(f"ACS failed: {exc.message}", UNREACHABLE)
