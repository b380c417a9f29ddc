"""SCORM request models: uploads and lists of packages, launches, and the player's sessions and
commits (authenticated by the launch token)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from university_local.core.models import ApiModel, ContentUrl, envelope
from university_local.core.pagination import PageQuery


class ScormPackageListQuery(PageQuery):
    course_id: str | None = Field(None, max_length=128)
    lesson_id: str | None = Field(None, max_length=128, description="Every version uploaded to this lesson.")


Ref = Field(min_length=1, max_length=128)


DEFAULT_EXPIRY = 4 * 3600


MAX_EXPIRY = 7 * 24 * 3600


MAX_ELEMENT_CHARS = 4_300  # the longest data model element name: an index path or a navigation target


MAX_VALUE_CHARS = 64_000  # cmi.suspend_data and adl.data.n.store, the largest values of either version


Element = Annotated[str, Field(max_length=MAX_ELEMENT_CHARS)]


Value = Annotated[str, Field(max_length=MAX_VALUE_CHARS)]


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


class ScormSessionOpen(ApiModel):
    item_id: str = Field(min_length=1, max_length=4000)


class ScormCommit(ApiModel):
    seq: int = Field(ge=1, le=1_000_000_000, description="Numbered from 1 in each session; a number already "
                                                          "applied is skipped, so retries are safe.")
    ops: list[tuple[Element, Value]] = Field(default_factory=list, max_length=10_000,
                                       description="The SCO's SetValue calls, in order: [element, value].")
    terminate: bool = Field(False, description="The SCO called Terminate / LMSFinish after these calls.")


class ScormCommitBatch(ApiModel):
    commits: list[ScormCommit] = Field(min_length=1, max_length=500)


class ScormAttemptListQuery(PageQuery):
    lesson_id: str | None = Field(None, max_length=128)
    user_id: str | None = Field(None, max_length=128)
    item_id: str | None = Field(None, max_length=1000)
