"""The instructor's desk: the grading queue and the dashboard overview (secret keys)."""

from __future__ import annotations

from typing import Any

from client.core import BaseClient
from client.types import GradingKind, Resource


class GradingCalls(BaseClient):
    def grading_queue(self, *, course_id: str | None = None, kind: GradingKind | None = None,
                      user_id: str | None = None, page: int = 1,
                      per_page: int = 100) -> tuple[list[Resource], dict[str, Any]]:
        """One page of the work waiting for a grade, oldest first: `grading_item`s (essay answers,
        current submissions) and the meta (`total`, `page`, `per_page`, `counts` by kind). Each item
        names what to fetch for its content: `attempt_id` + `question_index`, or `submission_id`."""
        document = self.request("GET", "/grading-queue", params={
            "course_id": course_id, "kind": kind, "user_id": user_id, "page": page, "per_page": per_page}) or {}
        return list(document.get("data") or []), dict(document.get("meta") or {})

    def overview(self, *, stuck_days: int = 7, limit: int = 20) -> dict[str, Any]:
        """Today's activity, the work waiting for a grade and the learners who are stuck."""
        return self._one("GET", "/analytics/overview", params={"stuck_days": stuck_days, "limit": limit})
