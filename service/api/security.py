"""Bearer keys (NEWSQA_API_KEYS, compared in constant time), a per-key rate limit, and a limit
on wrong keys per client address, so keys cannot be guessed at full speed."""

import hashlib
import hmac
import math
import threading
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.deps import ServicesDep

bearer = HTTPBearer(
    auto_error=False,
    description="A key from NEWSQA_API_KEYS; needed only when that variable is set.",
)


class RateLimiter:
    """A token bucket per caller: `per_minute` requests of burst, refilled evenly; 0 = no limit."""

    MAX_CALLERS = 10_000

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, caller: str) -> float | None:
        """Take a token for `caller`; None if granted, else the seconds until one is free."""
        return self._spend(caller, 1.0)

    def waiting(self, caller: str) -> float | None:
        """The seconds until `caller` has a token, None if it has one now; takes nothing."""
        return self._spend(caller, 0.0)

    def _spend(self, caller: str, cost: float) -> float | None:
        if self.capacity <= 0:
            return None
        now = time.monotonic()
        with self.lock:
            tokens = self._tokens(caller, now)
            granted = tokens >= 1.0
            self.buckets[caller] = (tokens - cost if granted else tokens, now)
            if len(self.buckets) > self.MAX_CALLERS:  # forget full buckets: they are defaults
                self.buckets = {
                    key: value
                    for key, value in self.buckets.items()
                    if self._tokens(key, now) < self.capacity
                }
            return None if granted else (1.0 - tokens) / self.refill_per_second

    def _tokens(self, caller: str, now: float) -> float:
        tokens, updated = self.buckets.get(caller, (self.capacity, now))
        return min(self.capacity, tokens + (now - updated) * self.refill_per_second)


def _too_many(detail: str, wait: float) -> HTTPException:
    return HTTPException(429, detail, headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _unauthorized() -> HTTPException:
    return HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})


def caller_identity(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Who is calling: a digest of the key when keys are configured, else the client address."""
    keys = services.settings.api_keys
    address = request.client.host if request.client else "unknown"
    if not keys:
        return f"client:{address}"
    if credentials is None:  # no key offered: nothing guessed, nothing counted
        raise _unauthorized()
    # An address over its wrong-key allowance gets 429 even with a good key: answering a good
    # key there would let guessing go on at full speed, 429 meaning a miss.
    failures: RateLimiter = request.app.state.auth_failures
    wait = failures.waiting(address)
    if wait is not None:
        raise _too_many(
            f"{int(failures.capacity)} wrong API keys a minute from this address reached "
            "(NEWSQA_AUTH_FAILURES_PER_MINUTE)",
            wait,
        )
    given = credentials.credentials.encode()
    # Compare against every key, without stopping early, so timing tells nothing.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    if not matched:
        failures.retry_after(address)
        raise _unauthorized()
    return f"key:{hashlib.sha256(given).hexdigest()[:16]}"


def guard(request: Request, caller: Annotated[str, Depends(caller_identity)]) -> None:
    """Every /v1 route: the key must be valid and within its rate."""
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.retry_after(caller)
    if wait is not None:
        raise _too_many(
            f"rate limit of {int(limiter.capacity)} requests a minute reached; set "
            "NEWSQA_RATE_LIMIT_PER_MINUTE=0 to lift it, or a higher number",
            wait,
        )
