"""Course analytics on a hand-built course whose every figure is worked out here, in a time zone
three hours behind UTC (America/Sao_Paulo), so that a UTC-day answer would be wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Api, Timeline, error_of, make_tenant
from university_local.analytics.rollups import set_time_zone

ZONE = "America/Sao_Paulo"  # UTC-3 all year


def at(timeline: Timeline, day: int, hour: int, minute: int = 0) -> None:
    """Move the clock to January `day`, 2030, `hour`:`minute` UTC."""
    timeline.now[0] = datetime(2030, 1, day, hour, minute, tzinfo=UTC)


def enroll(api: Api, user_id: str, course_id: str) -> dict[str, Any]:
    response = api.post("/enrollments", json={"data": {"type": "enrollment", "attributes": {
        "user_id": user_id, "course_id": course_id}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def patch(api: Api, lesson_id: str, user_id: str, seconds: int) -> None:
    response = api.patch(f"/lessons/{lesson_id}/progress", json={"user_id": user_id, "time_spent_seconds": seconds})
    assert response.status_code == 200, response.text


def complete(api: Api, lesson_id: str, user_id: str, seconds: int) -> None:
    response = api.post(f"/lessons/{lesson_id}/complete", json={"user_id": user_id, "time_spent_seconds": seconds})
    assert response.status_code == 200, response.text


@pytest.fixture
def course(timeline: Timeline) -> dict[str, str]:
    """Seven learners in a three-lesson course, January 2030 (times UTC; local = UTC-3):

    a  enrolls Jan 1 09:00, completes L1 Jan 2, L2 Jan 3, L3 Jan 15 10:00 (600 s) -> completed
    h  enrolls Jan 2 09:00, L1 Jan 2 (50 s), L2 Jan 3 (100 s), then silence -> drops off at L2
    b  enrolls Jan 8 10:00
    c  enrolls Jan 14 02:00 (= Jan 13 23:00 local); L1 200 s at Jan 14 02:30 (Jan 13 local),
       L1 560 s at Jan 14 03:30 (Jan 14 00:30 local: 360 s on Jan 14)
    d  enrolls Jan 16 10:00; L1 300 s Jan 16 11:00; Jan 17 16:00 completes L1 (300 s, no new
       time), L2 (120 s), L3 (180 s) -> completed
    e  enrolls Jan 17 09:00, cancelled Jan 17 09:30
    f  enrolls Jan 18 12:00;  g enrolls Jan 19 12:00
    now: Jan 20 12:00 UTC (09:00 local)
    """
    api = timeline.api
    set_time_zone(timeline.store, "clock-app", ZONE)
    at(timeline, 1, 9)
    course = api.course(title="Rivers", status="published")
    m1, m2 = api.module(course["id"], title="One"), api.module(course["id"], title="Two")
    l1, l2 = api.lesson(m1["id"], title="Sources"), api.lesson(m1["id"], title="Deltas")
    l3 = api.lesson(m2["id"], title="Floods")
    ids = {"course": course["id"], "l1": l1["id"], "l2": l2["id"], "l3": l3["id"]}

    enroll(api, "a", ids["course"])
    at(timeline, 2, 9)
    enroll(api, "h", ids["course"])
    patch(api, ids["l1"], "h", 50)
    complete(api, ids["l1"], "a", 60)
    at(timeline, 3, 9)
    patch(api, ids["l2"], "h", 100)
    complete(api, ids["l2"], "a", 60)
    at(timeline, 8, 10)
    enroll(api, "b", ids["course"])
    at(timeline, 14, 2)
    enroll(api, "c", ids["course"])
    at(timeline, 14, 2, 30)
    patch(api, ids["l1"], "c", 200)
    at(timeline, 14, 3, 30)
    patch(api, ids["l1"], "c", 560)
    at(timeline, 15, 10)
    complete(api, ids["l3"], "a", 600)
    at(timeline, 16, 10)
    enroll(api, "d", ids["course"])
    at(timeline, 16, 11)
    patch(api, ids["l1"], "d", 300)
    at(timeline, 17, 9)
    cancelled = enroll(api, "e", ids["course"])
    at(timeline, 17, 9, 30)
    assert api.delete(f"/enrollments/{cancelled['id']}").status_code == 204
    at(timeline, 17, 16)
    complete(api, ids["l1"], "d", 300)
    complete(api, ids["l2"], "d", 120)
    complete(api, ids["l3"], "d", 180)
    at(timeline, 18, 12)
    enroll(api, "f", ids["course"])
    at(timeline, 19, 12)
    enroll(api, "g", ids["course"])
    at(timeline, 20, 12)
    return ids


def analytics(api: Api, course_id: str, **params: str) -> dict[str, Any]:
    response = api.get(f"/analytics/courses/{course_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_last_seven_days_worked_by_hand(timeline: Timeline, course: dict[str, str]) -> None:
    data = analytics(timeline.api, course["course"], period="7d")
    # The window is Jan 14..20 local; the one before it Jan 7..13 local.
    assert (data["period"], data["time_zone"], data["from_date"], data["to_date"]) == \
        ("7d", ZONE, "2030-01-14", "2030-01-20")
    metrics = data["metrics"]
    # 7 enrollments not cancelled (a b c d f g h); new in the window: d f g = 3; before: b and c
    # (c enrolled Jan 14 02:00 UTC, which is Jan 13 local) = 2; trend (3 - 2) / 2 = +50%.
    assert metrics["enrollments"] == {"total": 7, "new": 3, "trend": 50.0}
    # a and d completed: 2 of 7 = 28.57%. a took Jan 1 09:00 -> Jan 15 10:00 = 14.0417 days,
    # d Jan 16 10:00 -> Jan 17 16:00 = 1.25 days; mean 7.6458.
    assert metrics["completions"] == {"total": 2, "rate": 28.6, "average_days_to_complete": 7.6}
    engagement = metrics["engagement"]
    # Sessions in the window: c Jan 14 (360 s), a Jan 15 (600 s, 1 lesson), d Jan 16 (300 s),
    # d Jan 17 (0 + 120 + 180 = 300 s, 3 lessons): 4 sessions of 3 learners, 1560 s / 4 = 6.5 min;
    # 4 lessons over 7 days = 0.57.
    assert {k: v for k, v in engagement.items() if k != "drop_off_lessons"} == {
        "active_learners": 3, "sessions": 4, "average_time_per_session_minutes": 6.5,
        "lessons_completed_per_day": 0.6}
    # h last touched L2 on Jan 3, more than 14 days ago, and is still enrolled: dropped off at L2,
    # which a, d and h started: 1 of 3. c (active Jan 14) has not dropped off; a and d completed.
    assert engagement["drop_off_lessons"] == [{"lesson_id": course["l2"], "title": "Deltas", "drop_rate": 33.3,
                                               "learners_dropped": 1, "learners_started": 3}]
    by_day = {entry["date"]: entry for entry in data["timeline"]}
    assert list(by_day) == [f"2030-01-{day}" for day in range(14, 21)]
    assert by_day["2030-01-14"] == {"date": "2030-01-14", "enrollments": 0, "completions": 0,
                                    "active_learners": 1, "lessons_completed": 0}
    assert by_day["2030-01-15"] == {"date": "2030-01-15", "enrollments": 0, "completions": 1,
                                    "active_learners": 1, "lessons_completed": 1}
    assert by_day["2030-01-16"]["enrollments"] == 1 and by_day["2030-01-16"]["active_learners"] == 1
    assert by_day["2030-01-17"] == {"date": "2030-01-17", "enrollments": 0, "completions": 1,
                                    "active_learners": 1, "lessons_completed": 3}  # e was cancelled
    assert [by_day[f"2030-01-{d}"]["enrollments"] for d in (18, 19, 20)] == [1, 1, 0]


def test_all_time_and_metric_selection(timeline: Timeline, course: dict[str, str]) -> None:
    data = analytics(timeline.api, course["course"], period="all", metrics="enrollments,engagement")
    assert set(data["metrics"]) == {"enrollments", "engagement"}
    # All time starts on the course's first local day, Jan 1 (created 09:00 UTC = 06:00 local).
    assert data["from_date"] == "2030-01-01" and len(data["timeline"]) == 20
    assert data["metrics"]["enrollments"] == {"total": 7, "new": 7, "trend": None}  # no earlier period
    engagement = data["metrics"]["engagement"]
    # Sessions: a Jan 2, 3, 15; h Jan 2, 3; c Jan 13, 14; d Jan 16, 17 = 9 sessions of 4 learners.
    # Time: a 60+60+600, h 50+100, c 200+360, d 300+300 = 2030 s; lessons: a 3, d 3 = 6 over 20 days.
    assert (engagement["active_learners"], engagement["sessions"]) == (4, 9)
    assert engagement["average_time_per_session_minutes"] == round(2030 / 9 / 60, 1)  # 3.76 -> 3.8
    assert engagement["lessons_completed_per_day"] == 0.3
    assert sum(day["enrollments"] for day in data["timeline"]) == 7


def test_time_zone_change_redates_history(timeline: Timeline, course: dict[str, str]) -> None:
    set_time_zone(timeline.store, "clock-app", "UTC")
    data = analytics(timeline.api, course["course"], period="7d")
    # In UTC the window Jan 14..20 takes in c's enrollment (Jan 14 02:00) and both of c's writes:
    # new = c d f g = 4 against b alone = 1 (+300%); c's session is 560 s: 1760 s / 4 = 7.33 min.
    assert data["metrics"]["enrollments"] == {"total": 7, "new": 4, "trend": 300.0}
    assert data["metrics"]["engagement"]["average_time_per_session_minutes"] == 7.3
    assert data["time_zone"] == "UTC"


def test_a_course_without_activity_answers_zeros(timeline: Timeline) -> None:
    quiet = timeline.api.course(title="Quiet")
    data = analytics(timeline.api, quiet["id"], period="90d")
    assert data["metrics"]["enrollments"] == {"total": 0, "new": 0, "trend": 0.0}
    assert data["metrics"]["completions"] == {"total": 0, "rate": 0.0, "average_days_to_complete": None}
    assert data["metrics"]["engagement"] == {"active_learners": 0, "sessions": 0,
                                             "average_time_per_session_minutes": 0.0,
                                             "lessons_completed_per_day": 0.0, "drop_off_lessons": []}
    assert data["metrics"]["ratings"] == {"average": None, "count": 0,
                                          "distribution": {"5": 0, "4": 0, "3": 0, "2": 0, "1": 0}}
    assert len(data["timeline"]) == 90 and all(day["enrollments"] == 0 for day in data["timeline"])
    all_time = analytics(timeline.api, quiet["id"], period="all")
    assert len(all_time["timeline"]) == 1 and all_time["metrics"]["engagement"]["lessons_completed_per_day"] == 0.0


def test_ratings_block_counts_current_ratings(timeline: Timeline, course: dict[str, str]) -> None:
    for user, stars in (("a", 5), ("d", 4), ("h", 2)):
        response = timeline.api.post(f"/courses/{course['course']}/ratings", json={
            "data": {"type": "course_rating", "attributes": {"user_id": user, "rating": stars}}})
        assert response.status_code == 201, response.text
    timeline.api.post(f"/courses/{course['course']}/ratings", json={
        "data": {"type": "course_rating", "attributes": {"user_id": "h", "rating": 3}}})  # h changes 2 -> 3
    ratings = analytics(timeline.api, course["course"], metrics="ratings")["metrics"]["ratings"]
    assert ratings == {"average": 4.0, "count": 3, "distribution": {"5": 1, "4": 1, "3": 1, "2": 0, "1": 0}}
    # The course resource carries the same mean.
    assert timeline.api.get(f"/courses/{course['course']}").json()["data"]["attributes"]["rating"] == 4.0


def test_errors(timeline: Timeline, course: dict[str, str]) -> None:
    api = timeline.api
    for params in ({"period": "2w"}, {"metrics": "enrollments,profit"}, {"metrics": ""}):
        response = api.get(f"/analytics/courses/{course['course']}", params=params)
        assert response.status_code == 400, (params, response.text)
    assert error_of(api.get("/analytics/courses/course-nope"))["code"] == "course_not_found"
    assert timeline.learner.get(f"/analytics/courses/{course['course']}").status_code == 403


def test_other_tenants_course_is_not_found(server: Any, api: Api) -> None:
    mine = api.course(title="Mine")
    other = make_tenant(server).secret
    response = other.get(f"/analytics/courses/{mine['id']}")
    assert response.status_code == 404
    assert api.get(f"/analytics/courses/{mine['id']}", params={"period": "7d"}).status_code == 200


def test_drop_off_needs_two_quiet_weeks(timeline: Timeline, course: dict[str, str]) -> None:
    # c was last active Jan 14 03:30 UTC; on Jan 28 03:29 that is not yet 14 days, at 03:31 it is.
    timeline.now[0] = datetime(2030, 1, 28, 3, 29, tzinfo=UTC)
    drops = analytics(timeline.api, course["course"])["metrics"]["engagement"]["drop_off_lessons"]
    assert [d["lesson_id"] for d in drops] == [course["l2"]]
    timeline.now[0] += timedelta(minutes=2)
    drops = analytics(timeline.api, course["course"])["metrics"]["engagement"]["drop_off_lessons"]
    # L2: h of a d h = 33.3%; L1: c of a c d h = 25%. Ranked by rate.
    assert [(d["lesson_id"], d["drop_rate"]) for d in drops] == [(course["l2"], 33.3), (course["l1"], 25.0)]
