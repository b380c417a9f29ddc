"""SCORM run-time models: the launch request, the player's session and commit bodies, and the
attempt and result resources instructors read."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from university_local.core.models import (
    ApiModel,
    Attributes,
    ContentUrl,
    Timestamp,
    envelope,
)
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

ScormVersion = Literal["1.2", "2004"]
Ref = Field(min_length=1, max_length=128)
DEFAULT_EXPIRY = 4 * 3600
MAX_EXPIRY = 7 * 24 * 3600
MAX_ELEMENT_CHARS = 4_300  # the longest data model element name: an index path or a navigation target
MAX_VALUE_CHARS = 64_000  # cmi.suspend_data and adl.data.n.store, the largest values of either version
Element = Annotated[str, Field(max_length=MAX_ELEMENT_CHARS)]
Value = Annotated[str, Field(max_length=MAX_VALUE_CHARS)]


# -- launch ------------------------------------------------------------------------------------


class ScormLaunchCreate(ApiModel):
    lesson_id: str = Ref
    user_id: str = Ref
    item_id: str | None = Field(None, min_length=1, max_length=4000,
                                description="The item (SCO) to start with; default: where the learner left off.")
    expires_in_seconds: int = Field(DEFAULT_EXPIRY, ge=60, le=MAX_EXPIRY,
                                    description="The URL must be opened within this time. An open player keeps "
                                                "working (and keeps saving) after it.")
    return_url: ContentUrl | None = Field(None, description="Where the player's Exit button takes the learner.")


ScormLaunchCreateBody = envelope("scorm_launch", ScormLaunchCreate, name="ScormLaunchCreateBody")


class ScormLaunchAttributes(Attributes):
    url: str = Field(description="The signed player URL to open in a browser (absolute, from the server's "
                                 "public URL).")
    path: str = Field(description="The same URL as a path on this server.")
    expires_at: Timestamp
    lesson_id: str
    user_id: str
    course_id: str
    package_id: str
    item_id: str | None
    scorm_version: ScormVersion


SCORM_LAUNCH = ResourceType("scorm_launch", ScormLaunchAttributes,
                            relationships={"lesson": "lesson", "user": "user", "package": "scorm_package"})


# -- the player's calls (authenticated by the launch token) ---------------------------------------


class ScormSessionOpen(ApiModel):
    item_id: str = Field(min_length=1, max_length=4000)


class ScormSessionAttributes(Attributes):
    session_id: str
    attempt_id: str
    item_id: str
    scorm_version: ScormVersion
    entry: Literal["ab-initio", "resume"]
    asset: bool = Field(description="An asset (no API): launched and counted as visited, nothing to commit.")
    launch_url: str
    commit_url: str
    values: dict[str, str] = Field(description="The CMI data the SCO starts with, element by element.")
    navigation: dict[str, object]


class ScormSessionDocument(Attributes):
    data: ScormSessionAttributes



class ScormCommit(ApiModel):
    seq: int = Field(ge=1, le=1_000_000_000, description="Numbered from 1 in each session; a number already "
                                                          "applied is skipped, so retries are safe.")
    ops: list[tuple[Element, Value]] = Field(default_factory=list, max_length=10_000,
                                       description="The SCO's SetValue calls, in order: [element, value].")
    terminate: bool = Field(False, description="The SCO called Terminate / LMSFinish after these calls.")


class ScormCommitBatch(ApiModel):
    commits: list[ScormCommit] = Field(min_length=1, max_length=500)


class ScormCommitResult(Attributes):
    session_id: str
    applied_through: int = Field(description="The highest commit number applied; the player forgets those.")
    terminated: bool
    completion_status: str
    success_status: str


class ScormCommitDocument(Attributes):
    data: ScormCommitResult


# -- instructors' view -------------------------------------------------------------------------------


class ScormAttemptListQuery(PageQuery):
    lesson_id: str | None = Field(None, max_length=128)
    user_id: str | None = Field(None, max_length=128)
    item_id: str | None = Field(None, max_length=1000)


class ScormScore(Attributes):
    scaled: float | None = Field(description="-1 to 1 (SCORM 1.2: raw within min..max, 0..100 by default).")
    raw: float | None
    min: float | None
    max: float | None


class ScormSessionSummary(Attributes):
    id: str
    entry: str
    session_time: str
    session_time_seconds: float
    commits: int
    started_at: Timestamp
    updated_at: Timestamp
    terminated_at: Timestamp | None


class ScormAttemptAttributes(Attributes):
    user_id: str
    course_id: str
    lesson_id: str
    package_id: str
    item_id: str
    number: int = Field(description="1, 2, ... per learner, lesson and item.")
    scorm_version: ScormVersion
    completion_status: str
    success_status: str
    lesson_status: str | None = Field(description="SCORM 1.2's cmi.core.lesson_status.")
    score: ScormScore
    progress_measure: float | None
    location: str | None
    total_time: str = Field(description="As the SCO reads cmi.total_time (1.2: HHHH:MM:SS.SS; 2004: ISO 8601).")
    total_time_seconds: float
    exit: str | None
    suspended: bool
    completed: bool
    completed_at: Timestamp | None
    started_at: Timestamp
    updated_at: Timestamp
    ended_at: Timestamp | None = Field(description="Set when the SCO ended the attempt (not suspended); the "
                                                   "next launch starts a new one.")
    cmi: dict[str, str] | None = Field(description="Every CMI element's value (GET of one attempt only).")
    sessions: list[ScormSessionSummary] | None = Field(description="The attempt's sessions (GET of one attempt only).")


SCORM_ATTEMPT = ResourceType("scorm_attempt", ScormAttemptAttributes,
                             relationships={"user": "user", "lesson": "lesson", "package": "scorm_package"})


class ScormScoResult(Attributes):
    item_id: str
    title: str
    scorm_type: Literal["sco", "asset"] | None
    attempts: int
    completed: bool
    completion_status: str
    success_status: str
    score: ScormScore
    total_time_seconds: float
    last_attempt_id: str | None


class ScormResultAttributes(Attributes):
    lesson_id: str
    user_id: str
    course_id: str
    package_id: str | None = Field(description="The package version of the learner's latest attempt, else the "
                                                "lesson's current one.")
    scorm_version: ScormVersion
    completed: bool = Field(description="Every SCO completed (or passed) and none failed: the lesson counts as "
                                        "completed in the learner's progress.")
    completed_at: Timestamp | None
    success_status: Literal["passed", "failed", "unknown"]
    score_percent: float | None = Field(description="The mean scaled score of the SCOs that report one, x 100.")
    total_time_seconds: float
    scos: list[ScormScoResult]


SCORM_RESULT = ResourceType("scorm_result", ScormResultAttributes, relationships={"lesson": "lesson", "user": "user"})
