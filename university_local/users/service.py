"""Users: the SQL and the rules."""

from __future__ import annotations

from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Row, Store
from university_local.core.jsonapi import resource
from university_local.tenancy.models import Tenant
from university_local.users.models import Role


def upsert_user(
    store: Store, tenant: Tenant, user_id: str, display_name: str, role: Role, email: str | None = None
) -> Row:
    """Create the user, or update name, role and email of an existing one."""
    now = now_iso()
    with store.transaction() as db:
        db.execute(
            """INSERT INTO users (id, app_id, env, display_name, email, role, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (app_id, env, id) DO UPDATE SET
                 display_name = excluded.display_name, email = excluded.email,
                 role = excluded.role, updated_at = excluded.updated_at""",
            (user_id, tenant.app_id, tenant.env, display_name, email, role, now, now),
        )
    return get_users(store, tenant, [user_id])[0]


def get_users(store: Store, tenant: Tenant, ids: list[str]) -> list[Row]:
    """The tenant's users among `ids`; unknown ids (external users) are simply absent."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return store.all(
        f"SELECT * FROM users WHERE app_id = ? AND env = ? AND id IN ({marks}) ORDER BY id",
        [tenant.app_id, tenant.env, *ids],
    )


def user_resource(row: Row) -> dict[str, Any]:
    return resource(
        "user",
        row["id"],
        {k: row[k] for k in ("display_name", "email", "role", "created_at", "updated_at")},
    )
