"""The one source of "now", so tests and scheduled jobs can move time deliberately."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime]) -> None:
    """Replace the clock (tests and simulations)."""
    global _now
    _now = now


def to_iso(moment: datetime) -> str:
    """UTC ISO 8601 with millisecond precision and a `Z`, the storage and wire format."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return to_iso(utcnow())
