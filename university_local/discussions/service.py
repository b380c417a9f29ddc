"""Discussions: the SQL and the rules (see the package docstring for the model).

Every write runs in one `db.transaction()`: the checks, the change, the counters recomputed
from the rows (`_refresh`) and the event. Transactions run one at a time on the writer
connection, so the counters are exact under any concurrency, and the upvotes' primary key
makes a double upvote impossible even if two requests raced past the same check.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import nh3

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.core.html import sanitize_html
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.discussions.models import MAX_REPLY_DEPTH, DiscussionCreate, ReplyCreate
from university_local.enrollments.service import find_enrollment
from university_local.users.service import ensure_learner

ATTRIBUTES = "/data/attributes"
ENROLLED = ("active", "completed")

# C0 and C1 controls, zero-width and bidirectional formatting characters: invisible, and the
# bidi overrides can make a title read differently from what it is.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_DISCUSSION = """
SELECT d.*, c.settings AS course_settings FROM discussions d
JOIN courses c ON c.id = d.course_id AND +c.app_id = :app AND +c.env = :env
WHERE d.app_id = :app AND d.env = :env AND d.deleted_at IS NULL AND c.deleted_at IS NULL"""
_PUBLISHED = " AND c.status = 'published'"

# Replies in thread order. A deleted reply stays in the thread, as a tombstone, while a live
# reply remains below it; its descendants are the paths that start with its path and a '/'
# ('0' is the character after '/', so the range is exactly those paths, and uses the index).
_THREAD = """
FROM discussion_replies r
WHERE r.app_id = :app AND r.env = :env AND r.discussion_id = :discussion
  AND (r.deleted_at IS NULL OR EXISTS (
    SELECT 1 FROM discussion_replies k WHERE k.discussion_id = r.discussion_id AND +k.app_id = :app
      AND +k.env = :env AND k.thread_path > r.thread_path || '/' AND k.thread_path < r.thread_path || '0'
      AND k.deleted_at IS NULL))"""


# -- input -----------------------------------------------------------------------------------


def clean_title(raw: str, pointer: str = f"{ATTRIBUTES}/title") -> str:
    """A title is plain text: kept as written, but for invisible characters and extra whitespace."""
    title = " ".join(_INVISIBLE.sub(" ", raw).split())
    if not title:
        raise ApiError(422, "validation_error", "title: must contain visible text.", pointer=pointer,
                       title="Invalid Attribute")
    return title


def clean_content(raw: str, pointer: str = f"{ATTRIBUTES}/content") -> str:
    """Sanitised HTML; refused if nothing is left to show once the unsafe parts are removed."""
    content = sanitize_html(raw).strip()
    if not unescape(nh3.clean(content, tags=set())).strip() and "<img" not in content:
        raise ApiError(422, "validation_error", "content: nothing is left once unsafe HTML is removed.",
                       pointer=pointer, title="Invalid Attribute")
    return content


# -- who may act -------------------------------------------------------------------------------


def _course(db: Db, course_id: str) -> Row:
    row = db.one("SELECT id, status, settings FROM courses WHERE app_id = :app AND env = :env AND id = :id "
                 "AND deleted_at IS NULL", {"id": course_id})
    if row is None or (db.published_only and row["status"] != "published"):
        raise not_found("course", course_id)
    return row


def _check_open(db: Db, settings: str) -> None:
    """A course with `discussion_enabled: false` keeps its threads readable; learners cannot post."""
    if db.published_only and not loads(settings)["discussion_enabled"]:
        raise ApiError(403, "discussions_disabled", "Discussions are closed in this course.")


def _check_actor(db: Db, user_id: str, course_id: str, *, pointer: str) -> None:
    """The user may act in this course's forum (call inside the write's transaction).

    A learner must be enrolled (active or completed). Anyone: the user must exist and be active,
    or is created as a learner if the organisation allows it.
    """
    if db.published_only:
        enrollment = find_enrollment(db, user_id, course_id)
        status = enrollment["effective_status"] if enrollment else None
        if status == "expired":
            raise ApiError(403, "enrollment_expired", f"The enrollment of user '{user_id}' in this course has expired.")
        if status not in ENROLLED:
            raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this course.", pointer=pointer)
    ensure_learner(db, user_id, pointer=pointer)


# -- discussions -------------------------------------------------------------------------------


def get_discussion(db: Db, discussion_id: str) -> Row:
    """The live discussion of a live course (a published one for learners), else 404."""
    row = db.one(_DISCUSSION + (_PUBLISHED if db.published_only else "") + " AND d.id = :id", {"id": discussion_id})
    if row is None:
        raise not_found("discussion", discussion_id)
    return row


def list_discussions(db: Db, course_id: str, page: Page, *, lesson_id: str | None = None,
                     author_id: str | None = None, resolved: bool | None = None,
                     pinned: bool | None = None) -> tuple[list[Row], int]:
    """One page of a course's discussions: pinned first, then newest first."""
    _course(db, course_id)
    where = " AND d.course_id = :course"
    params = {"course": course_id, "lesson": lesson_id, "author": author_id, "resolved": resolved,
              "pinned": pinned, "limit": page.size, "offset": page.offset}
    for column, value in (("lesson_id", lesson_id), ("author_id", author_id)):
        if value is not None:
            where += f" AND d.{column} = :{column.removesuffix('_id')}"
    for column, flag in (("resolved", resolved), ("pinned", pinned)):
        if flag is not None:
            where += f" AND d.{column} = :{column}"
    total = db.scalar("SELECT COUNT(*) FROM (" + _DISCUSSION + where + ")", params)
    rows = db.all(_DISCUSSION + where + " ORDER BY d.pinned DESC, d.created_at DESC, d.id DESC "
                  "LIMIT :limit OFFSET :offset", params)
    return rows, total


def create_discussion(db: Db, course_id: str, attrs: DiscussionCreate) -> Row:
    title, content = clean_title(attrs.title), clean_content(attrs.content)
    discussion_id, now = new_id("discussion"), now_iso()
    with db.transaction():
        course = _course(db, course_id)
        _check_open(db, course["settings"])
        if attrs.lesson_id is not None:
            _check_lesson(db, attrs.lesson_id, course_id)
        _check_actor(db, attrs.author_id, course_id, pointer=f"{ATTRIBUTES}/author_id")
        db.insert("discussions", {
            "id": discussion_id, "course_id": course_id, "lesson_id": attrs.lesson_id, "author_id": attrs.author_id,
            "title": title, "content": content, "created_at": now, "updated_at": now,
        })
        emit(db, "discussion.created", "discussion", discussion_id, {
            "discussion_id": discussion_id, "course_id": course_id, "lesson_id": attrs.lesson_id,
            "author_id": attrs.author_id, "title": title, "created_at": now,
        })
    return get_discussion(db, discussion_id)


def _check_lesson(db: Db, lesson_id: str, course_id: str) -> None:
    """The lesson is a live lesson of the course; an unknown one looks the same as another course's."""
    found = db.scalar(
        "SELECT 1 FROM lessons l JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env "
        "WHERE l.app_id = :app AND l.env = :env AND l.id = :lesson AND l.course_id = :course "
        "AND l.deleted_at IS NULL AND m.deleted_at IS NULL", {"lesson": lesson_id, "course": course_id})
    if not found:
        raise ApiError(422, "lesson_not_in_course", f"Lesson '{lesson_id}' is not a lesson of course '{course_id}'.",
                       pointer=f"{ATTRIBUTES}/lesson_id")


def update_discussion(db: Db, discussion_id: str, changes: dict[str, Any]) -> Row:
    """Edit title and content (instructors and admins: secret keys)."""
    if "title" in changes:
        changes["title"] = clean_title(changes["title"])
    if "content" in changes:
        changes["content"] = clean_content(changes["content"])
    with db.transaction():
        get_discussion(db, discussion_id)
        if changes:
            db.update("discussions", discussion_id, {**changes, "updated_at": now_iso()})
    return get_discussion(db, discussion_id)


def delete_discussion(db: Db, discussion_id: str) -> None:
    """Soft delete: the rows stay (for sync and audit), the discussion is gone from every read."""
    with db.transaction():
        get_discussion(db, discussion_id)
        now = now_iso()
        db.update("discussions", discussion_id, {"deleted_at": now, "updated_at": now})


def set_pinned(db: Db, discussion_id: str, pinned: bool) -> Row:
    with db.transaction():
        current = get_discussion(db, discussion_id)
        if bool(current["pinned"]) != pinned:
            db.update("discussions", discussion_id, {"pinned": int(pinned), "updated_at": now_iso()})
    return get_discussion(db, discussion_id)


def resolve(db: Db, discussion_id: str, *, resolved: bool, answer_sent: bool, answer_reply_id: str | None,
            user_id: str | None) -> Row:
    """Mark resolved (or open again). Staff may; a learner only as the discussion's author.

    `answer_sent` tells a left-out answer_reply_id (keep the recorded one) from null (clear it).
    """
    with db.transaction():
        current = get_discussion(db, discussion_id)
        if db.published_only:
            if user_id is None:
                raise ApiError(422, "validation_error", "user_id: with a publishable key, name the learner "
                               "resolving (the discussion's author).", pointer="/user_id", title="Invalid Attribute")
            if user_id != current["author_id"]:
                raise ApiError(403, "forbidden", "Only the discussion's author, or an instructor with a secret key, "
                               "may resolve it.", title="Forbidden")
            _check_open(db, current["course_settings"])
            _check_actor(db, user_id, current["course_id"], pointer="/user_id")
        if not resolved and answer_reply_id is not None:
            raise ApiError(422, "validation_error", "answer_reply_id: only with resolved true.",
                           pointer="/answer_reply_id", title="Invalid Attribute")
        if answer_reply_id is not None and _live_reply(db, discussion_id, answer_reply_id) is None:
            raise ApiError(422, "reply_not_in_discussion", f"Reply '{answer_reply_id}' is not a reply of this "
                           "discussion.", pointer="/answer_reply_id")
        answer = current["answer_reply_id"]
        if not resolved:
            answer = None
        elif answer_sent:
            answer = answer_reply_id
        was = bool(current["resolved"])
        if was != resolved or answer != current["answer_reply_id"]:
            now = now_iso()
            resolved_at = (current["resolved_at"] if was else now) if resolved else None
            db.update("discussions", discussion_id, {"resolved": int(resolved), "resolved_at": resolved_at,
                                                     "answer_reply_id": answer, "updated_at": now})
    return get_discussion(db, discussion_id)


def _refresh(db: Db, discussion_id: str) -> None:
    """Recompute the discussion's counters from its replies and upvotes (inside the write)."""
    scoped = "+app_id = :app AND +env = :env"
    db.execute(
        f"""UPDATE discussions SET
             reply_count = (SELECT COUNT(*) FROM discussion_replies
                            WHERE discussion_id = :id AND deleted_at IS NULL AND {scoped}),
             last_reply_at = (SELECT MAX(created_at) FROM discussion_replies
                              WHERE discussion_id = :id AND deleted_at IS NULL AND {scoped}),
             upvotes = (SELECT COUNT(*) FROM discussion_upvotes WHERE target_id = :id AND {scoped})
           WHERE id = :id AND app_id = :app AND env = :env""", {"id": discussion_id})


# -- replies -----------------------------------------------------------------------------------


def _live_reply(db: Db, discussion_id: str, reply_id: str) -> Row | None:
    return db.one("SELECT * FROM discussion_replies WHERE app_id = :app AND env = :env AND id = :id "
                  "AND discussion_id = :discussion AND deleted_at IS NULL",
                  {"id": reply_id, "discussion": discussion_id})


def get_reply(db: Db, discussion_id: str, reply_id: str) -> Row:
    row = _live_reply(db, discussion_id, reply_id)
    if row is None:
        raise not_found("reply", reply_id)
    return row


def list_replies(db: Db, discussion_id: str, page: Page | None) -> tuple[list[Row], int]:
    """The thread depth-first, siblings oldest first; all of it when `page` is None."""
    get_discussion(db, discussion_id)
    params = {"discussion": discussion_id}
    if page is None:
        rows = db.all("SELECT r.* " + _THREAD + " ORDER BY r.thread_path", params)
        return rows, len(rows)
    total = db.scalar("SELECT COUNT(*) " + _THREAD, params)
    rows = db.all("SELECT r.* " + _THREAD + " ORDER BY r.thread_path LIMIT :limit OFFSET :offset",
                  {**params, "limit": page.size, "offset": page.offset})
    return rows, total


def create_reply(db: Db, discussion_id: str, attrs: ReplyCreate) -> Row:
    content = clean_content(attrs.content)
    reply_id, now = new_id("reply"), now_iso()
    with db.transaction():
        discussion = get_discussion(db, discussion_id)
        _check_open(db, discussion["course_settings"])
        parent_id, depth, path = None, 0, reply_id
        if attrs.parent_reply_id is not None:
            answered = _live_reply(db, discussion_id, attrs.parent_reply_id)
            if answered is None:
                raise ApiError(422, "reply_not_in_discussion", f"Reply '{attrs.parent_reply_id}' is not a reply "
                               "of this discussion.", pointer=f"{ATTRIBUTES}/parent_reply_id")
            if answered["depth"] < MAX_REPLY_DEPTH:
                parent_id, depth, path = answered["id"], answered["depth"] + 1, f"{answered['thread_path']}/{reply_id}"
            else:  # the deepest level: file it beside the reply it answers
                parent_id, depth = answered["parent_reply_id"], answered["depth"]
                path = f"{answered['thread_path'].rpartition('/')[0]}/{reply_id}"
        _check_actor(db, attrs.author_id, discussion["course_id"], pointer=f"{ATTRIBUTES}/author_id")
        db.insert("discussion_replies", {
            "id": reply_id, "discussion_id": discussion_id, "parent_reply_id": parent_id,
            "in_reply_to_id": attrs.parent_reply_id, "depth": depth, "thread_path": path,
            "author_id": attrs.author_id, "content": content, "created_at": now, "updated_at": now,
        })
        _refresh(db, discussion_id)
        emit(db, "discussion.replied", "reply", reply_id, {
            "discussion_id": discussion_id, "reply_id": reply_id, "parent_reply_id": parent_id,
            "in_reply_to_id": attrs.parent_reply_id, "author_id": attrs.author_id,
            "course_id": discussion["course_id"], "lesson_id": discussion["lesson_id"], "created_at": now,
        })
    return get_reply(db, discussion_id, reply_id)


def delete_reply(db: Db, discussion_id: str, reply_id: str) -> None:
    """Soft delete (moderation). Replies below it stay; it shows as a tombstone while they do."""
    with db.transaction():
        get_discussion(db, discussion_id)
        get_reply(db, discussion_id, reply_id)
        now = now_iso()
        db.update("discussion_replies", reply_id, {"deleted_at": now, "updated_at": now})
        db.execute("UPDATE discussions SET answer_reply_id = NULL WHERE id = :id AND answer_reply_id = :reply "
                   "AND app_id = :app AND env = :env", {"id": discussion_id, "reply": reply_id})
        _refresh(db, discussion_id)


# -- upvotes -----------------------------------------------------------------------------------


def upvote(db: Db, discussion_id: str, reply_id: str | None, user_id: str) -> Row:
    """Upvote a discussion (or one of its replies) once per user; again changes nothing. Returns
    the upvote with the target's count."""
    now = now_iso()
    with db.transaction():
        discussion = get_discussion(db, discussion_id)
        _check_open(db, discussion["course_settings"])
        if reply_id is not None:
            get_reply(db, discussion_id, reply_id)
        _check_actor(db, user_id, discussion["course_id"], pointer="/user_id")
        target = reply_id or discussion_id
        db.execute(
            "INSERT INTO discussion_upvotes (target_id, user_id, target_type, app_id, env, discussion_id, created_at) "
            "VALUES (:target, :user, :type, :app, :env, :discussion, :now) ON CONFLICT (target_id, user_id) DO NOTHING",
            {"target": target, "user": user_id, "type": "reply" if reply_id else "discussion",
             "discussion": discussion_id, "now": now})
        _refresh_upvotes(db, discussion_id, reply_id)
        row = db.one(
            "SELECT u.*, (SELECT COUNT(*) FROM discussion_upvotes c WHERE c.target_id = u.target_id "
            "AND +c.app_id = :app AND +c.env = :env) AS upvotes FROM discussion_upvotes u "
            "WHERE u.target_id = :target AND u.user_id = :user AND +u.app_id = :app AND +u.env = :env",
            {"target": target, "user": user_id})
    assert row is not None
    return row


def upvoted_by(db: Db, discussion_id: str, user_id: str) -> set[str]:
    """The ids of the discussion and of its replies that this user has upvoted."""
    return {row["target_id"] for row in db.all(
        "SELECT target_id FROM discussion_upvotes WHERE app_id = :app AND env = :env "
        "AND discussion_id = :discussion AND user_id = :user", {"discussion": discussion_id, "user": user_id})}


def withdraw_upvote(db: Db, discussion_id: str, reply_id: str | None, user_id: str) -> None:
    """Take an upvote back; withdrawing one that is not there changes nothing."""
    with db.transaction():
        get_discussion(db, discussion_id)
        if reply_id is not None:
            get_reply(db, discussion_id, reply_id)
        db.execute("DELETE FROM discussion_upvotes WHERE target_id = :target AND user_id = :user AND app_id = :app "
                   "AND env = :env", {"target": reply_id or discussion_id, "user": user_id})
        _refresh_upvotes(db, discussion_id, reply_id)


def _refresh_upvotes(db: Db, discussion_id: str, reply_id: str | None) -> None:
    if reply_id is None:
        _refresh(db, discussion_id)
    else:
        db.execute("UPDATE discussion_replies SET upvotes = (SELECT COUNT(*) FROM discussion_upvotes "
                   "WHERE target_id = :id AND +app_id = :app AND +env = :env) "
                   "WHERE id = :id AND app_id = :app AND env = :env", {"id": reply_id})
