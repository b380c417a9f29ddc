"""Discussions in the learner pages: a course's threads (pinned first), one thread with its
replies, and forms to post, reply and upvote. Posts are plain forms with an operation id, so a
resent post is one post."""

from __future__ import annotations

import html
from urllib.parse import quote

from university_local.core.errors import ApiError
from university_local.core.pagination import Page
from university_local.core.routing import Reply, Request, Router, raw
from university_local.courses.service import get_course
from university_local.discussions.models import DiscussionCreate, ReplyCreate
from university_local.discussions.service import (
    create_discussion,
    create_reply,
    get_discussion,
    list_discussions,
    list_replies,
    upvote,
    upvoted_by,
    withdraw_upvote,
)
from university_local.lessons.service import get_lesson
from university_local.users.service import get_users
from university_local.web import service
from university_local.web.pages import HTML, Visit, error_page, posted, visit

discussion_pages = Router("learner pages", on_error=error_page)


def _names(v: Visit, ids: set[str]) -> dict[str, str]:
    return {row["id"]: row["display_name"] for row in get_users(v.db, sorted(ids))}


def _user(v: Visit) -> str:
    assert v.learner is not None
    return v.learner.user_id


@discussion_pages.get("/courses/<course_id>/discussions", summary="A course's discussions", access="public",
                      returns=raw(HTML))
def discussions_page(req: Request, course_id: str, *, status: int = 200, error: str | None = None,
                     title: str = "", content: str = "") -> Reply:
    v = visit(req)
    db = v.db
    course = get_course(db, course_id)
    lesson_id = next(iter(req.query_values("lesson")), None)
    lesson = get_lesson(db, lesson_id) if lesson_id else None
    rows, _ = list_discussions(db, course_id, Page(1, 100), lesson_id=lesson_id)
    return v.page("discussions.html", status, course=course, lesson=lesson, discussions=rows,
                  names=_names(v, {r["author_id"] for r in rows}), op=service.new_operation_id(), error=error,
                  title=title, content=content)


@discussion_pages.post("/courses/<course_id>/discussions", summary="Start a discussion", access="public",
                       returns=raw(HTML))
def start_discussion(req: Request, course_id: str) -> Reply:
    v, form = posted(req)
    db = v.db
    title, content = form.get("title", "").strip(), form.get("content", "").strip()
    lesson_id = form.get("lesson") or None
    if not title or not content:
        return discussions_page(req, course_id, status=422, error="title", title=title, content=content)
    with db.transaction():
        if not service.first_use(db, form.get("op", ""), _user(v)):
            return v.redirect(f"/courses/{quote(course_id)}/discussions")
        try:
            row = create_discussion(db, course_id, DiscussionCreate(
                title=title[:200], content=_paragraphs(content), author_id=_user(v), lesson_id=lesson_id))
        except ApiError as err:
            if err.status != 422:
                raise
            return discussions_page(req, course_id, status=422, error="invalid", title=title, content=content)
    return v.redirect(f"/discussions/{quote(row['id'])}")


def _paragraphs(text: str) -> str:
    """A learner's plain text as the HTML a discussion stores (escaped, one paragraph per blank line)."""
    return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>"
                   for block in text.replace("\r\n", "\n").split("\n\n") if block.strip())


@discussion_pages.get("/discussions/<discussion_id>", summary="A discussion and its replies", access="public",
                      returns=raw(HTML))
def discussion_page(req: Request, discussion_id: str) -> Reply:
    v = visit(req)
    db = v.db
    discussion = get_discussion(db, discussion_id)
    course = get_course(db, discussion["course_id"])
    replies, _ = list_replies(db, discussion_id, None)
    names = _names(v, {discussion["author_id"], *(r["author_id"] for r in replies)})
    return v.page("discussion.html", course=course, discussion=discussion, replies=replies, names=names,
                  mine=upvoted_by(db, discussion_id, _user(v)), op=service.new_operation_id())


@discussion_pages.post("/discussions/<discussion_id>/replies", summary="Reply", access="public", returns=raw(HTML))
def reply(req: Request, discussion_id: str) -> Reply:
    v, form = posted(req)
    db = v.db
    content = form.get("content", "").strip()
    if content:
        with db.transaction():
            if service.first_use(db, form.get("op", ""), _user(v)):
                create_reply(db, discussion_id, ReplyCreate(content=_paragraphs(content), author_id=_user(v),
                                                            parent_reply_id=form.get("parent") or None))
    return v.redirect(f"/discussions/{quote(discussion_id)}#replies")


@discussion_pages.post("/discussions/<discussion_id>/upvote", summary="Upvote, or take an upvote back",
                       access="public", returns=raw(HTML))
def vote(req: Request, discussion_id: str) -> Reply:
    v, form = posted(req)
    db = v.db
    reply_id = form.get("reply") or None
    if form.get("undo") == "1":
        withdraw_upvote(db, discussion_id, reply_id, _user(v))
    else:
        upvote(db, discussion_id, reply_id, _user(v))  # once per learner: a resend changes nothing
    anchor = f"#r-{reply_id}" if reply_id else ""
    return v.redirect(f"/discussions/{quote(discussion_id)}{anchor}")
