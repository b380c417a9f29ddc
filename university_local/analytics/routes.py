"""Analytics endpoints: an instructor's view of a course, a learner's summary, leaderboards."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from university_local.analytics import course, leaderboard, learners
from university_local.analytics.models import CourseAnalyticsQuery, LeaderboardQuery, UserAnalyticsQuery
from university_local.analytics.resources import CourseAnalyticsDocument, LeaderboardDocument, UserAnalyticsDocument
from university_local.core.routing import Request, Router, plain

router = Router("analytics", rate="analytics")


@router.get("/analytics/courses/<course_id>", summary="A course's enrollments, completions, engagement and ratings",
            query=CourseAnalyticsQuery, returns=plain(CourseAnalyticsDocument), access="secret")
def course_analytics(req: Request, course_id: str) -> dict[str, Any]:
    return {"data": asdict(course.course_analytics(req.db, course_id, req.query))}


@router.get("/analytics/users/<user_id>", summary="A learner's summary, daily activity, strengths and recommendations",
            query=UserAnalyticsQuery, returns=plain(UserAnalyticsDocument))
def user_analytics(req: Request, user_id: str) -> dict[str, Any]:
    return {"data": asdict(learners.user_analytics(req.db, user_id, req.query))}


@router.get("/analytics/leaderboard", summary="Learners ranked by progress, score, time or streak",
            query=LeaderboardQuery, returns=plain(LeaderboardDocument))
def get_leaderboard(req: Request) -> dict[str, Any]:
    return {"data": asdict(leaderboard.leaderboard(req.db, req.query))}
