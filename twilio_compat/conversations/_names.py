"""One implementation, two names: the JS SDK's camelCase and PEP 8's snake_case.

``@js_names`` gives every camelCase method or property of a class a snake_case alias bound to
the very same object, so ``conversation.getMessages`` and ``conversation.get_messages`` are
one function and can never drift apart. Methods with camelCase parameters accept them under
either spelling too (``getMessages(pageSize=10)`` or ``get_messages(page_size=10)``).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

C = TypeVar("C", bound=type)

_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``getMessagesCount`` -> ``get_messages_count``; names without humps are unchanged."""
    return _HUMP.sub(r"_\1", name).lower()


def _keywords_both_ways(function: Callable[..., Any]) -> Callable[..., Any]:
    """Accept snake_case spellings of camelCase parameters (the implementation is unchanged)."""
    renames = {
        snake_case(name): name
        for name in inspect.signature(function).parameters
        if snake_case(name) != name
    }
    if not renames:
        return function

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        for alias, name in renames.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{function.__name__}() got {name!r} twice")
                kwargs[name] = kwargs.pop(alias)
        return function(*args, **kwargs)

    return call


def js_names(cls: C) -> C:
    """Add a snake_case alias for each public camelCase attribute defined on ``cls``."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if inspect.isfunction(value):
            value = _keywords_both_ways(value)
            setattr(cls, name, value)
        alias = snake_case(name)
        if alias != name and alias not in vars(cls):
            setattr(cls, alias, value)
    return cls
