"""The core a one-shot admin command works on, opened from the same settings as `serve`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from twilio_compat.commands._failures import CONFIGURATION, acs_failure, fail

if TYPE_CHECKING:
    from twilio_compat.core import Core


@contextmanager
def opened_core() -> Iterator[Core]:
    """The core over the configured adapter; configuration and ACS failures end the command
    with their exit codes and one line saying why."""
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
