"""Bearer keys (NEWSQA_API_KEYS, compared in constant time) and a per-key rate limit."""

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
    """A token bucket per caller: `per_minute` requests of burst, refilled evenly."""

    MAX_CALLERS = 10_000

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, caller: str) -> float | None:
        """Take a token for `caller`; None if granted, else the seconds until one is free."""
        if self.capacity <= 0:
            return None
        now = time.monotonic()
        with self.lock:
            tokens, updated = self.buckets.get(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.refill_per_second)
            if tokens >= 1.0:
                self.buckets[caller] = (tokens - 1.0, now)
                return None
            self.buckets[caller] = (tokens, now)
            if len(self.buckets) > self.MAX_CALLERS:  # forget full buckets: they are defaults
                self.buckets = {
                    key: value for key, value in self.buckets.items() if value[0] < self.capacity
                }
            return (1.0 - tokens) / self.refill_per_second


def caller_identity(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Who is calling: a digest of the key when keys are configured, else the client address."""
    keys = services.settings.api_keys
    if not keys:
        return f"client:{request.client.host if request.client else 'unknown'}"
    given = (credentials.credentials if credentials else "").encode()
    # Compare against every key, without stopping early, so timing tells nothing.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    if not matched:
        raise HTTPException(
            401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return f"key:{hashlib.sha256(given).hexdigest()[:16]}"


def guard(request: Request, caller: Annotated[str, Depends(caller_identity)]) -> None:
    """Every /v1 route: the key must be valid and within its rate."""
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.retry_after(caller)
    if wait is not None:
        raise HTTPException(
            429,
            f"rate limit of {int(limiter.capacity)} requests a minute reached",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
