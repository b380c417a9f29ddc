"""Analytics queries (the spec's Analytics API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from university_local.core.models import comma_choices

Period = Literal["7d", "30d", "90d", "1y", "all"]
PERIOD_DAYS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "1y": 365, "all": None}
COURSE_METRICS = ("enrollments", "completions", "engagement", "ratings")
LeaderboardMetric = Literal["progress", "score", "time", "streak"]


class CourseAnalyticsQuery(BaseModel):
    period: Period = Field("30d", description="The last 7, 30 or 90 days, the last year, or all time.")
    metrics: str = Field(",".join(COURSE_METRICS), max_length=200,
                         description="Comma-separated: enrollments, completions, engagement, ratings.")

    @field_validator("metrics")
    @classmethod
    def _known(cls, value: str) -> str:
        return comma_choices(value, COURSE_METRICS, "metrics")

    @property
    def metric_names(self) -> list[str]:
        return self.metrics.split(",")


class UserAnalyticsQuery(BaseModel):
    period: Period = Field("30d", description="How many days of learning_activity to list.")


class LeaderboardQuery(BaseModel):
    scope: Literal["course", "path", "global"] = "global"
    course_id: str | None = Field(None, max_length=128, description="Required when scope is course.")
    path_id: str | None = Field(None, max_length=128, description="Required when scope is path.")
    metric: LeaderboardMetric = "progress"
    limit: int = Field(10, ge=1, le=100, description="Number of entries (at most 100).")
