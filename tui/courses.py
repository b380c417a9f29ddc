"""What the courses screen works out without drawing anything: a course's structure from one call,
lesson durations as each content type stores them, drip dates as typed, and reordering.

Kept apart from the widgets (like tui/grading.py) so each rule reads on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from client import Client, Resource

NodeKind = Literal["course", "module", "lesson"]
STATUSES: tuple[str | None, ...] = (None, "draft", "published", "archived")
NEW_LESSON_TYPES = ("text", "video", "document", "embed")
URL_KEYS = {"video": "video_url", "document": "document_url", "embed": "embed_url"}


@dataclass(frozen=True)
class Node:
    """What a tree node stands for."""

    kind: NodeKind
    resource: Resource

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def title(self) -> str:
        return str(self.resource["attributes"]["title"])


@dataclass
class Structure:
    """A course and its modules, each with its lessons, in position order."""

    course: Resource
    modules: list[tuple[Resource, list[Resource]]] = field(default_factory=list)

    def module_of(self, lesson_id: str) -> Resource | None:
        for module, lessons in self.modules:
            if any(lesson["id"] == lesson_id for lesson in lessons):
                return module
        return None

    def lessons_of(self, module_id: str) -> list[Resource]:
        return next((lessons for module, lessons in self.modules if module["id"] == module_id), [])


def fetch_structure(client: Client, course_id: str) -> Structure:
    """The course with its modules and lessons, in one request."""
    compound = client.get_course(course_id, include=("modules", "lessons"))
    included = compound.get("included", [])
    modules = sorted((r for r in included if r["type"] == "module"), key=lambda m: m["attributes"]["position"])
    lessons = sorted((r for r in included if r["type"] == "lesson"), key=lambda x: x["attributes"]["position"])
    return Structure(compound["data"], [(m, [x for x in lessons if x["attributes"]["module_id"] == m["id"]])
                                        for m in modules])


def minutes_key(content_type: str) -> str:
    """Where a lesson's content keeps its length (the server sums these into durations)."""
    if content_type in {"video", "embed"}:
        return "duration_seconds"
    return "estimated_reading_minutes" if content_type == "text" else "estimated_minutes"


def with_minutes(content_type: str, content: dict[str, Any], minutes: int | None) -> dict[str, Any]:
    """The content with its length set (None clears it)."""
    key = minutes_key(content_type)
    value = None if minutes is None else minutes * 60 if key == "duration_seconds" else minutes
    return {**content, key: value}


def minutes_of(content_type: str, content: dict[str, Any]) -> int | None:
    value = content.get(minutes_key(content_type))
    if value is None:
        return None
    return -(-int(value) // 60) if minutes_key(content_type) == "duration_seconds" else int(value)


def new_content(content_type: str, url: str, minutes: int | None) -> dict[str, Any]:
    """The content a new lesson of this type starts with; ValueError says what is missing."""
    if content_type == "text":
        content: dict[str, Any] = {"html": "<p></p>"}
    elif not url:
        raise ValueError(f"a {content_type} lesson needs its URL")
    else:
        content = {URL_KEYS[content_type]: url}
    return with_minutes(content_type, content, minutes)


def parse_when(text: str) -> str | None:
    """A drip date as typed ("2027-01-31", "2027-01-31 09:00", ISO 8601; naive is UTC) to the API's
    form, or None when empty; ValueError when it is not a date."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("not a date: write 2027-01-31 or 2027-01-31 09:00 (UTC)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # as the API writes them


def show_when(iso: str | None) -> str:
    """An API date-time as the forms show it: "2027-01-31 09:00"."""
    return (iso or "")[:16].replace("T", " ")


def moved(ids: list[str], item: str, step: int) -> list[str] | None:
    """`ids` with `item` moved `step` places, or None when it is already at that end."""
    index = ids.index(item)
    target = index + step
    if not 0 <= target < len(ids):
        return None
    order = list(ids)
    order.insert(target, order.pop(index))
    return order


def optional_int(text: str, name: str, *, low: int = 0, high: int | None = None) -> int | None:
    """A whole number typed in a form (empty: None); ValueError names the field and the rule."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{name}: a whole number, or empty")
    value = int(text)
    if value < low or high is not None and value > high:
        raise ValueError(f"{name}: from {low}" + (f" to {high}" if high is not None else " up"))
    return value
