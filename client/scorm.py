"""SCORM packages: upload, versions, launching the player for a learner, and results."""

from __future__ import annotations

from typing import TypedDict, Unpack

from client.core import BaseClient, Upload
from client.types import Resource


class LaunchFields(TypedDict, total=False):
    item_id: str | None  # the SCO to start with; by default where the learner left off
    expires_in_seconds: int  # the URL must be opened within this time
    return_url: str | None  # where the player's Exit button goes


class ScormCalls(BaseClient):
    def upload_scorm(self, file: Upload, *, course_id: str | None = None, module_id: str | None = None,
                     title: str | None = None, lesson_id: str | None = None,
                     filename: str | None = None) -> Resource:
        """Import a SCORM 1.2/2004 zip as a new `scorm` lesson of `course_id`/`module_id`, or as a
        new version of the SCORM lesson `lesson_id`; answers the package with its import report."""
        fields = {"course_id": course_id, "module_id": module_id, "title": title, "lesson_id": lesson_id}
        return self._upload("/scorm/upload", file, fields, filename=filename, content_type="application/zip")

    def list_scorm_packages(self, *, course_id: str | None = None, lesson_id: str | None = None) -> list[Resource]:
        """Packages, newest first (`lesson_id`: every version uploaded to that lesson)."""
        return self.every("/scorm/packages", course_id=course_id, lesson_id=lesson_id)

    def launch_scorm(self, lesson_id: str, user_id: str, **options: Unpack[LaunchFields]) -> Resource:
        """A signed player URL (`attributes.url`) for one learner and lesson."""
        return self.create("/scorm/launch", "scorm_launch", lesson_id=lesson_id, user_id=user_id, **options)

    def scorm_results(self, lesson_id: str, user_id: str) -> Resource:
        """A learner's status, score and time on each SCO of a lesson."""
        return self.fetch(f"/scorm/lessons/{lesson_id}/users/{user_id}")
