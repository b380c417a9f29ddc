"""Discussion endpoints: parse, call the service, serialise.

Learners (publishable keys) may read the forums of published courses and post, reply, upvote
and resolve their own discussions; editing, deleting and pinning need a secret key. The rate
limit class is the spec's "enrollment operations" (200 a minute per key): learner activity of
moderate frequency, between the catalogue's 100 and progress's 500.
"""

from __future__ import annotations

from typing import Any

from university_local.core.errors import ApiError
from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one
from university_local.discussions import service
from university_local.discussions.models import (
    DiscussionCreateBody,
    DiscussionGetQuery,
    DiscussionListQuery,
    DiscussionUpdateBody,
    PinChange,
    ReplyCreateBody,
    ReplyListQuery,
    ResolveChange,
    UpvoteCreate,
)
from university_local.discussions.resources import (
    DISCUSSION,
    REPLY,
    UPVOTE,
    discussion_resource,
    reply_resource,
    upvote_resource,
)

router = Router("discussions", rate="enrollments")
INCLUDES = ("replies",)


@router.get("/courses/<course_id>/discussions", summary="List a course's discussions (pinned first, then newest)",
            query=DiscussionListQuery, returns=many(DISCUSSION))
def list_discussions(req: Request, course_id: str) -> dict[str, Any]:
    q: DiscussionListQuery = req.query
    rows, total = service.list_discussions(req.db, course_id, q.window, lesson_id=q.lesson_id,
                                           author_id=q.author_id, resolved=q.resolved, pinned=q.pinned)
    return document([discussion_resource(r) for r in rows], meta=q.window.meta(total))


@router.post("/courses/<course_id>/discussions", summary="Start a discussion (publishable keys: an enrolled learner)",
             body=DiscussionCreateBody, returns=one(DISCUSSION), status=201, access="learner")
def create_discussion(req: Request, course_id: str) -> dict[str, Any]:
    return document(discussion_resource(service.create_discussion(req.db, course_id, req.body.data.attributes)))


@router.get("/discussions/<discussion_id>", summary="Get a discussion; include=replies adds the thread",
            query=DiscussionGetQuery, returns=one(DISCUSSION, REPLY))
def get_discussion(req: Request, discussion_id: str) -> dict[str, Any]:
    includes = _parse_include(req.query.include)
    row = service.get_discussion(req.db, discussion_id)
    if "replies" not in includes:
        return document(discussion_resource(row))
    replies, _ = service.list_replies(req.db, discussion_id, None)
    return document(discussion_resource(row, [r["id"] for r in replies]),
                    included=[reply_resource(r) for r in replies])


@router.patch("/discussions/<discussion_id>", summary="Edit a discussion's title or content",
              body=DiscussionUpdateBody, returns=one(DISCUSSION))
def update_discussion(req: Request, discussion_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, discussion_id)
    changes = patch_fields(req.body.data.attributes)
    return document(discussion_resource(service.update_discussion(req.db, discussion_id, changes)))


@router.delete("/discussions/<discussion_id>", summary="Delete a discussion (soft delete)", returns=NOTHING)
def delete_discussion(req: Request, discussion_id: str) -> None:
    service.delete_discussion(req.db, discussion_id)


@router.patch("/discussions/<discussion_id>/pin", summary="Pin or unpin a discussion", body=PinChange,
              returns=one(DISCUSSION))
def pin_discussion(req: Request, discussion_id: str) -> dict[str, Any]:
    return document(discussion_resource(service.set_pinned(req.db, discussion_id, req.body.pinned)))


@router.patch("/discussions/<discussion_id>/resolve",
              summary="Mark resolved or open again (publishable keys: the author, naming user_id)",
              body=ResolveChange, returns=one(DISCUSSION), access="learner")
def resolve_discussion(req: Request, discussion_id: str) -> dict[str, Any]:
    b: ResolveChange = req.body
    row = service.resolve(req.db, discussion_id, resolved=b.resolved,
                          answer_sent="answer_reply_id" in b.model_fields_set, answer_reply_id=b.answer_reply_id,
                          user_id=b.user_id)
    return document(discussion_resource(row))


@router.get("/discussions/<discussion_id>/replies", summary="A discussion's replies in thread order",
            query=ReplyListQuery, returns=many(REPLY))
def list_replies(req: Request, discussion_id: str) -> dict[str, Any]:
    q: ReplyListQuery = req.query
    rows, total = service.list_replies(req.db, discussion_id, q.window)
    return document([reply_resource(r) for r in rows], meta=q.window.meta(total))


@router.post("/discussions/<discussion_id>/replies", summary="Reply to a discussion or to one of its replies",
             body=ReplyCreateBody, returns=one(REPLY), status=201, access="learner")
def create_reply(req: Request, discussion_id: str) -> dict[str, Any]:
    return document(reply_resource(service.create_reply(req.db, discussion_id, req.body.data.attributes)))


@router.delete("/discussions/<discussion_id>/replies/<reply_id>", summary="Delete a reply (soft delete)",
               returns=NOTHING)
def delete_reply(req: Request, discussion_id: str, reply_id: str) -> None:
    service.delete_reply(req.db, discussion_id, reply_id)


@router.post("/discussions/<discussion_id>/upvotes", summary="Upvote a discussion (once per user; again is a no-op)",
             body=UpvoteCreate, returns=one(UPVOTE), access="learner")
def upvote_discussion(req: Request, discussion_id: str) -> dict[str, Any]:
    return document(upvote_resource(service.upvote(req.db, discussion_id, None, req.body.user_id)))


@router.delete("/discussions/<discussion_id>/upvotes/<user_id>", summary="Withdraw a user's upvote",
               returns=NOTHING, access="learner")
def withdraw_discussion_upvote(req: Request, discussion_id: str, user_id: str) -> None:
    service.withdraw_upvote(req.db, discussion_id, None, user_id)


@router.post("/discussions/<discussion_id>/replies/<reply_id>/upvotes",
             summary="Upvote a reply (once per user; again is a no-op)", body=UpvoteCreate, returns=one(UPVOTE),
             access="learner")
def upvote_reply(req: Request, discussion_id: str, reply_id: str) -> dict[str, Any]:
    return document(upvote_resource(service.upvote(req.db, discussion_id, reply_id, req.body.user_id)))


@router.delete("/discussions/<discussion_id>/replies/<reply_id>/upvotes/<user_id>",
               summary="Withdraw a user's upvote of a reply", returns=NOTHING, access="learner")
def withdraw_reply_upvote(req: Request, discussion_id: str, reply_id: str, user_id: str) -> None:
    service.withdraw_upvote(req.db, discussion_id, reply_id, user_id)


def _parse_include(value: str | None) -> set[str]:
    names = {part.strip() for part in (value or "").split(",") if part.strip()}
    if unknown := names - set(INCLUDES):
        raise ApiError(400, "invalid_include", f"Cannot include {', '.join(sorted(unknown))}; "
                       f"choose from {', '.join(INCLUDES)}.", parameter="include")
    return names
