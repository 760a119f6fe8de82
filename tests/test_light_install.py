"""The core REST path stays light, and a missing extra is one line naming it.

Each check runs in a fresh interpreter, where nothing else has imported the heavy modules yet;
an extra is made missing there by putting `None` in `sys.modules` for its package, which is how
Python reports a module that is not installed (`ModuleNotFoundError`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = (
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "starlette",
    "azure.storage",
    "azure.eventgrid",
    "azure.communication",
    "aiohttp",
    "typer",
    "rich",
    "prometheus_client",
    "opentelemetry",
    "psycopg",
    "acs_emulator",
)
"""What `import twilio_compat.rest` must leave unloaded: the store, the ASGI server, the Azure
SDKs, the command line and every extra (twilio's own imports stay twilio's business)."""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_the_rest_face_loads_no_heavy_module() -> None:
    result = _run(
        f"""
        import json, sys
        import twilio_compat.rest
        from twilio_compat.rest import AcsHttpClient, AsyncAcsHttpClient, Client
        heavy = {HEAVY!r}
        print(json.dumps(sorted(
            name for name in sys.modules
            if any(name == h or name.startswith(h + ".") for h in heavy)
        )))
        """
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_lazy_exports_still_resolve() -> None:
    result = _run(
        """
        import acs_adapter, acs_adapter.events, acs_adapter.media, acs_adapter.store
        import twilio_compat.core, twilio_compat.rest
        from acs_adapter.store import MappingStore, open_store
        from acs_adapter.store._store import MappingStore as Defined
        assert MappingStore is Defined and callable(open_store)
        assert acs_adapter.AcsAdapter.__module__ == "acs_adapter.adapter"
        assert acs_adapter.media.LocalMediaStore.__name__ == "LocalMediaStore"
        assert acs_adapter.events.EventGridReceiver.__name__ == "EventGridReceiver"
        assert twilio_compat.core.Core.__name__ == "Core"
        assert twilio_compat.rest.WireHandler.__name__ == "WireHandler"
        for package in (acs_adapter, acs_adapter.store, twilio_compat.rest):
            try:
                package.NoSuchName
            except AttributeError:
                pass
            else:
                raise AssertionError(package)
        """
    )
    assert result.returncode == 0, result.stderr


def test_the_command_line_without_its_extra_is_one_line() -> None:
    result = _run(
        """
        import sys
        sys.modules["typer"] = None
        sys.argv = ["twilio-acs", "--help"]
        from twilio_compat.cli import main
        main()
        """
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: twilio-acs needs the cli extra: pip install 'twilio-acs-compat[cli]'\n"
    )


def test_blob_media_without_its_extra_names_it() -> None:
    result = _run(
        """
        import sys
        sys.modules["azure.storage"] = None
        from acs_adapter.errors import ConfigurationError
        from acs_adapter.media import media_store_from_setting
        try:
            media_store_from_setting("UseDevelopmentStorage=true", secret=b"k" * 32)
        except ConfigurationError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "TWILIO_COMPAT_MEDIA names Azure Blob storage, which needs the blob extra: "
        "pip install 'twilio-acs-compat[blob]'\n"
    )


def test_the_event_grid_receiver_without_its_extra_names_it() -> None:
    result = _run(
        """
        import sys
        sys.modules["azure.eventgrid"] = None
        from acs_adapter.errors import ConfigurationError
        from acs_adapter.events import EventBus, EventGridReceiver
        try:
            EventGridReceiver(EventBus(), "s" * 32)
        except ConfigurationError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "the Event Grid receiver needs the eventgrid extra: "
        "pip install 'twilio-acs-compat[eventgrid]'\n"
    )
