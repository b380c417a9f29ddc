"""Course ratings: the SQL and the rules (see the package docstring for the model).

A rating is one row per (learner, course), so "rate once, change later" is the primary key, not
a check that two racing requests could both pass. Reviews are stored as plain text: HTML is
removed on the way in, and whatever client shows a review escapes it on the way out.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import nh3

from university_local.core.clock import now_iso
from university_local.core.db import Row, Store
from university_local.core.errors import ApiError
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.core.pagination import Page
from university_local.courses.service import get_course
from university_local.ratings.models import RatingCreate
from university_local.tenancy.models import Tenant

ATTRIBUTES = "/data/attributes"
STARS = ("5", "4", "3", "2", "1")  # the distribution's keys, in the spec's order

# Control characters (but tab and newline), zero-width and bidirectional formatting characters:
# invisible in a review, and bidi overrides can make it read differently from what it is.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_BLANK_LINES = re.compile(r"\n[ \t]*(\n[ \t]*)+\n")


# -- input -----------------------------------------------------------------------------------


def clean_review(raw: str | None) -> str | None:
    """The review as plain text with no HTML in it, or None if nothing is left.

    nh3 with no allowed tags removes every tag (and the content of script and style), keeping
    the text between tags; unescaping then turns `&amp;` back into `&`. Text that was escaped
    markup (`&lt;b&gt;`) would come out of that as markup, so the two steps repeat until nothing
    changes: the result never contains an HTML tag. Each round that changes anything makes the
    text shorter, so this ends.
    """
    if raw is None:
        return None
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    for _ in range(len(text) + 1):
        cleaned = unescape(nh3.clean(text, tags=set()))
        if cleaned == text:
            break
        text = cleaned
    text = _INVISIBLE.sub("", text)
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()
    return text or None


# -- who may rate ----------------------------------------------------------------------------


def _check_rater(store: Store, tenant: Tenant, course_id: str, user_id: str) -> None:
    """The learner has an enrollment in the course that is not cancelled, and is not deactivated."""
    pointer = f"{ATTRIBUTES}/user_id"
    deactivated = store.scalar("SELECT deactivated_at FROM users WHERE app_id = ? AND env = ? AND id = ?",
                               (tenant.app_id, tenant.env, user_id))
    if deactivated:
        raise ApiError(422, "user_inactive", f"User '{user_id}' is deactivated.", pointer=pointer)
    status = store.scalar("SELECT status FROM enrollments WHERE app_id = ? AND env = ? AND user_id = ? "
                          "AND course_id = ?", (tenant.app_id, tenant.env, user_id, course_id))
    if status is None or status == "cancelled":
        raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this course; only its "
                       "learners may rate it.", pointer=pointer)


# -- ratings ---------------------------------------------------------------------------------

_SELECT = "SELECT * FROM course_ratings WHERE app_id = ? AND env = ? AND course_id = ?"


def _find(store: Store, tenant: Tenant, course_id: str, user_id: str) -> Row | None:
    return store.one(_SELECT + " AND user_id = ?", (tenant.app_id, tenant.env, course_id, user_id))


def rate(store: Store, tenant: Tenant, course_id: str, attrs: RatingCreate, *,
         published_only: bool) -> tuple[Row, bool]:
    """Record the learner's rating of the course, or change it; (the rating, whether it is new).

    Sending the same rating again changes nothing, `updated_at` included, so "ratings changed in
    a period" counts real changes only.
    """
    review = clean_review(attrs.review)
    review_given = "review" in attrs.model_fields_set
    now = now_iso()
    with store.transaction() as db:
        get_course(store, tenant, course_id, published_only=published_only)
        _check_rater(store, tenant, course_id, attrs.user_id)
        existing = _find(store, tenant, course_id, attrs.user_id)
        if existing is None:
            db.execute(
                "INSERT INTO course_ratings (id, app_id, env, course_id, user_id, rating, review, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id("rating"), tenant.app_id, tenant.env, course_id, attrs.user_id, attrs.rating, review,
                 now, now))
        else:
            new_review = review if review_given else existing["review"]
            if (attrs.rating, new_review) != (existing["rating"], existing["review"]):
                db.execute("UPDATE course_ratings SET rating = ?, review = ?, updated_at = ? WHERE id = ?",
                           (attrs.rating, new_review, now, existing["id"]))
        row = _find(store, tenant, course_id, attrs.user_id)
    assert row is not None
    return row, existing is None


def get_rating(store: Store, tenant: Tenant, course_id: str, user_id: str, *, published_only: bool) -> Row:
    get_course(store, tenant, course_id, published_only=published_only)
    row = _find(store, tenant, course_id, user_id)
    if row is None:
        raise ApiError(404, "rating_not_found", f"User '{user_id}' has not rated course '{course_id}'.")
    return row


def list_ratings(store: Store, tenant: Tenant, course_id: str, page: Page, *, published_only: bool,
                 rating: int | None = None) -> tuple[list[Row], int]:
    """A page of the course's ratings, the most recently changed first."""
    get_course(store, tenant, course_id, published_only=published_only)
    where = ""
    params: list[Any] = [tenant.app_id, tenant.env, course_id]
    if rating is not None:
        where = " AND rating = ?"
        params.append(rating)
    total = store.scalar("SELECT COUNT(*) FROM course_ratings WHERE app_id = ? AND env = ? AND course_id = ?"
                         + where, params)
    rows = store.all(_SELECT + where + " ORDER BY updated_at DESC, user_id LIMIT ? OFFSET ?",
                     [*params, page.size, page.offset])
    return rows, total


def delete_rating(store: Store, tenant: Tenant, course_id: str, user_id: str) -> None:
    """Remove a rating (moderation); the learner may rate the course again afterwards."""
    with store.transaction() as db:
        row = get_rating(store, tenant, course_id, user_id, published_only=False)
        db.execute("DELETE FROM course_ratings WHERE id = ?", (row["id"],))


def rating_summary(store: Store, tenant: Tenant, course_id: str, *, since: str | None = None,
                   until: str | None = None) -> dict[str, Any]:
    """Average, count and distribution of the course's ratings whose `updated_at` is in
    [since, until) (None: unbounded), read from an index alone. No ratings: average None and
    zeros. The average is rounded half up to one decimal (4.25 -> 4.3), in integers, so the
    figure is the one worked out by hand.
    """
    where, params = "", [tenant.app_id, tenant.env, course_id]
    if since is not None:
        where += " AND updated_at >= ?"
        params.append(since)
    if until is not None:
        where += " AND updated_at < ?"
        params.append(until)
    counts = {str(r[0]): r[1] for r in store.all(
        "SELECT rating, COUNT(*) FROM course_ratings WHERE app_id = ? AND env = ? AND course_id = ?"
        + where + " GROUP BY rating", params)}
    distribution = {stars: counts.get(stars, 0) for stars in STARS}
    count = sum(distribution.values())
    total = sum(int(stars) * n for stars, n in distribution.items())
    average = (20 * total + count) // (2 * count) / 10 if count else None
    return {"average": average, "count": count, "distribution": distribution}


def rating_resource(row: Row) -> dict[str, Any]:
    return resource("course_rating", row["id"], {
        "course_id": row["course_id"],
        "user_id": row["user_id"],
        "rating": row["rating"],
        "review": row["review"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }, {"course": to_one("course", row["course_id"]), "user": to_one("user", row["user_id"])})
