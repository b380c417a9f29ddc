"""Periods as calendar days of the tenant's time zone: what "the last 30 days" means.

A period of N days is today and the N-1 days before it, in the tenant's zone; the previous
period is the N days before that. Rollups are keyed by local day (YYYY-MM-DD strings, which sort
as dates); records with a UTC timestamp are compared against the UTC instants the local days
begin at.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from university_local.analytics.models import PERIOD_DAYS
from university_local.core.clock import to_iso, utcnow
from university_local.core.db import Db
from university_local.tenancy.apps import time_zone


@dataclass(frozen=True)
class Window:
    """Local days `start`..`end` (inclusive); `start` is None for all time."""

    zone: ZoneInfo
    start: date | None
    end: date

    @property
    def days(self) -> int | None:
        return None if self.start is None else (self.end - self.start).days + 1

    def previous(self) -> Window | None:
        """The window of the same length just before this one; None for all time."""
        if self.start is None:
            return None
        return Window(self.zone, self.start - timedelta(days=self.days or 0), self.start - timedelta(days=1))

    def first_day(self) -> str | None:
        return None if self.start is None else self.start.isoformat()

    def last_day(self) -> str:
        return self.end.isoformat()

    def utc_start(self) -> str | None:
        """The UTC instant the window's first local day begins, as stored timestamps are written."""
        return None if self.start is None else local_midnight_utc(self.start, self.zone)

    def utc_end(self) -> str:
        """The UTC instant just after the window (the next local midnight)."""
        return local_midnight_utc(self.end + timedelta(days=1), self.zone)


def window(db: Db, period: str) -> Window:
    zone = time_zone(db.site, db.tenant.app_id)
    today = local_today(zone)
    days = PERIOD_DAYS[period]
    return Window(zone, None if days is None else today - timedelta(days=days - 1), today)


def local_today(zone: ZoneInfo) -> date:
    return utcnow().astimezone(zone).date()


def local_day(timestamp: str, zone: ZoneInfo) -> str:
    """The local calendar day (YYYY-MM-DD) of a stored UTC timestamp."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(zone).date().isoformat()


def local_midnight_utc(day: date, zone: ZoneInfo) -> str:
    return to_iso(datetime.combine(day, time(0), tzinfo=zone))


def days_between(first: str, last: str) -> list[str]:
    """Every local day from `first` to `last` inclusive."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def count_by_day(timestamps: Iterable[str], zone: ZoneInfo, first: str, last: str) -> Counter[str]:
    """How many of the stored UTC timestamps fall on each local day `first`..`last` (others are
    not counted). Exact across daylight-saving changes, and cheap: a timestamp is placed by
    comparing it, as the string it is stored as, with the UTC instants the days begin at."""
    days, starts = _day_starts(zone.key, first, last)
    counts: Counter[str] = Counter()
    for timestamp in timestamps:
        index = bisect_right(starts, timestamp) - 1
        if 0 <= index < len(days):
            counts[days[index]] += 1
    return counts


@lru_cache(maxsize=64)
def _day_starts(zone_key: str, first: str, last: str) -> tuple[list[str], list[str]]:
    """The days first..last, and the UTC instant each begins at, the day after last closing them."""
    zone = ZoneInfo(zone_key)
    days = days_between(first, last)
    after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    return days, [local_midnight_utc(date.fromisoformat(day), zone) for day in [*days, after]]
