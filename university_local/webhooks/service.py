"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Row, Store, dumps, loads
from university_local.core.errors import not_found
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.core.pagination import Page
from university_local.tenancy.models import Tenant
from university_local.webhooks.models import WebhookCreate

_LIVE = "SELECT * FROM webhooks WHERE app_id = ? AND env = ? AND deleted_at IS NULL"


def list_webhooks(store: Store, tenant: Tenant) -> list[Row]:
    return store.all(_LIVE + " ORDER BY id", (tenant.app_id, tenant.env))


def get_webhook(store: Store, tenant: Tenant, webhook_id: str) -> Row:
    row = store.one(_LIVE + " AND id = ?", (tenant.app_id, tenant.env, webhook_id))
    if row is None:
        raise not_found("webhook", webhook_id)
    return row


def create_webhook(store: Store, tenant: Tenant, attrs: WebhookCreate) -> Row:
    webhook_id, now = new_id("webhook"), now_iso()
    with store.transaction() as db:
        db.table("webhooks").insert({
            "id": webhook_id, "app_id": tenant.app_id, "env": tenant.env, "url": attrs.url,
            "events": dumps(sorted(set(attrs.events))), "secret": attrs.secret, "description": attrs.description,
            "status": "active", "consecutive_failures": 0, "created_at": now, "updated_at": now, "deleted_at": None,
        })
    return get_webhook(store, tenant, webhook_id)


def update_webhook(store: Store, tenant: Tenant, webhook_id: str, changes: dict[str, Any]) -> Row:
    with store.transaction() as db:
        get_webhook(store, tenant, webhook_id)
        if "events" in changes:
            changes["events"] = dumps(sorted(set(changes["events"])))
        if changes.get("status") == "active":
            changes["consecutive_failures"] = 0
        db.table("webhooks").update(webhook_id, {**changes, "updated_at": now_iso()})
    return get_webhook(store, tenant, webhook_id)


def delete_webhook(store: Store, tenant: Tenant, webhook_id: str) -> None:
    """Remove the subscription; deliveries not yet made are cancelled, the log is kept."""
    with store.transaction() as db:
        get_webhook(store, tenant, webhook_id)
        now = now_iso()
        db.table("webhooks").update(webhook_id, {"deleted_at": now, "updated_at": now})
        db.execute("UPDATE webhook_deliveries SET status = 'cancelled' WHERE webhook_id = ? AND status = 'pending'",
                   (webhook_id,))


def list_deliveries(store: Store, tenant: Tenant, webhook_id: str, page: Page,
                    status: str | None) -> tuple[list[Row], int]:
    get_webhook(store, tenant, webhook_id)
    where, params = "", [webhook_id]
    if status:
        where, params = " AND d.status = ?", [webhook_id, status]
    total = store.scalar("SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = ?" + where, params)
    rows = store.all(
        "SELECT d.*, e.event_type FROM webhook_deliveries d JOIN events e ON e.id = d.event_id "
        "WHERE d.webhook_id = ?" + where + " ORDER BY d.id DESC LIMIT ? OFFSET ?", [*params, page.size, page.offset])
    return rows, total


def webhook_resource(row: Row) -> dict[str, Any]:
    return resource("webhook", row["id"], {
        "url": row["url"], "events": loads(row["events"]), "description": row["description"],
        "status": row["status"], "consecutive_failures": row["consecutive_failures"],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
    })


def delivery_resource(row: Row) -> dict[str, Any]:
    return resource("webhook_delivery", row["id"], {
        "webhook_id": row["webhook_id"], "event_id": row["event_id"], "event_type": row["event_type"],
        "status": row["status"], "attempts": row["attempts"],
        "next_attempt_at": row["next_attempt_at"] if row["status"] == "pending" else None,
        "last_attempt_at": row["last_attempt_at"], "response_status": row["response_status"],
        "last_error": row["last_error"], "delivered_at": row["delivered_at"], "created_at": row["created_at"],
    }, {"webhook": to_one("webhook", row["webhook_id"])})
