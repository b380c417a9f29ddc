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

import email.utils
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bottle

from university_local.core.errors import ApiError
from university_local.core.files import FileRange
from university_local.core.jsonapi import document
from university_local.core.routing import (
    Request,
    Route,
    Router,
    WithStatus,
    many,
    one,
    raw,
)
from university_local.scorm import service
from university_local.scorm.models import SCORM_PACKAGE, ScormPackageListQuery

router = Router("scorm", rate="catalogue")
content = Router("scorm content")

CACHE_CONTROL = "public, max-age=31536000, immutable"

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
    row = service.upload(req.store, req.tenant, bottle.request.environ, data_dir=req.services.config.data_dir,
                         drain_limit=req.services.config.max_body_bytes)
    return document(service.package_resource(row))


@router.get("/scorm/packages", summary="List SCORM packages, newest first (filter by course_id or lesson_id: "
                                       "a lesson's versions)", query=ScormPackageListQuery, returns=many(SCORM_PACKAGE))
def list_packages(req: Request) -> dict[str, Any]:
    q: ScormPackageListQuery = req.query
    rows, total = service.list_packages(req.store, req.tenant, q.window, course_id=q.course_id, lesson_id=q.lesson_id,
                                        published_only=req.published_only)
    return document([service.package_resource(r) for r in rows], meta=q.window.meta(total))


@router.get("/scorm/packages/<package_id>", summary="Get a SCORM package: its manifest and import report",
            returns=one(SCORM_PACKAGE))
def get_package(req: Request, package_id: str) -> dict[str, Any]:
    row = service.get_package(req.store, req.tenant, package_id, published_only=req.published_only)
    return document(service.package_resource(row))


# -- the files ------------------------------------------------------------------------------------


_PARAM = re.compile(r"<(\w+)(?::\w+)?>")


@dataclass
class _WildcardRoute(Route):
    """A route whose last parameter spans several path segments (bottle's `<name:path>`): the
    OpenAPI document names the parameter without the filter."""

    @property
    def openapi_path(self) -> str:
        return _PARAM.sub(r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)


def package_file(req: Request, package_id: str, path: str) -> Any:
    target = service.package_file(req.store, package_id, path)
    return send_file(target, media_type(path), f"{package_id}/{path}")


content.routes.append(_WildcardRoute(
    "GET", "/scorm/content/<package_id>/<path:path>", package_file,
    "A file of a SCORM package (public; Range and conditional requests; cached as immutable)",
    content.tag, "public", None, None, None, raw("*/*"), 200,
))


def send_file(path: Path, type_: str, identity: str) -> Any:
    """Answer a GET/HEAD for `path`: 200, 206 for a satisfiable Range, 304 when the client's copy is
    current, 416 when the range is not satisfiable."""
    request, response = bottle.request, bottle.response
    stat = path.stat()
    size = stat.st_size
    etag = '"' + hashlib.sha256(f"{identity}\0{size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:32] + '"'
    modified = int(stat.st_mtime)
    response.content_type = type_
    response.set_header("ETag", etag)
    response.set_header("Last-Modified", email.utils.formatdate(modified, usegmt=True))
    response.set_header("Cache-Control", CACHE_CONTROL)
    response.set_header("Accept-Ranges", "bytes")
    response.set_header("X-Content-Type-Options", "nosniff")
    if _not_modified(request.get_header("If-None-Match"), request.get_header("If-Modified-Since"), etag, modified):
        return WithStatus(304, None)
    spec = request.get_header("Range")
    if spec and _if_range_holds(request.get_header("If-Range"), etag, modified):
        byte_range = parse_range(spec, size)
        if byte_range is not None:
            start, end = byte_range
            response.set_header("Content-Range", f"bytes {start}-{end}/{size}")
            response.set_header("Content-Length", str(end - start + 1))
            return WithStatus(206, FileRange.open(path, start, end - start + 1, size))
    response.set_header("Content-Length", str(size))
    return open(path, "rb")  # streamed (wsgi.file_wrapper) and closed by the server


def parse_range(spec: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a `Range` header asks for; None to send the whole file (another
    unit, or several ranges, which a server may answer with the whole file); 416 when unsatisfiable."""
    unit, _, ranges = spec.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    parts = [p.strip() for p in ranges.split(",")]
    if len(parts) != 1:
        return None
    first, dash, last = parts[0].partition("-")
    first, last = first.strip(), last.strip()
    valid = dash and (first or last) and (not first or first.isdigit()) and (not last or last.isdigit())
    if not valid:
        raise _unsatisfiable(size, f"'{spec[:100]}' is not a byte range.")
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise _unsatisfiable(size, "The range is empty.")
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if end < start:
        raise _unsatisfiable(size, f"The range ends ({end}) before it starts ({start}).")
    if start >= size:
        raise _unsatisfiable(size, f"The range starts at byte {start}; the file has {size} bytes.")
    return start, min(end, size - 1)


def _unsatisfiable(size: int, detail: str) -> ApiError:
    return ApiError(416, "range_not_satisfiable", detail, headers={"Content-Range": f"bytes */{size}"})


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, modified: int) -> bool:
    if if_none_match is not None:  # takes precedence over the date (RFC 9110 13.2.2)
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        return since is not None and since.timestamp() >= modified
    return False


def _if_range_holds(if_range: str | None, etag: str, modified: int) -> bool:
    """A Range applies unless If-Range names another version of the file."""
    if not if_range:
        return True
    if if_range.startswith('"'):
        return if_range.strip() == etag
    try:
        return email.utils.parsedate_to_datetime(if_range).timestamp() == modified
    except (TypeError, ValueError, IndexError):
        return False
