"""SCORM as University API resources: packages (manifest and import report), launches, attempts
with their CMI data, and a learner's result in a lesson; and the player's own documents."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any, Literal

from pydantic import Field

from scorm_player import runtime
from scorm_player.cmi import datatypes as dt
from university_local.core.db import Row, loads, raw_json
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.scorm.runtime_service import Launch, LessonResult, score_of
from university_local.scorm.service import content_url

ScormVersion = Literal["1.2", "2004"]


class ScormItem(Attributes):
    """One item of the default organization, in document order."""

    identifier: str
    title: str
    parent: str | None = Field(description="The parent item's identifier; null at the top level.")
    depth: int = Field(description="0 for top-level items.")
    is_leaf: bool
    resource_identifier: str | None
    scorm_type: Literal["sco", "asset"] | None
    launch: str | None = Field(description="Relative to the package root: the resource href (after xml:base) "
                                           "joined with the item's parameters.")
    mastery_score: float | None = Field(description="SCORM 1.2 adlcp:masteryscore (0-100).")
    data_from_lms: str | None = Field(description="adlcp:datafromlms / adlcp:dataFromLMS (cmi.launch_data).")
    max_time_allowed: str | None
    time_limit_action: str | None
    completion_threshold: float | None = Field(description="SCORM 2004 adlcp:completionThreshold (0-1).")
    scaled_passing_score: float | None = Field(description="SCORM 2004: the primary objective's "
                                                          "minNormalizedMeasure when satisfiedByMeasure.")
    objectives: list[str] = Field(description="Objective ids, primary first, that pre-fill cmi.objectives.n.id.")
    hidden_from_choice: bool = Field(description="isvisible=\"false\", or a hiddenFromChoice precondition rule.")
    prerequisites: str | None = Field(None, description="SCORM 1.2 adlcp:prerequisites (an AICC script of item "
                                                        "identifiers with & | ~ and parentheses).")
    choice: bool = Field(True, description="SCORM 2004: the parent's controlMode lets the table of contents choose "
                                           "this item (true when no controlMode is declared).")
    flow: bool = Field(True, description="SCORM 2004: the parent's controlMode lets continue/previous reach this "
                                         "item (true when no controlMode is declared).")


class ScormManifest(Attributes):
    scorm_version: ScormVersion
    edition: str | None = Field(description="SCORM 2004 edition ('2nd', '3rd', '4th'); null for 1.2 or unknown.")
    schemaversion: str
    title: str
    default_organization: str
    items: list[ScormItem]


class ExternalResource(Attributes):
    url: str
    referenced_from: str = Field(description="The package file (or imsmanifest.xml) that references it.")


class ScormReport(Attributes):
    """Offline readiness: what the package loads from outside itself (breaks at an air-gapped site)."""

    self_contained: bool
    external_resources: list[ExternalResource]
    warnings: list[str]


class ScormPackageAttributes(Attributes):
    course_id: str
    module_id: str
    lesson_id: str
    title: str
    scorm_version: ScormVersion
    edition: str | None
    package_version: int = Field(description="1, 2, ... per lesson; every version is kept.")
    current: bool = Field(description="Whether the lesson launches this version.")
    sha256: str = Field(description="Of the uploaded zip.")
    manifest: ScormManifest
    report: ScormReport
    file_count: int
    total_bytes: int = Field(description="Unpacked.")
    content_base_url: str = Field(description="Where the package's files are served (the launch paths are "
                                              "relative to it).")
    created_at: Timestamp


SCORM_PACKAGE = ResourceType("scorm_package", ScormPackageAttributes,
                             relationships={"course": "course", "module": "module", "lesson": "lesson"})


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


class ScormCommitResult(Attributes):
    session_id: str
    applied_through: int = Field(description="The highest commit number applied; the player forgets those.")
    terminated: bool
    completion_status: str
    success_status: str


class ScormCommitDocument(Attributes):
    data: ScormCommitResult


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
                                                "lesson's current one; null while the lesson has no package.")
    scorm_version: ScormVersion | None = Field(description="Null while the lesson has no package.")
    completed: bool = Field(description="Every SCO completed (or passed) and none failed: the lesson counts as "
                                        "completed in the learner's progress.")
    completed_at: Timestamp | None
    success_status: Literal["passed", "failed", "unknown"]
    score_percent: float | None = Field(description="The mean scaled score of the SCOs that report one, x 100.")
    total_time_seconds: float
    scos: list[ScormScoResult]


SCORM_RESULT = ResourceType("scorm_result", ScormResultAttributes, relationships={"lesson": "lesson", "user": "user"})


def package_resource(row: Row) -> dict[str, Any]:
    attributes = {
        "course_id": row["course_id"],
        "module_id": row["module_id"],
        "lesson_id": row["lesson_id"],
        "title": row["title"],
        "scorm_version": row["scorm_version"],
        "edition": row["edition"],
        "package_version": row["package_version"],
        "current": bool(row["is_current"]),
        "sha256": row["sha256"],
        "manifest": raw_json(row["manifest"]),
        "report": raw_json(row["report"]),
        "file_count": row["file_count"],
        "total_bytes": row["total_bytes"],
        "content_base_url": content_url(row["id"], ""),
        "created_at": row["created_at"],
    }
    return resource("scorm_package", row["id"], attributes, {
        "course": to_one("course", row["course_id"]),
        "module": to_one("module", row["module_id"]),
        "lesson": to_one("lesson", row["lesson_id"]),
    })


def launch_resource(launch: Launch) -> dict[str, Any]:
    return resource("scorm_launch", f"launch-{hashlib.sha256(launch.path.encode()).hexdigest()[:26]}",
                    asdict(launch), {"lesson": to_one("lesson", launch.lesson_id),
                                     "user": to_one("user", launch.user_id),
                                     "package": to_one("scorm_package", launch.package_id)})


def attempt_resource(row: Row, sessions: list[Row] | None = None) -> dict[str, Any]:
    """An attempt; with its sessions (the GET of one attempt), every CMI element too."""
    version = row["scorm_version"]
    values: dict[str, str] = loads(row["cmi"])
    status = runtime.status_of(version, values)
    detail = sessions is not None
    attributes = {
        "user_id": row["user_id"], "course_id": row["course_id"], "lesson_id": row["lesson_id"],
        "package_id": row["package_id"], "item_id": row["item_id"], "number": row["number"],
        "scorm_version": version, "completion_status": row["completion_status"],
        "success_status": row["success_status"], "lesson_status": status.lesson_status, "score": score_of(status),
        "progress_measure": status.progress_measure, "location": status.location,
        "total_time": dt.format_time_value(version, row["total_time"]), "total_time_seconds": row["total_time"] / 100,
        "exit": row["exit"], "suspended": bool(row["suspended"]), "completed": row["completed_at"] is not None,
        "completed_at": row["completed_at"], "started_at": row["started_at"], "updated_at": row["updated_at"],
        "ended_at": row["ended_at"], "cmi": dict(sorted(values.items(), key=_natural)) if detail else None,
        "sessions": [{
            "id": s["id"], "entry": s["entry"], "session_time": dt.format_time_value(version, s["session_time"]),
            "session_time_seconds": s["session_time"] / 100, "commits": s["commits"], "started_at": s["started_at"],
            "updated_at": s["updated_at"], "terminated_at": s["terminated_at"],
        } for s in sessions] if sessions is not None else None,
    }
    return resource("scorm_attempt", row["id"], attributes, {
        "user": to_one("user", row["user_id"]), "lesson": to_one("lesson", row["lesson_id"]),
        "package": to_one("scorm_package", row["package_id"]),
    })


def result_resource(result: LessonResult) -> dict[str, Any]:
    return resource("scorm_result", f"{result.lesson_id}:{result.user_id}", asdict(result),
                    {"lesson": to_one("lesson", result.lesson_id), "user": to_one("user", result.user_id)})


def _natural(item: tuple[str, str]) -> list[Any]:
    """cmi.interactions.2.id before cmi.interactions.10.id."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in item[0].split(".")]
