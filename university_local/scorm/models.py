"""SCORM package models: the list query and the package resource (manifest and import report)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import Attributes, Timestamp
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

ScormVersion = Literal["1.2", "2004"]


class ScormPackageListQuery(PageQuery):
    course_id: str | None = Field(None, max_length=128)
    lesson_id: str | None = Field(None, max_length=128, description="Every version uploaded to this lesson.")


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
