"""Discussions, replies and upvotes as University API resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource, to_many, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.discussions.models import MAX_REPLY_DEPTH


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


def discussion_resource(row: Row, reply_ids: list[str] | None = None) -> dict[str, Any]:
    relationships = {
        "course": to_one("course", row["course_id"]),
        "lesson": to_one("lesson", row["lesson_id"]),
        "author": to_one("user", row["author_id"]),
    }
    if reply_ids is not None:
        relationships["replies"] = to_many("reply", reply_ids)
    return resource("discussion", row["id"], {
        "course_id": row["course_id"],
        "lesson_id": row["lesson_id"],
        "title": row["title"],
        "content": row["content"],
        "author_id": row["author_id"],
        "reply_count": row["reply_count"],
        "upvotes": row["upvotes"],
        "pinned": bool(row["pinned"]),
        "resolved": bool(row["resolved"]),
        "resolved_at": row["resolved_at"],
        "answer_reply_id": row["answer_reply_id"],
        "last_reply_at": row["last_reply_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }, relationships)


def reply_resource(row: Row) -> dict[str, Any]:
    deleted = row["deleted_at"] is not None
    author = None if deleted else row["author_id"]
    return resource("reply", row["id"], {
        "discussion_id": row["discussion_id"],
        "parent_reply_id": row["parent_reply_id"],
        "in_reply_to_id": row["in_reply_to_id"],
        "depth": row["depth"],
        "author_id": author,
        "content": None if deleted else row["content"],
        "upvotes": row["upvotes"],
        "deleted": deleted,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }, {
        "discussion": to_one("discussion", row["discussion_id"]),
        "parent": to_one("reply", row["parent_reply_id"]),
        "author": to_one("user", author),
    })


def upvote_resource(row: Row) -> dict[str, Any]:
    return resource("upvote", f"{row['target_id']}:{row['user_id']}", {
        "user_id": row["user_id"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "discussion_id": row["discussion_id"],
        "upvotes": row["upvotes"],
        "created_at": row["created_at"],
    }, {"user": to_one("user", row["user_id"])})
