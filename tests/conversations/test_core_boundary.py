"""The client face and the webhooks reach Twilio state only through the core's methods."""

from __future__ import annotations

import ast
from pathlib import Path

import twilio_compat

PACKAGES = ("conversations", "webhooks")


def _sources() -> list[Path]:
    root = Path(twilio_compat.__file__).parent
    return sorted(path for package in PACKAGES for path in (root / package).glob("*.py"))


def _reach_arounds(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "context":
            found.append(f"{path.name}:{node.lineno} .context")
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
        elif isinstance(node, ast.Import):
            module = " ".join(alias.name for alias in node.names)
        else:
            continue
        if "acs_adapter" in module:
            found.append(f"{path.name}:{node.lineno} imports {module}")
    return found


def test_faces_and_webhooks_use_only_the_core() -> None:
    sources = _sources()
    assert len(sources) > 10
    assert [problem for path in sources for problem in _reach_arounds(path)] == []
