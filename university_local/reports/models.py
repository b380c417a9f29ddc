"""The query of a course report: which format, which column groups."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from university_local.core.models import comma_choices

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
