"""Learning paths: the catalogue of paths, their validation, a learner's progress along one,
prerequisites enforced on enrollment, and the paths a completion completes (for certificates)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Api, Tenant, Timeline, error_of, make_tenant
from university_local.core.scope import Scope
from university_local.core.scope import Tenant as StoreTenant
from university_local.learning_paths.service import completed_paths

ATTRIBUTES = {"title", "description", "status", "total_courses", "total_duration_hours", "courses",
              "certificate_id", "created_at", "updated_at"}
PROGRESS = {"path_id", "user_id", "overall_progress", "courses_completed", "total_courses", "current_course",
            "next_available", "locked", "time_invested_hours", "estimated_completion_hours"}


def entry(course_id: str, *prerequisites: str, position: int | None = None, required: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"course_id": course_id, "required": required, "prerequisites": list(prerequisites)}
    if position is not None:
        item["position"] = position
    return item


def post_path(api: Api, **attributes: Any) -> httpx.Response:
    return api.post("/learning-paths", {"data": {"type": "learning_path",
                                                 "attributes": {"title": "A path", **attributes}}})


def template(api: Api) -> str:
    """A certificate template for a path's certificate."""
    return api.create("/certificate-templates", "certificate_template", name="Path",
                      html_template="<h1>{{student_name}}</h1>")["id"]


def make_path(api: Api, **attributes: Any) -> dict[str, Any]:
    response = post_path(api, **attributes)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def course(api: Api, *lesson_minutes: int) -> dict[str, Any]:
    """A published course learners may join, with one text lesson per duration given."""
    created = api.course(status="published", settings={"self_enrollment": True})
    module = api.module(created["id"])
    created["lessons"] = [
        api.lesson(module["id"], content={"html": "<p>Read</p>", "estimated_reading_minutes": minutes})["id"]
        for minutes in lesson_minutes
    ]
    return created


def enroll(api: Api, user_id: str, course_id: str, **extra: Any) -> httpx.Response:
    return api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user_id, "course_id": course_id, **extra}}})


def complete(api: Api, user_id: str, lesson_id: str, seconds: int = 600) -> None:
    response = api.post(f"/lessons/{lesson_id}/complete", {"user_id": user_id, "time_spent_seconds": seconds})
    assert response.status_code == 200, response.text


def progress(api: Api, path_id: str, user_id: str) -> dict[str, Any]:
    response = api.get(f"/learning-paths/{path_id}/users/{user_id}/progress")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data"} and set(body["data"]) == PROGRESS
    return body["data"]


def courses_of(path: dict[str, Any]) -> list[tuple[str, int, bool, list[str]]]:
    return [(c["course_id"], c["position"], c["required"], c["prerequisites"]) for c in path["attributes"]["courses"]]


# -- the catalogue of paths ----------------------------------------------------------------------


def test_create_read_update_delete(api: Api) -> None:
    a, b, c = course(api, 30, 30), course(api, 90), course(api, 48)
    certificate = template(api)
    path = make_path(api, title="Frontend Developer Path", description="Become a frontend developer",
                     courses=[entry(a["id"]), entry(b["id"], a["id"]), entry(c["id"], a["id"], b["id"], required=False)],
                     certificate_id=certificate)
    assert path["id"].startswith("path-") and path["type"] == "learning_path"
    attrs = path["attributes"]
    assert set(attrs) == ATTRIBUTES
    assert attrs["title"] == "Frontend Developer Path" and attrs["status"] == "draft"
    assert attrs["total_courses"] == 3 and attrs["total_duration_hours"] == 3.3  # 198 minutes
    assert attrs["certificate_id"] == certificate
    assert courses_of(path) == [(a["id"], 1, True, []), (b["id"], 2, True, [a["id"]]),
                                (c["id"], 3, False, [a["id"], b["id"]])]
    assert attrs["created_at"].endswith("Z")
    assert api.get(f"/learning-paths/{path['id']}").json() == {"data": path}

    listed = api.get("/learning-paths").json()
    assert listed["data"] == [path] and listed["meta"] == {"total": 1, "page": 1, "per_page": 20}

    # PATCH is partial: the courses stay unless sent.
    renamed = api.patch_resource(f"/learning-paths/{path['id']}", "learning_path", title="Renamed", description=None,
                         certificate_id=None, status="published")
    assert renamed.status_code == 200, renamed.text
    after = renamed.json()["data"]
    assert (after["attributes"]["title"], after["attributes"]["description"]) == ("Renamed", None)
    assert after["attributes"]["certificate_id"] is None and after["attributes"]["status"] == "published"
    assert courses_of(after) == courses_of(path)
    # Sent courses replace the list.
    replaced = api.patch_resource(f"/learning-paths/{path['id']}", "learning_path", courses=[entry(c["id"]), entry(a["id"], c["id"])])
    assert courses_of(replaced.json()["data"]) == [(c["id"], 1, True, []), (a["id"], 2, True, [c["id"]])]
    assert replaced.json()["data"]["attributes"]["total_duration_hours"] == 1.8  # 105 minutes
    assert replaced.json()["data"]["attributes"]["title"] == "Renamed"

    for name in ("title", "status", "courses"):
        cleared = api.patch_resource(f"/learning-paths/{path['id']}", "learning_path", **{name: None})
        assert cleared.status_code == 422 and error_of(cleared)["source"]["pointer"] == f"/data/attributes/{name}"
    mismatch = api.patch(f"/learning-paths/{path['id']}", {"data": {"type": "learning_path", "id": "path-other",
                                                                   "attributes": {"title": "X"}}})
    assert mismatch.status_code == 409 and error_of(mismatch)["code"] == "id_mismatch"

    assert api.delete(f"/learning-paths/{path['id']}").status_code == 204
    gone = api.get(f"/learning-paths/{path['id']}")
    assert gone.status_code == 404 and error_of(gone)["code"] == "learning_path_not_found"
    assert api.delete(f"/learning-paths/{path['id']}").status_code == 404
    assert api.patch_resource(f"/learning-paths/{path['id']}", "learning_path", title="Back").status_code == 404
    assert api.get(f"/learning-paths/{path['id']}/users/u/progress").status_code == 404
    assert api.get("/learning-paths").json()["meta"]["total"] == 0


def test_an_empty_path_and_bad_bodies(api: Api) -> None:
    empty = make_path(api)
    assert empty["attributes"]["courses"] == [] and empty["attributes"]["total_duration_hours"] == 0
    assert empty["attributes"]["total_courses"] == 0
    assert progress(api, empty["id"], "u")["overall_progress"] == 0

    cases = [
        ({"title": ""}, "/data/attributes/title"),
        ({"status": "archived"}, "/data/attributes/status"),
        ({"certificate_id": "x" * 129}, "/data/attributes/certificate_id"),
        ({"courses": [{"course_id": "course-x", "prerequisites": "course-y"}]}, "/data/attributes/courses/0/prerequisites"),
        ({"courses": [{"course_id": "course-x", "position": 0}]}, "/data/attributes/courses/0/position"),
        ({"courses": [{"course_id": "course-x", "required": "yes"}]}, "/data/attributes/courses/0/required"),
        ({"courses": [{"course_id": "course-x", "weight": 2}]}, "/data/attributes/courses/0/weight"),
    ]
    for attributes, pointer in cases:
        response = post_path(api, **attributes)
        assert response.status_code == 422, (attributes, response.text)
        assert error_of(response)["source"]["pointer"] == pointer, attributes
    wrong_type = api.post("/learning-paths", {"data": {"type": "course", "attributes": {"title": "X"}}})
    assert wrong_type.status_code == 422
    assert api.get("/learning-paths", params={"status": "archived"}).status_code == 400
    assert api.get("/learning-paths").json()["meta"]["total"] == 1  # nothing half-written


def test_positions_number_the_courses_once_each(api: Api) -> None:
    a, b, c = course(api), course(api), course(api)
    # Given positions order the path whatever the list order.
    path = make_path(api, courses=[entry(c["id"], position=3), entry(a["id"], position=1),
                                   entry(b["id"], a["id"], position=2)])
    assert [(cid, pos) for cid, pos, _, _ in courses_of(path)] == [(a["id"], 1), (b["id"], 2), (c["id"], 3)]

    def refused(courses: list[dict[str, Any]], pointer: str) -> dict[str, Any]:
        response = post_path(api, courses=courses)
        assert response.status_code == 422, response.text
        error = error_of(response)
        assert error["code"] == "invalid_position" and error["source"]["pointer"] == pointer
        return error

    assert "already taken" in refused([entry(a["id"], position=1), entry(b["id"], position=1)],
                                      "/data/attributes/courses/1/position")["detail"]
    assert "1 to 2" in refused([entry(a["id"], position=1), entry(b["id"], position=3)],
                               "/data/attributes/courses/1/position")["detail"]
    refused([entry(a["id"], position=1), entry(b["id"]), entry(c["id"], position=3)],
            "/data/attributes/courses/1/position")
    # PATCH checks the same way, and a refused PATCH changes nothing.
    response = api.patch_resource(f"/learning-paths/{path['id']}", "learning_path",
                          courses=[entry(a["id"], position=2), entry(b["id"], position=2)])
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_position"
    assert courses_of(api.get(f"/learning-paths/{path['id']}").json()["data"]) == courses_of(path)


def test_every_course_exists_in_the_tenant_and_appears_once(api: Api, tenant: Tenant, server) -> None:
    a, b = course(api), course(api)
    unknown = post_path(api, courses=[entry(a["id"]), entry("course-nope")])
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "course_not_found"
    assert error_of(unknown)["source"]["pointer"] == "/data/attributes/courses/1/course_id"

    other = make_tenant(server).secret.course()
    foreign = post_path(api, courses=[entry(other["id"])])
    assert foreign.status_code == 404 and error_of(foreign)["source"]["pointer"] == "/data/attributes/courses/0/course_id"

    deleted = api.course()
    api.delete(f"/courses/{deleted['id']}")
    assert post_path(api, courses=[entry(deleted["id"])]).status_code == 404

    twice = post_path(api, courses=[entry(a["id"]), entry(b["id"]), entry(a["id"])])
    assert twice.status_code == 422
    assert error_of(twice)["code"] == "duplicate_course"
    assert error_of(twice)["source"]["pointer"] == "/data/attributes/courses/2/course_id"
    assert api.get("/learning-paths").json()["meta"]["total"] == 0


def test_prerequisites_name_other_courses_of_the_path(api: Api) -> None:
    a, b, outside = course(api), course(api), course(api)

    def refused(courses: list[dict[str, Any]], code: str, pointer: str) -> None:
        response = post_path(api, courses=courses)
        assert response.status_code == 422, response.text
        assert (error_of(response)["code"], error_of(response)["source"]["pointer"]) == (code, pointer)

    refused([entry(a["id"]), entry(b["id"], a["id"], outside["id"])], "prerequisite_not_in_path",
            "/data/attributes/courses/1/prerequisites/1")
    refused([entry(a["id"], a["id"]), entry(b["id"])], "invalid_prerequisite",
            "/data/attributes/courses/0/prerequisites/0")
    refused([entry(a["id"]), entry(b["id"], a["id"], a["id"])], "invalid_prerequisite",
            "/data/attributes/courses/1/prerequisites/1")
    # A prerequisite may come later in the list than the course needing it: order is by position.
    later = make_path(api, courses=[entry(b["id"], a["id"]), entry(a["id"])])
    assert courses_of(later)[0] == (b["id"], 1, True, [a["id"]])


def test_cycles_are_refused_and_named(api: Api) -> None:
    a, b, c, d = course(api), course(api), course(api), course(api)

    def cycle(courses: list[dict[str, Any]]) -> dict[str, Any]:
        response = post_path(api, courses=courses)
        assert response.status_code == 422, response.text
        error = error_of(response)
        assert error["code"] == "prerequisite_cycle"
        return error

    two = cycle([entry(a["id"], b["id"]), entry(b["id"], a["id"])])
    assert f"Prerequisites form a cycle: {a['id']} → {b['id']} → {a['id']}" in two["detail"]
    assert two["source"]["pointer"] == "/data/attributes/courses/1/prerequisites/0"

    # a requires c, c requires b, b requires a.
    three = cycle([entry(d["id"]), entry(a["id"], d["id"], c["id"]), entry(b["id"], a["id"]), entry(c["id"], b["id"])])
    assert f"{a['id']} → {c['id']} → {b['id']} → {a['id']}" in three["detail"]
    assert d["id"] not in three["detail"]
    assert three["source"]["pointer"] == "/data/attributes/courses/2/prerequisites/0"

    # A diamond shares prerequisites without a cycle.
    diamond = make_path(api, courses=[entry(a["id"]), entry(b["id"], a["id"]), entry(c["id"], a["id"]),
                                      entry(d["id"], b["id"], c["id"], a["id"])])
    # PATCH cannot close a cycle either, and leaves the path as it was.
    response = api.patch_resource(f"/learning-paths/{diamond['id']}", "learning_path",
                          courses=[entry(a["id"], d["id"]), entry(b["id"], a["id"]), entry(c["id"], a["id"]),
                                   entry(d["id"], b["id"], c["id"])])
    assert response.status_code == 422 and error_of(response)["code"] == "prerequisite_cycle"
    assert f"{a['id']} → {d['id']} → {b['id']} → {a['id']}" in error_of(response)["detail"]
    assert courses_of(api.get(f"/learning-paths/{diamond['id']}").json()["data"]) == courses_of(diamond)


def test_list_filters_and_pagination(api: Api) -> None:
    a, b = course(api), course(api)
    first = make_path(api, courses=[entry(a["id"])], status="published")
    second = make_path(api, courses=[entry(a["id"]), entry(b["id"])])
    third = make_path(api, courses=[entry(b["id"])], status="published")

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in api.get("/learning-paths", params=params).json()["data"]]

    assert ids() == [first["id"], second["id"], third["id"]]
    assert ids(status="draft") == [second["id"]]
    assert ids(course_id=a["id"]) == [first["id"], second["id"]]
    assert ids(course_id=b["id"], status="published") == [third["id"]]
    page = api.get("/learning-paths", params={"per_page": 2, "page": 2}).json()
    assert [p["id"] for p in page["data"]] == [third["id"]]
    assert page["meta"] == {"total": 3, "page": 2, "per_page": 2}


# -- who sees what -----------------------------------------------------------------------------


def test_publishable_keys_see_published_paths_only(tenant: Tenant) -> None:
    sk, pk = tenant.secret, tenant.publishable
    a = course(sk, 10)
    draft = make_path(sk, courses=[entry(a["id"])])
    published = make_path(sk, courses=[entry(a["id"])], status="published")
    listed = pk.get("/learning-paths").json()
    assert [p["id"] for p in listed["data"]] == [published["id"]] and listed["meta"]["total"] == 1
    assert pk.get("/learning-paths", params={"status": "draft"}).json()["data"] == []
    assert pk.get(f"/learning-paths/{published['id']}").json()["data"] == published
    hidden = pk.get(f"/learning-paths/{draft['id']}")
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "learning_path_not_found"
    assert pk.get(f"/learning-paths/{draft['id']}/users/me/progress").status_code == 404
    assert progress(pk, published["id"], "me")["next_available"] == [a["id"]]
    # Publishable keys cannot change paths.
    assert post_path(pk).status_code == 403
    assert pk.patch_resource(f"/learning-paths/{published['id']}", "learning_path", title="Mine").status_code == 403
    assert pk.delete(f"/learning-paths/{published['id']}").status_code == 403
    # Unpublishing hides it again.
    sk.patch_resource(f"/learning-paths/{published['id']}", "learning_path", status="draft")
    assert pk.get(f"/learning-paths/{published['id']}").status_code == 404


def test_tenants_are_isolated(tenant: Tenant, server) -> None:
    api = tenant.secret
    a = course(api, 10)
    path = make_path(api, courses=[entry(a["id"])], status="published")
    for other in (make_tenant(server).secret, make_tenant(server, env="live", app_id=tenant.app_id).secret):
        assert other.get("/learning-paths").json() == {"data": [], "meta": {"total": 0, "page": 1, "per_page": 20}}
        for response in (other.get(f"/learning-paths/{path['id']}"),
                         other.patch_resource(f"/learning-paths/{path['id']}", "learning_path", title="Taken"),
                         other.delete(f"/learning-paths/{path['id']}"),
                         other.get(f"/learning-paths/{path['id']}/users/u/progress")):
            assert response.status_code == 404 and error_of(response)["code"] == "learning_path_not_found"
        assert other.get("/learning-paths", params={"course_id": a["id"]}).json()["data"] == []
    assert api.get(f"/learning-paths/{path['id']}").json()["data"] == path


# -- a learner along the spec's five-course path -----------------------------------------------


def test_progress_along_the_five_course_path(tenant: Tenant) -> None:
    sk, pk = tenant.secret, tenant.publishable
    html, css, js = course(sk, 30, 30), course(sk, 90), course(sk, 60, 60)
    react, testing = course(sk, 120), course(sk, 60)
    h, c, j, r, t = (x["id"] for x in (html, css, js, react, testing))
    path = make_path(sk, title="Frontend Developer Path", status="published", certificate_id=template(sk),
                     courses=[entry(h, position=1), entry(c, h, position=2), entry(j, h, c, position=3),
                              entry(r, j, position=4), entry(t, r, position=5, required=False)])
    assert path["attributes"]["total_duration_hours"] == 7.5  # 450 minutes
    pid = path["id"]

    def state() -> tuple[Any, ...]:
        p = progress(pk, pid, "ana")
        assert p["path_id"] == pid and p["user_id"] == "ana" and p["total_courses"] == 5
        return (p["overall_progress"], p["courses_completed"], p["current_course"], p["next_available"], p["locked"],
                p["time_invested_hours"], p["estimated_completion_hours"])

    def refused(course_id: str, missing: list[str]) -> None:
        response = enroll(pk, "ana", course_id)
        assert response.status_code == 422, response.text
        error = error_of(response)
        assert error["code"] == "prerequisite_not_met"
        assert error["source"]["pointer"] == "/data/attributes/course_id"
        assert error["meta"] == {"missing_prerequisites": missing, "learning_path_ids": [pid]}
        assert all(m in error["detail"] for m in missing)

    # Nothing done: only html is open; the estimate is the required courses (390 minutes).
    assert state() == (0, 0, None, [h], [c, j, r, t], 0, 6.5)
    refused(c, [h])
    refused(j, [h, c])
    assert enroll(pk, "ana", h).status_code == 201
    assert state() == (0, 0, h, [h], [c, j, r, t], 0, 6.5)
    complete(pk, "ana", html["lessons"][0], seconds=1800)
    assert state() == (0, 0, h, [h], [c, j, r, t], 0.5, 6.0)  # one lesson done: the estimate drops by it
    complete(pk, "ana", html["lessons"][1], seconds=1800)
    assert state() == (25, 1, None, [c], [j, r, t], 1.0, 5.5)

    refused(j, [c])
    assert enroll(pk, "ana", c).status_code == 201
    assert state()[2] == c
    complete(pk, "ana", css["lessons"][0], seconds=5400)
    assert state() == (50, 2, None, [j], [r, t], 2.5, 4.0)

    assert enroll(pk, "ana", j).status_code == 201
    for lesson in js["lessons"]:
        complete(pk, "ana", lesson, seconds=3600)
    assert enroll(pk, "ana", r).status_code == 201
    # The spec's example moment: three done, react current and open, testing locked behind it.
    assert state() == (75, 3, r, [r], [t], 4.5, 2.0)
    refused(t, [r])

    complete(pk, "ana", react["lessons"][0], seconds=7200)
    assert state() == (100, 4, None, [t], [], 6.5, 0)  # every required course done: the path is complete
    assert enroll(pk, "ana", t).status_code == 201
    complete(pk, "ana", testing["lessons"][0], seconds=3600)
    assert state() == (100, 5, None, [], [], 7.5, 0)

    # Another learner's progress is their own.
    assert progress(pk, pid, "ben")["next_available"] == [h]


def test_progress_counts_all_courses_when_none_is_required(api: Api) -> None:
    a, b = course(api, 10), course(api, 20)
    path = make_path(api, courses=[entry(a["id"], required=False), entry(b["id"], required=False)])
    assert enroll(api, "u", a["id"]).status_code == 201  # a draft path does not enforce anything
    complete(api, "u", a["lessons"][0])
    p = progress(api, path["id"], "u")
    assert (p["overall_progress"], p["courses_completed"], p["estimated_completion_hours"]) == (50, 1, 0.3)


# -- prerequisites on enrollment ---------------------------------------------------------------


def test_secret_keys_may_override_prerequisites(tenant: Tenant) -> None:
    sk, pk = tenant.secret, tenant.publishable
    a, b = course(sk, 10), course(sk, 10)
    make_path(sk, courses=[entry(a["id"]), entry(b["id"], a["id"])], status="published")

    plain_sk = enroll(sk, "kim", b["id"])
    assert plain_sk.status_code == 422 and error_of(plain_sk)["code"] == "prerequisite_not_met"
    not_allowed = enroll(pk, "kim", b["id"], override_prerequisites=True)
    assert not_allowed.status_code == 403
    assert error_of(not_allowed)["source"]["pointer"] == "/data/attributes/override_prerequisites"
    assert sk.get("/enrollments", params={"user_id": "kim"}).json()["meta"]["total"] == 0
    overridden = enroll(sk, "kim", b["id"], override_prerequisites=True)
    assert overridden.status_code == 201, overridden.text
    assert enroll(sk, "lee", a["id"], override_prerequisites=False).status_code == 201  # nothing to override


def test_bulk_enroll_reports_missing_prerequisites_per_user(api: Api) -> None:
    a, b = course(api, 10), course(api, 10)
    make_path(api, courses=[entry(a["id"]), entry(b["id"], a["id"])], status="published")
    enroll(api, "done", a["id"])
    complete(api, "done", a["lessons"][0])
    result = api.post("/enrollments/bulk", {"course_id": b["id"], "user_ids": ["done", "new"]}).json()["data"]
    outcomes = {r["user_id"]: r for r in result["results"]}
    assert outcomes["done"]["outcome"] == "enrolled" and result["enrolled_count"] == 1
    assert outcomes["new"]["outcome"] == "error" and outcomes["new"]["error"]["code"] == "prerequisite_not_met"
    assert a["id"] in outcomes["new"]["error"]["detail"]
    forced = api.post("/enrollments/bulk", {"course_id": b["id"], "user_ids": ["new"],
                                            "override_prerequisites": True}).json()["data"]
    assert forced["results"][0]["outcome"] == "enrolled"


def test_which_paths_enforce(api: Api) -> None:
    a, b, c, target = course(api, 10), course(api, 10), course(api, 10), course(api, 10)
    draft = make_path(api, courses=[entry(a["id"]), entry(target["id"], a["id"])])
    assert enroll(api, "u1", target["id"]).status_code == 201  # a draft path does not bind

    one = make_path(api, courses=[entry(a["id"]), entry(target["id"], a["id"])], status="published")
    two = make_path(api, courses=[entry(b["id"]), entry(c["id"]), entry(target["id"], b["id"], c["id"])],
                    status="published")
    # Every published path containing the course is satisfied, or the enrollment is refused.
    enroll(api, "u2", b["id"])
    complete(api, "u2", b["lessons"][0])
    response = enroll(api, "u2", target["id"])
    assert response.status_code == 422
    assert error_of(response)["meta"] == {"missing_prerequisites": [a["id"], c["id"]],
                                          "learning_path_ids": sorted([one["id"], two["id"]])}

    api.delete(f"/learning-paths/{two['id']}")  # a deleted path binds no more
    assert error_of(enroll(api, "u2", target["id"]))["meta"]["missing_prerequisites"] == [a["id"]]
    api.patch_resource(f"/learning-paths/{one['id']}", "learning_path", status="draft")  # nor does an unpublished one
    assert enroll(api, "u2", target["id"]).status_code == 201
    assert draft["id"] != one["id"]


def test_a_deleted_course_drops_out_of_its_paths(api: Api) -> None:
    a, b, c = course(api, 60), course(api, 30), course(api, 30)
    path = make_path(api, courses=[entry(a["id"]), entry(b["id"], a["id"]), entry(c["id"], b["id"])], status="published")
    assert enroll(api, "u", b["id"]).status_code == 422
    assert api.delete(f"/courses/{a['id']}").status_code == 204
    after = api.get(f"/learning-paths/{path['id']}").json()["data"]
    assert courses_of(after) == [(b["id"], 1, True, []), (c["id"], 2, True, [b["id"]])]
    assert after["attributes"]["total_courses"] == 2 and after["attributes"]["total_duration_hours"] == 1.0
    assert enroll(api, "u", b["id"]).status_code == 201
    assert progress(api, path["id"], "u")["current_course"] == b["id"]
    # What a client reads back, it can send back.
    again = api.patch_resource(f"/learning-paths/{path['id']}", "learning_path", courses=after["attributes"]["courses"])
    assert again.status_code == 200 and courses_of(again.json()["data"]) == courses_of(after)


# -- path completion, for certificates ---------------------------------------------------------


def test_completed_paths(timeline: Timeline) -> None:
    api, learner, store = timeline.api, timeline.learner, timeline.store
    tenant = StoreTenant("clock-app", "test")
    a, b, extra = course(api, 10), course(api, 10), course(api, 10)
    courses = [entry(a["id"]), entry(b["id"], a["id"]), entry(extra["id"], b["id"], required=False)]
    certified = make_path(api, courses=courses, status="published", certificate_id=template(api))
    make_path(api, courses=courses, status="published")  # no certificate
    make_path(api, courses=courses, certificate_id=template(api))  # not published
    other = make_path(api, courses=[entry(b["id"])], status="published", certificate_id=template(api))

    def paths(user_id: str, course_id: str) -> list[str]:
        return [row["id"] for row in completed_paths(store.scoped(Scope.staff(tenant)), user_id, course_id)]

    assert enroll(learner, "amy", a["id"]).status_code == 201
    complete(learner, "amy", a["lessons"][0])
    assert paths("amy", a["id"]) == []  # b is still to do
    assert enroll(learner, "amy", b["id"]).status_code == 201
    assert paths("amy", b["id"]) == []  # enrolled is not completed
    complete(learner, "amy", b["lessons"][0])
    assert paths("amy", b["id"]) == [certified["id"], other["id"]]
    assert paths("amy", a["id"]) == [certified["id"]]
    assert paths("bob", b["id"]) == []
    # Completing the optional course completes no path: the path was completed before.
    assert enroll(learner, "amy", extra["id"]).status_code == 201
    complete(learner, "amy", extra["lessons"][0])
    assert paths("amy", extra["id"]) == []
    # Another tenant's learner with the same id has completed nothing here.
    assert completed_paths(store.scoped(Scope.staff(StoreTenant("clock-app", "live"))), "amy", b["id"]) == []
    rows = completed_paths(store.scoped(Scope.staff(tenant)), "amy", b["id"])
    assert rows[0]["certificate_id"] == certified["attributes"]["certificate_id"] and rows[0]["title"] == "A path"


def test_the_certificate_must_be_a_template(api: Api) -> None:
    a = course(api, 10)
    missing = post_path(api, title="P", courses=[entry(a["id"])], certificate_id="template-nope")
    assert missing.status_code == 404 and error_of(missing)["code"] == "certificate_template_not_found"
    assert error_of(missing)["source"]["pointer"] == "/data/attributes/certificate_id"
    path = make_path(api, title="P", courses=[entry(a["id"])])
    patched = api.patch_resource(f"/learning-paths/{path['id']}", "learning_path", certificate_id="template-nope")
    assert patched.status_code == 404
