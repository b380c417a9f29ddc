"""User request models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from university_local.core.models import ApiModel, envelope, unchanged
from university_local.core.pagination import PageQuery

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
    display_name: DisplayName = unchanged()
    email: Email | None = unchanged()
    role: Role = unchanged()
    password: Password | None = unchanged()
    pin: Pin | None = unchanged()
    active: bool = unchanged(description="false deactivates the user, true reactivates.")
    leaderboard_opt_out: bool = unchanged(description=LEADERBOARD_OPT_OUT)


UserCreateBody = envelope("user", UserCreate, name="UserCreateBody")
UserUpdateBody = envelope("user", UserUpdate, name="UserUpdateBody")


class UserListQuery(PageQuery):
    role: Role | None = None
    active: bool | None = None
    search: str | None = Field(None, max_length=200,
                               description="Only users whose display_name, email or id contains this text "
                                           "(case-insensitive); an extension of the API, for type-ahead search.")
