"""Modules: the SQL and the rules. Positions stay dense (1..n) within a course."""

from __future__ import annotations

from typing import Any

from university_local.core import ordering
from university_local.core.clock import now_iso
from university_local.core.db import Row, Store
from university_local.core.errors import not_found
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.courses.service import get_course, refresh_totals
from university_local.modules.models import ModuleCreate
from university_local.tenancy.models import Tenant

# Only modules of live courses exist for the API; published_only hides unpublished courses.
_SELECT = """
SELECT m.* FROM modules m JOIN courses c ON c.id = m.course_id
WHERE m.app_id = ? AND m.env = ? AND m.deleted_at IS NULL AND c.deleted_at IS NULL
"""

_ATTRIBUTES = ("course_id", "title", "description", "position", "lesson_count", "duration_minutes",
               "unlock_at", "created_at", "updated_at")


def _visibility(published_only: bool) -> str:
    return " AND c.status = 'published'" if published_only else ""


def list_modules(store: Store, tenant: Tenant, course_id: str, *, published_only: bool = False) -> list[Row]:
    get_course(store, tenant, course_id, published_only=published_only)
    return store.all(_SELECT + " AND m.course_id = ? ORDER BY m.position", (tenant.app_id, tenant.env, course_id))


def get_module(store: Store, tenant: Tenant, module_id: str, *, published_only: bool = False) -> Row:
    row = store.one(_SELECT + _visibility(published_only) + " AND m.id = ?", (tenant.app_id, tenant.env, module_id))
    if row is None:
        raise not_found("module", module_id)
    return row


def create_module(store: Store, tenant: Tenant, course_id: str, attrs: ModuleCreate) -> Row:
    module_id, now = new_id("module"), now_iso()
    with store.transaction() as db:
        get_course(store, tenant, course_id)
        position = ordering.open_slot(db, "modules", "course_id", course_id, attrs.position)
        db.table("modules").insert(
            {
                "id": module_id, "app_id": tenant.app_id, "env": tenant.env, "course_id": course_id,
                "title": attrs.title, "description": attrs.description, "position": position,
                "unlock_at": attrs.unlock_at, "created_at": now, "updated_at": now, "deleted_at": None,
            }
        )
        refresh_totals(db, course_id, now)
    return get_module(store, tenant, module_id)


def update_module(store: Store, tenant: Tenant, module_id: str, changes: dict[str, Any]) -> Row:
    with store.transaction() as db:
        current = get_module(store, tenant, module_id)
        if "position" in changes:
            ordering.move(db, "modules", "course_id", current["course_id"], module_id,
                          current["position"], changes.pop("position"))
        now = now_iso()
        db.table("modules").update(module_id, {**changes, "updated_at": now})
        refresh_totals(db, current["course_id"], now)
    return get_module(store, tenant, module_id)


def delete_module(store: Store, tenant: Tenant, module_id: str) -> None:
    """Soft-delete the module and its lessons together; learning records keep their targets."""
    with store.transaction() as db:
        current = get_module(store, tenant, module_id)
        now = now_iso()
        db.execute("UPDATE lessons SET deleted_at = ? WHERE module_id = ? AND deleted_at IS NULL", (now, module_id))
        db.table("modules").update(module_id, {"deleted_at": now, "updated_at": now})
        ordering.close_slot(db, "modules", "course_id", current["course_id"], current["position"])
        refresh_totals(db, current["course_id"], now)


def reorder_modules(store: Store, tenant: Tenant, course_id: str, module_ids: list[str]) -> list[Row]:
    with store.transaction() as db:
        get_course(store, tenant, course_id)
        ordering.reorder(db, "modules", "course_id", course_id, module_ids, "module_ids")
        refresh_totals(db, course_id, now_iso())
    return list_modules(store, tenant, course_id)


def module_resource(row: Row) -> dict[str, Any]:
    return resource(
        "module", row["id"], {name: row[name] for name in _ATTRIBUTES},
        {"course": to_one("course", row["course_id"])},
    )
