"""The small types of the client: resources as dicts, results of a known shape, the values the API names."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

Resource: TypeAlias = dict[str, Any]
"""A JSON:API resource object: `id`, `type`, `attributes`, `relationships`."""


class Compound(TypedDict):
    """A resource with the related resources asked for with `include=`."""

    data: Resource
    included: NotRequired[list[Resource]]


class RosterImport(TypedDict):
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, Any]]


class BulkOutcome(TypedDict):
    user_id: str
    outcome: Literal["enrolled", "already_enrolled", "error"]
    enrollment_id: str | None
    error: dict[str, Any] | None


class BulkEnrollment(TypedDict):
    course_id: str
    enrolled_count: int
    results: list[BulkOutcome]


class Health(TypedDict):
    service: str
    status: str
    version: str
    timestamp: str


CourseStatus = Literal["draft", "published", "archived"]
CourseInclude = Literal["modules", "lessons", "instructor"]
ContentType = Literal["video", "text", "document", "embed", "quiz", "assignment", "scorm"]
Role = Literal["learner", "instructor", "admin"]
EnrollmentStatus = Literal["active", "completed", "expired", "cancelled"]
ShowAnswers = Literal["never", "after_submission", "after_passing", "after_due"]
SubmissionStatus = Literal["submitted", "graded"]
GradingKind = Literal["essay", "submission"]
CertificateStatus = Literal["valid", "revoked"]
Period = Literal["7d", "30d", "90d", "1y", "all"]
CourseMetric = Literal["enrollments", "completions", "engagement", "ratings"]
LeaderboardScope = Literal["course", "path", "global"]
LeaderboardMetric = Literal["progress", "score", "time", "streak"]
ReportFormat = Literal["csv", "json"]
ReportGroup = Literal["progress", "scores", "time_spent"]
