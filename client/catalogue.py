"""Courses, their modules and the modules' lessons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict, Unpack, cast

from client.core import BaseClient, comma_list
from client.types import Compound, ContentType, CourseInclude, CourseStatus, Resource


class CourseFields(TypedDict, total=False):
    description: str | None
    slug: str
    status: CourseStatus
    thumbnail_url: str | None
    category_id: str | None
    instructor_id: str | None
    settings: Mapping[str, Any]  # CourseSettingsPatch: only the settings named change


class CourseChanges(CourseFields, total=False):
    title: str


class ModuleFields(TypedDict, total=False):
    description: str | None
    position: int  # 1 is first; by default a new module goes last
    unlock_at: str | None  # ISO 8601; the module's lessons are locked until then


class ModuleChanges(ModuleFields, total=False):
    title: str


class LessonFields(TypedDict, total=False):
    description: str | None
    position: int
    free_preview: bool
    required: bool


class LessonChanges(LessonFields, total=False):
    title: str
    content_type: ContentType
    content: Mapping[str, Any]
    module_id: str  # moves the lesson to another module of the same course


class CatalogueCalls(BaseClient):
    # -- courses -----------------------------------------------------------------------------------

    def list_courses(self, *, status: CourseStatus | None = None, category: str | None = None,
                     instructor_id: str | None = None) -> list[Resource]:
        """Every course (publishable keys: the published ones), filtered as asked."""
        return self.every("/courses", status=status, category=category, instructor_id=instructor_id)

    def get_course(self, course_id: str, *, include: Iterable[CourseInclude] = ()) -> Compound:
        """A course, with its modules, lessons or instructor in `included` when asked for."""
        return cast(Compound, self.request("GET", f"/courses/{course_id}", params={"include": comma_list(include)}))

    def create_course(self, title: str, **attributes: Unpack[CourseFields]) -> Resource:
        return self.create("/courses", "course", title=title, **attributes)

    def update_course(self, course_id: str, **changes: Unpack[CourseChanges]) -> Resource:
        """Change what is given (None clears a nullable attribute)."""
        return self.update(f"/courses/{course_id}", "course", **changes)

    def delete_course(self, course_id: str) -> None:
        self.remove(f"/courses/{course_id}")

    # -- modules -----------------------------------------------------------------------------------

    def list_modules(self, course_id: str) -> list[Resource]:
        return self.every(f"/courses/{course_id}/modules")

    def get_module(self, module_id: str) -> Resource:
        return self.fetch(f"/modules/{module_id}")

    def create_module(self, course_id: str, title: str, **attributes: Unpack[ModuleFields]) -> Resource:
        return self.create(f"/courses/{course_id}/modules", "module", title=title, **attributes)

    def update_module(self, module_id: str, **changes: Unpack[ModuleChanges]) -> Resource:
        return self.update(f"/modules/{module_id}", "module", **changes)

    def delete_module(self, module_id: str) -> None:
        """Delete a module and its lessons."""
        self.remove(f"/modules/{module_id}")

    def reorder_modules(self, course_id: str, module_ids: Sequence[str]) -> list[Resource]:
        """Put a course's modules in this order (every module, once); answers them in it."""
        return self._many("POST", f"/courses/{course_id}/modules/reorder", json={"module_ids": list(module_ids)})

    # -- lessons -----------------------------------------------------------------------------------

    def list_lessons(self, module_id: str) -> list[Resource]:
        return self.every(f"/modules/{module_id}/lessons")

    def get_lesson(self, lesson_id: str) -> Resource:
        return self.fetch(f"/lessons/{lesson_id}")

    def create_lesson(self, module_id: str, title: str, content_type: ContentType, content: Mapping[str, Any],
                      **attributes: Unpack[LessonFields]) -> Resource:
        """A lesson; `content` follows the schema of its `content_type` (`TextContent`, ...)."""
        return self.create(f"/modules/{module_id}/lessons", "lesson", title=title, content_type=content_type,
                           content=content, **attributes)

    def update_lesson(self, lesson_id: str, **changes: Unpack[LessonChanges]) -> Resource:
        return self.update(f"/lessons/{lesson_id}", "lesson", **changes)

    def delete_lesson(self, lesson_id: str) -> None:
        self.remove(f"/lessons/{lesson_id}")

    def reorder_lessons(self, module_id: str, lesson_ids: Sequence[str]) -> list[Resource]:
        """Put a module's lessons in this order (every lesson, once); answers them in it."""
        return self._many("POST", f"/modules/{module_id}/lessons/reorder", json={"lesson_ids": list(lesson_ids)})
