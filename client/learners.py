"""Users and the roster, enrollments, and lesson progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, Unpack, cast

from client.core import BaseClient
from client.types import BulkEnrollment, EnrollmentStatus, Resource, Role, RosterImport


class UserFields(TypedDict, total=False):
    id: str  # chosen by the school (a roster number); made up by the server when left out
    email: str | None
    role: Role
    password: str | None
    pin: str | None
    leaderboard_opt_out: bool


class UserChanges(TypedDict, total=False):
    display_name: str
    email: str | None
    role: Role
    password: str | None
    pin: str | None
    active: bool
    leaderboard_opt_out: bool


class EnrollmentFields(TypedDict, total=False):
    expires_at: str | None
    override_prerequisites: bool  # secret keys only: enroll before a learning path's prerequisites


class BulkFields(EnrollmentFields, total=False):
    send_notification: bool


class Progress(TypedDict, total=False):
    """What a learner's device measured: totals, never increments (the server keeps the largest)."""

    position: int | None
    time_spent_seconds: int | None


class LearnerCalls(BaseClient):
    # -- users -------------------------------------------------------------------------------------

    def list_users(self, *, role: Role | None = None, active: bool | None = None,
                   search: str | None = None) -> list[Resource]:
        """Users, filtered as asked; `search` matches display name, email or id (case-insensitive)."""
        return self.every("/users", role=role, active=active, search=search or None)

    def users_page(self, *, role: Role | None = None, active: bool | None = None, search: str | None = None,
                   page: int = 1, per_page: int = 100) -> tuple[list[Resource], dict[str, Any]]:
        """One page of `list_users` and its `meta` (page, per_page, total): a long list shown as it comes."""
        document = self.request("GET", "/users", params={"role": role, "active": active, "search": search or None,
                                                          "page": page, "per_page": per_page}) or {}
        return list(document.get("data") or []), dict(document.get("meta") or {})

    def get_user(self, user_id: str) -> Resource:
        return self.fetch(f"/users/{user_id}")

    def create_user(self, display_name: str, **attributes: Unpack[UserFields]) -> Resource:
        return self.create("/users", "user", display_name=display_name, **attributes)

    def update_user(self, user_id: str, **changes: Unpack[UserChanges]) -> Resource:
        """Change what is given; `active=True` reactivates a deactivated user."""
        return self.update(f"/users/{user_id}", "user", **changes)

    def deactivate_user(self, user_id: str) -> None:
        """Deactivate a user; their records are kept."""
        self.remove(f"/users/{user_id}")

    def signin_pause(self, user_id: str) -> Resource:
        """A learner's wrong-PIN pause on the learner pages (`failures`, `blocked_until`, `seconds_left`)."""
        return self.fetch(f"/users/{user_id}/signin-pause")

    def lift_signin_pause(self, user_id: str) -> None:
        """Lift a learner's wrong-PIN pause: they may sign in at once."""
        self.remove(f"/users/{user_id}/signin-pause")

    def import_roster(self, csv_text: str) -> RosterImport:
        """Create or update users from a CSV roster (id, display_name, email, role, pin, password,
        leaderboard_opt_out); rows with problems are listed in `errors`."""
        return cast(RosterImport, self._one("POST", "/users/import", content=csv_text.encode(),
                                            headers={"Content-Type": "text/csv"}))

    # -- enrollments -------------------------------------------------------------------------------

    def list_enrollments(self, *, course_id: str | None = None, user_id: str | None = None,
                         status: EnrollmentStatus | None = None) -> list[Resource]:
        """Enrollments, filtered as asked (publishable keys must name the `user_id`)."""
        return self.every("/enrollments", course_id=course_id, user_id=user_id, status=status)

    def get_enrollment(self, enrollment_id: str) -> Resource:
        return self.fetch(f"/enrollments/{enrollment_id}")

    def enroll(self, user_id: str, course_id: str, **attributes: Unpack[EnrollmentFields]) -> Resource:
        """Enroll a learner (an unknown one is created, unless the organisation turned that off);
        re-enrolling after a cancellation reactivates the same enrollment."""
        return self.create("/enrollments", "enrollment", user_id=user_id, course_id=course_id, **attributes)

    def bulk_enroll(self, course_id: str, user_ids: Sequence[str], **options: Unpack[BulkFields]) -> BulkEnrollment:
        """Enroll many learners; each one's outcome is in `results`."""
        return cast(BulkEnrollment, self._one("POST", "/enrollments/bulk", json={
            "course_id": course_id, "user_ids": list(user_ids), **options}))

    def cancel_enrollment(self, enrollment_id: str) -> None:
        """Cancel an enrollment; the learner's progress is kept."""
        self.remove(f"/enrollments/{enrollment_id}")

    # -- progress ----------------------------------------------------------------------------------

    def complete_lesson(self, lesson_id: str, user_id: str, **progress: Unpack[Progress]) -> Resource:
        """Mark a lesson completed (idempotent); the last required one completes the enrollment."""
        return self._one("POST", f"/lessons/{lesson_id}/complete", json={"user_id": user_id, **progress})

    def save_progress(self, lesson_id: str, user_id: str, **progress: Unpack[Progress]) -> Resource:
        """Save a learner's position and total time on a lesson."""
        return self._one("PATCH", f"/lessons/{lesson_id}/progress", json={"user_id": user_id, **progress})

    def course_progress(self, course_id: str, user_id: str) -> Resource:
        """A learner's progress in a course: overall, per module, lessons completed, where they are."""
        return self.fetch(f"/progress/{course_id}/users/{user_id}")

    def reset_progress(self, course_id: str, user_id: str) -> Resource:
        return self._one("POST", f"/progress/{course_id}/users/{user_id}/reset")
