"""The demo organisation, course and enrolled learners of `make run`, from `data/demo/course.json`.

A lesson content value `"media:<file>"` names a file of `data/demo/media/`: it is added to the
environment's media library and the lesson points at its URL, so the demo's video plays offline.

Loading is idempotent (the course is created once per environment). The demo's API keys are
rotated on every load: keys are stored hashed, so the only way to show working keys again is to
issue new ones and revoke the old.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from university_local.core.db import Db, Store
from university_local.core.scope import Environment, Scope, Tenant
from university_local.courses.models import CourseCreate
from university_local.courses.service import create_course
from university_local.enrollments.service import enroll
from university_local.lessons.models import LessonCreate
from university_local.lessons.service import create_lesson
from university_local.media.service import add_file, media_url
from university_local.modules.models import ModuleCreate
from university_local.modules.service import create_module
from university_local.tenancy.apps import ensure_app
from university_local.tenancy.keys import create_key, revoke_labelled
from university_local.users.models import UserCreate
from university_local.users.service import create_user, upsert_user

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo" / "course.json"
MEDIA_PREFIX = "media:"
DEMO_LABEL = "demo"


def load_demo(store: Store, data_dir: Path, path: Path = DEMO_FILE) -> dict[str, Any]:
    """Load the demo into both environments; return the app id, course ids and fresh keys."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    app_id = spec["app"]["id"]
    ensure_app(store, app_id, spec["app"]["name"])
    revoke_labelled(store, app_id, DEMO_LABEL)
    result: dict[str, Any] = {"app_id": app_id, "courses": {}, "keys": {},
                              "learners": [{"display_name": learner["display_name"], "pin": learner["pin"]}
                                           for learner in spec.get("learners", []) if learner.get("pin")]}
    environments: tuple[Environment, ...] = ("test", "live")
    for env in environments:
        result["courses"][env] = _ensure_course(store.scoped(Scope.staff(Tenant(app_id, env))), spec,
                                               data_dir, path.parent / "media")
        for key_type in ("secret", "publishable"):
            key, _ = create_key(store, app_id, env, key_type, label=DEMO_LABEL)
            result["keys"][f"{key_type}_{env}"] = key
    return result


def _ensure_course(db: Db, spec: dict[str, Any], data_dir: Path, media_dir: Path) -> str:
    existing: str | None = db.scalar(
        "SELECT id FROM courses WHERE app_id = :app AND env = :env AND title = :title AND deleted_at IS NULL",
        {"title": spec["course"]["title"]},
    )
    if existing:
        return existing
    instructor = spec["instructor"]
    with db.transaction():
        upsert_user(db, instructor["id"], instructor["display_name"], "instructor", instructor["email"])
        course = create_course(
            db, CourseCreate.model_validate_json(json.dumps({**spec["course"], "instructor_id": instructor["id"]}))
        )
        for module_spec in spec["modules"]:
            lessons = module_spec["lessons"]
            module = create_module(
                db, course["id"],
                ModuleCreate.model_validate_json(json.dumps({k: v for k, v in module_spec.items() if k != "lessons"})),
            )
            for lesson in lessons:
                lesson = {**lesson, "content": _with_media(db, lesson.get("content") or {}, data_dir, media_dir)}
                create_lesson(db, module["id"], LessonCreate.model_validate_json(json.dumps(lesson)))
        for learner in spec.get("learners", []):
            create_user(db, UserCreate.model_validate_json(json.dumps(learner)))
            enroll(db, learner["id"], course["id"], None)
    course_id: str = course["id"]
    return course_id


def _with_media(db: Db, content: dict[str, Any], data_dir: Path, media_dir: Path) -> dict[str, Any]:
    """The content with each `media:<file>` replaced by the URL of that file, added to the library."""
    return {key: media_url(add_file(db, data_dir, media_dir / value.removeprefix(MEDIA_PREFIX)))
            if isinstance(value, str) and value.startswith(MEDIA_PREFIX) else value
            for key, value in content.items()}
