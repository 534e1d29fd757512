"""The request context that travels into every audit event (A1).

Web requests open it in middleware; the CLI, the scheduler and the worker open it
explicitly with `audit_context()`, so no event is ever written without a request id.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source: str  # "web", "api", "cli", "task"


_current: ContextVar[RequestContext | None] = ContextVar("qualify_request_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_context() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        # Code paths without an explicit context (a shell, a test) still get a
        # unique id per call so events remain distinguishable.
        return RequestContext(request_id=new_request_id(), source="direct")
    return ctx


@contextmanager
def audit_context(*, source: str, request_id: str | None = None) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or new_request_id(), source=source)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
