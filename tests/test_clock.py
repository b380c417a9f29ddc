"""Expiry with an injectable clock: the real app on a loopback WSGI server, time moved by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Timeline
from university_local.core.clock import to_iso
from university_local.enrollments.service import expire_due


def test_expiry_follows_the_clock(timeline: Timeline) -> None:
    api, store, now = timeline.api, timeline.store, timeline.now
    course = api.course()
    lesson = api.lesson(api.module(course["id"])["id"])
    ends = (now[0] + timedelta(days=30)).isoformat()
    enrollment = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": "term-1", "course_id": course["id"], "expires_at": ends}}}).json()["data"]
    assert enrollment["attributes"]["expires_at"] == "2030-01-31T09:00:00.000Z"
    assert api.post(f"/lessons/{lesson['id']}/complete",
                    {"user_id": "term-1"}).status_code == 200

    now[0] += timedelta(days=29, hours=23)
    assert api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]["status"] in ("active", "completed")

    # A second learner whose enrollment runs out while the first has completed.
    other = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": "term-2", "course_id": course["id"], "expires_at": (now[0] + timedelta(hours=2)).isoformat()}}}).json()["data"]
    now[0] += timedelta(hours=3)
    # Expired on read the moment it passes, before any job has run...
    assert api.get(f"/enrollments/{other['id']}").json()["data"]["attributes"]["status"] == "expired"
    refused = api.patch(f"/lessons/{lesson['id']}/progress", {"user_id": "term-2", "position": 1})
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "enrollment_expired"
    # ...then the job stores it and emits the event, once however often it runs.
    assert expire_due(store) == 1
    assert expire_due(store) == 0
    events = store.all("SELECT record_id FROM events WHERE event_type = 'enrollment.expired'")
    assert [e["record_id"] for e in events] == [other["id"]]
    # A completed enrollment does not expire.
    assert api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]["status"] == "completed"


def test_drip_unlock_follows_the_clock(timeline: Timeline) -> None:
    api, now = timeline.api, timeline.now
    course = api.course()
    module = api.module(course["id"], unlock_at=(now[0] + timedelta(days=7)).isoformat())
    lesson = api.lesson(module["id"])
    api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {"user_id": "d", "course_id": course["id"]}}})
    assert api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "d"}).status_code == 403
    now[0] += timedelta(days=7, seconds=1)
    assert api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "d"}).status_code == 200


_YEARS = {"min_value": datetime(2, 1, 1), "max_value": datetime(9998, 12, 31)}


@given(st.datetimes(**_YEARS, timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                         timezone(timedelta(hours=-11))]))
       | st.datetimes(**_YEARS))
def test_to_iso_is_utc_with_milliseconds_cut_not_rounded(moment: datetime) -> None:
    utc = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    assert to_iso(moment) == (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
                              f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z")
