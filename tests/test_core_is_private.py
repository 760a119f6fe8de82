"""The core is the one door to Twilio state.

Nothing outside ``twilio_compat/core/`` reads or imports the core's context: faces, webhooks,
migration, tests and benchmarks use the core's public parts (``directory``, ``services``, ...)
or an adapter they hold themselves, so the core can change how it keeps its shared state
without breaking them. In the shim, only the core, the composition root (``runtime.py``) and
the settings import the adapter; the rest names its types through ``core.adapter_types``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("twilio_compat", "acs_adapter", "tests", "benchmarks", "migration_guide")
CORE = REPO / "twilio_compat" / "core"
PRIVATE_MODULE = "twilio_compat.core._context"
ADAPTER_DOORS = (
    CORE,
    REPO / "twilio_compat" / "runtime.py",
    REPO / "twilio_compat" / "settings.py",
)


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


def adapter_imports(source: str) -> list[str]:
    """Each place ``source`` imports ``acs_adapter`` (type-only imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [
            f"line {node.lineno}: imports {module}"
            for module in modules
            if module == "acs_adapter" or module.startswith("acs_adapter.")
        ]
    return found


def test_only_the_core_runtime_and_settings_import_the_adapter() -> None:
    shim = sorted((REPO / "twilio_compat").rglob("*.py"))
    outside = [
        path for path in shim if not any(path.is_relative_to(door) for door in ADAPTER_DOORS)
    ]
    assert len(outside) > 50
    assert adapter_imports("from acs_adapter.store import MappingStore") != []
    found = [
        f"{path.relative_to(REPO)} {use}"
        for path in outside
        for use in adapter_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == []
