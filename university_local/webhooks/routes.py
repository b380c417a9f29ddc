"""Webhook endpoints (secret keys only)."""

from __future__ import annotations

from typing import Any

from university_local.core.jsonapi import document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one
from university_local.webhooks import service
from university_local.webhooks.models import DeliveryListQuery, WebhookCreate, WebhookUpdate
from university_local.webhooks.resources import DELIVERY, WEBHOOK, delivery_resource, webhook_resource

router = Router("webhooks", rate="catalogue")


@router.get("/webhooks", summary="List webhook subscriptions", returns=many(WEBHOOK), access="secret")
def list_webhooks(req: Request) -> dict[str, Any]:
    rows = service.list_webhooks(req.db)
    return document([webhook_resource(r) for r in rows], meta={"total": len(rows)})


@router.post("/webhooks", summary="Subscribe a URL to events", body=WebhookCreate, returns=one(WEBHOOK), status=201)
def create_webhook(req: Request) -> dict[str, Any]:
    return document(webhook_resource(service.create_webhook(req.db, req.body)))


@router.get("/webhooks/<webhook_id>", summary="Get a webhook subscription", returns=one(WEBHOOK), access="secret")
def get_webhook(req: Request, webhook_id: str) -> dict[str, Any]:
    return document(webhook_resource(service.get_webhook(req.db, webhook_id)))


@router.patch("/webhooks/<webhook_id>", summary="Update, disable or re-enable a subscription",
              body=WebhookUpdate, returns=one(WEBHOOK))
def update_webhook(req: Request, webhook_id: str) -> dict[str, Any]:
    row = service.update_webhook(req.db, webhook_id, patch_fields(req.body))
    return document(webhook_resource(row))


@router.delete("/webhooks/<webhook_id>", summary="Delete a subscription", returns=NOTHING)
def delete_webhook(req: Request, webhook_id: str) -> None:
    service.delete_webhook(req.db, webhook_id)


@router.get("/webhooks/<webhook_id>/deliveries", summary="The subscription's delivery log, newest first",
            query=DeliveryListQuery, returns=many(DELIVERY), access="secret")
def list_deliveries(req: Request, webhook_id: str) -> dict[str, Any]:
    q: DeliveryListQuery = req.query
    rows, total = service.list_deliveries(req.db, webhook_id, q.window, q.status)
    return document([delivery_resource(r) for r in rows], meta=q.window.meta(total))
