"""Package exports imported on first use (PEP 562), so importing a package stays cheap.

`import twilio_compat.rest` must not load SQLAlchemy, alembic, the Blob or Event Grid SDKs or
the ASGI server: a package names what it offers in a `TYPE_CHECKING` block and `__all__`, and
its `__getattr__` imports the defining module when a name is first read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, modules: Mapping[str, tuple[str, ...]]) -> Callable[[str], object]:
    """A module `__getattr__` for `package` exporting, from each module, the names listed."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later reads skip this function
        return value

    return __getattr__
