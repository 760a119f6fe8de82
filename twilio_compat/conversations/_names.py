"""One implementation, two names: the JS SDK's camelCase and PEP 8's snake_case.

Each class declares its snake_case aliases in its own body (``get_messages = getMessages``), so
type checkers and IDEs see them; ``@js_names`` refuses a class whose public camelCase member has
no alias, so the two spellings are one object and can never drift apart. Methods with
camelCase parameters accept them under either spelling too (``getMessages(pageSize=10)`` or
``get_messages(page_size=10)``; type checkers know only the JS spelling of parameters).
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
    """Check ``cls`` declares a snake_case alias of each public camelCase attribute, and let its
    methods take snake_case keywords (an alias stays the very object of its JS name)."""
    wrappers: dict[int, Any] = {}
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if id(value) not in wrappers:
            wrappers[id(value)] = _keywords_both_ways(value)
        setattr(cls, name, wrappers[id(value)])
    missing = [
        f"{snake_case(name)} = {name}"
        for name in vars(cls)
        if not name.startswith("_") and snake_case(name) not in vars(cls)
    ]
    if missing:
        raise TypeError(f"{cls.__name__} lacks its snake_case aliases: {'; '.join(missing)}")
    return cls
