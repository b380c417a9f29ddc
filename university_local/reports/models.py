"""The query of a course report (which format, which column groups) and the JSON document it answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from university_local.core.models import Attributes, Timestamp, comma_choices

# Column groups in the order their columns appear, whatever order `include` names them in.
GROUPS = ("progress", "time_spent", "scores")
ReportFormat = Literal["csv", "json"]


class ReportQuery(BaseModel):
    format: ReportFormat = Field("csv", description="csv (text/csv) or json (application/json).")
    include: str = Field("progress,scores,time_spent", max_length=200,
                         description="Comma-separated column groups: progress, scores, time_spent. "
                                     "`scores` also adds one row per question of each submitted quiz attempt.")

    @field_validator("include")
    @classmethod
    def _known(cls, value: str) -> str:
        return comma_choices(value, GROUPS, "include")

    @property
    def groups(self) -> tuple[str, ...]:
        """The included groups, in column order."""
        return tuple(self.include.split(","))


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
