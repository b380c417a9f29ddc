"""SCORM packages: upload, versions, launching the player for a learner, and results."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypedDict, Unpack

from client.core import BaseClient, Upload
from client.types import Resource

Progress = Callable[[int, int], None]
"""Told (bytes sent so far, bytes in all) as an upload goes."""


class LaunchFields(TypedDict, total=False):
    item_id: str | None  # the SCO to start with; by default where the learner left off
    expires_in_seconds: int  # the URL must be opened within this time
    return_url: str | None  # where the player's Exit button goes


class _Counted:
    """A file as httpx reads it for a multipart body, telling `progress` how far the reading got
    (httpx reads a part 64 KiB at a time as it sends it, so this follows the upload)."""

    def __init__(self, file: BinaryIO, progress: Progress) -> None:
        self.file, self.progress = file, progress
        start = file.tell()
        self.total = file.seek(0, os.SEEK_END)
        file.seek(start)

    def fileno(self) -> int:
        return self.file.fileno()  # httpx sizes the part by it (BytesIO raises, then it seeks)

    def tell(self) -> int:
        return self.file.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.progress(self.file.tell(), self.total)
        return chunk


class ScormCalls(BaseClient):
    def upload_scorm(self, file: Upload, *, course_id: str | None = None, module_id: str | None = None,
                     title: str | None = None, lesson_id: str | None = None,
                     filename: str | None = None, progress: Progress | None = None) -> Resource:
        """Import a SCORM 1.2/2004 zip as a new `scorm` lesson of `course_id`/`module_id`, or as a
        new version of the SCORM lesson `lesson_id`; answers the package with its import report.
        `progress(sent, total)` is called from the calling thread as the zip goes out."""
        fields = {"course_id": course_id, "module_id": module_id, "title": title, "lesson_id": lesson_id}
        if progress is None:
            return self._upload("/scorm/upload", file, fields, filename=filename, content_type="application/zip")
        if isinstance(file, bytes):
            if filename is None:
                raise ValueError("a file given as bytes needs a filename (its extension is checked)")
            return self._counted_upload(io.BytesIO(file), filename, fields, progress)
        with open(file, "rb") as opened:
            return self._counted_upload(opened, filename or Path(file).name, fields, progress)

    def _counted_upload(self, file: BinaryIO, filename: str, fields: dict[str, str | None],
                        progress: Progress) -> Resource:
        data = {name: value for name, value in fields.items() if value is not None}
        return self._one("POST", "/scorm/upload", data=data,
                         files={"file": (filename, _Counted(file, progress), "application/zip")})

    def list_scorm_packages(self, *, course_id: str | None = None, lesson_id: str | None = None) -> list[Resource]:
        """Packages, newest first (`lesson_id`: every version uploaded to that lesson)."""
        return self.every("/scorm/packages", course_id=course_id, lesson_id=lesson_id)

    def get_scorm_package(self, package_id: str) -> Resource:
        """A package: its manifest and its import (offline-readiness) report."""
        return self.fetch(f"/scorm/packages/{package_id}")

    def launch_scorm(self, lesson_id: str, user_id: str, **options: Unpack[LaunchFields]) -> Resource:
        """A signed player URL (`attributes.url`) for one learner and lesson."""
        return self.create("/scorm/launch", "scorm_launch", lesson_id=lesson_id, user_id=user_id, **options)

    def scorm_results(self, lesson_id: str, user_id: str) -> Resource:
        """A learner's status, score and time on each SCO of a lesson."""
        return self.fetch(f"/scorm/lessons/{lesson_id}/users/{user_id}")
