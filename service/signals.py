"""SIGTERM and Ctrl+C for the command line. Python's default SIGTERM ends the process without
running `finally` blocks, leaving the writer lock's pid behind, so the next writer checks the
store as after a crash. Here both raise Terminated instead, so the lock is released; and while
an ingest writes, they only stop it at its next check, between groups, never inside a write."""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Terminated(BaseException):
    """A stop signal arrived. A BaseException, like KeyboardInterrupt, so that `except
    Exception` blocks let it through."""

    def __init__(self, number: int, note: str = "") -> None:
        super().__init__(f"stopped by {signal.Signals(number).name}{note}")
        self.number = number

    @property
    def exit_code(self) -> int:
        return 128 + self.number  # what a shell shows for a process the signal ended


class StopSignals:
    """While entered, a stop signal raises Terminated (with `note` in its message) at once, or
    inside `deferred()` at the next `check()`."""

    def __init__(self, note: str = "") -> None:
        self.note = note
        self.received: int | None = None
        self.deferring = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopSignals":
        for number in STOP_SIGNALS:
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.received = number
        if not self.deferring:
            raise Terminated(number, self.note)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False

    def check(self) -> None:
        if self.received is not None:
            raise Terminated(self.received, self.note)
