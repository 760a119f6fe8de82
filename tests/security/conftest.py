"""The security tests share the hostile-input tests' adapter and wire handler."""

from tests.hostile.conftest import adapter, handler

__all__ = ["adapter", "handler"]
