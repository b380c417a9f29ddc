"""The media library: files an organisation hosts on this server for its lessons.

A classroom without internet cannot play a video from the web, so an instructor uploads it here
and points a lesson's `video_url` (or `document_url`, an image in a text lesson...) at the
record's `url`, `/media/<id>/<filename>`. Rules, in one place:
- Uploads stream through the same checked form reader as submissions (core/uploads.py): the
  extension must be one of MEDIA_TYPES and the first bytes must fit it; at most MAX_MEDIA_BYTES.
  Nothing that a browser would run (HTML, SVG, scripts) is accepted.
- Bytes go to the content-addressed store, once per content; each upload is its own record.
- The files are public at their URL (the id is unguessable, as for SCORM package files), served
  with Range (video seeking), ETag and a year's immutable caching: a record's bytes never change.
  Deleting a record stops serving it; the bytes stay while anything else names them.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from university_local.core import uploads
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, Store
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page

MAX_MEDIA_BYTES = 2048 * uploads.MIB
MEDIA_TYPES = [
    ".mp4", ".m4v", ".webm", ".ogv",  # video
    ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac",  # audio
    ".pdf", ".txt", ".epub", ".docx", ".pptx", ".xlsx", ".odt", ".odp", ".ods",  # documents
    ".png", ".jpg", ".jpeg", ".gif", ".webp",  # images
]
# Shown in the browser where it can (a video plays, a PDF opens in its viewer); the rest download.
_INLINE = re.compile(r"^(video|audio|image)/|^application/pdf$|^text/plain")
_MEDIA_ID = re.compile(r"^media-[0-9a-z]{26}$")
_SELECT = "SELECT * FROM media WHERE app_id = :app AND env = :env AND deleted_at IS NULL"


def media_url(row: Row) -> str:
    """Where the file is served: the path a lesson's content names."""
    return f"/media/{row['id']}/{quote(row['filename'])}"


def upload(db: Db, environ: dict[str, Any], *, data_dir: Path, drain_limit: int) -> Row:
    """Receive a multipart/form-data upload (one `file` part) into the library."""
    spec = uploads.FormSpec(text_fields={}, file_field="file", max_file_bytes=MAX_MEDIA_BYTES,
                            allowed_types=MEDIA_TYPES, limit_for="the media library",
                            drain_limit=max(drain_limit, uploads.FORM_OVERHEAD_BYTES + uploads.OVERSIZE_SLACK_BYTES))
    form = uploads.read_form(environ, data_dir, spec)
    if form.file is None:
        raise ApiError(422, "validation_error", "file: the file to add is required.", pointer="/file",
                       title="Invalid Attribute")
    return _record(db, data_dir, form.file)


def add_file(db: Db, data_dir: Path, source: Path, filename: str | None = None) -> Row:
    """Add a file already on this machine (the demo's video, a site's import), checked like an upload."""
    name = uploads.safe_filename(filename or source.name)
    file_type = uploads.matching_type(name, MEDIA_TYPES)
    if file_type is None:
        raise ApiError(422, "file_type_not_allowed", f"{name}: not a kind of file the media library takes.")
    temp = uploads.temp_dir(data_dir)
    temp.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, tempfile.NamedTemporaryFile(dir=temp, delete=False) as out:
        received = uploads.ReceivedFile(Path(out.name), name, file_type)
        head = src.read(uploads.SNIFF_BYTES)
        if not uploads.sniff(file_type, head):
            out.close()
            received.discard()
            raise ApiError(422, "file_type_not_allowed", f"{name}: its content is not a {file_type} file.")
        src.seek(0)
        while chunk := src.read(uploads.MIB):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    received.size, received.sha256 = size, digest.hexdigest()
    return _record(db, data_dir, received)


def _record(db: Db, data_dir: Path, received: uploads.ReceivedFile) -> Row:
    """The one write path: the blob into the store, then its record."""
    media_id, now = new_id("media"), now_iso()
    try:
        with db.transaction():
            uploads.store_blob(data_dir, received)
            db.insert("media", {"id": media_id, "filename": received.filename, "content_type": received.content_type,
                                "size_bytes": received.size, "sha256": received.sha256, "created_at": now,
                                "deleted_at": None})
    finally:
        received.discard()  # gone already once stored; removed here on any error
    return get_media(db, media_id)


def get_media(db: Db, media_id: str) -> Row:
    row = db.one(_SELECT + " AND id = :id", {"id": media_id})
    if row is None:
        raise not_found("media", media_id)
    return row


def list_media(db: Db, page: Page, *, content_type: str | None = None) -> tuple[list[Row], int]:
    where, params = "", {"limit": page.size, "offset": page.offset, "type": f"{content_type}%"}
    if content_type:
        where = " AND content_type LIKE :type"
    total = db.scalar("SELECT COUNT(*) FROM (" + _SELECT + where + ")", params)
    return db.all(_SELECT + where + " ORDER BY id DESC LIMIT :limit OFFSET :offset", params), total


def delete_media(db: Db, media_id: str) -> None:
    get_media(db, media_id)
    with db.transaction():
        db.execute("UPDATE media SET deleted_at = :now WHERE app_id = :app AND env = :env AND id = :id",
                   {"now": now_iso(), "id": media_id})


def served_file(store: Store, data_dir: Path, media_id: str, filename: str) -> tuple[Row, Path, bool]:
    """For the public URL: the live record of any organisation, its file on disk, and whether the
    browser may show it inline. 404 for an unknown or deleted id, or a name that is not the file's."""
    row = store.one("SELECT * FROM media WHERE id = ? AND deleted_at IS NULL", (media_id,)) \
        if _MEDIA_ID.fullmatch(media_id) else None
    if row is None or row["filename"] != filename:
        raise not_found("media", media_id)
    path = uploads.blob_path(data_dir, row["sha256"])
    if not path.is_file():
        raise ApiError(404, "file_not_found", f"The file of media '{media_id}' is missing from the store.")
    return row, path, bool(_INLINE.match(row["content_type"]))
