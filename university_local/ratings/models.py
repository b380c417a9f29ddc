"""Course rating request models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from university_local.core.models import ApiModel, envelope
from university_local.core.pagination import PageQuery

MAX_REVIEW_CHARS = 2000

Stars = Annotated[int, Field(ge=1, le=5, description="1 (poor) to 5 (excellent), a whole number.")]


class RatingCreate(ApiModel):
    """Rate a course, or change one's rating of it (the same request again)."""

    user_id: str = Field(min_length=1, max_length=128,
                         description="The learner rating; they need an enrollment in the course that is "
                                     "not cancelled. With a publishable key, the learner it acts for.")
    rating: Stars
    review: str | None = Field(
        None, max_length=MAX_REVIEW_CHARS,
        description=f"Optional plain text, at most {MAX_REVIEW_CHARS} characters. Any HTML is removed (tags "
                    "and their markup; the text between them is kept), as are control characters; a "
                    "review with nothing left is stored as null. When changing a rating, leaving review "
                    "out keeps the earlier review and null removes it.")


RatingCreateBody = envelope("course_rating", RatingCreate, name="RatingCreateBody")


class RatingListQuery(PageQuery):
    rating: Stars | None = Field(None, description="Only ratings of this many stars (the summary in meta "
                                                   "still covers every rating of the course).")
