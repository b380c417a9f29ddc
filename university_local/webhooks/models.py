"""Webhook request models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.events import WEBHOOK_EVENTS
from university_local.core.models import ApiModel, WebUrl, unchanged
from university_local.core.pagination import PageQuery

EventType = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]
Secret = Field(min_length=16, max_length=256, description="Shared secret for the HMAC-SHA256 signature.")


class WebhookCreate(ApiModel):
    url: WebUrl
    events: list[EventType] = Field(min_length=1)
    secret: str = Secret
    description: str | None = Field(None, max_length=500)


class WebhookUpdate(ApiModel):
    url: WebUrl = unchanged()
    events: list[EventType] = unchanged(min_length=1)
    secret: str = unchanged(min_length=16, max_length=256)
    description: str | None = unchanged(max_length=500)
    status: Literal["active", "disabled"] = unchanged(description="disabled stops new deliveries; "
                                                                  "active resumes (and clears failing)")


class DeliveryListQuery(PageQuery):
    status: Literal["pending", "delivered", "failed", "cancelled"] | None = None
