"""Progress request models.

`time_spent_seconds` is the learner's *total* time on the lesson as the client has measured
it, and `position` where they are. The server keeps the largest total and the furthest position
it has been sent, so a retried or duplicated request, or one arriving late from a device that
was offline, never counts time twice and never moves a learner backwards.
"""

from __future__ import annotations

from pydantic import Field

from university_local.core.models import ApiModel

UserRef = Field(min_length=1, max_length=128)
Seconds = Field(None, ge=0, le=10_000_000, description="Total seconds on this lesson so far (not an increment).")
PositionField = Field(None, ge=0, le=100_000_000, description="Where the learner is: seconds into a video, "
                                                               "or percent scrolled.")


class ProgressReport(ApiModel):
    """The body of both `complete` and `progress`: who, where, and their total time so far."""

    user_id: str = UserRef
    position: int | None = PositionField
    time_spent_seconds: int | None = Seconds
