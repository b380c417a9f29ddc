"""The JSON document a course report answers with (CSV has the same rows and columns)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import Attributes, Timestamp


class ReportMeta(Attributes):
    course_id: str
    columns: list[str] = Field(description="Every row's keys, in order (README, Reports).")
    include: list[Literal["progress", "time_spent", "scores"]]
    generated_at: Timestamp


class ReportDocument(Attributes):
    """The report as `format=json` answers it (CSV has the same rows and columns)."""

    data: list[dict[str, str | int | float | bool | None]] = Field(
        description="One object per row: record_type `lesson` (a learner x a lesson) or `question` "
                    "(a learner's submitted attempt x a question), keyed by the columns of `meta.columns`.")
    meta: ReportMeta
