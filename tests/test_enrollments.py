"""Enrollments: rules for joining, capacity, self-enrollment, cancelling, expiry and bulk."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.conftest import Api, Tenant, error_of, run_cli


def enroll(api: Api, user_id: str, course_id: str, **extra):
    return api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user_id, "course_id": course_id, **extra}}})


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def test_enroll_and_read_back(api: Api) -> None:
    course = api.course(status="published")
    module = api.module(course["id"])
    api.lesson(module["id"])
    response = enroll(api, "learner-1", course["id"], expires_at="2099-12-31T23:59:59Z")
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["id"].startswith("enrollment-")
    attrs = data["attributes"]
    assert attrs["status"] == "active" and attrs["expires_at"] == "2099-12-31T23:59:59.000Z"
    assert (attrs["progress_percent"], attrs["lessons_completed"], attrs["total_lessons"], attrs["time_spent_minutes"]) == (0, 0, 1, 0)
    assert data["relationships"]["user"]["data"] == {"type": "user", "id": "learner-1"}
    assert api.get(f"/enrollments/{data['id']}").json()["data"] == data
    # The unknown user was created as a learner.
    assert api.get("/users/learner-1").json()["data"]["attributes"]["role"] == "learner"
    assert api.get(f"/courses/{course['id']}").json()["data"]["attributes"]["enrollment_count"] == 1


def test_enrollment_errors(api: Api, tenant: Tenant, server) -> None:
    course = api.course()
    assert enroll(api, "u1", course["id"]).status_code == 201
    again = enroll(api, "u1", course["id"])
    assert again.status_code == 409 and error_of(again)["code"] == "already_enrolled"
    missing = enroll(api, "u1", "course-nope")
    assert missing.status_code == 404 and error_of(missing)["code"] == "course_not_found"
    assert error_of(missing)["source"]["pointer"] == "/data/attributes/course_id"
    past = enroll(api, "u2", course["id"], expires_at="2020-01-01T00:00:00Z")
    assert past.status_code == 422
    assert error_of(enroll(api, "", course["id"]))["source"]["pointer"] == "/data/attributes/user_id"

    api.create("/users", "user", id="gone", display_name="Gone")
    api.delete("/users/gone")
    inactive = enroll(api, "gone", course["id"])
    assert inactive.status_code == 422 and error_of(inactive)["code"] == "user_inactive"

    run_cli(server.data_dir, "apps", "auto-create-users", "--app", tenant.app_id, "off")
    unknown = enroll(api, "stranger", course["id"])
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "user_not_found"
    run_cli(server.data_dir, "apps", "auto-create-users", "--app", tenant.app_id, "on")
    assert enroll(api, "stranger", course["id"]).status_code == 201


def test_capacity(api: Api) -> None:
    course = api.course(settings={"max_enrollments": 2})
    first = enroll(api, "a", course["id"]).json()["data"]
    enroll(api, "b", course["id"])
    full = enroll(api, "c", course["id"])
    assert full.status_code == 422
    assert error_of(full)["code"] == "enrollment_limit_reached"
    assert error_of(full)["source"]["pointer"] == "/data/attributes/course_id"
    assert "capacity of 2" in error_of(full)["detail"]
    assert api.delete(f"/enrollments/{first['id']}").status_code == 204  # a seat frees up
    assert enroll(api, "c", course["id"]).status_code == 201


def test_self_enrollment_with_publishable_keys(tenant: Tenant) -> None:
    sk, pk = tenant.secret, tenant.publishable
    open_course = sk.course(status="published", settings={"self_enrollment": True})
    closed = sk.course(status="published")
    draft = sk.course(settings={"self_enrollment": True})
    assert enroll(pk, "me", open_course["id"]).status_code == 201
    refused = enroll(pk, "me", closed["id"])
    assert refused.status_code == 403 and error_of(refused)["code"] == "self_enrollment_disabled"
    assert enroll(pk, "me", draft["id"]).status_code == 404
    assert enroll(sk, "me", closed["id"]).status_code == 201  # instructors may enroll anyone
    assert pk.get("/enrollments").status_code == 400  # a publishable key must name the learner
    mine = pk.get("/enrollments", params={"user_id": "me"}).json()
    assert mine["meta"]["total"] == 2
    assert pk.post("/enrollments/bulk", {"course_id": open_course["id"], "user_ids": ["x"]}).status_code == 403
    mine_id = mine["data"][0]["id"]
    assert pk.delete(f"/enrollments/{mine_id}").status_code == 403


def test_list_filters_and_pagination(api: Api) -> None:
    c1, c2 = api.course(), api.course()
    for user in ("u1", "u2", "u3"):
        enroll(api, user, c1["id"])
    enroll(api, "u1", c2["id"])
    cancelled = enroll(api, "u9", c2["id"]).json()["data"]
    api.delete(f"/enrollments/{cancelled['id']}")

    def ids(**params):
        body = api.get("/enrollments", params=params).json()
        return [(e["attributes"]["user_id"], e["attributes"]["course_id"]) for e in body["data"]], body["meta"]

    assert ids(course_id=c1["id"])[1]["total"] == 3
    assert ids(user_id="u1")[0] == [("u1", c1["id"]), ("u1", c2["id"])]
    assert ids(status="cancelled")[0] == [("u9", c2["id"])]
    page, meta = ids(per_page=2, page=2)
    assert meta == {"total": 5, "page": 2, "per_page": 2} and len(page) == 2
    assert api.get("/enrollments", params={"status": "paused"}).status_code == 400
    assert api.get(f"/courses/{c2['id']}").json()["data"]["attributes"]["enrollment_count"] == 1


def test_cancel_and_reenroll_keeps_progress(api: Api) -> None:
    course = api.course()
    lessons = [api.lesson(api.module(course["id"])["id"]) for _ in range(2)]
    enrollment = enroll(api, "kim", course["id"]).json()["data"]
    api.post(f"/lessons/{lessons[0]['id']}/complete", {"user_id": "kim", "time_spent_seconds": 120})
    assert api.delete(f"/enrollments/{enrollment['id']}").status_code == 204
    assert api.delete(f"/enrollments/{enrollment['id']}").status_code == 204  # cancelling twice is harmless
    cancelled = api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    blocked = api.post(f"/lessons/{lessons[1]['id']}/complete", {"user_id": "kim"})
    assert blocked.status_code == 422 and error_of(blocked)["code"] == "not_enrolled"
    back = enroll(api, "kim", course["id"]).json()["data"]
    assert back["id"] == enrollment["id"]
    assert back["attributes"]["status"] == "active" and back["attributes"]["lessons_completed"] == 1
    assert back["attributes"]["time_spent_minutes"] == 2
    assert api.delete("/enrollments/enrollment-nope").status_code == 404


def test_expired_on_read_the_moment_it_passes(api: Api) -> None:
    course = api.course()
    lesson = api.lesson(api.module(course["id"])["id"])
    enrollment = enroll(api, "late", course["id"], expires_at=soon(1.5)).json()["data"]
    assert enrollment["attributes"]["status"] == "active"
    time.sleep(2)
    assert api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]["status"] == "expired"
    assert [e["id"] for e in api.get("/enrollments", params={"status": "expired"}).json()["data"]] == [enrollment["id"]]
    refused = api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "late"})
    assert refused.status_code == 403 and error_of(refused)["code"] == "enrollment_expired"
    renewed = enroll(api, "late", course["id"], expires_at="2099-01-01T00:00:00Z")
    assert renewed.status_code == 201 and renewed.json()["data"]["attributes"]["status"] == "active"


def test_bulk_enroll_outcomes(api: Api) -> None:
    course = api.course(settings={"max_enrollments": 3})
    enroll(api, "already", course["id"])
    api.create("/users", "user", id="inactive", display_name="Inactive")
    api.delete("/users/inactive")
    response = api.post("/enrollments/bulk", {"course_id": course["id"], "expires_at": "2099-01-01T00:00:00Z",
                                              "user_ids": ["new-1", "already", "inactive", "new-2", "new-3"],
                                              "send_notification": True})
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    outcomes = {r["user_id"]: (r["outcome"], (r["error"] or {}).get("code")) for r in body["results"]}
    assert outcomes == {
        "new-1": ("enrolled", None), "already": ("already_enrolled", None),
        "inactive": ("error", "user_inactive"), "new-2": ("enrolled", None),
        "new-3": ("error", "enrollment_limit_reached"),
    }
    assert body["enrolled_count"] == 2
    assert api.get("/enrollments", params={"course_id": course["id"]}).json()["meta"]["total"] == 3
    assert api.post("/enrollments/bulk", {"course_id": "course-nope", "user_ids": ["x"]}).status_code == 404
    assert api.post("/enrollments/bulk", {"course_id": course["id"], "user_ids": []}).status_code == 422
