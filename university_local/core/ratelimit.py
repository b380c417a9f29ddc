"""Per-key, per-endpoint-class request limits (the spec's Rate Limits table).

A fixed one-minute window per (API key, class), held in memory: limits protect the classroom
machine from a runaway client, they are not an accounting record, so a restart may reset them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from university_local.core.errors import ApiError

WINDOW_SECONDS = 60

# Requests per minute, from the spec's table. "catalogue" is course, module and lesson CRUD.
DEFAULT_LIMITS: dict[str, int] = {
    "catalogue": 100,
    "enrollments": 200,
    "progress": 500,
    "quizzes": 50,
    "analytics": 30,
    "certificates": 20,
}


def parse_limits(spec: str) -> dict[str, int] | None:
    """`off` disables limits; `class=N,...` overrides classes; empty keeps the defaults."""
    spec = spec.strip()
    if spec.lower() in {"off", "0", "false", "none"}:
        return None
    limits = dict(DEFAULT_LIMITS)
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        if name not in DEFAULT_LIMITS or not value.isdigit() or int(value) < 1:
            raise ValueError(f"bad rate limit {part!r}: use class=N with class one of {sorted(DEFAULT_LIMITS)}")
        limits[name] = int(value)
    return limits


@dataclass
class _Window:
    start: float
    count: int


class RateLimiter:
    def __init__(self, limits: dict[str, int] | None, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, endpoint_class: str) -> dict[str, str]:
        """Count one request; return the rate-limit headers, or raise 429 when over the limit."""
        if self.limits is None:
            return {}
        limit = self.limits[endpoint_class]
        now = self._clock()
        with self._lock:
            window = self._windows.get((key_id, endpoint_class))
            if window is None or now - window.start >= WINDOW_SECONDS:
                if len(self._windows) > 10_000:
                    self._forget_old(now)
                window = self._windows[(key_id, endpoint_class)] = _Window(now, 0)
            window.count += 1
            count = window.count
            reset_at = window.start + WINDOW_SECONDS
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - count, 0)),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        if count > limit:
            retry_after = max(1, math.ceil(reset_at - now))
            raise ApiError(
                429, "rate_limit_exceeded",
                f"More than {limit} {endpoint_class} requests a minute for this API key; "
                f"retry in {retry_after} s.",
                headers={**headers, "Retry-After": str(retry_after)},
            )
        return headers

    def _forget_old(self, now: float) -> None:
        stale = [k for k, w in self._windows.items() if now - w.start >= WINDOW_SECONDS]
        for key in stale:
            del self._windows[key]
