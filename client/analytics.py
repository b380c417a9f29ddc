"""Analytics figures and course reports."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from client.core import BaseClient, comma_list
from client.types import (
    CourseMetric,
    LeaderboardMetric,
    LeaderboardScope,
    Period,
    ReportFormat,
    ReportGroup,
)


class AnalyticsCalls(BaseClient):
    def course_analytics(self, course_id: str, *, period: Period | None = None,
                         metrics: Iterable[CourseMetric] | None = None) -> dict[str, Any]:
        """A course's enrollments, completions, engagement and ratings, with a daily timeline."""
        return self._one("GET", f"/analytics/courses/{course_id}",
                         params={"period": period, "metrics": comma_list(metrics)})

    def user_analytics(self, user_id: str, *, period: Period | None = None) -> dict[str, Any]:
        """A learner's summary, active days, strengths and recommendations."""
        return self._one("GET", f"/analytics/users/{user_id}", params={"period": period})

    def leaderboard(self, *, scope: LeaderboardScope | None = None, course_id: str | None = None,
                    path_id: str | None = None, metric: LeaderboardMetric | None = None,
                    limit: int | None = None) -> dict[str, Any]:
        """Learners ranked in a course, a path or globally (`entries`: rank, user_id, value)."""
        return self._one("GET", "/analytics/leaderboard", params={
            "scope": scope, "course_id": course_id, "path_id": path_id, "metric": metric, "limit": limit})

    def course_report(self, course_id: str, *, format: ReportFormat = "csv",
                      include: Iterable[ReportGroup] | None = None) -> bytes:
        """A course's report file as the server sends it: CSV (UTF-8, RFC 4180) or JSON bytes,
        one row per enrollment per lesson (and with `scores`, per question of each attempt)."""
        return self.download(f"/reports/courses/{course_id}", format=format, include=comma_list(include))

    def save_course_report(self, course_id: str, target: str | os.PathLike[str], *, format: ReportFormat = "csv",
                           include: Iterable[ReportGroup] | None = None,
                           progress: Callable[[int], None] | None = None) -> int:
        """Stream a course's report into a file, as the server sends it, and return its size.

        `progress` is called with the bytes written so far after each chunk (the report is streamed,
        so its length is not known before the end). The file is written next to `target` and renamed
        into place once whole: a failed download never leaves half a report under that name."""
        target = Path(target)
        written = 0
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out, self.stream(
                    "GET", f"/reports/courses/{course_id}",
                    params={"format": format, "include": comma_list(include)}) as response:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(written)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return written
