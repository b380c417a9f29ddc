"""Whose records a call reads and writes, and what the caller may see: the one scoping type.

Every query of a feature runs through a `Db` (core/db.py) made for a `Scope`: the tenant comes
from here and nowhere else, bound as `:app` and `:env`, and the caller's visibility is
`published_only`. There are three kinds of caller:

- staff: a secret key (instructors, admins, integrators). Sees drafts; acts for any user.
- a learner's device: a publishable key. Sees published courses only; acts for the learner it
  names (`user_id`), who must be named.
- a signed-in learner (the learner web pages): sees published courses only, and acts only for
  themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from university_local.core.errors import ApiError

Environment = Literal["test", "live"]
Audience = Literal["staff", "learner"]


@dataclass(frozen=True)
class Tenant:
    """The hard partition: one organisation in one environment."""

    app_id: str
    env: Environment


@dataclass(frozen=True)
class Scope:
    tenant: Tenant
    audience: Audience = "staff"
    user_id: str | None = None  # a signed-in learner: the only user this caller may act for

    @classmethod
    def staff(cls, tenant: Tenant) -> Scope:
        return cls(tenant, "staff")

    @classmethod
    def learner(cls, tenant: Tenant, user_id: str | None = None) -> Scope:
        return cls(tenant, "learner", user_id)

    @property
    def is_staff(self) -> bool:
        return self.audience == "staff"

    @property
    def published_only(self) -> bool:
        """Learners see published courses (and what is in them) only."""
        return self.audience == "learner"

    def as_staff(self) -> Scope:
        """The same tenant seen whole: for a rule that reads what the caller may not see itself
        (a learner's completion counting every lesson of the course, published or not)."""
        return replace(self, audience="staff", user_id=None)

    def acting_for(self, user_id: str | None) -> str | None:
        """The learner a call reads or acts for. Staff may name one or none; a learner's device must
        name one; a signed-in learner is always themselves, and naming anyone else finds nothing."""
        if self.is_staff:
            return user_id
        if self.user_id is not None:
            if user_id is not None and user_id != self.user_id:
                raise ApiError(404, "user_not_found", f"User '{user_id}' was not found.")
            return self.user_id
        if not user_id:
            raise ApiError(400, "invalid_parameter", "With a publishable key, name the learner: user_id=...",
                           parameter="user_id")
        return user_id
