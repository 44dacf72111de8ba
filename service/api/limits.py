"""Request limits: a body-size cap enforced before any route reads the body, and a timeout
around blocking store and LLM work."""

import json
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import PROBLEM_JSON, problem_body
from service.errors import OperationTimeout, StoreUnavailable

T = TypeVar("T")


class BodySizeLimit:
    """413 for a body over the cap: at once from Content-Length, or while counting the bytes
    of a chunked body. The body is buffered (it is at most the cap) and replayed to the app."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[Scope], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes(scope)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        if declared is None and b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)  # no body to count
            return
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await _too_large(send, limit)
                return
            parts.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # later calls wait for the disconnect
            replayed = True
            return {"type": "http.request", "body": b"".join(parts), "more_body": False}

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        problem_body(413, f"request body over the {limit:,}-byte limit", "Payload too large")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def run_blocking(timeout: float, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run store/LLM work in a worker thread; past `timeout` the client gets a 504 at once
    (the thread is left to finish on its own: a Chroma or HTTP call cannot be interrupted)."""
    try:
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(
                partial(function, *args, **kwargs), abandon_on_cancel=True
            )
    except TimeoutError:
        raise OperationTimeout(f"no result within {timeout:g} s") from None
    except httpx.TransportError as exc:  # the Chroma server's client speaks httpx
        raise StoreUnavailable(f"the Chroma server cannot be reached: {exc}") from exc
