"""Single-writer guard for the embedded store: an exclusive, non-blocking file lock.

flock is released by the kernel when the holder dies, so a crashed writer never leaves the
store locked. The holder's pid stays in the file until it releases the lock: finding one there
on acquiring means the last writer stopped without releasing (killed, crashed).
"""

import fcntl
import os
from pathlib import Path
from typing import IO

from service.errors import StoreLockedError

LOCK_FILE_NAME = ".newsqa-writer.lock"


class WriterLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE_NAME
        self._handle: IO[str] | None = None
        self.previous_holder_died = False

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held while locked
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreLockedError(
                f"the embedded store at {self.path.parent} is in use by another process "
                f"(pid {holder}); stop it first, or share a Chroma server (NEWSQA_CHROMA_URL) "
                "between processes"
            ) from None
        handle.seek(0)
        self.previous_holder_died = bool(handle.read().strip())
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self, clean: bool = True) -> None:
        """`clean=False` keeps this pid in the file: the next holder then checks the store, as
        after a crash."""
        if self._handle is not None:
            if clean:
                self._handle.seek(0)
                self._handle.truncate()
                self._handle.flush()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
