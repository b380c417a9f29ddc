"""Course endpoints: parse, call the service, shape."""

from __future__ import annotations

from typing import Any

from university_local.core.errors import ApiError
from university_local.core.jsonapi import check_body_id, document, to_many
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one
from university_local.courses import service
from university_local.courses.models import CourseCreateBody, CourseGetQuery, CourseListQuery, CourseUpdateBody
from university_local.courses.resources import COURSE, course_page, course_resource
from university_local.lessons.resources import LESSON, lesson_resource
from university_local.lessons.service import list_course_lessons
from university_local.modules.resources import MODULE, module_resource
from university_local.modules.service import list_modules
from university_local.users.resources import USER, user_resource
from university_local.users.service import get_users

router = Router("courses", rate="catalogue")
INCLUDES = ("modules", "lessons", "instructor")


@router.get("/courses", summary="List courses", query=CourseListQuery, returns=many(COURSE))
def list_courses(req: Request) -> dict[str, Any]:
    q: CourseListQuery = req.query
    page = q.window
    data, total = course_page(req.db, page, status=q.status, category=q.category, instructor=q.instructor_id)
    return document(data, meta=page.meta(total))


@router.post("/courses", summary="Create a course", body=CourseCreateBody, returns=one(COURSE), status=201)
def create_course(req: Request) -> dict[str, Any]:
    return document(course_resource(service.create_course(req.db, req.body.data.attributes)))


@router.get("/courses/<course_id>", summary="Get a course with its structure", query=CourseGetQuery,
            returns=one(COURSE, MODULE, LESSON, USER))
def get_course(req: Request, course_id: str) -> dict[str, Any]:
    includes = _parse_include(req.query.include)
    row = service.get_course(req.db, course_id)
    included: list[dict[str, Any]] = []
    links: dict[str, Any] = {}
    if "modules" in includes:
        modules = list_modules(req.db, course_id)
        links["modules"] = to_many("module", [m["id"] for m in modules])
        included += [module_resource(m) for m in modules]
    if "lessons" in includes:
        lessons = list_course_lessons(req.db, course_id)
        links["lessons"] = to_many("lesson", [lesson["id"] for lesson in lessons])
        included += [lesson_resource(lesson) for lesson in lessons]
    if "instructor" in includes and row["instructor_id"]:
        included += [user_resource(u) for u in get_users(req.db, [row["instructor_id"]])]
    return document(course_resource(row, **links), included=included if includes else None)


@router.patch("/courses/<course_id>", summary="Update a course", body=CourseUpdateBody, returns=one(COURSE))
def update_course(req: Request, course_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, course_id)
    changes = patch_fields(req.body.data.attributes)
    return document(course_resource(service.update_course(req.db, course_id, changes)))


@router.delete("/courses/<course_id>", summary="Delete a course (soft delete)", returns=NOTHING)
def delete_course(req: Request, course_id: str) -> None:
    service.delete_course(req.db, course_id)


def _parse_include(value: str | None) -> set[str]:
    names = {part.strip() for part in (value or "").split(",") if part.strip()}
    if unknown := names - set(INCLUDES):
        raise ApiError(400, "invalid_include", f"Cannot include {', '.join(sorted(unknown))}; "
                       f"choose from {', '.join(INCLUDES)}.", parameter="include")
    return names
