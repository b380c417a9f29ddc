"""The event outbox: every event is written in the same transaction as the change it reports.

`emit` stores the event with a globally unique id, the record it is about and the site it
happened at, and queues one delivery for every webhook of the tenant that subscribes to it.
Delivery (webhooks/delivery.py) and, later, sync read from here, never from the request.
"""

from __future__ import annotations

from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import dumps
from university_local.core.ids import new_id
from university_local.tenancy.models import Tenant

# The spec's webhook events. Others may be recorded for sync, but only these can be subscribed to.
WEBHOOK_EVENTS = (
    "enrollment.created",
    "enrollment.completed",
    "enrollment.expired",
    "lesson.completed",
    "quiz.submitted",
    "quiz.passed",
    "quiz.failed",
    "certificate.issued",
    "assignment.submitted",
    "assignment.graded",
    "discussion.created",
    "discussion.replied",
)

def site_id(db: Any) -> str:
    """This installation's id, made when the database was created."""
    return db.execute("SELECT id FROM site").fetchone()[0]


def emit(db: Any, tenant: Tenant, event_type: str, record_kind: str, record_id: str, data: dict[str, Any]) -> str:
    """Record an event inside the caller's transaction; return its id."""
    event_id, now = new_id("evt"), now_iso()
    payload = {
        "id": event_id,
        "event": event_type,
        "timestamp": now,
        "site_id": site_id(db),
        "environment": tenant.env,
        "record": {"kind": record_kind, "id": record_id},
        "data": data,
    }
    db.execute(
        "INSERT INTO events (id, app_id, env, event_type, record_kind, record_id, site_id, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event_id, tenant.app_id, tenant.env, event_type, record_kind, record_id, payload["site_id"],
         dumps(payload), now),
    )
    subscribers = db.execute(
        "SELECT w.id FROM webhooks w, json_each(w.events) e WHERE w.app_id = ? AND w.env = ? "
        "AND w.deleted_at IS NULL AND w.status != 'disabled' AND e.value = ?",
        (tenant.app_id, tenant.env, event_type),
    ).fetchall()
    for (webhook_id,) in subscribers:
        db.execute(
            "INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, 'pending', ?, ?)",
            (new_id("dlv"), webhook_id, event_id, now, now),
        )
    return event_id
