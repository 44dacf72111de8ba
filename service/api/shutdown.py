"""Graceful shutdown. After SIGTERM (or Ctrl+C) uvicorn takes no new connections and lets
in-flight requests finish for NEWSQA_SHUTDOWN_TIMEOUT_SECONDS, then cancels them. A stream
still waiting for its answer a second before that ends with a final `error` event instead of
being cut off mid-response."""

import asyncio
import signal
import threading
from collections.abc import Awaitable
from types import FrameType
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from service.api.problems import problem_body

T = TypeVar("T")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Kept back from the shutdown timeout to send a stream's final event before uvicorn cancels it.
FINAL_EVENT_SECONDS = 1.0
STOPPED = problem_body(
    503, "the server is shutting down and this answer was not ready in time; ask again",
    "Shutting down",
)  # fmt: skip


class Stopping:
    """Learns when the server begins to stop, and bounds waits by the grace left then."""

    _loop: asyncio.AbstractEventLoop  # set by watch(), before any handler can run

    def __init__(self, timeout: float) -> None:
        self.grace = max(0.0, timeout - FINAL_EVENT_SECONDS)
        self.deadline: float | None = None
        self._waits: set[anyio.CancelScope] = set()
        self._previous: dict[int, Any] = {}

    def watch(self) -> None:
        """Run before the server's own handlers of the stop signals. Uvicorn tells an app
        nothing when it begins to stop: the lifespan shutdown comes after the requests end.
        Only in the main thread (where signals are handled), over handlers the server set."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            previous = signal.getsignal(number)
            if callable(previous):
                self._previous[number] = previous
                signal.signal(number, self._handle)

    def unwatch(self) -> None:
        for number, previous in self._previous.items():
            if signal.getsignal(number) == self._handle:
                signal.signal(number, previous)
        self._previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self._loop.call_soon_threadsafe(self._begin)
        self._previous[number](number, frame)

    def _begin(self) -> None:
        if self.deadline is None:
            # The loop's clock, which anyio's is on asyncio: anyio reads it only inside a task.
            self.deadline = self._loop.time() + self.grace
            for scope in self._waits:
                scope.deadline = self.deadline

    async def within_grace(self, work: Awaitable[T]) -> T | None:
        """The result of `work`, or None when the server began to stop and the grace ran out
        first. Work that fails raises as it would without this."""
        with anyio.CancelScope(deadline=self.deadline or float("inf")) as scope:
            self._waits.add(scope)
            try:
                return await work
            finally:
                self._waits.discard(scope)
        return None


def get_stopping(request: Request) -> Stopping:
    stopping: Stopping = request.app.state.stopping
    return stopping


StoppingDep = Annotated[Stopping, Depends(get_stopping)]
