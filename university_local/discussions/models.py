"""Discussion request models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from university_local.core.models import ApiModel, Title, envelope, unchanged
from university_local.core.pagination import PageQuery

MAX_CONTENT_CHARS = 50_000
MAX_REPLY_DEPTH = 4  # a direct reply to the discussion is depth 0

UserRef = Annotated[str, Field(min_length=1, max_length=128)]
IdRef = Annotated[str, Field(min_length=1, max_length=128)]
Content = Annotated[str, Field(min_length=1, max_length=MAX_CONTENT_CHARS, pattern=r"\S",
                               description="HTML; sanitised on the way in (scripts, event handlers and "
                                           "unsafe links are removed, formatting is kept).")]
PlainTitle = Annotated[Title, Field(description="Plain text, not HTML: kept as written apart from "
                                                "whitespace (trimmed, runs made one space) and control "
                                                "characters (removed). Escape it when showing it.")]


class DiscussionCreate(ApiModel):
    title: PlainTitle
    content: Content
    author_id: UserRef = Field(description="With a publishable key, a learner enrolled in the course.")
    lesson_id: IdRef | None = Field(None, description="A lesson of this course the discussion is about.")


class DiscussionUpdate(ApiModel):
    """PATCH: only the fields sent change."""

    title: PlainTitle = unchanged()
    content: Content = unchanged()


DiscussionCreateBody = envelope("discussion", DiscussionCreate, name="DiscussionCreateBody")
DiscussionUpdateBody = envelope("discussion", DiscussionUpdate, name="DiscussionUpdateBody")


class ReplyCreate(ApiModel):
    content: Content
    author_id: UserRef = Field(description="With a publishable key, a learner enrolled in the course.")
    parent_reply_id: IdRef | None = Field(
        None, description=f"Answer this reply of the same discussion instead of the discussion itself. "
                          f"Replies nest at most {MAX_REPLY_DEPTH + 1} levels; an answer to a reply at the "
                          "deepest level is placed beside it, with in_reply_to_id naming it.")


ReplyCreateBody = envelope("reply", ReplyCreate, name="ReplyCreateBody")


class UpvoteCreate(ApiModel):
    user_id: UserRef = Field(description="Who upvotes; with a publishable key, a learner enrolled in the course.")


class PinChange(ApiModel):
    pinned: bool


class ResolveChange(ApiModel):
    """Send `{}` to mark the discussion resolved."""

    resolved: bool = True
    answer_reply_id: IdRef | None = Field(
        None, description="The reply that answered it (a reply of this discussion); only with resolved true. "
                          "Left out, the recorded answer stays; null clears it.")
    user_id: UserRef | None = Field(
        None, description="Required with a publishable key, and must be the discussion's author; "
                          "a secret key needs none.")


class DiscussionListQuery(PageQuery):
    lesson_id: str | None = None
    author_id: str | None = None
    resolved: bool | None = None
    pinned: bool | None = None


class DiscussionGetQuery(BaseModel):
    include: str | None = Field(None, description="`replies`: every reply, in thread order, in `included`.")


class ReplyListQuery(PageQuery):
    pass
