"""Course ratings as University API resources."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType


class RatingAttributes(Attributes):
    course_id: str
    user_id: str
    rating: int = Field(ge=1, le=5)
    review: str | None = Field(description="Plain text, never HTML: escape it when showing it.")
    created_at: Timestamp
    updated_at: Timestamp = Field(description="When the learner last changed the rating or review.")


class RatingSummary(Attributes):
    """A course's ratings in figures: `meta.summary` of the list, and the analytics ratings block."""

    average: float | None = Field(description="Mean of the ratings, rounded half up to one decimal; "
                                              "null when there are none.")
    count: int
    distribution: dict[str, int] = Field(description='Ratings per star, keys "5" to "1", zeros included.')


RATING = ResourceType("course_rating", RatingAttributes, relationships={"course": "course", "user": "user"})


def rating_resource(row: Row) -> dict[str, Any]:
    return resource("course_rating", row["id"], {
        "course_id": row["course_id"],
        "user_id": row["user_id"],
        "rating": row["rating"],
        "review": row["review"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }, {"course": to_one("course", row["course_id"]), "user": to_one("user", row["user_id"])})
