"""Webhook subscriptions and their delivery log as University API resources."""

from __future__ import annotations

from typing import Any, Literal

from university_local.core.db import Row, loads
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType


class WebhookAttributes(Attributes):
    url: str
    events: list[str]
    description: str | None
    status: Literal["active", "failing", "disabled"]
    consecutive_failures: int
    created_at: Timestamp
    updated_at: Timestamp


class DeliveryAttributes(Attributes):
    webhook_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    next_attempt_at: Timestamp | None
    last_attempt_at: Timestamp | None
    response_status: int | None
    last_error: str | None
    delivered_at: Timestamp | None
    created_at: Timestamp


WEBHOOK = ResourceType("webhook", WebhookAttributes)
DELIVERY = ResourceType("webhook_delivery", DeliveryAttributes, relationships={"webhook": "webhook"})


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
