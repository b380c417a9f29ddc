"""The one source of "now", so tests and scheduled jobs can move time deliberately."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime]) -> None:
    """Replace the clock (tests and simulations)."""
    global _now
    _now = now


def to_iso(moment: datetime) -> str:
    """UTC ISO 8601 with millisecond precision and a `Z`, the storage and wire format."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # isoformat is C and pads the year to four digits; it cuts (not rounds) to milliseconds.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def now_iso() -> str:
    return to_iso(utcnow())
