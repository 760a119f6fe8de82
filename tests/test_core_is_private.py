"""The core's context is its own: nothing outside ``twilio_compat/core/`` reads or imports it.

Faces, webhooks, migration, tests and benchmarks use the core's public parts (``directory``,
``services``, ...) or an adapter they hold themselves, so the core can change how it keeps its
shared state without breaking them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("twilio_compat", "acs_adapter", "tests", "benchmarks", "migration_guide")
CORE = REPO / "twilio_compat" / "core"
PRIVATE_MODULE = "twilio_compat.core._context"


def _sources() -> list[Path]:
    return sorted(
        path
        for folder in FOLDERS
        for path in (REPO / folder).rglob("*.py")
        if not path.is_relative_to(CORE)
    )


def _names_a_core(node: ast.expr) -> bool:
    """Whether an expression is spelled as a core: ``core``, ``self._core``, ``handler.core``."""
    if isinstance(node, ast.Name):
        return node.id.lstrip("_").endswith("core")
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_").endswith("core")
    return False


def context_uses(source: str) -> list[str]:
    """Each place ``source`` reads a core's context or imports the module that defines it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("context", "_context"):
            if _names_a_core(node.value):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                names = [module, *(f"{module}.{name}" for name in names)]
            if any(name.startswith(PRIVATE_MODULE) for name in names):
                found.append(f"line {node.lineno}: imports {PRIVATE_MODULE}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "handler.core.context.adapter",
        "self._core._context.store",
        "core._context.service_chat()",
        "from twilio_compat.core._context import Context",
        "from twilio_compat.core import _context",
        "import twilio_compat.core._context",
    ],
)
def test_the_check_sees_a_read_of_the_context(source: str) -> None:
    assert context_uses(source) != []


def test_the_check_leaves_other_contexts_alone() -> None:
    source = "ssl.create_default_context()\nmultiprocessing.get_context('spawn')\nrequest.context"
    assert context_uses(source) == []


def test_nothing_outside_the_core_reads_its_context() -> None:
    sources = _sources()
    assert len(sources) > 100
    found = [
        f"{path.relative_to(REPO)} {use}"
        for path in sources
        for use in context_uses(path.read_text(encoding="utf-8"))
    ]
    assert found == []
