"""The migration guide's generated parts match the code, and its tables say true things."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from twilio.rest import Client

from migration_guide import generate, tables
from twilio_compat.conversations import parity
from twilio_compat.core import errors
from twilio_compat.rest.operations import OPERATIONS, Support


def test_generated_files_are_up_to_date() -> None:
    stale = generate.stale_files()
    assert stale == [], (
        "the migration guide is out of date; run `python -m migration_guide.generate`: "
        + ", ".join(str(path.relative_to(generate.GUIDE.parent)) for path in stale)
    )


def test_check_mode_reports_hand_edits_and_generate_repairs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    text = generate.README.read_text(encoding="utf-8")
    assert "Where is my order?" in text
    readme.write_text(text.replace("Where is my order?", "edited by hand"), encoding="utf-8")
    tables_dir = tmp_path / "tables"
    tables_dir.mkdir()
    for path in generate.TABLES.glob("*.md"):
        (tables_dir / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tables_dir / "data_mapping.md").write_text("hand-edited\n", encoding="utf-8")
    (tables_dir / "stray.md").write_text("no longer generated\n", encoding="utf-8")
    monkeypatch.setattr(generate, "README", readme)
    monkeypatch.setattr(generate, "TABLES", tables_dir)

    assert generate.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert set(generate.stale_files()) == {
        readme,
        tables_dir / "data_mapping.md",
        tables_dir / "stray.md",
    }
    assert "edited by hand" in readme.read_text(encoding="utf-8")  # --check wrote nothing

    assert generate.main([]) == 0
    assert generate.stale_files() == []
    assert readme.read_text(encoding="utf-8") == text
    assert (tables_dir / "data_mapping.md").read_text(encoding="utf-8") == tables.data_mapping()
    assert not (tables_dir / "stray.md").exists()


def test_every_rest_operation_has_one_row_with_its_status() -> None:
    text = (generate.TABLES / "rest_operations.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(OPERATIONS) == 103
    for operation, row in zip(OPERATIONS, rows, strict=True):
        assert f"`{operation.method} {operation.path}`" in row
        label = "not supported" if operation.support is Support.UNSUPPORTED else "works"
        assert label in row
        if operation.support is not Support.WORKS:
            assert operation.note and operation.note in row.replace("\\|", "|")


def test_every_rest_call_shown_exists_on_twilio_python() -> None:
    """Each ``conversations(sid).messages.create()`` resolves on twilio's own client."""
    client = Client("AC" + "0" * 32, "token")
    for operation in OPERATIONS:
        target = client.conversations.v1
        for step in tables.rest_call_steps(operation):
            target = getattr(target, step.attribute)
            if step.call == "sid":
                target = target("XX" + "0" * 32)
            elif step.call == "()":
                target = target()
        assert callable(getattr(target, operation.action, None)), tables.rest_call(operation)
        assert callable(getattr(target, f"{operation.action}_async", None))


def test_every_error_code_in_the_core_is_documented_with_its_status() -> None:
    assert tables.undocumented_error_codes() == []
    text = (generate.TABLES / "error_codes.md").read_text(encoding="utf-8")
    for entry in errors.ERROR_CODES:
        row = next(line for line in text.splitlines() if line.startswith(f"| [{entry.code}]"))
        assert ", ".join(map(str, entry.statuses)) in row


def test_acs_failures_table_comes_from_the_real_translation() -> None:
    text = (generate.TABLES / "error_codes.md").read_text(encoding="utf-8")
    assert re.search(r"\| `Throttled` \| [^|]+ \| 429 \| 20429 \|", text)
    assert re.search(r"\| `NotFound` \| [^|]+ \| 404 \| 20404 \|", text)


def test_data_mapping_names_the_metadata_keys_the_core_writes() -> None:
    from twilio_compat.core import media, messages

    text = (generate.TABLES / "data_mapping.md").read_text(encoding="utf-8")
    for key in (
        messages.SID_KEY,
        messages.INDEX_KEY,
        messages.ATTRIBUTES_KEY,
        messages.AUTHOR_KEY,
        media.ATTACHMENT_FLAG,
        media.ATTACHMENTS,
    ):
        assert f"metadata `{key}`" in text
    assert f"{media.TEMPORARY_URL_SECONDS} seconds" in text


def test_readme_blocks_name_real_examples_and_tables() -> None:
    text = generate.README.read_text(encoding="utf-8")
    included = generate.included_examples(text)
    on_disk = sorted(path.name for path in generate.EXAMPLES.glob("*.py"))
    assert sorted(included) == on_disk, "every example is shown in the guide, and only once"
    with pytest.raises(generate.GuideError, match="missing example"):
        generate.refresh_readme("<!-- begin example:nope.py -->\n<!-- end example:nope.py -->", {})
    with pytest.raises(generate.GuideError, match="unknown table"):
        generate.refresh_readme("<!-- begin table:nope -->\n<!-- end table:nope -->", {})


def test_client_table_has_every_parity_row_with_its_status() -> None:
    rows = parity.table()
    text = (generate.TABLES / "client_sdk.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("| `") or "| event `" in line]
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        assert f"{row.js_name}`" in line
        assert ("| works |" in line) == (row.status == parity.IMPLEMENTED)
        for name in row.python_names:
            assert f"`{name}`" in line


def test_client_summary_counts_what_is_in_scope() -> None:
    def row(name: str, status: str, area: str | None) -> parity.Row:
        return parity.Row("Client", "method", name, (name,), status, area, "")

    rows = [
        row("getUser", parity.IMPLEMENTED, None),
        row("updateToken", parity.NOT_SUPPORTED, None),
        row("setPushRegistrationId", parity.NOT_SUPPORTED, "push_notifications"),
    ]
    summary = tables.client_summary(rows)
    assert ": 1 work, 2 are refused" in summary
    assert "(push notifications), 1 of 2 work (50%)." in summary
    assert "work (100%)." in tables.client_summary()
