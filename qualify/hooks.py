"""Synchronous in-transaction hooks, so a lower layer can let a higher one react.

The documents layer must not import training, yet approving a revision must assign
retraining (G3) in the same transaction. Documents fires a hook; training, loaded
later, subscribes in its AppConfig.ready(). Unlike Django signals these are named
per event, called explicitly by services (never by model saves), and a handler's
exception propagates and rolls the whole transaction back.
"""

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def fire(self, **kwargs: Any) -> None:
        for handler in list(self._handlers):
            handler(**kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._handlers)} handlers)"
