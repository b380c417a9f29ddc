"""Users as University API resources, and the roster import's answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.users.models import LEADERBOARD_OPT_OUT, Role


class UserAttributes(Attributes):
    display_name: str
    email: str | None
    role: Role
    active: bool
    sign_in: Literal["password", "pin"] | None = Field(description="How the user signs in to the web pages.")
    leaderboard_opt_out: bool = Field(description=LEADERBOARD_OPT_OUT)
    deactivated_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class RosterImportResult(Attributes):
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, str | int]] = Field(description="One entry per bad row: row, field, message.")


class RosterImportDocument(Attributes):
    data: RosterImportResult


USER = ResourceType("user", UserAttributes)


def user_resource(row: Row) -> dict[str, Any]:
    return resource("user", row["id"], {
        "display_name": row["display_name"],
        "email": row["email"],
        "role": row["role"],
        "active": row["deactivated_at"] is None,
        "sign_in": row["secret_kind"],
        "leaderboard_opt_out": bool(row["leaderboard_opt_out"]),
        "deactivated_at": row["deactivated_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    })
