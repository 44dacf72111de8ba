"""What the current request is, for code far from its Request object: the request id that
problem bodies and log lines carry, and the answer mode the access log names. Set by the
request middleware; worker threads and stream tasks inherit it with their context."""

import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass
class RequestInfo:
    request_id: str
    mode: str | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("newsqa_request", default=None)


def request_id_for(given: str | None) -> str:
    """The caller's id when it is well-formed (so its logs and ours line up), else a new one."""
    if given is not None and REQUEST_ID_PATTERN.fullmatch(given):
        return given
    return uuid.uuid4().hex


def current_request() -> RequestInfo | None:
    return _current.get()


def current_request_id() -> str | None:
    info = _current.get()
    return info.request_id if info else None


def note_mode(mode: str) -> None:
    """Name the answer (or summary) mode in this request's access log line."""
    info = _current.get()
    if info is not None:
        info.mode = mode


def enter(info: RequestInfo) -> Token[RequestInfo | None]:
    return _current.set(info)


def leave(token: Token[RequestInfo | None]) -> None:
    _current.reset(token)
