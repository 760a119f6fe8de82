"""The security tests share the hostile-input tests' wire handler over the shared emulator."""

from tests.hostile.conftest import handler

__all__ = ["handler"]
