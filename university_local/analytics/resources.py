"""The documents analytics answer with (the spec's Analytics API): the figures the services
compute, described for the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.analytics.models import LeaderboardMetric, Period
from university_local.core.models import Attributes

# -- course analytics ----------------------------------------------------------------------


class EnrollmentFigures(Attributes):
    total: int
    new: int
    trend: float | None = Field(description="Percent change of `new` against the previous period of the same "
                                            "length; null for `all` or when the previous period had none.")


class CompletionFigures(Attributes):
    total: int
    rate: float
    average_days_to_complete: float | None


class DropOffLesson(Attributes):
    lesson_id: str
    title: str
    drop_rate: float
    learners_dropped: int
    learners_started: int


class EngagementFigures(Attributes):
    active_learners: int
    average_time_per_session_minutes: float
    lessons_completed_per_day: float
    sessions: int
    drop_off_lessons: list[DropOffLesson]


class RatingFigures(Attributes):
    average: float | None
    count: int
    distribution: dict[str, int]


class CourseMetrics(Attributes):
    enrollments: EnrollmentFigures | None = None
    completions: CompletionFigures | None = None
    engagement: EngagementFigures | None = None
    ratings: RatingFigures | None = None


class TimelineDay(Attributes):
    date: str
    enrollments: int
    completions: int
    active_learners: int
    lessons_completed: int


class CourseAnalytics(Attributes):
    course_id: str
    period: Period
    time_zone: str
    from_date: str | None
    to_date: str
    metrics: CourseMetrics
    timeline: list[TimelineDay]


class CourseAnalyticsDocument(Attributes):
    data: CourseAnalytics


# -- user analytics ------------------------------------------------------------------------


class UserSummary(Attributes):
    courses_enrolled: int
    courses_completed: int
    total_time_hours: float
    certificates_earned: int
    average_score: float | None
    current_streak_days: int


class ActivityDay(Attributes):
    date: str
    time_minutes: float
    lessons_completed: int


class Recommendation(Attributes):
    course_id: str
    title: str
    reason: str


class UserAnalytics(Attributes):
    user_id: str
    time_zone: str
    summary: UserSummary
    learning_activity: list[ActivityDay]
    strengths: list[str]
    recommendations: list[Recommendation]


class UserAnalyticsDocument(Attributes):
    data: UserAnalytics


# -- leaderboard ---------------------------------------------------------------------------


class LeaderboardEntry(Attributes):
    rank: int
    user_id: str
    display_name: str | None
    value: float


class Leaderboard(Attributes):
    scope: Literal["course", "path", "global"]
    course_id: str | None
    path_id: str | None
    metric: LeaderboardMetric
    unit: str
    entries: list[LeaderboardEntry]


class LeaderboardDocument(Attributes):
    data: Leaderboard
