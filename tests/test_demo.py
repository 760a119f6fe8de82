"""`make demo` on a fresh machine: nothing configured, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_quickstart_and_leaves_no_files(tmp_path: Path) -> None:
    workdir, scratch = tmp_path / "workdir", tmp_path / "tmp"
    workdir.mkdir()
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACS_", "TWILIO_"))}
    env.update(TMPDIR=str(scratch), COLUMNS="200", NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "twilio_compat.demo"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "embedded ACS emulator" in out
    assert "My First Conversation" in out and "testBanana, testPineapple" in out
    newest, middle, oldest = (
        out.index("Here is the plan."),
        out.index("Are we still on for lunch?"),
        out.index("Ahoy!"),
    )
    assert newest < middle < oldest  # listed newest first
    assert "plan.txt (text/plain, 27 bytes)" in out
    assert '{"importance": "high"}' in out
    assert list(workdir.iterdir()) == []
    assert list(scratch.iterdir()) == []  # the temporary store, media and emulator are gone


def test_demo_setup_passes_settings_and_leaves_the_environment_alone(tmp_path: Path) -> None:
    from twilio_compat.demo import DEMO_ACCOUNT_SID, demo_setup

    before = dict(os.environ)
    store = f"sqlite:///{tmp_path / 'mine.sqlite3'}"
    with demo_setup({"TWILIO_COMPAT_STORE": store}) as setup:
        assert dict(os.environ) == before
        assert setup.settings.acs.embedded and setup.where == "the embedded ACS emulator"
        assert setup.settings.acs.store_url.reveal() == store and not setup.temporary_store
        assert setup.settings.account.account_sid == DEMO_ACCOUNT_SID
        assert setup.settings.account.auth_token is not None
    assert dict(os.environ) == before
