"""Course ratings: the SQL and the rules (see the package docstring for the model).

A rating is one row per (learner, course), so "rate once, change later" is the primary key, not
a check that two racing requests could both pass. Reviews are stored as plain text: HTML is
removed on the way in, and whatever client shows a review escapes it on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import nh3

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row
from university_local.core.errors import ApiError
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.courses.service import get_course
from university_local.ratings.models import RatingCreate

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


def _check_rater(db: Db, course_id: str, user_id: str) -> None:
    """The learner has an enrollment in the course that is not cancelled, and is not deactivated."""
    pointer = f"{ATTRIBUTES}/user_id"
    deactivated = db.scalar("SELECT deactivated_at FROM users WHERE app_id = :app AND env = :env AND id = :id",
                            {"id": user_id})
    if deactivated:
        raise ApiError(422, "user_inactive", f"User '{user_id}' is deactivated.", pointer=pointer)
    status = db.scalar("SELECT status FROM enrollments WHERE app_id = :app AND env = :env AND user_id = :user "
                       "AND course_id = :course", {"user": user_id, "course": course_id})
    if status is None or status == "cancelled":
        raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this course; only its "
                       "learners may rate it.", pointer=pointer)


# -- ratings ---------------------------------------------------------------------------------

_SELECT = "SELECT * FROM course_ratings WHERE app_id = :app AND env = :env AND course_id = :course"


def _find(db: Db, course_id: str, user_id: str) -> Row | None:
    return db.one(_SELECT + " AND user_id = :user", {"course": course_id, "user": user_id})


def rate(db: Db, course_id: str, attrs: RatingCreate) -> tuple[Row, bool]:
    """Record the learner's rating of the course, or change it; (the rating, whether it is new).

    Sending the same rating again changes nothing, `updated_at` included, so "ratings changed in
    a period" counts real changes only.
    """
    review = clean_review(attrs.review)
    review_given = "review" in attrs.model_fields_set
    now = now_iso()
    with db.transaction():
        get_course(db, course_id)
        _check_rater(db, course_id, attrs.user_id)
        existing = _find(db, course_id, attrs.user_id)
        if existing is None:
            db.insert("course_ratings", {"id": new_id("rating"), "course_id": course_id, "user_id": attrs.user_id,
                                         "rating": attrs.rating, "review": review, "created_at": now,
                                         "updated_at": now})
        else:
            new_review = review if review_given else existing["review"]
            if (attrs.rating, new_review) != (existing["rating"], existing["review"]):
                db.update("course_ratings", existing["id"], {"rating": attrs.rating, "review": new_review,
                                                             "updated_at": now})
        row = _find(db, course_id, attrs.user_id)
    assert row is not None
    return row, existing is None


def get_rating(db: Db, course_id: str, user_id: str) -> Row:
    get_course(db, course_id)
    row = _find(db, course_id, user_id)
    if row is None:
        raise ApiError(404, "rating_not_found", f"User '{user_id}' has not rated course '{course_id}'.")
    return row


def list_ratings(db: Db, course_id: str, page: Page, *, rating: int | None = None) -> tuple[list[Row], int]:
    """A page of the course's ratings, the most recently changed first."""
    get_course(db, course_id)
    where = "" if rating is None else " AND rating = :rating"
    params = {"course": course_id, "rating": rating, "limit": page.size, "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) FROM course_ratings WHERE app_id = :app AND env = :env AND course_id = :course"
                      + where, params)
    rows = db.all(_SELECT + where + " ORDER BY updated_at DESC, user_id LIMIT :limit OFFSET :offset", params)
    return rows, total


def delete_rating(db: Db, course_id: str, user_id: str) -> None:
    """Remove a rating (moderation); the learner may rate the course again afterwards."""
    with db.transaction():
        row = get_rating(db, course_id, user_id)
        db.execute("DELETE FROM course_ratings WHERE id = :id AND app_id = :app AND env = :env", {"id": row["id"]})


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int
    distribution: dict[str, int]  # stars ("5" to "1") -> ratings


def rating_summary(db: Db, course_id: str, *, since: str | None = None, until: str | None = None) -> RatingSummary:
    """Average, count and distribution of the course's ratings whose `updated_at` is in
    [since, until) (None: unbounded), read from an index alone. No ratings: average None and
    zeros. The average is rounded half up to one decimal (4.25 -> 4.3), in integers, so the
    figure is the one worked out by hand.
    """
    where = ""
    if since is not None:
        where += " AND updated_at >= :since"
    if until is not None:
        where += " AND updated_at < :until"
    counts = {str(r[0]): r[1] for r in db.all(
        "SELECT rating, COUNT(*) FROM course_ratings WHERE app_id = :app AND env = :env AND course_id = :course"
        + where + " GROUP BY rating", {"course": course_id, "since": since, "until": until})}
    distribution = {stars: counts.get(stars, 0) for stars in STARS}
    count = sum(distribution.values())
    total = sum(int(stars) * n for stars, n in distribution.items())
    average = (20 * total + count) // (2 * count) / 10 if count else None
    return RatingSummary(average, count, distribution)
