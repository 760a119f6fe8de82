"""Rebuild the guide's generated parts: ``python -m migration_guide.generate [--check]``.

It writes every table under ``tables/`` and refreshes each generated block of ``README.md``,
the text between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``:

- ``example:FILE.py`` becomes ``examples/FILE.py``, verbatim, in a Python fence;
- ``table:NAME`` becomes the table of that name (without its title);
- ``summary:rest`` / ``summary:client`` become the one-line coverage of each face.

With ``--check`` nothing is written: it lists what is out of date and exits 1, which is how
the test suite keeps the guide from drifting.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from migration_guide import tables

GUIDE = Path(__file__).resolve().parent
README = GUIDE / "README.md"
TABLES = GUIDE / "tables"
EXAMPLES = GUIDE / "examples"

_BLOCK = re.compile(
    r"(?P<open><!-- begin (?P<name>[\w:.\-]+) -->\n)(?P<body>.*?)(?P<close><!-- end (?P=name) -->)",
    re.DOTALL,
)


class GuideError(Exception):
    """The guide refers to something that does not exist, or the code is undocumented."""


def table_builders() -> dict[str, Callable[[], str]]:
    """Each table file's name (without ``.md``) and the function that renders it."""
    return {
        "rest_operations": tables.rest_operations,
        "error_codes": tables.error_codes,
        "data_mapping": tables.data_mapping,
        "client_sdk": tables.client_sdk,
    }


def _without_title(markdown: str) -> str:
    """A table file's text minus its ``# title`` and the blank line after it."""
    lines = markdown.splitlines(keepends=True)
    if lines and lines[0].startswith("# "):
        lines = lines[2:] if len(lines) > 1 and not lines[1].strip() else lines[1:]
    return "".join(lines)


def block_text(name: str, builders: dict[str, Callable[[], str]]) -> str:
    """The generated text for one README block."""
    kind, _, argument = name.partition(":")
    if kind == "example":
        path = EXAMPLES / argument
        if path.parent != EXAMPLES or path.suffix != ".py" or not path.is_file():
            raise GuideError(f"README.md includes a missing example: examples/{argument}")
        return f"```python\n{path.read_text(encoding='utf-8')}```\n"
    if kind == "table":
        if argument not in builders:
            raise GuideError(f"README.md includes an unknown table: {argument}")
        return _without_title(builders[argument]())
    if kind == "summary" and argument == "rest":
        return tables.rest_summary()
    if kind == "summary" and argument == "client":
        return tables.client_summary()
    raise GuideError(f"README.md has a generated block of unknown kind: {name}")


def refresh_readme(text: str, builders: dict[str, Callable[[], str]]) -> str:
    """``text`` with every generated block rebuilt; the prose around them is untouched."""

    def replace(match: re.Match[str]) -> str:
        body = block_text(match["name"], builders)
        return match["open"] + body + match["close"]

    return _BLOCK.sub(replace, text)


def included_examples(text: str) -> list[str]:
    """The example files the README includes, in order."""
    return [
        m["name"].partition(":")[2]
        for m in _BLOCK.finditer(text)
        if m["name"].startswith("example:")
    ]


def expected_files() -> dict[Path, str]:
    """Every generated file and the text it should have right now."""
    missing = tables.undocumented_error_codes()
    if missing:
        raise GuideError(
            "error codes without an ErrorCode entry in twilio_compat/core/errors.py: "
            + ", ".join(map(str, missing))
        )
    builders = table_builders()
    files = {TABLES / f"{name}.md": build() for name, build in builders.items()}
    files[README] = refresh_readme(README.read_text(encoding="utf-8"), builders)
    return files


def stale_files() -> list[Path]:
    """Generated files whose text differs from what the code says, and stray table files."""
    expected = expected_files()
    stale = [
        path
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    stale += [path for path in sorted(TABLES.glob("*.md")) if path not in expected]
    return stale


def write_all() -> list[Path]:
    """Write every generated file that changed; remove table files no longer generated."""
    written = []
    expected = expected_files()
    TABLES.mkdir(exist_ok=True)
    for path, text in expected.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for path in sorted(TABLES.glob("*.md")):
        if path not in expected:
            path.unlink()
            written.append(path)
    return written


def _display(path: Path) -> str:
    """The path relative to the repository, when it is inside it."""
    try:
        return str(path.relative_to(GUIDE.parent))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m migration_guide.generate",
        description="Rebuild the migration guide's tables and inlined examples from the code.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if anything is out of date"
    )
    options = parser.parse_args(argv)
    try:
        changed = stale_files() if options.check else write_all()
    except GuideError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in changed:
        label = "out of date" if options.check else "updated"
        print(f"{label}: {_display(path)}")
    if options.check and changed:
        print("run: python -m migration_guide.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
