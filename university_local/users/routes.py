"""User endpoints, including the CSV roster import."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from university_local.core.errors import ApiError
from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one, plain, read_body
from university_local.users import service
from university_local.users.models import UserCreateBody, UserListQuery, UserUpdateBody
from university_local.users.resources import USER, RosterImportDocument, user_resource

router = Router("users", rate="enrollments")


@router.get("/users", summary="List users", query=UserListQuery, returns=many(USER), access="secret")
def list_users(req: Request) -> dict[str, Any]:
    q: UserListQuery = req.query
    rows, total = service.list_users(req.db, q.window, q.role, q.active, q.search)
    return document([user_resource(r) for r in rows], meta=q.window.meta(total))


@router.post("/users", summary="Create a user", body=UserCreateBody, returns=one(USER), status=201)
def create_user(req: Request) -> dict[str, Any]:
    return document(user_resource(service.create_user(req.db, req.body.data.attributes)))


@router.post("/users/import",
             summary="Import a roster (CSV: id, display_name, email, role, pin, password, leaderboard_opt_out)",
             raw_body="text/csv", returns=plain(RosterImportDocument))
def import_roster(req: Request) -> dict[str, Any]:
    raw = read_body(req.config.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_csv", "The roster must be UTF-8 text.") from None
    return {"data": asdict(service.import_roster(req.db, text))}


@router.get("/users/<user_id>", summary="Get a user", returns=one(USER), access="secret")
def get_user(req: Request, user_id: str) -> dict[str, Any]:
    return document(user_resource(service.get_user(req.db, user_id)))


@router.patch("/users/<user_id>", summary="Update, deactivate or reactivate a user", body=UserUpdateBody,
              returns=one(USER))
def update_user(req: Request, user_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, user_id)
    row = service.update_user(req.db, user_id, patch_fields(req.body.data.attributes))
    return document(user_resource(row))


@router.delete("/users/<user_id>", summary="Deactivate a user (records are kept)", returns=NOTHING)
def deactivate_user(req: Request, user_id: str) -> None:
    service.update_user(req.db, user_id, {"active": False})
