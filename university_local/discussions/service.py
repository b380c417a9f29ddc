"""Discussions: the SQL and the rules (see the package docstring for the model).

Every write runs in one `store.transaction()`: the checks, the change, the counters recomputed
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
from university_local.core.db import Row, Store, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.core.html import sanitize_html
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_many, to_one
from university_local.core.pagination import Page
from university_local.discussions.models import (
    MAX_REPLY_DEPTH,
    DiscussionCreate,
    ReplyCreate,
)
from university_local.enrollments.service import find_enrollment
from university_local.tenancy.models import Tenant
from university_local.users.service import ensure_learner

ATTRIBUTES = "/data/attributes"
ENROLLED = ("active", "completed")

# C0 and C1 controls, zero-width and bidirectional formatting characters: invisible, and the
# bidi overrides can make a title read differently from what it is.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_DISCUSSION = """
SELECT d.*, c.settings AS course_settings FROM discussions d JOIN courses c ON c.id = d.course_id
WHERE d.app_id = :app AND d.env = :env AND d.deleted_at IS NULL AND c.deleted_at IS NULL"""
_PUBLISHED = " AND c.status = 'published'"

# Replies in thread order. A deleted reply stays in the thread, as a tombstone, while a live
# reply remains below it; its descendants are the paths that start with its path and a '/'
# ('0' is the character after '/', so the range is exactly those paths, and uses the index).
_THREAD = """
FROM discussion_replies r
WHERE r.app_id = :app AND r.env = :env AND r.discussion_id = :discussion
  AND (r.deleted_at IS NULL OR EXISTS (
    SELECT 1 FROM discussion_replies k WHERE k.discussion_id = r.discussion_id
      AND k.thread_path > r.thread_path || '/' AND k.thread_path < r.thread_path || '0'
      AND k.deleted_at IS NULL))"""


def _params(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"app": tenant.app_id, "env": tenant.env, **extra}


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


def _course(store: Store, tenant: Tenant, course_id: str, *, published_only: bool) -> Row:
    row = store.one("SELECT id, status, settings FROM courses WHERE app_id = ? AND env = ? AND id = ? "
                    "AND deleted_at IS NULL", (tenant.app_id, tenant.env, course_id))
    if row is None or (published_only and row["status"] != "published"):
        raise not_found("course", course_id)
    return row


def _check_open(settings: str, learner: bool) -> None:
    """A course with `discussion_enabled: false` keeps its threads readable; learners cannot post."""
    if learner and not loads(settings)["discussion_enabled"]:
        raise ApiError(403, "discussions_disabled", "Discussions are closed in this course.")


def _check_actor(store: Store, tenant: Tenant, user_id: str, course_id: str, *, learner: bool, pointer: str) -> None:
    """The user may act in this course's forum (call inside the write's transaction).

    With a publishable key, the learner must be enrolled (active or completed). Any key: the
    user must exist and be active, or is created as a learner if the organisation allows it.
    """
    if learner:
        enrollment = find_enrollment(store, tenant, user_id, course_id)
        status = enrollment["effective_status"] if enrollment else None
        if status == "expired":
            raise ApiError(403, "enrollment_expired", f"The enrollment of user '{user_id}' in this course has expired.")
        if status not in ENROLLED:
            raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this course.", pointer=pointer)
    ensure_learner(store, tenant, user_id, pointer=pointer)


# -- discussions -------------------------------------------------------------------------------


def get_discussion(store: Store, tenant: Tenant, discussion_id: str, *, published_only: bool = False) -> Row:
    """The live discussion of a live course (a published one for publishable keys), else 404."""
    row = store.one(_DISCUSSION + (_PUBLISHED if published_only else "") + " AND d.id = :id",
                    _params(tenant, id=discussion_id))
    if row is None:
        raise not_found("discussion", discussion_id)
    return row


def list_discussions(store: Store, tenant: Tenant, course_id: str, page: Page, *, published_only: bool,
                     lesson_id: str | None = None, author_id: str | None = None, resolved: bool | None = None,
                     pinned: bool | None = None) -> tuple[list[Row], int]:
    """One page of a course's discussions: pinned first, then newest first."""
    _course(store, tenant, course_id, published_only=published_only)
    where = " AND d.course_id = :course"
    params = _params(tenant, course=course_id, lesson=lesson_id, author=author_id, resolved=resolved,
                     pinned=pinned, limit=page.size, offset=page.offset)
    for column, value in (("lesson_id", lesson_id), ("author_id", author_id)):
        if value is not None:
            where += f" AND d.{column} = :{column.removesuffix('_id')}"
    for column, flag in (("resolved", resolved), ("pinned", pinned)):
        if flag is not None:
            where += f" AND d.{column} = :{column}"
    total = store.scalar("SELECT COUNT(*) FROM (" + _DISCUSSION + where + ")", params)
    rows = store.all(_DISCUSSION + where + " ORDER BY d.pinned DESC, d.created_at DESC, d.id DESC "
                     "LIMIT :limit OFFSET :offset", params)
    return rows, total


def create_discussion(store: Store, tenant: Tenant, course_id: str, attrs: DiscussionCreate, *,
                      learner: bool) -> Row:
    title, content = clean_title(attrs.title), clean_content(attrs.content)
    discussion_id, now = new_id("discussion"), now_iso()
    with store.transaction() as db:
        course = _course(store, tenant, course_id, published_only=learner)
        _check_open(course["settings"], learner)
        if attrs.lesson_id is not None:
            _check_lesson(store, tenant, attrs.lesson_id, course_id)
        _check_actor(store, tenant, attrs.author_id, course_id, learner=learner, pointer=f"{ATTRIBUTES}/author_id")
        db.execute(
            "INSERT INTO discussions (id, app_id, env, course_id, lesson_id, author_id, title, content, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (discussion_id, tenant.app_id, tenant.env, course_id, attrs.lesson_id, attrs.author_id, title,
             content, now, now))
        emit(db, tenant, "discussion.created", "discussion", discussion_id, {
            "discussion_id": discussion_id, "course_id": course_id, "lesson_id": attrs.lesson_id,
            "author_id": attrs.author_id, "title": title, "created_at": now,
        })
    return get_discussion(store, tenant, discussion_id)


def _check_lesson(store: Store, tenant: Tenant, lesson_id: str, course_id: str) -> None:
    """The lesson is a live lesson of the course; an unknown one looks the same as another course's."""
    found = store.scalar(
        "SELECT 1 FROM lessons l JOIN modules m ON m.id = l.module_id WHERE l.app_id = ? AND l.env = ? "
        "AND l.id = ? AND l.course_id = ? AND l.deleted_at IS NULL AND m.deleted_at IS NULL",
        (tenant.app_id, tenant.env, lesson_id, course_id))
    if not found:
        raise ApiError(422, "lesson_not_in_course", f"Lesson '{lesson_id}' is not a lesson of course '{course_id}'.",
                       pointer=f"{ATTRIBUTES}/lesson_id")


def update_discussion(store: Store, tenant: Tenant, discussion_id: str, changes: dict[str, Any]) -> Row:
    """Edit title and content (instructors and admins: secret keys)."""
    if "title" in changes:
        changes["title"] = clean_title(changes["title"])
    if "content" in changes:
        changes["content"] = clean_content(changes["content"])
    with store.transaction() as db:
        get_discussion(store, tenant, discussion_id)
        if changes:
            db.table("discussions").update(discussion_id, {**changes, "updated_at": now_iso()})
    return get_discussion(store, tenant, discussion_id)


def delete_discussion(store: Store, tenant: Tenant, discussion_id: str) -> None:
    """Soft delete: the rows stay (for sync and audit), the discussion is gone from every read."""
    with store.transaction() as db:
        get_discussion(store, tenant, discussion_id)
        now = now_iso()
        db.execute("UPDATE discussions SET deleted_at = ?, updated_at = ? WHERE id = ?", (now, now, discussion_id))


def set_pinned(store: Store, tenant: Tenant, discussion_id: str, pinned: bool) -> Row:
    with store.transaction() as db:
        current = get_discussion(store, tenant, discussion_id)
        if bool(current["pinned"]) != pinned:
            db.execute("UPDATE discussions SET pinned = ?, updated_at = ? WHERE id = ?",
                       (int(pinned), now_iso(), discussion_id))
    return get_discussion(store, tenant, discussion_id)


def resolve(store: Store, tenant: Tenant, discussion_id: str, *, resolved: bool, answer_sent: bool,
            answer_reply_id: str | None, user_id: str | None, learner: bool) -> Row:
    """Mark resolved (or open again). Secret keys may; with a publishable key only the author may.

    `answer_sent` tells a left-out answer_reply_id (keep the recorded one) from null (clear it).
    """
    with store.transaction() as db:
        current = get_discussion(store, tenant, discussion_id, published_only=learner)
        if learner:
            if user_id is None:
                raise ApiError(422, "validation_error", "user_id: with a publishable key, name the learner "
                               "resolving (the discussion's author).", pointer="/user_id", title="Invalid Attribute")
            if user_id != current["author_id"]:
                raise ApiError(403, "forbidden", "Only the discussion's author, or an instructor with a secret key, "
                               "may resolve it.", title="Forbidden")
            _check_open(current["course_settings"], learner)
            _check_actor(store, tenant, user_id, current["course_id"], learner=True, pointer="/user_id")
        if not resolved and answer_reply_id is not None:
            raise ApiError(422, "validation_error", "answer_reply_id: only with resolved true.",
                           pointer="/answer_reply_id", title="Invalid Attribute")
        if answer_reply_id is not None and _live_reply(store, tenant, discussion_id, answer_reply_id) is None:
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
            db.execute("UPDATE discussions SET resolved = ?, resolved_at = ?, answer_reply_id = ?, updated_at = ? "
                       "WHERE id = ?", (int(resolved), resolved_at, answer, now, discussion_id))
    return get_discussion(store, tenant, discussion_id)


def _refresh(db: Any, discussion_id: str) -> None:
    """Recompute the discussion's counters from its replies and upvotes (inside the write)."""
    db.execute(
        """UPDATE discussions SET
             reply_count = (SELECT COUNT(*) FROM discussion_replies
                            WHERE discussion_id = :id AND deleted_at IS NULL),
             last_reply_at = (SELECT MAX(created_at) FROM discussion_replies
                              WHERE discussion_id = :id AND deleted_at IS NULL),
             upvotes = (SELECT COUNT(*) FROM discussion_upvotes WHERE target_id = :id)
           WHERE id = :id""", {"id": discussion_id})


# -- replies -----------------------------------------------------------------------------------


def _live_reply(store: Store, tenant: Tenant, discussion_id: str, reply_id: str) -> Row | None:
    return store.one("SELECT * FROM discussion_replies WHERE app_id = ? AND env = ? AND id = ? "
                     "AND discussion_id = ? AND deleted_at IS NULL",
                     (tenant.app_id, tenant.env, reply_id, discussion_id))


def get_reply(store: Store, tenant: Tenant, discussion_id: str, reply_id: str) -> Row:
    row = _live_reply(store, tenant, discussion_id, reply_id)
    if row is None:
        raise not_found("reply", reply_id)
    return row


def list_replies(store: Store, tenant: Tenant, discussion_id: str, page: Page | None, *,
                 published_only: bool) -> tuple[list[Row], int]:
    """The thread depth-first, siblings oldest first; all of it when `page` is None."""
    get_discussion(store, tenant, discussion_id, published_only=published_only)
    params = _params(tenant, discussion=discussion_id)
    if page is None:
        rows = store.all("SELECT r.* " + _THREAD + " ORDER BY r.thread_path", params)
        return rows, len(rows)
    total = store.scalar("SELECT COUNT(*) " + _THREAD, params)
    rows = store.all("SELECT r.* " + _THREAD + " ORDER BY r.thread_path LIMIT :limit OFFSET :offset",
                     {**params, "limit": page.size, "offset": page.offset})
    return rows, total


def create_reply(store: Store, tenant: Tenant, discussion_id: str, attrs: ReplyCreate, *, learner: bool) -> Row:
    content = clean_content(attrs.content)
    reply_id, now = new_id("reply"), now_iso()
    with store.transaction() as db:
        discussion = get_discussion(store, tenant, discussion_id, published_only=learner)
        _check_open(discussion["course_settings"], learner)
        parent_id, depth, path = None, 0, reply_id
        if attrs.parent_reply_id is not None:
            answered = _live_reply(store, tenant, discussion_id, attrs.parent_reply_id)
            if answered is None:
                raise ApiError(422, "reply_not_in_discussion", f"Reply '{attrs.parent_reply_id}' is not a reply "
                               "of this discussion.", pointer=f"{ATTRIBUTES}/parent_reply_id")
            if answered["depth"] < MAX_REPLY_DEPTH:
                parent_id, depth, path = answered["id"], answered["depth"] + 1, f"{answered['thread_path']}/{reply_id}"
            else:  # the deepest level: file it beside the reply it answers
                parent_id, depth = answered["parent_reply_id"], answered["depth"]
                path = f"{answered['thread_path'].rpartition('/')[0]}/{reply_id}"
        _check_actor(store, tenant, attrs.author_id, discussion["course_id"], learner=learner,
                     pointer=f"{ATTRIBUTES}/author_id")
        db.execute(
            "INSERT INTO discussion_replies (id, app_id, env, discussion_id, parent_reply_id, in_reply_to_id, "
            "depth, thread_path, author_id, content, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reply_id, tenant.app_id, tenant.env, discussion_id, parent_id, attrs.parent_reply_id, depth, path,
             attrs.author_id, content, now, now))
        _refresh(db, discussion_id)
        emit(db, tenant, "discussion.replied", "reply", reply_id, {
            "discussion_id": discussion_id, "reply_id": reply_id, "parent_reply_id": parent_id,
            "in_reply_to_id": attrs.parent_reply_id, "author_id": attrs.author_id,
            "course_id": discussion["course_id"], "lesson_id": discussion["lesson_id"], "created_at": now,
        })
    return get_reply(store, tenant, discussion_id, reply_id)


def delete_reply(store: Store, tenant: Tenant, discussion_id: str, reply_id: str) -> None:
    """Soft delete (moderation). Replies below it stay; it shows as a tombstone while they do."""
    with store.transaction() as db:
        get_discussion(store, tenant, discussion_id)
        get_reply(store, tenant, discussion_id, reply_id)
        now = now_iso()
        db.execute("UPDATE discussion_replies SET deleted_at = ?, updated_at = ? WHERE id = ?", (now, now, reply_id))
        db.execute("UPDATE discussions SET answer_reply_id = NULL WHERE id = ? AND answer_reply_id = ?",
                   (discussion_id, reply_id))
        _refresh(db, discussion_id)


# -- upvotes -----------------------------------------------------------------------------------


def upvote(store: Store, tenant: Tenant, discussion_id: str, reply_id: str | None, user_id: str, *,
           learner: bool) -> dict[str, Any]:
    """Upvote a discussion (or one of its replies) once per user; again changes nothing."""
    now = now_iso()
    with store.transaction() as db:
        discussion = get_discussion(store, tenant, discussion_id, published_only=learner)
        _check_open(discussion["course_settings"], learner)
        if reply_id is not None:
            get_reply(store, tenant, discussion_id, reply_id)
        _check_actor(store, tenant, user_id, discussion["course_id"], learner=learner, pointer="/user_id")
        target = reply_id or discussion_id
        db.execute(
            "INSERT INTO discussion_upvotes (target_id, user_id, target_type, app_id, env, discussion_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target_id, user_id) DO NOTHING",
            (target, user_id, "reply" if reply_id else "discussion", tenant.app_id, tenant.env, discussion_id, now))
        _refresh_upvotes(db, discussion_id, reply_id)
        row = store.one(
            "SELECT u.*, (SELECT COUNT(*) FROM discussion_upvotes c WHERE c.target_id = u.target_id) AS upvotes "
            "FROM discussion_upvotes u WHERE u.target_id = ? AND u.user_id = ?", (target, user_id))
    assert row is not None
    return upvote_resource(row)


def withdraw_upvote(store: Store, tenant: Tenant, discussion_id: str, reply_id: str | None, user_id: str, *,
                    learner: bool) -> None:
    """Take an upvote back; withdrawing one that is not there changes nothing."""
    with store.transaction() as db:
        get_discussion(store, tenant, discussion_id, published_only=learner)
        if reply_id is not None:
            get_reply(store, tenant, discussion_id, reply_id)
        db.execute("DELETE FROM discussion_upvotes WHERE target_id = ? AND user_id = ? AND app_id = ? AND env = ?",
                   (reply_id or discussion_id, user_id, tenant.app_id, tenant.env))
        _refresh_upvotes(db, discussion_id, reply_id)


def _refresh_upvotes(db: Any, discussion_id: str, reply_id: str | None) -> None:
    if reply_id is None:
        _refresh(db, discussion_id)
    else:
        db.execute("UPDATE discussion_replies SET upvotes = (SELECT COUNT(*) FROM discussion_upvotes "
                   "WHERE target_id = :id) WHERE id = :id", {"id": reply_id})


# -- resources ---------------------------------------------------------------------------------


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
