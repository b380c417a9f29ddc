"""Discussion request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from university_local.core.models import (
    ApiModel,
    Attributes,
    Timestamp,
    Title,
    envelope,
)
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

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

    title: PlainTitle = None  # type: ignore[assignment]
    content: Content = None  # type: ignore[assignment]


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


class DiscussionAttributes(Attributes):
    course_id: str
    lesson_id: str | None
    title: str
    content: str
    author_id: str
    reply_count: int = Field(description="Replies not deleted.")
    upvotes: int
    pinned: bool
    resolved: bool
    resolved_at: Timestamp | None
    answer_reply_id: str | None
    last_reply_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp = Field(description="Last change to the discussion itself (edit, pin, resolve).")


class ReplyAttributes(Attributes):
    discussion_id: str
    parent_reply_id: str | None = Field(description="Where the reply hangs in the thread; null at the top.")
    in_reply_to_id: str | None = Field(description="The reply its author answered (differs from "
                                                   "parent_reply_id only below the deepest level).")
    depth: int = Field(description=f"0 for a reply to the discussion, at most {MAX_REPLY_DEPTH}.")
    author_id: str | None = Field(description="null once deleted")
    content: str | None = Field(description="null once deleted")
    upvotes: int
    deleted: bool = Field(description="A deleted reply is listed, without author or content, only while "
                                      "replies below it remain.")
    created_at: Timestamp
    updated_at: Timestamp


class UpvoteAttributes(Attributes):
    user_id: str
    target_type: Literal["discussion", "reply"]
    target_id: str
    discussion_id: str
    upvotes: int = Field(description="The target's upvotes now.")
    created_at: Timestamp


DISCUSSION = ResourceType(
    "discussion", DiscussionAttributes,
    relationships={"course": "course", "lesson": "lesson", "author": "user", "replies": "reply"},
    to_many=("replies",),
)
REPLY = ResourceType("reply", ReplyAttributes,
                     relationships={"discussion": "discussion", "parent": "reply", "author": "user"})
UPVOTE = ResourceType("upvote", UpvoteAttributes, relationships={"user": "user"})
