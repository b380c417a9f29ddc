"""User request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from university_local.core.models import ApiModel, Attributes, Timestamp, envelope
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

Role = Literal["learner", "instructor", "admin"]
UserId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$")]
DisplayName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, Field(min_length=8, max_length=256,
                                description="For the learner web pages; stored as an scrypt hash.")]
Pin = Annotated[str, Field(min_length=4, max_length=8, pattern=r"^[0-9]+$",
                           description="A short classroom PIN instead of a password.")]
LEADERBOARD_OPT_OUT = "true leaves the user out of every leaderboard (course, path and global)."


class UserCreate(ApiModel):
    id: UserId | None = Field(None, description="Your id for the user (an external id); made up when absent.")
    display_name: DisplayName
    email: Email | None = None
    role: Role = "learner"
    password: Password | None = None
    pin: Pin | None = None
    leaderboard_opt_out: bool = Field(False, description=LEADERBOARD_OPT_OUT)


class UserUpdate(ApiModel):
    display_name: DisplayName = None  # type: ignore[assignment]
    email: Email | None = None
    role: Role = None  # type: ignore[assignment]
    password: Password | None = None
    pin: Pin | None = None
    active: bool = Field(None, description="false deactivates the user, true reactivates.")  # type: ignore[assignment]
    leaderboard_opt_out: bool = Field(None, description=LEADERBOARD_OPT_OUT)  # type: ignore[assignment]


UserCreateBody = envelope("user", UserCreate, name="UserCreateBody")
UserUpdateBody = envelope("user", UserUpdate, name="UserUpdateBody")


class UserListQuery(PageQuery):
    role: Role | None = None
    active: bool | None = None


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
