"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, dumps
from university_local.core.errors import not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.webhooks.models import WebhookCreate

_LIVE = "SELECT * FROM webhooks WHERE app_id = :app AND env = :env AND deleted_at IS NULL"


def list_webhooks(db: Db) -> list[Row]:
    return db.all(_LIVE + " ORDER BY id")


def get_webhook(db: Db, webhook_id: str) -> Row:
    row = db.one(_LIVE + " AND id = :id", {"id": webhook_id})
    if row is None:
        raise not_found("webhook", webhook_id)
    return row


def create_webhook(db: Db, attrs: WebhookCreate) -> Row:
    webhook_id, now = new_id("webhook"), now_iso()
    with db.transaction():
        db.insert("webhooks", {
            "id": webhook_id, "url": attrs.url, "events": dumps(sorted(set(attrs.events))), "secret": attrs.secret,
            "description": attrs.description, "status": "active", "consecutive_failures": 0, "created_at": now,
            "updated_at": now, "deleted_at": None,
        })
    return get_webhook(db, webhook_id)


def update_webhook(db: Db, webhook_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        get_webhook(db, webhook_id)
        if "events" in changes:
            changes["events"] = dumps(sorted(set(changes["events"])))
        if changes.get("status") == "active":
            changes["consecutive_failures"] = 0
        db.update("webhooks", webhook_id, {**changes, "updated_at": now_iso()})
    return get_webhook(db, webhook_id)


def delete_webhook(db: Db, webhook_id: str) -> None:
    """Remove the subscription; deliveries not yet made are cancelled, the log is kept."""
    with db.transaction():
        get_webhook(db, webhook_id)
        now = now_iso()
        db.update("webhooks", webhook_id, {"deleted_at": now, "updated_at": now})
        db.execute("UPDATE webhook_deliveries SET status = 'cancelled' WHERE webhook_id = :id AND status = 'pending'",
                   {"id": webhook_id})


def list_deliveries(db: Db, webhook_id: str, page: Page, status: str | None) -> tuple[list[Row], int]:
    """The subscription's delivery log, newest first (deliveries belong to the tenant's webhook)."""
    get_webhook(db, webhook_id)
    where = " AND d.status = :status" if status else ""
    params = {"webhook": webhook_id, "status": status, "limit": page.size, "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = :webhook" + where, params)
    rows = db.all(
        "SELECT d.*, e.event_type FROM webhook_deliveries d JOIN events e ON e.id = d.event_id "
        "AND +e.app_id = :app AND +e.env = :env WHERE d.webhook_id = :webhook" + where
        + " ORDER BY d.id DESC LIMIT :limit OFFSET :offset", params)
    return rows, total
