"""User resources."""

from __future__ import annotations

from typing import Literal

from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType

Role = Literal["learner", "instructor", "admin"]


class UserAttributes(Attributes):
    display_name: str
    email: str | None
    role: Role
    created_at: Timestamp
    updated_at: Timestamp


USER = ResourceType("user", UserAttributes)
