"""Course ratings: rate once and change, who may rate, plain-text reviews, the summary maths
(worked out by hand), tenancy, and `rating_summary` over a period for analytics."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Api, ServerProcess, Tenant, Timeline, error_of, make_tenant
from university_local.core.clock import to_iso
from university_local.core.scope import Scope
from university_local.core.scope import Tenant as StoreTenant
from university_local.ratings.service import rating_summary

ZERO = {"5": 0, "4": 0, "3": 0, "2": 0, "1": 0}


def rate(client: Api, course_id: str, user_id: str, rating: Any, **extra: Any) -> httpx.Response:
    return client.post(f"/courses/{course_id}/ratings", {"data": {"type": "course_rating", "attributes": {
        "user_id": user_id, "rating": rating, **extra}}})


def enroll(api: Api, course_id: str, *user_ids: str, **extra: Any) -> list[dict[str, Any]]:
    return [api.create("/enrollments", "enrollment", user_id=u, course_id=course_id, **extra) for u in user_ids]


def published_course(api: Api, *learners: str) -> str:
    course_id = api.course(status="published")["id"]
    enroll(api, course_id, *learners)
    return course_id


def test_rate_change_get_list_and_delete(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course_id = published_course(api, "amy", "ben")

    first = rate(learner, course_id, "amy", 4, review="Clear and well paced.")
    assert first.status_code == 201, first.text
    data = first.json()["data"]
    assert data["id"].startswith("rating-") and data["type"] == "course_rating"
    attrs = data["attributes"]
    assert attrs == {**attrs, "course_id": course_id, "user_id": "amy", "rating": 4, "review": "Clear and well paced."}
    assert attrs["created_at"] == attrs["updated_at"] and attrs["created_at"].endswith("Z")
    assert data["relationships"] == {"course": {"data": {"type": "course", "id": course_id}},
                                     "user": {"data": {"type": "user", "id": "amy"}}}

    # Changing it: 200, the same rating (id, created_at), the review kept when left out.
    changed = rate(learner, course_id, "amy", 5)
    assert changed.status_code == 200, changed.text
    again = changed.json()["data"]
    assert again["id"] == data["id"]
    assert again["attributes"]["created_at"] == attrs["created_at"]
    assert again["attributes"]["updated_at"] >= attrs["updated_at"]
    assert (again["attributes"]["rating"], again["attributes"]["review"]) == (5, "Clear and well paced.")
    assert api.get(f"/courses/{course_id}/ratings/amy").json()["data"] == again
    assert learner.get(f"/courses/{course_id}/ratings/amy").json()["data"] == again
    cleared = rate(api, course_id, "amy", 5, review=None)  # a secret key may rate for a learner too
    assert cleared.status_code == 200 and cleared.json()["data"]["attributes"]["review"] is None

    assert rate(learner, course_id, "ben", 2, review="Too fast").status_code == 201
    listed = learner.get(f"/courses/{course_id}/ratings").json()
    assert [r["attributes"]["user_id"] for r in listed["data"]] == ["ben", "amy"]  # most recently changed first
    assert listed["meta"] == {"total": 2, "page": 1, "per_page": 20, "summary": {
        "average": 3.5, "count": 2, "distribution": {**ZERO, "5": 1, "2": 1}}}
    fives = api.get(f"/courses/{course_id}/ratings", params={"rating": 5}).json()
    assert [r["attributes"]["user_id"] for r in fives["data"]] == ["amy"]
    assert fives["meta"]["total"] == 1 and fives["meta"]["summary"]["count"] == 2  # the summary covers all
    paged = api.get(f"/courses/{course_id}/ratings", params={"per_page": 1, "page": 2}).json()
    assert [r["attributes"]["user_id"] for r in paged["data"]] == ["amy"] and paged["meta"]["total"] == 2

    # Moderation: secret keys only; then the learner may rate afresh.
    forbidden = learner.delete(f"/courses/{course_id}/ratings/ben")
    assert forbidden.status_code == 403 and error_of(forbidden)["code"] == "forbidden"
    assert api.delete(f"/courses/{course_id}/ratings/ben").status_code == 204
    gone = api.get(f"/courses/{course_id}/ratings/ben")
    assert gone.status_code == 404 and error_of(gone)["code"] == "rating_not_found"
    again_gone = api.delete(f"/courses/{course_id}/ratings/ben")
    assert again_gone.status_code == 404 and error_of(again_gone)["code"] == "rating_not_found"
    assert api.get(f"/courses/{course_id}/ratings").json()["meta"]["summary"]["count"] == 1
    fresh = rate(learner, course_id, "ben", 3)
    assert fresh.status_code == 201 and fresh.json()["data"]["id"] != data["id"]


def test_summary_maths(api: Api) -> None:
    course_id = published_course(api, "u1", "u2", "u3", "u4", "u5")
    empty = api.get(f"/courses/{course_id}/ratings").json()
    assert empty["data"] == []
    assert empty["meta"]["summary"] == {"average": None, "count": 0, "distribution": ZERO}

    for user_id, stars in (("u1", 5), ("u2", 4), ("u3", 4), ("u4", 4)):
        assert rate(api, course_id, user_id, stars).status_code == 201
    # (5 + 4 + 4 + 4) / 4 = 4.25, rounded half up to one decimal: 4.3 (not banker's 4.2).
    summary = api.get(f"/courses/{course_id}/ratings").json()["meta"]["summary"]
    assert summary == {"average": 4.3, "count": 4, "distribution": {**ZERO, "5": 1, "4": 3}}

    assert rate(api, course_id, "u5", 1).status_code == 201
    assert rate(api, course_id, "u1", 2).status_code == 200  # a change replaces, never adds
    # (2 + 4 + 4 + 4 + 1) / 5 = 15 / 5 = 3.0
    summary = api.get(f"/courses/{course_id}/ratings").json()["meta"]["summary"]
    assert summary == {"average": 3.0, "count": 5, "distribution": {**ZERO, "4": 3, "2": 1, "1": 1}}
    assert rate(api, course_id, "u4", 3).status_code == 200
    # (2 + 4 + 4 + 3 + 1) / 5 = 14 / 5 = 2.8
    assert api.get(f"/courses/{course_id}/ratings").json()["meta"]["summary"]["average"] == 2.8


def test_only_enrolled_learners_may_rate(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course_id = published_course(api, "kept", "leaver", "gone")

    stranger = rate(learner, course_id, "stranger", 5)
    assert stranger.status_code == 422
    error = error_of(stranger)
    assert error["code"] == "not_enrolled" and error["source"]["pointer"] == "/data/attributes/user_id"
    assert rate(api, course_id, "stranger", 5).status_code == 422  # a secret key too: only learners rate

    assert rate(learner, course_id, "leaver", 4).status_code == 201
    enrollment = api.get("/enrollments", params={"user_id": "leaver", "course_id": course_id}).json()["data"][0]
    assert api.delete(f"/enrollments/{enrollment['id']}").status_code == 204
    cancelled = rate(learner, course_id, "leaver", 1)
    assert cancelled.status_code == 422 and error_of(cancelled)["code"] == "not_enrolled"
    # The earlier rating stays until a moderator removes it; it was not changed.
    assert api.get(f"/courses/{course_id}/ratings/leaver").json()["data"]["attributes"]["rating"] == 4

    assert api.delete("/users/gone").status_code == 204  # deactivated
    inactive = rate(api, course_id, "gone", 3)
    assert inactive.status_code == 422 and error_of(inactive)["code"] == "user_inactive"
    assert error_of(inactive)["source"]["pointer"] == "/data/attributes/user_id"

    other_course = published_course(api)
    elsewhere = rate(learner, other_course, "kept", 5)  # enrolled, but in another course
    assert elsewhere.status_code == 422 and error_of(elsewhere)["code"] == "not_enrolled"
    assert api.get(f"/courses/{other_course}/ratings").json()["meta"]["total"] == 0


def test_expired_enrollment_may_still_rate(timeline: Timeline) -> None:
    api = timeline.api
    course_id = api.course(status="published")["id"]
    expires = to_iso(timeline.now[0] + timedelta(days=1))
    enroll(api, course_id, "late", expires_at=expires)
    timeline.now[0] += timedelta(days=3)
    enrollment = api.get("/enrollments", params={"user_id": "late"}).json()["data"][0]
    assert enrollment["attributes"]["status"] == "expired"
    assert rate(timeline.learner, course_id, "late", 4).status_code == 201


def test_course_visibility(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    draft = api.course()["id"]
    enroll(api, draft, "drafty")
    assert rate(api, draft, "drafty", 3).status_code == 201  # a secret key sees drafts

    for response in (rate(learner, draft, "drafty", 4), learner.get(f"/courses/{draft}/ratings"),
                     learner.get(f"/courses/{draft}/ratings/drafty")):
        assert response.status_code == 404 and error_of(response)["code"] == "course_not_found"
    assert api.get(f"/courses/{draft}/ratings/drafty").json()["data"]["attributes"]["rating"] == 3

    deleted = published_course(api, "del")
    assert rate(learner, deleted, "del", 5).status_code == 201
    assert api.delete(f"/courses/{deleted}").status_code == 204
    for response in (rate(api, deleted, "del", 4), api.get(f"/courses/{deleted}/ratings"),
                     api.get(f"/courses/{deleted}/ratings/del"), api.delete(f"/courses/{deleted}/ratings/del")):
        assert response.status_code == 404 and error_of(response)["code"] == "course_not_found"
    unknown = rate(api, "course-nope", "del", 4)
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "course_not_found"


@pytest.mark.parametrize("bad", [0, 6, -1, "5", 4.5, True, None])
def test_bad_rating_is_refused_with_a_pointer(api: Api, bad: Any) -> None:
    course_id = published_course(api, "picky")
    response = rate(api, course_id, "picky", bad)
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "validation_error" and error["source"]["pointer"] == "/data/attributes/rating"
    assert api.get(f"/courses/{course_id}/ratings").json()["meta"]["total"] == 0  # nothing half-written


def test_bad_bodies_and_queries(api: Api) -> None:
    course_id = published_course(api, "picky")
    path = f"/courses/{course_id}/ratings"
    long_review = rate(api, course_id, "picky", 4, review="x" * 2001)
    assert long_review.status_code == 422
    assert error_of(long_review)["source"]["pointer"] == "/data/attributes/review"
    assert rate(api, course_id, "picky", 4, review="x" * 2000).status_code == 201
    no_rating = api.post(path, {"data": {"type": "course_rating", "attributes": {"user_id": "picky"}}})
    assert error_of(no_rating)["source"]["pointer"] == "/data/attributes/rating"
    extra = rate(api, course_id, "picky", 4, stars=5)
    assert extra.status_code == 422 and error_of(extra)["source"]["pointer"] == "/data/attributes/stars"
    wrong_type = api.post(path, {"data": {"type": "rating", "attributes": {"user_id": "picky", "rating": 4}}})
    assert wrong_type.status_code == 422 and error_of(wrong_type)["source"]["pointer"] == "/data/type"
    empty_user = rate(api, course_id, "", 4)
    assert error_of(empty_user)["source"]["pointer"] == "/data/attributes/user_id"
    malformed = api.http.post(path, content=b'{"data": ', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "invalid_json"
    for query in ({"rating": "6"}, {"rating": "4.5"}, {"rating": "five"}, {"page": "0"}):
        bad = api.get(path, params=query)
        assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_parameter", query
    no_key = httpx.get(str(api.http.base_url).rstrip("/") + path)
    assert no_key.status_code == 401


@pytest.mark.parametrize(("sent", "stored"), [
    ("<b>Great</b> course<script>alert(1)</script>", "Great course"),
    ('<img src=x onerror="alert(1)">Loved it', "Loved it"),
    ("&lt;b&gt;bold&lt;/b&gt; claims", "bold claims"),  # escaped markup does not come back as markup
    ("&amp;lt;i&amp;gt;twice&amp;lt;/i&amp;gt;", "twice"),
    ("I <3 it: a < b & c > d", "I <3 it: a < b & c > d"),  # plain text stays as written
    ("  Line one  \r\n\r\n\r\n\r\nLine two\u202e\u200b  ", "Line one\n\nLine two"),
    ("<script>alert(1)</script>", None),  # nothing left: no review
    ("   ", None),
])
def test_review_is_plain_text(api: Api, server: ServerProcess, tenant: Tenant, sent: str, stored: str | None) -> None:
    course_id = published_course(api, "writer")
    response = rate(api, course_id, "writer", 4, review=sent)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["review"] == stored
    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:
        row = db.execute("SELECT review FROM course_ratings WHERE app_id = ? AND course_id = ?",
                         (tenant.app_id, course_id)).fetchone()
    assert row == (stored,)


def test_tenants_never_see_each_others_ratings(server: ServerProcess, tenant: Tenant) -> None:
    api = tenant.secret
    course_id = published_course(api, "amy")
    assert rate(api, course_id, "amy", 5).status_code == 201
    for other in (make_tenant(server), make_tenant(server, env="live", app_id=tenant.app_id)):
        for client in (other.secret, other.publishable):
            for response in (client.get(f"/courses/{course_id}/ratings"),
                             client.get(f"/courses/{course_id}/ratings/amy"),
                             rate(client, course_id, "amy", 1)):
                assert response.status_code == 404 and error_of(response)["code"] == "course_not_found"
        deleted = other.secret.delete(f"/courses/{course_id}/ratings/amy")
        assert deleted.status_code == 404
    assert api.get(f"/courses/{course_id}/ratings/amy").json()["data"]["attributes"]["rating"] == 5


def test_rating_summary_over_a_period(timeline: Timeline) -> None:
    """Ratings given or changed in [since, until), as analytics asks for them."""
    api, store = timeline.api, timeline.store
    tenant = StoreTenant("clock-app", "test")
    course_id = api.course(status="published")["id"]
    enroll(api, course_id, "amy", "ben", "cat")
    start = timeline.now[0]
    day = timedelta(days=1)

    def at(days: int) -> str:
        return to_iso(start + days * day)

    assert rate(api, course_id, "amy", 5).status_code == 201            # day 0
    timeline.now[0] = start + day
    assert rate(api, course_id, "ben", 3).status_code == 201            # day 1
    timeline.now[0] = start + 2 * day
    assert rate(api, course_id, "cat", 4).status_code == 201            # day 2
    timeline.now[0] = start + 3 * day
    assert rate(api, course_id, "amy", 2).status_code == 200            # day 3: amy changes 5 -> 2
    timeline.now[0] = start + 4 * day
    same = rate(api, course_id, "cat", 4)                               # day 4: the same again, no change
    assert same.status_code == 200 and same.json()["data"]["attributes"]["updated_at"] == at(2)

    def summary(since: str | None = None, until: str | None = None) -> dict[str, Any]:
        return asdict(rating_summary(store.scoped(Scope.staff(tenant)), course_id, since=since, until=until))

    # All of them: 2 + 3 + 4 = 9 over 3 = 3.0.
    assert summary() == {"average": 3.0, "count": 3, "distribution": {**ZERO, "4": 1, "3": 1, "2": 1}}
    # Days 1 and 2: ben's 3 and cat's 4, (3 + 4) / 2 = 3.5. amy's rating now dates from day 3.
    assert summary(at(1), at(3)) == {"average": 3.5, "count": 2, "distribution": {**ZERO, "4": 1, "3": 1}}
    # Before day 1: amy's first rating was changed on day 3, so nothing is left there.
    assert summary(None, at(1)) == {"average": None, "count": 0, "distribution": ZERO}
    # From day 3 on: amy's changed rating only; until is exclusive, since inclusive.
    assert summary(at(3)) == {"average": 2.0, "count": 1, "distribution": {**ZERO, "2": 1}}
    assert summary(at(1), at(2))["count"] == 1 and summary(at(1), at(1))["count"] == 0
    # Another tenant asking about the same course id sees nothing; so does an unknown course.
    assert rating_summary(store.scoped(Scope.staff(StoreTenant("clock-app", "live"))), course_id).count == 0
    assert asdict(rating_summary(store.scoped(Scope.staff(tenant)), "course-nope")) == {"average": None, "count": 0, "distribution": ZERO}
