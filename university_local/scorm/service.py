"""SCORM packages: the rules. Import a zip as a lesson (or a new version of one), find packages,
and say which file of a package a content URL names.

An upload is streamed to a temporary file (the assignments' multipart reader), checked and
unpacked by `scorm_player.packages` into `<data_dir>/scorm/.staging/`, and moved into
`<data_dir>/scorm/<package_id>/` inside the transaction that records the package and creates or
updates its lesson; if anything fails, the folder goes and no row stays. Every version is kept:
re-uploading to a lesson adds package_version n+1 and points the lesson's content at it.

Limits: an upload (the whole multipart body) is at most `MAX_UPLOAD_BYTES` (200 MiB); the zip
limits (entries, unpacked size, compression ratio) are `scorm_player.zipcheck.Limits`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from scorm_player.packages import PackageError, PreparedPackage, prepare_package
from university_local.core import uploads
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, Store, dumps, loads
from university_local.core.errors import ApiError, error_object, not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.courses.service import get_course
from university_local.lessons import service as lessons
from university_local.lessons.models import LessonCreate
from university_local.modules.service import get_module

MIB = 1024 * 1024
MAX_UPLOAD_BYTES = 200 * MIB
ID_MAX_CHARS = 128
TITLE_MAX_CHARS = 200
FORM_FIELDS = {"course_id": ID_MAX_CHARS, "module_id": ID_MAX_CHARS, "lesson_id": ID_MAX_CHARS,
               "title": TITLE_MAX_CHARS}
_PACKAGE_ID = re.compile(r"scorm-[0-9a-z]{26}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# A package is visible while it, its lesson, the lesson's module and its course all are.
_LIVE = """
FROM scorm_packages p
JOIN lessons l ON l.id = p.lesson_id JOIN modules m ON m.id = l.module_id JOIN courses c ON c.id = l.course_id
WHERE p.deleted_at IS NULL AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL
"""
_TENANT = (" AND p.app_id = :app AND p.env = :env AND +l.app_id = :app AND +l.env = :env AND +m.app_id = :app "
           "AND +m.env = :env AND +c.app_id = :app AND +c.env = :env")
_SELECT = "SELECT p.*, (json_extract(l.content, '$.package_id') IS p.id) AS is_current" + _LIVE + _TENANT


def scorm_root(store: Store) -> Path:
    return store.path.parent / "scorm"


def package_dir(store: Store, package_id: str) -> Path:
    """Where a package's files live: `<data_dir>/scorm/<package_id>/`."""
    return scorm_root(store) / package_id


def content_url(package_id: str, path: str) -> str:
    """The URL a package file is served at (same origin as the player, outside the API prefix)."""
    return f"/scorm/content/{package_id}/{path}"


# -- reading --------------------------------------------------------------------------------------


def _visibility(db: Db) -> str:
    return " AND c.status = 'published'" if db.published_only else ""


def get_package(db: Db, package_id: str) -> Row:
    row = db.one(_SELECT + _visibility(db) + " AND p.id = :id", {"id": package_id})
    if row is None:
        raise not_found("scorm_package", package_id)
    return row


def package_for_lesson(db: Db, lesson_id: str) -> Row | None:
    """The package the lesson launches: the latest version, unless the lesson's content was pointed
    back at an earlier one of its versions (a rollback through the lessons API). None without one."""
    return db.one(_SELECT + " AND p.lesson_id = :lesson ORDER BY is_current DESC, p.package_version DESC LIMIT 1",
                  {"lesson": lesson_id})


def list_packages(db: Db, page: Page, *, course_id: str | None = None,
                  lesson_id: str | None = None) -> tuple[list[Row], int]:
    where = _visibility(db)
    if course_id is not None:
        where += " AND p.course_id = :course"
    if lesson_id is not None:
        where += " AND p.lesson_id = :lesson"
    params = {"course": course_id, "lesson": lesson_id, "limit": page.size, "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) FROM (" + _SELECT + where + ")", params)
    rows = db.all(_SELECT + where + " ORDER BY p.id DESC LIMIT :limit OFFSET :offset", params)
    return rows, total


# -- serving --------------------------------------------------------------------------------------


def package_file(store: Store, package_id: str, path: str) -> Path:
    """The file `path` of a live package of any organisation, for the public content URL (the
    package id is unguessable); 404 for anything else.

    `path` comes from the URL: a segment that is empty, `.` or `..`, a backslash or a NUL is
    refused before the filesystem is touched, and the resolved file must still be inside the
    package folder (import refused symbolic links, so this is a second line of defence).
    """
    if not _PACKAGE_ID.fullmatch(package_id) or not _live(store, package_id):
        raise not_found("scorm_package", package_id)
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in path or "\x00" in path:
        raise _no_file(path)
    root = package_dir(store, package_id).resolve()
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise _no_file(path)
    return target


def _live(store: Store, package_id: str) -> bool:
    """Whether the package exists and is not deleted (cached until the next commit: every file of a
    SCO asks)."""
    return store.cached(("scorm_package_live", package_id), lambda: store.scalar(
        "SELECT 1" + _LIVE + " AND p.id = ?", (package_id,)) is not None)


def _no_file(path: str) -> ApiError:
    shown = _CONTROL.sub("?", path)[:300]
    return ApiError(404, "file_not_found", f"The package has no file '{shown}'.")


# -- importing ------------------------------------------------------------------------------------


class _Target:
    """Where an import goes: a new lesson in a module, or a new version of an existing lesson."""

    def __init__(self, course_id: str, module_id: str, lesson: Row | None) -> None:
        self.course_id, self.module_id, self.lesson = course_id, module_id, lesson


def _resolve_target(db: Db, course_id: str | None, module_id: str | None, lesson_id: str | None,
                    prefix: str) -> _Target:
    """Check the course, module and lesson named by an import; 404 / 422 with a pointer otherwise."""
    if lesson_id:
        try:
            lesson = lessons.get_lesson(db, lesson_id)
        except ApiError as err:
            raise _pointed(err, f"{prefix}/lesson_id") from None
        if lesson["content_type"] != "scorm":
            raise _invalid(f"{prefix}/lesson_id", f"lesson_id: '{lesson_id}' is a {lesson['content_type']} lesson; "
                                                  "only a SCORM lesson takes a new package version.")
        if course_id and course_id != lesson["course_id"]:
            raise _invalid(f"{prefix}/course_id", f"course_id: the lesson '{lesson_id}' belongs to the course "
                                                  f"'{lesson['course_id']}'.")
        if module_id and module_id != lesson["module_id"]:
            raise _invalid(f"{prefix}/module_id", f"module_id: the lesson '{lesson_id}' is in the module "
                                                  f"'{lesson['module_id']}'.")
        return _Target(lesson["course_id"], lesson["module_id"], lesson)
    if not course_id:
        raise _invalid(f"{prefix}/course_id", "course_id: the course the package is for is required.")
    if not module_id:
        raise _invalid(f"{prefix}/module_id", "module_id: the module the new lesson goes in is required.")
    try:
        get_course(db, course_id)
    except ApiError as err:
        raise _pointed(err, f"{prefix}/course_id") from None
    try:
        module = get_module(db, module_id)
    except ApiError as err:
        raise _pointed(err, f"{prefix}/module_id") from None
    if module["course_id"] != course_id:
        raise _invalid(f"{prefix}/module_id", f"module_id: the module '{module_id}' is not in the course "
                                              f"'{course_id}'.")
    return _Target(course_id, module_id, None)


def _pointed(err: ApiError, pointer: str) -> ApiError:
    err.errors[0]["source"] = {"pointer": pointer}
    return err


def _invalid(pointer: str, detail: str) -> ApiError:
    return ApiError(422, "validation_error", detail, pointer=pointer, title="Invalid Attribute")


def _package_errors(exc: PackageError, pointer: str) -> ApiError:
    return ApiError.many(422, [
        error_object(422, "invalid_scorm_package", problem, title="Invalid SCORM Package", pointer=pointer)
        for problem in exc.problems
    ])


def import_package(db: Db, zip_path: Path, *, course_id: str | None = None,
                   module_id: str | None = None, lesson_id: str | None = None, title: str | None = None,
                   prefix: str = "") -> Row:
    """Import the zip at `zip_path`: a new SCORM lesson in the module (titled `title`, else by the
    manifest), or, with `lesson_id`, the next version of that lesson's package. Returns the package row.

    `prefix` is put before the pointers of errors (the form's fields are at the top level).
    """
    title = " ".join((title or "").split()) or None
    if title is not None and (len(title) > TITLE_MAX_CHARS or _CONTROL.search(title)):
        raise _invalid(f"{prefix}/title", f"title: at most {TITLE_MAX_CHARS} characters, without control characters.")
    _resolve_target(db, course_id, module_id, lesson_id, prefix)  # fail before unpacking
    try:
        prepared = prepare_package(zip_path, scorm_root(db.site) / ".staging")
    except PackageError as exc:
        raise _package_errors(exc, f"{prefix}/file") from None
    package_id = new_id("scorm")
    with prepared:  # removes the staging folder unless it was installed
        try:
            with db.transaction():
                target = _resolve_target(db, course_id, module_id, lesson_id, prefix)
                _record(db, target, package_id, prepared, title)
                prepared.install(package_dir(db.site, package_id))  # last: a failure above leaves no folder
        except BaseException:
            if prepared.installed is not None:  # the commit itself failed: no row, so no folder either
                shutil.rmtree(prepared.installed, ignore_errors=True)
            raise
    return get_package(db, package_id)


def _record(db: Db, target: _Target, package_id: str, prepared: PreparedPackage, title: str | None) -> None:
    """Inside the import's transaction: create or update the lesson, and insert the package row."""
    manifest = prepared.manifest
    named = " ".join(_CONTROL.sub(" ", manifest["title"]).split())
    package_title = (title or named or "SCORM package")[:TITLE_MAX_CHARS]
    content = {
        "package_id": package_id,
        "scorm_version": manifest["scorm_version"],
        "sco_count": sum(1 for item in manifest["items"] if item["scorm_type"] == "sco"),
        "self_contained": prepared.report["self_contained"],
    }
    if target.lesson is None:
        version = 1
        content |= {"estimated_minutes": None, "package_version": version}
        lesson = lessons.create_lesson(db, target.module_id, LessonCreate.model_validate({
            "title": package_title, "content_type": "scorm", "content": content}))
    else:
        lesson = target.lesson
        version = 1 + (db.scalar("SELECT MAX(package_version) FROM scorm_packages WHERE app_id = :app "
                                 "AND env = :env AND lesson_id = :lesson", {"lesson": lesson["id"]}) or 0)
        previous = loads(lesson["content"])
        content |= {"estimated_minutes": previous.get("estimated_minutes"), "package_version": version}
        changes: dict[str, Any] = {"content": content}
        if title:
            changes["title"] = package_title
        lesson = lessons.update_lesson(db, lesson["id"], changes)
    report = dict(prepared.report)
    same = db.one("SELECT package_version FROM scorm_packages WHERE app_id = :app AND env = :env "
                  "AND lesson_id = :lesson AND sha256 = :sha256 AND deleted_at IS NULL "
                  "ORDER BY package_version DESC LIMIT 1",
                  {"lesson": lesson["id"], "sha256": prepared.sha256})
    if same is not None:
        report["warnings"] = [*report["warnings"],
                              f"This zip is identical to version {same['package_version']} of the lesson's package."]
    db.insert("scorm_packages", {
        "id": package_id, "course_id": target.course_id, "module_id": lesson["module_id"], "lesson_id": lesson["id"],
        "title": package_title, "scorm_version": manifest["scorm_version"], "edition": manifest["edition"],
        "package_version": version, "sha256": prepared.sha256, "manifest": dumps(manifest),
        "report": dumps(report), "file_count": prepared.file_count, "total_bytes": prepared.total_bytes,
        "created_at": now_iso(), "deleted_at": None,
    })


# -- the upload form ------------------------------------------------------------------------------


def upload(db: Db, environ: dict[str, Any], *, data_dir: Path, drain_limit: int) -> Row:
    """Receive a multipart/form-data upload (file, course_id, module_id, title, lesson_id) and import it."""
    content_type = environ.get("CONTENT_TYPE", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(400, "invalid_multipart", "Send the package as multipart/form-data with the fields file, "
                                                 "course_id, module_id and optionally title and lesson_id.")
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length > MAX_UPLOAD_BYTES:
        raise ApiError(413, "payload_too_large", f"The upload is {length} bytes; a SCORM package may be at most "
                                                 f"{MAX_UPLOAD_BYTES // MIB} MiB.", pointer="/file")

    def before_file(fields: dict[str, str]) -> None:  # fail before the file streams when we can
        _fields_ok(fields)
        if {"course_id", "module_id"} <= fields.keys() or "lesson_id" in fields:
            _resolve_target(db, fields.get("course_id"), fields.get("module_id"), fields.get("lesson_id"), "")

    spec = uploads.FormSpec(text_fields=FORM_FIELDS, file_field="file", max_file_bytes=MAX_UPLOAD_BYTES,
                            allowed_types=[".zip"], drain_limit=drain_limit, before_file=before_file)
    try:
        form = uploads.read_form(environ, data_dir, spec)
    except ApiError as err:
        if err.errors[0]["code"] == "file_type_not_allowed":  # the reader's words are for assignments
            raise ApiError(422, "invalid_scorm_package",
                           "The file is not a zip archive (a SCORM package is a .zip file).",
                           title="Invalid SCORM Package", pointer="/file", headers=err.headers) from None
        raise
    try:
        fields = _fields_ok(form.fields)
        if form.file is None:
            raise _invalid("/file", "file: the package (a .zip file) is required.")
        return import_package(db, form.file.temp_path, course_id=fields.get("course_id"),
                              module_id=fields.get("module_id"), lesson_id=fields.get("lesson_id"),
                              title=fields.get("title"))
    finally:
        if form.file is not None:
            form.file.discard()


def _fields_ok(fields: dict[str, str]) -> dict[str, str]:
    """The form's text fields, trimmed; empty ones are taken as not sent."""
    clean = {}
    for name, value in fields.items():
        value = value.strip()
        if not value:
            continue
        if len(value) > FORM_FIELDS[name] or _CONTROL.search(value):
            raise _invalid(f"/{name}", f"{name}: at most {FORM_FIELDS[name]} characters, without control characters.")
        clean[name] = value
    return clean
