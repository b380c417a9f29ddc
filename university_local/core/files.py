"""Files: written so that they survive a power cut, and answered without holding a request
thread while a slow client reads them.

Durable writes. A file the database points at (an upload, a certificate's PDF, a key) must be
whole on disk before the transaction that names it commits: it is written beside its final
name, synced, renamed into place, and its folder synced, so a crash leaves either the old state
or the whole new file. `write_durably` does that for bytes in hand, `move_durably` for a file
already written and synced, `create_once` for a secret made once and never replaced.

File answers.

A request thread that writes a large file to a learner on weak Wi-Fi is a thread no other
request can use until the last byte has left: eight learners opening a SCORM lesson's 20 MB
video at 2 MB/s each held all eight threads the server then had, and every other request, a
progress save included, waited the ten seconds their downloads took. Under `university-local
serve`, uWSGI's offload thread (an event loop in C) sends files instead, and the request thread
is free at once.

A handler returns an open file for a whole file, or a `FileRange` for part of one (a Range
request). `send_files_by_uwsgi` takes the place of the server's `wsgi.file_wrapper` and hands
each to `uwsgi.sendfile(fd, chunk, offset, length)`, which the offload thread sends. (uWSGI's
own file_wrapper is offloaded too, but always starts at byte 0.) The offload thread sends in
whole 128 KiB steps, past the end of a range that stops short of the file's end, so such a range
(small in practice: a player's probe, a PDF viewer's page) is written by the request thread;
ranges that run to the end (`bytes=N-`, what a browser's video element asks for when it plays or
seeks) and whole files are offloaded. A graceful stop waits for the offloaded files as it waits
for requests under way (`Sends`). Under any other WSGI server a `FileRange` is read like a file by
the server's own file_wrapper.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import bottle

from university_local.core.errors import ApiError
from university_local.core.routing import Reply, Request

CHUNK_BYTES = 256 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"


# -- durable writes --------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    """Make the names in a folder (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def _write_synced(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def write_durably(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` as one step that survives a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(path)
    try:
        _write_synced(temporary, data, mode)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(path.parent)


def move_durably(source: Path, target: Path) -> None:
    """Rename an already synced file into place (its folder made if need be) and sync the names."""
    created = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    fsync_dir(target.parent)
    if created:
        fsync_dir(target.parent.parent)


def create_once(path: Path, data: bytes) -> None:
    """Write `data` to `path`, readable by this user only, unless the file exists. Safe when
    several processes or threads race: the first one to link its copy into place wins."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_beside(path)
    try:
        _write_synced(temporary, data, 0o600)
        os.link(temporary, path)
        fsync_dir(path.parent)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


# -- file answers ----------------------------------------------------------------------------

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FileRange:
    """`length` bytes of an open file (of `file_size` bytes) from byte `start`: a file that ends
    there when read, and its chunks when iterated."""

    def __init__(self, handle: BinaryIO, start: int, length: int, file_size: int) -> None:
        self.handle = handle
        self.handle.seek(start)
        self.start, self.remaining = start, length
        self.to_end_of_file = start + length >= file_size

    @classmethod
    def open(cls, path: Path, start: int, length: int, file_size: int) -> FileRange:
        return cls(open(path, "rb"), start, length, file_size)  # noqa: SIM115 - closed by the server

    @classmethod
    def rest_of(cls, handle: BinaryIO) -> FileRange:
        """An open file from where it stands to its end: what a handler returns for a whole file."""
        start, size = handle.tell(), os.fstat(handle.fileno()).st_size
        return cls(handle, start, size - start, size)

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self.handle.close()


class Sends:
    """Files handed to the offload thread and not yet sent, so that a graceful stop can let them
    finish as it lets requests finish. The offload thread closes a file's descriptor once it is
    sent; a descriptor that is closed, or now names another file, is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[int, tuple[int, int]] = {}  # descriptor -> (device, inode)

    def descriptor_for(self, handle: BinaryIO) -> int:
        """A descriptor of its own for the offload thread to send from and close."""
        fd = os.dup(handle.fileno())
        stat = os.fstat(fd)
        with self._lock:
            self._files[fd] = (stat.st_dev, stat.st_ino)
        return fd

    def pending(self) -> int:
        with self._lock:
            for fd, identity in list(self._files.items()):
                try:
                    stat = os.fstat(fd)
                except OSError:
                    stat = None
                if stat is None or (stat.st_dev, stat.st_ino) != identity:
                    del self._files[fd]
            return len(self._files)

    def wait(self, seconds: float) -> None:
        """Return once every file is sent, or after `seconds`."""
        deadline = time.monotonic() + seconds
        while self.pending() and time.monotonic() < deadline:
            time.sleep(0.1)


def send_files_by_uwsgi(app: WSGIApp, stop_seconds: float) -> WSGIApp:
    """`app`, with every file it answers (an open file or a `FileRange`) sent by uWSGI's offload
    thread, and a graceful stop that waits up to `stop_seconds` for those sends; `app` itself when
    not running under uWSGI with offload threads."""
    try:
        import uwsgi  # exists only inside a uWSGI worker
    except ImportError:
        return app
    if not int(uwsgi.opt.get("offload-threads", 0) or 0):
        return app
    sends = Sends()
    uwsgi.atexit = lambda: sends.wait(stop_seconds)

    def as_range(f: Any, *args: Any) -> Any:  # in place of the server's wsgi.file_wrapper
        if isinstance(f, FileRange):
            return f
        try:
            return FileRange.rest_of(f)
        except (AttributeError, OSError):  # no descriptor to send from: the request thread reads it
            return bottle.WSGIFileWrapper(f)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.file_wrapper"] = as_range
        body = app(environ, start_response)
        if not isinstance(body, FileRange) or not body.to_end_of_file:
            return body
        with body.handle:
            uwsgi.sendfile(sends.descriptor_for(body.handle), 0, body.start, body.remaining)
        return []

    return application


def send_file(req: Request, path: Path, media_type: str, identity: str, cache_control: str = IMMUTABLE) -> Reply:
    """Answer a GET/HEAD for `path`: 200, 206 for a satisfiable Range, 304 when the client's copy is
    current, 416 when the range is not satisfiable. `identity` names the file in its ETag."""
    stat = path.stat()
    size = stat.st_size
    etag = '"' + hashlib.sha256(f"{identity}\0{size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:32] + '"'
    modified = int(stat.st_mtime)
    headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(modified, usegmt=True),
               "Cache-Control": cache_control, "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff"}
    if _not_modified(req.header("If-None-Match"), req.header("If-Modified-Since"), etag, modified):
        return Reply(None, 304, headers, media_type)
    spec = req.header("Range")
    if spec and _if_range_holds(req.header("If-Range"), etag, modified):
        byte_range = parse_range(spec, size)
        if byte_range is not None:
            start, end = byte_range
            headers |= {"Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1)}
            return Reply(FileRange.open(path, start, end - start + 1, size), 206, headers, media_type)
    headers["Content-Length"] = str(size)
    return Reply(open(path, "rb"), None, headers, media_type)  # noqa: SIM115 - the server streams and closes it


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment` (or `inline`) with an ASCII fallback name and the exact name in RFC 6266/5987 form."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\%;]', "_", filename) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


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
