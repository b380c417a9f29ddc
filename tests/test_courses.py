"""Courses over HTTP: create, read, filters, pagination, include, PATCH, soft delete."""

from __future__ import annotations

import sqlite3

from tests.conftest import Api, Tenant, error_of


def test_create_fills_defaults_and_derived_attributes(api: Api) -> None:
    course = api.course(title="Intro to Soil Science", description="Dirt, properly.")
    attrs = course["attributes"]
    assert course["id"].startswith("course-") and course["type"] == "course"
    assert attrs["slug"] == "intro-to-soil-science"
    assert attrs["status"] == "draft"
    assert (attrs["module_count"], attrs["lesson_count"], attrs["duration_minutes"], attrs["enrollment_count"]) == (0, 0, 0, 0)
    assert attrs["settings"] == {
        "self_enrollment": False, "certificate_enabled": True, "certificate_template_id": None, "discussion_enabled": True,
        "drip_content": False, "passing_score": 70, "max_attempts": None, "max_enrollments": None,
    }
    assert attrs["created_at"].endswith("Z") and attrs["updated_at"].endswith("Z")
    assert course["relationships"]["instructor"] == {"data": None}


def test_get_returns_what_was_created(api: Api) -> None:
    created = api.course(title="Maths", instructor_id="user-7", category_id="cat-math",
                         settings={"passing_score": 80, "max_attempts": 3})
    got = api.get(f"/courses/{created['id']}")
    assert got.status_code == 200
    data = got.json()["data"]
    assert data == created
    assert data["relationships"]["instructor"] == {"data": {"type": "user", "id": "user-7"}}
    assert data["relationships"]["category"] == {"data": {"type": "category", "id": "cat-math"}}
    assert data["attributes"]["settings"]["passing_score"] == 80


def test_slugs_are_unique_per_tenant(api: Api, tenant: Tenant, server) -> None:
    first = api.course(title="Welding Basics")
    second = api.course(title="Welding Basics")
    assert first["attributes"]["slug"] == "welding-basics"
    assert second["attributes"]["slug"] == "welding-basics-2"
    taken = api.post("/courses", {"data": {"type": "course", "attributes": {"title": "X", "slug": "welding-basics"}}})
    assert taken.status_code == 409
    assert error_of(taken)["code"] == "slug_taken"
    assert error_of(taken)["source"]["pointer"] == "/data/attributes/slug"
    # Another tenant may use the same slug.
    from tests.conftest import make_tenant

    other = make_tenant(server)
    assert other.secret.course(title="Welding Basics")["attributes"]["slug"] == "welding-basics"
    # A slug can be changed by PATCH, and conflicts there too.
    assert api.patch_resource(f"/courses/{second['id']}", "course", slug="welding-two").json()["data"]["attributes"]["slug"] == "welding-two"
    assert api.patch_resource(f"/courses/{second['id']}", "course", slug="welding-basics").status_code == 409


def test_list_filters_by_status_category_and_instructor(api: Api) -> None:
    a = api.course(title="A", status="published", category_id="cat-1", instructor_id="user-1")
    b = api.course(title="B", status="draft", category_id="cat-1", instructor_id="user-2")
    c = api.course(title="C", status="archived", category_id="cat-2", instructor_id="user-1")

    def ids(**params: str) -> list[str]:
        response = api.get("/courses", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(status="published") == [a["id"]]
    assert ids(category="cat-1") == [a["id"], b["id"]]
    assert ids(instructor_id="user-1") == [a["id"], c["id"]]
    assert ids(category="cat-1", instructor_id="user-2") == [b["id"]]
    bad = api.get("/courses", params={"status": "deleted"})
    assert bad.status_code == 400
    assert error_of(bad)["source"] == {"parameter": "status"}


def test_pagination_edges(api: Api) -> None:
    created = [api.course(title=f"Course {i}")["id"] for i in range(23)]
    first = api.get("/courses").json()
    assert first["meta"] == {"total": 23, "page": 1, "per_page": 20}
    assert [c["id"] for c in first["data"]] == created[:20]
    second = api.get("/courses", params={"page": 2}).json()
    assert [c["id"] for c in second["data"]] == created[20:]
    beyond = api.get("/courses", params={"page": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 23
    small = api.get("/courses", params={"per_page": 5, "page": 5}).json()
    assert [c["id"] for c in small["data"]] == created[20:]
    capped = api.get("/courses", params={"per_page": 1000}).json()
    assert capped["meta"]["per_page"] == 100 and len(capped["data"]) == 23
    for params in ({"page": 0}, {"per_page": 0}, {"page": "abc"}, {"per_page": -1}):
        response = api.get("/courses", params=params)
        assert response.status_code == 400, params
        assert error_of(response)["code"] == "invalid_parameter"
        assert error_of(response)["source"]["parameter"] == next(iter(params))


def test_include_modules_lessons_and_instructor(api: Api, tenant: Tenant, server) -> None:
    from university_local.core.scope import Scope
    from university_local.core.scope import Tenant as TenantKey
    from university_local.users.service import upsert_user

    store = server.store
    upsert_user(store.scoped(Scope.staff(TenantKey(tenant.app_id, "test"))), "user-ada", "Ada Lovelace", "instructor")
    store.close()
    course = api.course(title="Engines", instructor_id="user-ada")
    m1 = api.module(course["id"], title="One")
    m2 = api.module(course["id"], title="Two")
    l2 = api.lesson(m2["id"], title="Second module lesson")
    l1 = api.lesson(m1["id"], title="First module lesson")

    doc = api.get(f"/courses/{course['id']}", params={"include": "modules,lessons,instructor"}).json()
    included = [(item["type"], item["id"]) for item in doc["included"]]
    assert included == [("module", m1["id"]), ("module", m2["id"]), ("lesson", l1["id"]),
                        ("lesson", l2["id"]), ("user", "user-ada")]
    assert doc["data"]["relationships"]["modules"]["data"] == [{"type": "module", "id": m1["id"]},
                                                               {"type": "module", "id": m2["id"]}]
    assert doc["data"]["relationships"]["lessons"]["data"][0] == {"type": "lesson", "id": l1["id"]}
    user = doc["included"][-1]
    assert user["attributes"]["display_name"] == "Ada Lovelace"

    plain = api.get(f"/courses/{course['id']}").json()
    assert "included" not in plain
    bad = api.get(f"/courses/{course['id']}", params={"include": "modules,grades"})
    assert bad.status_code == 400
    assert error_of(bad)["code"] == "invalid_include"


def test_patch_changes_only_what_is_sent(api: Api) -> None:
    course = api.course(title="Old", description="Keep me", settings={"max_attempts": 2})
    response = api.patch_resource(f"/courses/{course['id']}", "course", title="New", settings={"self_enrollment": True})
    assert response.status_code == 200, response.text
    attrs = response.json()["data"]["attributes"]
    assert attrs["title"] == "New"
    assert attrs["description"] == "Keep me"
    assert attrs["slug"] == course["attributes"]["slug"]  # slugs are stable links
    assert attrs["settings"]["self_enrollment"] is True
    assert attrs["settings"]["max_attempts"] == 2
    assert attrs["updated_at"] >= course["attributes"]["updated_at"]
    cleared = api.patch_resource(f"/courses/{course['id']}", "course", description=None, settings={"max_attempts": None})
    assert cleared.json()["data"]["attributes"]["description"] is None
    assert cleared.json()["data"]["attributes"]["settings"]["max_attempts"] is None


def test_patch_rejects_bad_values_and_writes_nothing(api: Api) -> None:
    course = api.course(title="Stable")
    for attributes, pointer in (
        ({"title": None}, "/data/attributes/title"),
        ({"title": ""}, "/data/attributes/title"),
        ({"status": "gone"}, "/data/attributes/status"),
        ({"settings": {"passing_score": 101}}, "/data/attributes/settings/passing_score"),
        ({"settings": {"unknown_key": 1}}, "/data/attributes/settings/unknown_key"),
        ({"thumbnail_url": "javascript:alert(1)"}, "/data/attributes/thumbnail_url"),
        ({"title": "Fine", "colour": "red"}, "/data/attributes/colour"),
    ):
        response = api.patch_resource(f"/courses/{course['id']}", "course", **attributes)
        assert response.status_code == 422, (attributes, response.text)
        assert error_of(response)["source"]["pointer"] == pointer
    assert api.get(f"/courses/{course['id']}").json()["data"] == course
    mismatch = api.patch(f"/courses/{course['id']}", {"data": {"type": "course", "id": "course-other", "attributes": {}}})
    assert mismatch.status_code == 409


def test_create_validation_errors_point_at_fields(api: Api) -> None:
    response = api.post("/courses", {"data": {"type": "course", "attributes": {"title": 5, "status": "x"}}})
    assert response.status_code == 422
    pointers = {e["source"]["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/data/attributes/title", "/data/attributes/status"}
    wrong_type = api.post("/courses", {"data": {"type": "module", "attributes": {"title": "T"}}})
    assert wrong_type.status_code == 422
    assert error_of(wrong_type)["source"]["pointer"] == "/data/type"
    missing = api.post("/courses", {"data": {"type": "course", "attributes": {}}})
    assert error_of(missing)["source"]["pointer"] == "/data/attributes/title"
    assert api.get("/courses").json()["meta"]["total"] == 0


def test_malformed_and_oversized_bodies(api: Api) -> None:
    bad_json = api.http.post("/courses", content=b'{"data": {', headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert error_of(bad_json)["code"] == "invalid_json"
    empty = api.http.post("/courses", content=b"")
    assert empty.status_code == 400
    not_object = api.post("/courses", [1, 2])
    assert not_object.status_code == 422
    huge = api.post("/courses", {"data": {"type": "course", "attributes": {"title": "x", "description": "y" * 2_000_000}}})
    assert huge.status_code == 413
    assert error_of(huge)["code"] == "payload_too_large"
    assert api.get("/courses").json()["meta"]["total"] == 0


def test_soft_delete_hides_but_keeps_the_row(api: Api, server) -> None:
    course = api.course(title="Temporary")
    module = api.module(course["id"])
    lesson = api.lesson(module["id"])
    assert api.delete(f"/courses/{course['id']}").status_code == 204
    for path in (f"/courses/{course['id']}", f"/courses/{course['id']}/modules",
                 f"/modules/{module['id']}", f"/lessons/{lesson['id']}"):
        response = api.get(path)
        assert response.status_code == 404, path
    assert api.get("/courses").json()["data"] == []
    assert api.delete(f"/courses/{course['id']}").status_code == 404
    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:
        row = db.execute("SELECT title, deleted_at FROM courses WHERE id = ?", (course["id"],)).fetchone()
    assert row[0] == "Temporary" and row[1] is not None
    # The slug stays taken by the deleted course, so old links never point at a new course.
    assert api.course(title="Temporary")["attributes"]["slug"] == "temporary-2"


def test_unknown_ids_and_routes_are_json_404s(api: Api) -> None:
    response = api.get("/courses/course-nope")
    assert response.status_code == 404
    assert error_of(response)["code"] == "course_not_found"
    assert error_of(api.get("/no-such-thing"))["code"] == "not_found"
    wrong_method = api.http.put("/courses")
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"
