"""SCORM package endpoints (`router`, under the API prefix) and the package files (`content`, public,
at `/scorm/content/<package_id>/<path>` outside the prefix).

The files are public by design: the player frames them on this server's origin (the SCORM API
discovery walks `window.parent`, which works only same-origin), and a frame cannot send an API
key. A package id carries 80 random bits, so its files are reachable only by whoever was given
the id. Files never change under an id (a new upload is a new package), so they are cached for a
year as immutable, with an ETag and Last-Modified for revalidation; Range requests (media
seeking) answer 206, or 416 when the range is not satisfiable. The query string plays no part in
finding the file (`launchpage.html?content=playing` is `launchpage.html`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from university_local.core.files import send_file
from university_local.core.jsonapi import document
from university_local.core.routing import Reply, Request, Router, many, one, raw
from university_local.scorm import service
from university_local.scorm.models import ScormPackageListQuery
from university_local.scorm.resources import SCORM_PACKAGE, package_resource

router = Router("scorm", rate="catalogue")
content = Router("scorm content")

# What package files are served as, by extension; anything else is application/octet-stream.
# Text types carry no charset: the files say theirs (<meta charset>, @charset, a BOM), as on any
# static web server, and a wrong one in the header would override them.
MEDIA_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".xhtml": "application/xhtml+xml",
    ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json",
    ".map": "application/json", ".xml": "application/xml", ".xsd": "application/xml", ".dtd": "application/xml-dtd",
    ".txt": "text/plain", ".csv": "text/csv", ".vtt": "text/vtt", ".srt": "application/x-subrip",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
    ".webp": "image/webp", ".avif": "image/avif", ".bmp": "image/bmp", ".ico": "image/x-icon",
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav", ".ogg": "audio/ogg",
    ".oga": "audio/ogg", ".opus": "audio/ogg", ".flac": "audio/flac",
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg",
    ".mov": "video/quicktime", ".flv": "video/x-flv",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject", ".wasm": "application/wasm", ".pdf": "application/pdf",
    ".swf": "application/x-shockwave-flash", ".zip": "application/zip",
}


def media_type(path: str) -> str:
    return MEDIA_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


# -- the API --------------------------------------------------------------------------------------


@router.post("/scorm/upload",
             summary="Upload a SCORM 1.2/2004 zip (multipart/form-data: file, course_id, module_id, title; "
                     "lesson_id for a new version of a SCORM lesson); it becomes a scorm lesson",
             raw_body="multipart/form-data", returns=one(SCORM_PACKAGE), status=201)
def upload(req: Request) -> dict[str, Any]:
    row = service.upload(req.db, req.environ, data_dir=req.config.data_dir, drain_limit=req.config.max_body_bytes)
    return document(package_resource(row))


@router.get("/scorm/packages", summary="List SCORM packages, newest first (filter by course_id or lesson_id: "
                                       "a lesson's versions)", query=ScormPackageListQuery, returns=many(SCORM_PACKAGE))
def list_packages(req: Request) -> dict[str, Any]:
    q: ScormPackageListQuery = req.query
    rows, total = service.list_packages(req.db, q.window, course_id=q.course_id, lesson_id=q.lesson_id)
    return document([package_resource(r) for r in rows], meta=q.window.meta(total))


@router.get("/scorm/packages/<package_id>", summary="Get a SCORM package: its manifest and import report",
            returns=one(SCORM_PACKAGE))
def get_package(req: Request, package_id: str) -> dict[str, Any]:
    return document(package_resource(service.get_package(req.db, package_id)))


# -- the files ------------------------------------------------------------------------------------


@content.get("/scorm/content/<package_id>/<path:path>",
             summary="A file of a SCORM package (public; Range and conditional requests; cached as immutable)",
             access="public", returns=raw("*/*"))
def package_file(req: Request, package_id: str, path: str) -> Reply:
    target = service.package_file(req.site, package_id, path)
    return send_file(req, target, media_type(path), f"{package_id}/{path}")
