"""Is this zip safe to unpack? Every check runs on the central directory before a byte is written.

A SCORM package comes from whoever holds an instructor's key, and is unpacked into a folder the
server then serves, so the zip is treated as hostile until proven otherwise:

- names: no `..` segment, no absolute path (`/x`), no drive letter (`C:x`), no backslash (a
  Windows separator that would turn into a path on some tools), no empty or `.` segment, no
  control character, at most `max_path_chars` characters (255 a segment); no name twice, and no
  name that is both a file and a folder;
- entries: regular files and folders only (symbolic links and device files, told by the Unix
  mode in the external attributes, are refused), not encrypted, compressed with a method Python
  reads (stored, deflate, bzip2, lzma);
- sizes (zip bombs): at most `max_entries` entries, at most `max_total_bytes` once unpacked (the
  declared sizes; `extract` also counts the real bytes, and zipfile stops at the declared size
  and checks the CRC), and no entry over `ratio_floor_bytes` that unpacks to more than
  `max_ratio` times its compressed size;
- the manifest: `imsmanifest.xml` at the root (case-insensitively), at most `max_manifest_bytes`.

Junk that archivers add (`__MACOSX/`, `.DS_Store`, `Thumbs.db`) is checked like the rest but not
unpacked. Problems are collected (up to `MAX_PROBLEMS`) and raised together as `PackageError`.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
MAX_PROBLEMS = 20
CHUNK_BYTES = 256 * 1024
MANIFEST = "imsmanifest.xml"
_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_JUNK_FILES = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Limits:
    """What a package may be. The defaults fit the largest real-world packages (video-heavy
    authoring-tool output) with room to spare, and keep a classroom machine's disk safe."""

    max_entries: int = 10_000
    max_total_bytes: int = 1024 * MIB  # unpacked
    max_ratio: int = 100  # unpacked / compressed, for entries over ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MIB  # smaller entries cannot do harm whatever their ratio
    max_manifest_bytes: int = 10 * MIB
    max_path_chars: int = 1024


DEFAULT_LIMITS = Limits()


class PackageError(Exception):
    """The package cannot be imported; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass
class CheckedZip:
    """A zip that passed the checks: what to unpack, and where its manifest is."""

    files: list[zipfile.ZipInfo]  # regular files to unpack, in archive order
    folders: list[str]  # folder entries (unpacked as empty folders)
    manifest_name: str
    total_bytes: int  # of `files`, unpacked
    skipped: list[str] = field(default_factory=list)  # archiver junk, not unpacked
    warnings: list[str] = field(default_factory=list)


def open_zip(path: Path, limits: Limits = DEFAULT_LIMITS) -> zipfile.ZipFile:
    """The archive at `path`, or PackageError when it is not a (readable) zip file.

    The entries are counted in the raw central directory first: zipfile builds an object for
    every entry, whatever their number, and a 200 MB zip of empty entries has millions.
    """
    count = count_entries(path, limits.max_entries + 1)
    if count is not None and count > limits.max_entries:
        raise PackageError(f"The zip has more than {limits.max_entries} entries; a package may have at most "
                           f"{limits.max_entries}.")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageError(f"The file is not a zip archive ({_reason(exc)}).") from None


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header


def count_entries(path: Path, stop_at: int) -> int | None:
    """How many entries the central directory really holds (counting stops at `stop_at`), or None
    when the zip's structure cannot be read this way (zipfile then says what is wrong)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            tail_start = max(0, size - (_EOCD.size + 65535))
            handle.seek(tail_start)
            tail = handle.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or at + _EOCD.size > len(tail):
                return None
            fields = _EOCD.unpack_from(tail, at)
            cd_size, cd_offset = fields[5], fields[6]
            if (cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF) and at >= _ZIP64_LOCATOR.size:
                locator = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
                if locator[0] != b"PK\x06\x07":
                    return None
                handle.seek(locator[2])
                record = _ZIP64_EOCD.unpack(handle.read(_ZIP64_EOCD.size))
                if record[0] != b"PK\x06\x06":
                    return None
                cd_size, cd_offset = record[8], record[9]
            if cd_offset + cd_size > size:
                return None
            handle.seek(cd_offset)
            directory = handle.read(cd_size)
    except (OSError, struct.error, ValueError):
        return None
    count, pos = 0, 0
    while pos + _CENTRAL.size <= len(directory) and count < stop_at:
        header = _CENTRAL.unpack_from(directory, pos)
        if header[0] != b"PK\x01\x02":
            break
        pos += _CENTRAL.size + header[10] + header[11] + header[12]
        count += 1
    return count


def name_problem(name: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why an entry name is unsafe to unpack, or None when it is safe."""
    shown = _show(name)
    if _CONTROL.search(name):
        return f"'{shown}' has a control character in its name."
    if "\\" in name:
        return f"'{shown}' uses backslashes; zip paths must use '/'."
    if name.startswith("/"):
        return f"'{shown}' is an absolute path."
    if _DRIVE.match(name):
        return f"'{shown}' starts with a drive letter."
    if len(name) > limits.max_path_chars:
        return f"'{shown}' is longer than {limits.max_path_chars} characters."
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return f"'{shown}' points outside the package ('..')."
    if any(part in ("", ".") for part in parts):
        return f"'{shown}' has an empty or '.' path segment."
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in parts):
        return f"'{shown}' has a path segment longer than 255 bytes."
    return None


def entry_kind(info: zipfile.ZipInfo) -> str:
    """'file', 'folder', 'symlink' or 'special', from the name and the Unix mode (if recorded)."""
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if file_type == stat.S_IFLNK:
        return "symlink"
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special"
    if info.is_dir() or file_type == stat.S_IFDIR:
        return "folder"
    return "file"


def check_zip(archive: zipfile.ZipFile, limits: Limits = DEFAULT_LIMITS) -> CheckedZip:
    """Check every entry of `archive` against the rules above; raise PackageError with all problems."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise PackageError(f"The zip has {len(infos)} entries; a package may have at most {limits.max_entries}.")
    problems: list[str] = []
    files: list[zipfile.ZipInfo] = []
    folders: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    total = 0

    def problem(text: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(text)

    for info in infos:
        name = info.filename
        bad_name = name_problem(name, limits)
        if bad_name:
            problem(bad_name)
            continue
        shown = _show(name)
        kind = entry_kind(info)
        key = name.rstrip("/")
        if key in seen:
            problem(f"'{shown}' is in the zip more than once.")
            continue
        seen.add(key)
        if kind == "symlink":
            problem(f"'{shown}' is a symbolic link; packages may hold only files and folders.")
            continue
        if kind == "special":
            problem(f"'{shown}' is a special file (device, pipe or socket); packages may hold only files and folders.")
            continue
        if info.flag_bits & 0x1:
            problem(f"'{shown}' is encrypted; upload a package without a password.")
            continue
        if kind == "folder":
            folders.append(key)
            continue
        if info.compress_type not in _SUPPORTED_METHODS:
            problem(f"'{shown}' uses an unsupported compression method ({info.compress_type}); "
                    "use deflate or no compression.")
            continue
        if info.file_size > limits.ratio_floor_bytes and \
                info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            problem(f"'{shown}' unpacks to {info.file_size} bytes from {info.compress_size} "
                    f"(a ratio of {ratio}:1, over the limit of {limits.max_ratio}:1): a zip bomb?")
            continue
        total += info.file_size
        if _is_junk(key):
            skipped.append(key)
        else:
            files.append(info)
    if total > limits.max_total_bytes:
        problem(f"The package unpacks to {total} bytes; the limit is {limits.max_total_bytes} bytes.")
    problems += _file_folder_clashes(seen, {i.filename for i in files} | set(skipped))
    if problems:
        raise PackageError(problems[:MAX_PROBLEMS])

    manifest_name = _find_manifest(files, folders)
    manifest = next(i for i in files if i.filename == manifest_name)
    if manifest.file_size > limits.max_manifest_bytes:
        raise PackageError(f"{MANIFEST} is {manifest.file_size} bytes; the limit is {limits.max_manifest_bytes}.")
    warnings = []
    if manifest_name != MANIFEST:
        warnings.append(f"The manifest is named '{manifest_name}'; the standard name is '{MANIFEST}'.")
    if skipped:
        warnings.append(f"{len(skipped)} archiver files (such as __MACOSX/ or .DS_Store) were left out.")
    unpacked = sum(i.file_size for i in files)
    return CheckedZip(files, folders, manifest_name, unpacked, skipped, warnings)


def read_manifest(archive: zipfile.ZipFile, checked: CheckedZip, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The manifest's bytes (bounded by the checked size)."""
    try:
        with archive.open(checked.manifest_name) as handle:
            data = handle.read(limits.max_manifest_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise PackageError(f"{MANIFEST} cannot be read from the zip ({_reason(exc)}).") from None
    if len(data) > limits.max_manifest_bytes:
        raise PackageError(f"{MANIFEST} is larger than declared; the limit is {limits.max_manifest_bytes}.")
    return data


def extract(archive: zipfile.ZipFile, checked: CheckedZip, dest: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """Unpack the checked entries under `dest` (an empty folder); return the bytes written.

    Every file is created new (O_EXCL, never following a link) under a path built from checked
    segments, and fsynced: once the caller renames the folder into place and commits, the files
    are on disk. A corrupt entry (bad CRC, truncated data) or more bytes than declared stop it
    with PackageError; the caller removes the half-filled folder.
    """
    written = 0
    for folder in checked.folders:
        if not _is_junk(folder):
            (dest / folder).mkdir(parents=True, exist_ok=True)
    for info in checked.files:
        target = dest.joinpath(*info.filename.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        entry_bytes = 0
        try:
            with os.fdopen(fd, "wb") as out, archive.open(info) as source:
                while chunk := source.read(CHUNK_BYTES):
                    entry_bytes += len(chunk)
                    written += len(chunk)
                    if entry_bytes > info.file_size or written > limits.max_total_bytes:
                        raise PackageError(f"'{_show(info.filename)}' unpacks to more bytes than the zip declares.")
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
            raise PackageError(f"'{_show(info.filename)}' cannot be unpacked ({_reason(exc)}).") from None
        _fsync_dir(target.parent)
    return written


def fsync_dir(path: Path) -> None:
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _find_manifest(files: list[zipfile.ZipInfo], folders: list[str]) -> str:
    names = [i.filename for i in files]
    if MANIFEST in names:
        return MANIFEST
    at_root = [n for n in names if n.lower() == MANIFEST]
    if at_root:
        return at_root[0]
    nested = sorted((n for n in names if n.lower().endswith("/" + MANIFEST)), key=lambda n: n.count("/"))
    if nested:
        folder = nested[0].rsplit("/", 1)[0]
        raise PackageError(f"{MANIFEST} is in the folder '{_show(folder)}/', not at the root of the zip: "
                           "zip the contents of that folder, not the folder itself.")
    lower = {n.lower() for n in names}
    if "tincan.xml" in lower or "cmi5.xml" in lower:
        raise PackageError(f"This is an xAPI (Tin Can) or cmi5 package, not SCORM: it has no {MANIFEST}.")
    raise PackageError(f"The zip has no {MANIFEST} at its root, so it is not a SCORM package.")


def _file_folder_clashes(names: set[str], files: set[str]) -> list[str]:
    """Names that are a file and also the folder of another entry (`a` and `a/b`)."""
    clashes = []
    for name in names:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix in files:
                clashes.append(f"'{_show(prefix)}' is both a file and a folder.")
                break
    return sorted(set(clashes))[:MAX_PROBLEMS]


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].lower() in _JUNK_FILES


def _show(name: str) -> str:
    """A name safe to put in an error message: control characters escaped, kept short."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return text if len(text) <= 120 else text[:100] + "..." + text[-17:]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]
