"""Progress: idempotent completion, monotonic time and position, drip locks, roll-up, reset."""

from __future__ import annotations

from tests.conftest import Api, Tenant, error_of


def course_with(api: Api, *modules: list[dict], **course_attrs):
    """A course with modules of lessons; returns (course, [module], [[lesson]])."""
    course = api.course(**course_attrs)
    made_modules, made_lessons = [], []
    for lessons in modules:
        module = api.module(course["id"])
        made_modules.append(module)
        made_lessons.append([api.lesson(module["id"], **attrs) for attrs in lessons])
    return course, made_modules, made_lessons


def enroll(api: Api, user: str, course_id: str) -> dict:
    response = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {"user_id": user, "course_id": course_id}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_complete_is_idempotent_and_time_is_a_total(api: Api) -> None:
    course, _, [[a, b]] = course_with(api, [{}, {}])
    enroll(api, "sam", course["id"])
    first = api.post(f"/lessons/{a['id']}/complete", {"user_id": "sam", "time_spent_seconds": 300, "position": 100})
    assert first.status_code == 200, first.text
    attrs = first.json()["data"]["attributes"]
    assert attrs["completed"] is True and attrs["time_spent_seconds"] == 300
    assert attrs["enrollment_status"] == "active"
    completed_at = attrs["completed_at"]
    # The same call again (a retry): one completion, no time added.
    again = api.post(f"/lessons/{a['id']}/complete", {"user_id": "sam", "time_spent_seconds": 300}).json()["data"]["attributes"]
    assert again["completed_at"] == completed_at and again["time_spent_seconds"] == 300
    # A larger total replaces the total; a smaller one (a late, stale report) changes nothing.
    assert api.post(f"/lessons/{a['id']}/complete", {"user_id": "sam", "time_spent_seconds": 420}).json()["data"]["attributes"]["time_spent_seconds"] == 420
    assert api.post(f"/lessons/{a['id']}/complete", {"user_id": "sam", "time_spent_seconds": 10}).json()["data"]["attributes"]["time_spent_seconds"] == 420
    progress = api.get(f"/progress/{course['id']}/users/sam").json()["data"]["attributes"]
    assert progress["lessons_completed"] == [{"lesson_id": a["id"], "completed_at": completed_at, "time_spent_seconds": 420}]
    assert progress["total_time_spent_minutes"] == 7


def test_position_updates(api: Api) -> None:
    course, _, [[video]] = course_with(api, [{"content_type": "video", "content": {
        "video_url": "https://cdn.example.org/v.mp4", "duration_seconds": 900}}])
    enroll(api, "ria", course["id"])
    r1 = api.patch(f"/lessons/{video['id']}/progress", {"user_id": "ria", "position": 300, "time_spent_seconds": 320})
    assert r1.status_code == 200, r1.text
    r2 = api.patch(f"/lessons/{video['id']}/progress", {"user_id": "ria", "position": 120, "time_spent_seconds": 100})
    attrs = r2.json()["data"]["attributes"]
    assert (attrs["position"], attrs["furthest_position"], attrs["time_spent_seconds"]) == (120, 300, 320)
    assert attrs["completed"] is False
    r3 = api.patch(f"/lessons/{video['id']}/progress", {"user_id": "ria", "time_spent_seconds": 400})
    attrs = r3.json()["data"]["attributes"]  # no position: the stored one stays
    assert (attrs["position"], attrs["furthest_position"], attrs["time_spent_seconds"]) == (120, 300, 400)
    progress = api.get(f"/progress/{course['id']}/users/ria").json()["data"]["attributes"]
    assert progress["current_lesson"] == {"lesson_id": video["id"], "position": 120, "total": 900}
    assert progress["status"] == "in_progress" and progress["overall_progress"] == 0.0
    bad = api.patch(f"/lessons/{video['id']}/progress", {"user_id": "ria", "position": -1})
    assert bad.status_code == 422 and error_of(bad)["source"]["pointer"] == "/position"


def test_last_required_lesson_completes_the_enrollment(api: Api) -> None:
    course, modules, [[a, b], [c]] = course_with(api, [{}, {}], [{"required": False}])
    enrollment = enroll(api, "zoe", course["id"])
    api.post(f"/lessons/{a['id']}/complete", {"user_id": "zoe", "time_spent_seconds": 60})
    mid = api.get(f"/progress/{course['id']}/users/zoe").json()["data"]["attributes"]
    assert mid["overall_progress"] == 50.0 and mid["modules"][0]["progress"] == 50.0
    assert mid["modules"][0]["completed_at"] is None
    assert mid["current_lesson"]["lesson_id"] == b["id"]
    done = api.post(f"/lessons/{b['id']}/complete", {"user_id": "zoe", "time_spent_seconds": 60}).json()["data"]["attributes"]
    assert done["enrollment_status"] == "completed"
    after = api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]
    assert after["status"] == "completed" and after["completed_at"] == done["completed_at"]
    assert after["progress_percent"] == 100 and after["lessons_completed"] == 2 and after["total_lessons"] == 3
    view = api.get(f"/progress/{course['id']}/users/zoe").json()["data"]
    assert view["type"] == "progress"
    attrs = view["attributes"]
    assert attrs["status"] == "completed" and attrs["overall_progress"] == 100.0
    assert attrs["modules"][0] == {"module_id": modules[0]["id"], "title": modules[0]["attributes"]["title"],
                                   "progress": 100.0, "completed_at": done["completed_at"]}
    assert attrs["modules"][1]["progress"] == 0.0
    assert attrs["current_lesson"] == {"lesson_id": c["id"], "position": 0, "total": 100}
    # The optional lesson can still be completed; the enrollment stays completed.
    assert api.post(f"/lessons/{c['id']}/complete", {"user_id": "zoe"}).json()["data"]["attributes"]["enrollment_status"] == "completed"


def test_drip_locked_lessons(api: Api) -> None:
    course = api.course(settings={"drip_content": True})
    locked_module = api.module(course["id"], unlock_at="2099-01-01T00:00:00Z")
    open_module = api.module(course["id"], unlock_at="2020-01-01T00:00:00Z")
    locked = api.lesson(locked_module["id"])
    unlocked = api.lesson(open_module["id"])
    enroll(api, "dee", course["id"])
    for response in (api.post(f"/lessons/{locked['id']}/complete", {"user_id": "dee"}),
                     api.patch(f"/lessons/{locked['id']}/progress", {"user_id": "dee", "position": 5})):
        assert response.status_code == 403 and error_of(response)["code"] == "lesson_locked"
    assert api.post(f"/lessons/{unlocked['id']}/complete", {"user_id": "dee"}).status_code == 200
    api.patch_resource(f"/modules/{locked_module['id']}", "module", unlock_at=None)
    assert api.post(f"/lessons/{locked['id']}/complete", {"user_id": "dee"}).status_code == 200


def test_learners_record_progress_with_publishable_keys(tenant: Tenant) -> None:
    sk, pk = tenant.secret, tenant.publishable
    course, _, [[lesson]] = course_with(sk, [{}], status="published", settings={"self_enrollment": True})
    enroll(pk, "self", course["id"])
    assert pk.post(f"/lessons/{lesson['id']}/complete", {"user_id": "self"}).status_code == 200
    assert pk.get(f"/progress/{course['id']}/users/self").json()["data"]["attributes"]["status"] == "completed"
    assert pk.post(f"/progress/{course['id']}/users/self/reset").status_code == 403


def test_progress_errors(api: Api) -> None:
    course, _, [[lesson]] = course_with(api, [{}])
    assert error_of(api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "nobody"}))["code"] == "not_enrolled"
    assert error_of(api.post("/lessons/lesson-nope/complete", {"user_id": "x"}))["code"] == "lesson_not_found"
    assert api.post(f"/lessons/{lesson['id']}/complete", {}).status_code == 422
    assert error_of(api.get(f"/progress/{course['id']}/users/nobody"))["code"] == "enrollment_not_found"
    enroll(api, "new", course["id"])
    fresh = api.get(f"/progress/{course['id']}/users/new").json()["data"]["attributes"]
    assert fresh["status"] == "not_started" and fresh["started_at"] is None
    assert fresh["current_lesson"] == {"lesson_id": lesson["id"], "position": 0, "total": 100}


def test_reset(api: Api) -> None:
    course, _, [[a]] = course_with(api, [{}])
    enrollment = enroll(api, "rex", course["id"])
    api.post(f"/lessons/{a['id']}/complete", {"user_id": "rex", "time_spent_seconds": 600})
    assert api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]["status"] == "completed"
    reset = api.post(f"/progress/{course['id']}/users/rex/reset")
    assert reset.status_code == 200
    attrs = reset.json()["data"]["attributes"]
    assert attrs["status"] == "not_started" and attrs["lessons_completed"] == [] and attrs["total_time_spent_minutes"] == 0
    after = api.get(f"/enrollments/{enrollment['id']}").json()["data"]["attributes"]
    assert after["status"] == "active" and after["completed_at"] is None and after["progress_percent"] == 0
    assert api.post(f"/progress/{course['id']}/users/nobody/reset").status_code == 404
