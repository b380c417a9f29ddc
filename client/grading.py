"""The grading queue and the classroom overview (API extensions of this server)."""

from __future__ import annotations

from typing import Any, Literal

from client.core import BaseClient
from client.types import Resource


class GradingCalls(BaseClient):
    def grading_queue(self, *, course_id: str | None = None, kind: Literal["essay", "submission"] | None = None,
                      user_id: str | None = None, page: int = 1,
                      per_page: int = 100) -> tuple[list[Resource], dict[str, Any]]:
        document = self.request("GET", "/grading-queue", params={
            "course_id": course_id, "kind": kind, "user_id": user_id, "page": page, "per_page": per_page}) or {}
        return list(document.get("data") or []), dict(document.get("meta") or {})

    def overview(self, *, stuck_days: int = 7, limit: int = 20) -> dict[str, Any]:
        return self._one("GET", "/analytics/overview", params={"stuck_days": stuck_days, "limit": limit})
