"""Modules: dense positions, reorder rules, unlock times, roll-ups into the course."""

from __future__ import annotations

from tests.conftest import Api, error_of


def _titles(api: Api, course_id: str) -> list[tuple[int, str]]:
    data = api.get(f"/courses/{course_id}/modules").json()["data"]
    return [(m["attributes"]["position"], m["attributes"]["title"]) for m in data]


def test_positions_append_insert_and_clamp(api: Api) -> None:
    course = api.course()
    api.module(course["id"], title="B")
    api.module(course["id"], title="D")
    api.module(course["id"], title="A", position=1)
    api.module(course["id"], title="C", position=3)
    api.module(course["id"], title="E", position=99)
    assert _titles(api, course["id"]) == [(1, "A"), (2, "B"), (3, "C"), (4, "D"), (5, "E")]
    assert api.get(f"/courses/{course['id']}").json()["data"]["attributes"]["module_count"] == 5


def test_patch_moves_and_delete_closes_the_gap(api: Api) -> None:
    course = api.course()
    ids = {t: api.module(course["id"], title=t)["id"] for t in "ABCD"}
    moved = api.patch_resource(f"/modules/{ids['D']}", "module", position=2, title="D2")
    assert moved.status_code == 200, moved.text
    assert _titles(api, course["id"]) == [(1, "A"), (2, "D2"), (3, "B"), (4, "C")]
    api.patch_resource(f"/modules/{ids['A']}", "module", position=4)
    assert _titles(api, course["id"]) == [(1, "D2"), (2, "B"), (3, "C"), (4, "A")]
    assert api.delete(f"/modules/{ids['B']}").status_code == 204
    assert _titles(api, course["id"]) == [(1, "D2"), (2, "C"), (3, "A")]
    assert api.get(f"/modules/{ids['B']}").status_code == 404


def test_reorder_sets_the_order(api: Api) -> None:
    course = api.course()
    a, b, c = (api.module(course["id"], title=t)["id"] for t in "ABC")
    response = api.post(f"/courses/{course['id']}/modules/reorder", {"module_ids": [c, a, b]})
    assert response.status_code == 200, response.text
    assert [m["id"] for m in response.json()["data"]] == [c, a, b]
    assert _titles(api, course["id"]) == [(1, "C"), (2, "A"), (3, "B")]


def test_reorder_must_name_exactly_the_modules(api: Api) -> None:
    course = api.course()
    other = api.course()
    a, b = (api.module(course["id"], title=t)["id"] for t in "AB")
    foreign = api.module(other["id"])["id"]
    for body in ({"module_ids": [a]}, {"module_ids": [a, b, b]}, {"module_ids": [a, b, foreign]},
                 {"module_ids": [b, "module-nope"]}, {"module_ids": []}):
        response = api.post(f"/courses/{course['id']}/modules/reorder", body)
        assert response.status_code == 422, body
        err = error_of(response)
        assert err["code"] == "invalid_reorder" and err["source"]["pointer"] == "/module_ids"
    assert _titles(api, course["id"]) == [(1, "A"), (2, "B")]  # nothing half-written
    assert api.post(f"/courses/{course['id']}/modules/reorder", {"module_ids": "a"}).status_code == 422
    assert api.post("/courses/course-nope/modules/reorder", {"module_ids": []}).status_code == 404


def test_unlock_at_is_stored_as_utc(api: Api) -> None:
    course = api.course()
    module = api.module(course["id"], unlock_at="2030-02-01T09:30:00+02:00")
    assert module["attributes"]["unlock_at"] == "2030-02-01T07:30:00.000Z"
    cleared = api.patch_resource(f"/modules/{module['id']}", "module", unlock_at=None)
    assert cleared.json()["data"]["attributes"]["unlock_at"] is None
    bad = api.patch_resource(f"/modules/{module['id']}", "module", unlock_at="next tuesday")
    assert bad.status_code == 422
    assert error_of(bad)["source"]["pointer"] == "/data/attributes/unlock_at"


def test_module_totals_roll_up(api: Api) -> None:
    course = api.course()
    module = api.module(course["id"])
    api.lesson(module["id"], content={"html": "<p>x</p>", "estimated_reading_minutes": 10})
    api.lesson(module["id"], content_type="video",
               content={"video_url": "https://example.org/v.mp4", "duration_seconds": 61})
    got = api.get(f"/modules/{module['id']}").json()["data"]["attributes"]
    assert (got["lesson_count"], got["duration_minutes"]) == (2, 12)
    course_attrs = api.get(f"/courses/{course['id']}").json()["data"]["attributes"]
    assert (course_attrs["module_count"], course_attrs["lesson_count"], course_attrs["duration_minutes"]) == (1, 2, 12)
    api.delete(f"/modules/{module['id']}")
    course_attrs = api.get(f"/courses/{course['id']}").json()["data"]["attributes"]
    assert (course_attrs["module_count"], course_attrs["lesson_count"], course_attrs["duration_minutes"]) == (0, 0, 0)


def test_module_errors(api: Api) -> None:
    assert error_of(api.get("/courses/course-nope/modules"))["code"] == "course_not_found"
    missing = api.post("/courses/course-nope/modules", {"data": {"type": "module", "attributes": {"title": "x"}}})
    assert missing.status_code == 404
    course = api.course()
    bad = api.post(f"/courses/{course['id']}/modules", {"data": {"type": "module", "attributes": {"position": 0}}})
    assert bad.status_code == 422
    assert {e["source"]["pointer"] for e in bad.json()["errors"]} == {"/data/attributes/title", "/data/attributes/position"}
    assert error_of(api.get("/modules/module-nope"))["code"] == "module_not_found"
