"""Uploaded files: a multipart/form-data body streamed to disk, checked on the way, stored by content.

The body is never held in memory. `read_form` reads the WSGI input in 64 KiB chunks, bounded by
Content-Length, through python-multipart's streaming parser. Text fields are collected up to a
small limit each; the one file field is written to a temporary file in `<data_dir>/uploads/tmp/`
while its SHA-256 is computed. Checks happen as early as the bytes allow:

- before anything is read: Content-Type and boundary, a Content-Length, and the Content-Length
  against the file limit plus the form's overhead (`FORM_OVERHEAD_BYTES`, or more for a form with a
  long text field) (413 `payload_too_large`);
- at a part's headers: a field the form refuses (`refused_fields`, 422 with the caller's words);
  for the file part, its filename's extension against the allowed types (422
  `file_type_not_allowed`), and the caller's `before_file` check (enrollment, deadline) when the
  text fields came first, as browsers and httpx send them;
- on the file's first bytes: its content against the extension (`_MAGIC`, see `sniff`);
- while streaming: the file's size, cut off at the first byte over the limit (413 `file_too_large`).

A file part with an empty filename is what a browser sends for a file input left empty: it counts
as no file (`form.file` is None), as long as it is empty too.

On any error the temporary file is removed and the rest of the body is read and dropped (to
nowhere, like nginx's lingering close) within a budget: at most `drain_limit` bytes (for
submissions: the file limit plus the form overhead plus `OVERSIZE_SLACK_BYTES`) and
`DRAIN_SECONDS`. A server that closes a connection with unread bytes makes the kernel send a
reset, which a client still writing its body sees instead of the answer (bench/README.md);
reading the rest means the client always gets the answer, and the keep-alive connection stays usable. A body
beyond the budget is dropped unread with `Connection: close`: such a client may see a reset.

`store_blob` moves a received file to `<data_dir>/uploads/sha256/ab/cdef...` (the hex digest
split after two characters); identical files are stored once. The name on disk never comes from
the client: the client's filename is only metadata, sanitised by `safe_filename`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import bottle
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from university_local.core.errors import ApiError
from university_local.core.files import move_durably
from university_local.core.routing import body_incomplete, drain

CHUNK_BYTES = 64 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024  # room beside the file for the text fields and the part headers
SNIFF_BYTES = 512
MAX_PARTS = 8
STALE_TEMP_SECONDS = 24 * 3600
MIB = 1024 * 1024
OVERSIZE_SLACK_BYTES = 64 * MIB  # a refused body this much over the limit is still read to its end
DRAIN_SECONDS = 10.0  # and for at most this long

# Leading bytes a file of each type starts with. A type not listed here is not sniffed.
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".zip": _ZIP, ".docx": _ZIP, ".xlsx": _ZIP, ".pptx": _ZIP, ".odt": _ZIP, ".ods": _ZIP, ".odp": _ZIP,
    ".epub": _ZIP, ".jar": _ZIP, ".sb3": _ZIP,
    ".gz": (b"\x1f\x8b",), ".tgz": (b"\x1f\x8b",), ".tar.gz": (b"\x1f\x8b",),
    ".bz2": (b"BZh",), ".tar.bz2": (b"BZh",),
    ".xz": (b"\xfd7zXZ\x00",), ".tar.xz": (b"\xfd7zXZ\x00",),
    ".7z": (b"7z\xbc\xaf\x27\x1c",),
    ".rar": (b"Rar!\x1a\x07",),
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webm": (b"\x1aE\xdf\xa3",), ".mkv": (b"\x1aE\xdf\xa3",),
    ".ogg": (b"OggS",), ".ogv": (b"OggS",), ".oga": (b"OggS",), ".opus": (b"OggS",),
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), ".wav": (b"RIFF",), ".flac": (b"fLaC",),
}
_ISO_MEDIA = {".mp4", ".m4v", ".m4a", ".mov"}  # ISO base media files: "ftyp" at byte 4
# Text: no NUL byte in the first SNIFF_BYTES (unless a UTF-16 byte-order mark says why).
_TEXT = {".txt", ".md", ".csv", ".tsv", ".json", ".py", ".java", ".c", ".h", ".cpp", ".js", ".ts", ".html",
         ".css", ".sql", ".xml", ".yaml", ".yml", ".rb", ".go", ".rs", ".sh", ".ipynb", ".tex"}
# What a download is served as. Never HTML or SVG as such (downloads are attachments with nosniff
# anyway); anything not listed is application/octet-stream.
CONTENT_TYPES = {
    ".zip": "application/zip", ".gz": "application/gzip", ".tgz": "application/gzip",
    ".tar.gz": "application/gzip", ".tar": "application/x-tar", ".bz2": "application/x-bzip2",
    ".tar.bz2": "application/x-bzip2", ".xz": "application/x-xz", ".tar.xz": "application/x-xz",
    ".7z": "application/x-7z-compressed", ".rar": "application/vnd.rar", ".pdf": "application/pdf",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text", ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation", ".epub": "application/epub+zip",
    ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg",
    ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
    ".flac": "audio/flac", ".webp": "image/webp",
}


def uploads_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "uploads"


def temp_dir(data_dir: Path) -> Path:
    return uploads_dir(data_dir) / "tmp"


def blob_path(data_dir: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return uploads_dir(data_dir) / "sha256" / sha256[:2] / sha256[2:]


def content_type_for(file_type: str) -> str:
    return CONTENT_TYPES.get(file_type, "application/octet-stream")


# -- filenames -----------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")  # incl. bidi overrides
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
MAX_FILENAME_CHARS = 200


def safe_filename(raw: str) -> str:
    """The last path component of `raw`, without control or bidi characters, leading dots or
    characters Windows forbids; at most 200 characters, keeping the end (the extension).

    `../../etc/passwd` -> `passwd`, `C:\\x\\y.zip` -> `y.zip`, `.bashrc` -> `bashrc`. May be empty.
    """
    name = unicodedata.normalize("NFC", raw)
    name = _CONTROL.sub("", name)
    name = re.split(r"[/\\]", name)[-1]  # POSIX and Windows paths alike
    name = _WINDOWS_RESERVED.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        name = name[: MAX_FILENAME_CHARS - 20] + name[-20:]
    return name


def matching_type(filename: str, allowed: list[str]) -> str | None:
    """The allowed type `filename` ends with (the longest, so `.tar.gz` before `.gz`), if any.

    The name must have something before the extension: `.zip` alone is no zip file's name.
    """
    lower = filename.lower()
    for file_type in sorted(allowed, key=len, reverse=True):
        if lower.endswith(file_type) and len(lower) > len(file_type):
            return file_type
    return None


def sniff(file_type: str, head: bytes) -> bool:
    """Whether the file's first bytes fit its type (types without a signature always fit)."""
    if file_type in _MAGIC:
        return head.startswith(_MAGIC[file_type])
    if file_type in _ISO_MEDIA:
        return head[4:8] == b"ftyp"
    if file_type == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if file_type == ".tar":
        return head[257:262] == b"ustar"
    if file_type in _TEXT:
        return b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff"))
    return True


# -- the form ------------------------------------------------------------------------------


@dataclass
class ReceivedFile:
    """A file part streamed to a temporary file, not yet in the store."""

    temp_path: Path
    filename: str  # sanitised
    file_type: str  # the allowed type it matched
    size: int = 0
    sha256: str = ""

    @property
    def content_type(self) -> str:
        return content_type_for(self.file_type)

    def discard(self) -> None:
        try:
            self.temp_path.unlink()
        except FileNotFoundError:
            pass


@dataclass
class Form:
    fields: dict[str, str]
    file: ReceivedFile | None


@dataclass
class FormSpec:
    """What the form may hold and the limits that apply."""

    text_fields: dict[str, int]  # name -> most characters
    file_field: str
    max_file_bytes: int
    allowed_types: list[str]
    drain_limit: int  # after an error, a rest of the body up to this size is read and dropped (else: close)
    before_file: Callable[[dict[str, str]], None] = lambda fields: None
    refused_fields: dict[str, str] = field(default_factory=dict)  # name -> why: 422 at the part's headers
    overhead_bytes: int = FORM_OVERHEAD_BYTES  # room beside the file in Content-Length: text fields, headers
    limit_for: str = "this assignment"  # whose size limit, in the 413 errors' words


def read_form(environ: dict[str, Any], data_dir: Path, spec: FormSpec) -> Form:
    """Stream the request's multipart/form-data body; the file goes to a temporary file.

    Raises ApiError for a bad form, with the body settled (read, or the connection marked for
    closing) and no temporary file left behind. On success the caller owns `form.file` and
    must `store_blob` or `discard` it.
    """
    reader = _FormReader(environ, data_dir, spec)
    try:
        return reader.run()
    except ApiError as err:
        reader.abandon(err)
        raise
    except BaseException:
        reader.abandon(None)
        raise


class _FormReader:
    def __init__(self, environ: dict[str, Any], data_dir: Path, spec: FormSpec) -> None:
        self.environ = environ
        self.data_dir = Path(data_dir)
        self.spec = spec
        self.length = _content_length(environ)
        self.consumed = 0
        self.fields: dict[str, str] = {}
        self.file: ReceivedFile | None = None
        self.ended = False
        self.broken = False
        self.parts = 0
        # the part being read
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._name: str | None = None
        self._text: bytearray | None = None
        self._text_limit = 0
        self._out: BinaryIO | None = None
        self._hash: Any = None
        self._head = bytearray()
        self._sniffed = False
        self._empty_file = False  # a file input left empty: a part with filename="" and no bytes

    # -- the read loop ---------------------------------------------------------------------

    def run(self) -> Form:
        boundary = _boundary(self.environ.get("CONTENT_TYPE", ""))
        if self.length < 0:
            raise ApiError(411, "length_required", "Send the upload with a Content-Length header.")
        if self.length > self.spec.max_file_bytes + self.spec.overhead_bytes:
            raise ApiError(413, "payload_too_large", f"The upload is {self.length} bytes; files for "
                           f"{self.spec.limit_for} may be at most {_size(self.spec.max_file_bytes)}.", pointer="/file")
        parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        })
        stream = self.environ["wsgi.input"]
        try:
            while self.consumed < self.length:
                chunk = self._read(stream, min(CHUNK_BYTES, self.length - self.consumed))
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as exc:
            raise ApiError(400, "invalid_multipart", f"The multipart/form-data body is malformed: {exc}.") from None
        if not self.ended:
            raise ApiError(400, "invalid_multipart", "The multipart/form-data body ends before its closing boundary.")
        self.environ["bottle.request.body"] = io.BytesIO()  # read: nothing for the router to finish
        return Form(self.fields, self.file)

    def _read(self, stream: Any, size: int) -> bytes:
        try:
            chunk = stream.read(size)
        except OSError:  # the client stalled past the server's socket timeout, or went away
            chunk = b""
        if not chunk:
            self.broken = True  # nothing more will come: close, do not wait to drain
            raise body_incomplete(self.length, self.consumed)
        self.consumed += len(chunk)
        return chunk

    def abandon(self, err: ApiError | None) -> None:
        """After an error: drop the temporary file, then read the rest of the body when it is small
        enough, or have the connection closed, so the next request on it is not read from the middle
        of this one's body."""
        if self._out is not None:
            self._out.close()
            self._out = None
        if self.file is not None:
            self.file.discard()
        remaining = self.length - self.consumed  # negative: no Content-Length, so no telling where it ends
        drainable = err is not None and not self.broken and 0 <= remaining <= self.spec.drain_limit
        if remaining != 0 and not (drainable and self._drain(remaining, time.monotonic() + DRAIN_SECONDS)):
            if err is not None:
                err.headers["Connection"] = "close"
            bottle.response.set_header("Connection", "close")
        self.environ["bottle.request.body"] = io.BytesIO()  # settled: the router must not read it again

    def _drain(self, remaining: int, deadline: float) -> bool:
        """Read and drop the rest of the body; False if it did not all arrive in time."""
        return drain(self.environ["wsgi.input"], remaining, deadline)

    # -- parser callbacks ------------------------------------------------------------------

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ApiError(422, "validation_error", f"The form has more than {MAX_PARTS} parts.", pointer="/")
        self._headers = {}
        self._name = None

    def _header_end(self) -> None:
        self._headers[self._header_name.decode("latin-1").strip().lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition, params = parse_options_header(self._headers.get("content-disposition", b"").decode("latin-1"))
        if disposition != b"form-data" or b"name" not in params:
            raise ApiError(400, "invalid_multipart", "Each part needs Content-Disposition: form-data; name=\"...\".")
        name = params[b"name"].decode("utf-8", "replace")
        if name == self.spec.file_field and params.get(b"filename") == b"":  # a file input left empty
            self._name = name
            self._empty_file = True
            return
        if name in self.spec.refused_fields:
            raise ApiError(422, "validation_error", f"{name}: {self.spec.refused_fields[name]}",
                           pointer=f"/{_escape(name)}")
        known = self.spec.file_field == name or name in self.spec.text_fields
        if not known:
            expected = ", ".join([*self.spec.text_fields, self.spec.file_field])
            raise ApiError(422, "validation_error", f"{name}: unknown field; the form takes {expected}.",
                           pointer=f"/{_escape(name)}")
        if name in self.fields or (name == self.spec.file_field and self.file is not None):
            raise ApiError(422, "validation_error", f"{name}: sent more than once.", pointer=f"/{name}")
        self._name = name
        if name == self.spec.file_field:
            if b"filename" not in params:
                raise ApiError(422, "validation_error", f"{name}: send a file (a part with a filename).",
                               pointer=f"/{name}")
            self._start_file(params[b"filename"].decode("utf-8", "replace"))
        else:
            if b"filename" in params:
                raise ApiError(422, "validation_error", f"{name}: a text field, not a file.", pointer=f"/{name}")
            self._text = bytearray()
            self._text_limit = self.spec.text_fields[name] * 4  # UTF-8: at most 4 bytes a character

    def _start_file(self, raw_name: str) -> None:
        filename = safe_filename(raw_name)
        file_type = matching_type(filename, self.spec.allowed_types)
        if file_type is None:
            shown = filename or raw_name[:100]
            raise ApiError(422, "file_type_not_allowed", f"'{shown}' is not one of the allowed file types: "
                           f"{', '.join(self.spec.allowed_types)}.", pointer=f"/{self.spec.file_field}")
        self.spec.before_file(dict(self.fields))
        folder = temp_dir(self.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        _clean_stale_temp_files(folder)
        fd, path = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=folder)
        self.file = ReceivedFile(Path(path), filename, file_type)
        self._out = os.fdopen(fd, "wb", buffering=CHUNK_BYTES)
        self._hash = hashlib.sha256()
        self._head = bytearray()
        self._sniffed = False

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._empty_file:
            if piece:
                raise ApiError(422, "validation_error", f"{self._name}: a file part needs a filename.",
                               pointer=f"/{self._name}")
            return
        if self._text is not None:
            if len(self._text) + len(piece) > self._text_limit:
                raise ApiError(422, "validation_error", f"{self._name}: at most "
                               f"{self.spec.text_fields[self._name or '']} characters.", pointer=f"/{self._name}")
            self._text.extend(piece)
            return
        assert self.file is not None and self._out is not None
        self.file.size += len(piece)
        if self.file.size > self.spec.max_file_bytes:
            raise ApiError(413, "file_too_large", f"The file is over the limit of {_size(self.spec.max_file_bytes)} "
                           f"for {self.spec.limit_for}.", pointer=f"/{self.spec.file_field}")
        if not self._sniffed:
            self._head.extend(piece[: SNIFF_BYTES - len(self._head)])
            if len(self._head) >= SNIFF_BYTES:
                self._sniff()
        self._hash.update(piece)
        self._out.write(piece)

    def _part_end(self) -> None:
        if self._empty_file:
            self._empty_file = False
            return
        if self._text is not None:
            try:
                self.fields[self._name or ""] = self._text.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(422, "validation_error", f"{self._name}: must be UTF-8 text.",
                               pointer=f"/{self._name}") from None
            self._text = None
            return
        if self.file is None or self._out is None:
            return
        if self.file.size == 0:
            raise ApiError(422, "validation_error", f"{self.spec.file_field}: the file is empty.",
                           pointer=f"/{self.spec.file_field}")
        if not self._sniffed:
            self._sniff()
        self._out.flush()
        os.fsync(self._out.fileno())  # durable before it is linked into the store
        self._out.close()
        self._out = None
        self.file.sha256 = self._hash.hexdigest()

    def _sniff(self) -> None:
        assert self.file is not None
        self._sniffed = True
        if not sniff(self.file.file_type, bytes(self._head)):
            raise ApiError(422, "file_type_not_allowed", f"The content of '{self.file.filename}' is not a "
                           f"{self.file.file_type} file.", pointer=f"/{self.spec.file_field}")

    def _end(self) -> None:
        self.ended = True


def _content_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return -1


def _boundary(content_type: str) -> bytes:
    media_type, params = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise ApiError(400, "invalid_multipart", "Send the submission as multipart/form-data "
                       "(fields user_id, file or text, and optionally notes).")
    boundary = params.get(b"boundary", b"")
    if not 1 <= len(boundary) <= 70:
        raise ApiError(400, "invalid_multipart", "The multipart/form-data Content-Type needs a boundary.")
    return boundary


def _escape(name: str) -> str:
    """A JSON pointer token (RFC 6901), kept short."""
    return name[:100].replace("~", "~0").replace("/", "~1")


def _size(n: int) -> str:
    return f"{n / MIB:g} MiB" if n % MIB == 0 else f"{n} bytes"


_cleaned: set[Path] = set()
_cleaned_lock = threading.Lock()


def _clean_stale_temp_files(folder: Path) -> None:
    """Once per process and folder: remove temporary files a crash left behind (a day old at least,
    so no upload still under way is touched)."""
    with _cleaned_lock:
        if folder in _cleaned:
            return
        _cleaned.add(folder)
    cutoff = time.time() - STALE_TEMP_SECONDS
    for entry in folder.glob("upload-*.part"):
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except OSError:
            continue


# -- the store -----------------------------------------------------------------------------


def store_blob(data_dir: Path, received: ReceivedFile) -> Path:
    """Link a received file into the content-addressed store (once per content) and return its path.

    The temporary file was fsynced when its part ended; a second copy of a stored file is
    simply dropped.
    """
    target = blob_path(data_dir, received.sha256)
    if target.exists() and target.stat().st_size == received.size:
        received.discard()
        return target
    move_durably(received.temp_path, target)
    return target


def open_blob(data_dir: Path, sha256: str) -> BinaryIO:
    return open(blob_path(data_dir, sha256), "rb")
