"""The event outbox: every event is written in the same transaction as the change it reports.

`emit` stores the event with a globally unique id, the record it is about and the site it
happened at, and queues one delivery for every webhook of the tenant that subscribes to it.
Delivery (webhooks/delivery.py) and, later, sync read from here, never from the request.
"""

from __future__ import annotations

from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Db, dumps
from university_local.core.ids import new_id
from university_local.core.site import site_id

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


def emit(db: Db, event_type: str, record_kind: str, record_id: str, data: dict[str, Any]) -> str:
    """Record an event inside the caller's transaction; return its id."""
    event_id, now = new_id("evt"), now_iso()
    site = site_id(db.site)
    payload = {
        "id": event_id,
        "event": event_type,
        "timestamp": now,
        "site_id": site,
        "environment": db.tenant.env,
        "record": {"kind": record_kind, "id": record_id},
        "data": data,
    }
    db.insert("events", {"id": event_id, "event_type": event_type, "record_kind": record_kind,
                         "record_id": record_id, "site_id": site, "payload": dumps(payload), "created_at": now})
    subscribers = db.all(
        "SELECT w.id FROM webhooks w, json_each(w.events) e WHERE w.app_id = :app AND w.env = :env "
        "AND w.deleted_at IS NULL AND w.status != 'disabled' AND e.value = :event", {"event": event_type})
    for (webhook_id,) in subscribers:
        db.execute(
            "INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, next_attempt_at, created_at) "
            "VALUES (:id, :webhook, :event, 'pending', :now, :now)",
            {"id": new_id("dlv"), "webhook": webhook_id, "event": event_id, "now": now})
    return event_id
