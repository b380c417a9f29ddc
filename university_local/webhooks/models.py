"""Webhook request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.events import WEBHOOK_EVENTS
from university_local.core.models import ApiModel, Attributes, Timestamp, WebUrl
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

EventType = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]
Secret = Field(min_length=16, max_length=256, description="Shared secret for the HMAC-SHA256 signature.")


class WebhookCreate(ApiModel):
    url: WebUrl
    events: list[EventType] = Field(min_length=1)
    secret: str = Secret
    description: str | None = Field(None, max_length=500)


class WebhookUpdate(ApiModel):
    url: WebUrl = None  # type: ignore[assignment]
    events: list[EventType] = Field(None, min_length=1)  # type: ignore[assignment,arg-type]
    secret: str = Field(None, min_length=16, max_length=256)  # type: ignore[assignment]
    description: str | None = Field(None, max_length=500)
    status: Literal["active", "disabled"] = Field(None, description="disabled stops new deliveries; "  # type: ignore[assignment,arg-type]
                                                                    "active resumes (and clears failing)")


class DeliveryListQuery(PageQuery):
    status: Literal["pending", "delivered", "failed", "cancelled"] | None = None


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
