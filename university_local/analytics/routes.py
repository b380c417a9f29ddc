"""Analytics endpoints: an instructor's view of a course, a learner's summary, leaderboards.

Each first folds any activity not yet in the rollups (usually none: the scheduler keeps up), so
figures include the write made a moment before.
"""

from __future__ import annotations

from typing import Any

from university_local.analytics import course, leaderboard, learners, rollups
from university_local.analytics.models import (
    CourseAnalyticsDocument,
    CourseAnalyticsQuery,
    LeaderboardDocument,
    LeaderboardQuery,
    UserAnalyticsDocument,
    UserAnalyticsQuery,
)
from university_local.core.routing import Request, Router, plain

router = Router("analytics", rate="analytics")


@router.get("/analytics/courses/<course_id>", summary="A course's enrollments, completions, engagement and ratings",
            query=CourseAnalyticsQuery, returns=plain(CourseAnalyticsDocument), access="secret")
def course_analytics(req: Request, course_id: str) -> dict[str, Any]:
    rollups.catch_up(req.store)
    return {"data": course.course_analytics(req.store, req.tenant, course_id, req.query)}


@router.get("/analytics/users/<user_id>", summary="A learner's summary, daily activity, strengths and recommendations",
            query=UserAnalyticsQuery, returns=plain(UserAnalyticsDocument))
def user_analytics(req: Request, user_id: str) -> dict[str, Any]:
    rollups.catch_up(req.store)
    return {"data": learners.user_analytics(req.store, req.tenant, user_id, req.query,
                                            published_only=req.published_only)}


@router.get("/analytics/leaderboard", summary="Learners ranked by progress, score, time or streak",
            query=LeaderboardQuery, returns=plain(LeaderboardDocument))
def get_leaderboard(req: Request) -> dict[str, Any]:
    rollups.catch_up(req.store)
    return {"data": leaderboard.leaderboard(req.store, req.tenant, req.query, published_only=req.published_only)}
