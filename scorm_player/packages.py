"""Import a SCORM zip into a folder: check, parse, unpack, scan, then install in one rename.

`prepare_package(zip_path, staging_root)` does everything that can fail: the zip checks
(zipcheck), the manifest (manifest), unpacking into a fresh folder under `staging_root`, the
check that every item's launch file is in the package, and the offline-readiness scan
(offline). Nothing is written before the zip and its manifest have passed. The caller then
records the package and calls `install(dest)`, a rename on the same filesystem: the package
folder appears complete or not at all. Leaving the `with` block without installing removes the
staging folder, so a failure at any step leaves nothing behind.

This module knows paths only; the server decides where packages live and what they belong to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from scorm_player import offline
from scorm_player.manifest import parse_manifest
from scorm_player.zipcheck import (
    DEFAULT_LIMITS,
    Limits,
    PackageError,
    check_zip,
    extract,
    fsync_dir,
    open_zip,
    read_manifest,
)

STALE_STAGING_SECONDS = 24 * 3600
_STAGING_PREFIX = "staging-"
MAX_MISSING_SHOWN = 5


@dataclass
class PreparedPackage:
    """A package unpacked into a staging folder, checked and described, not yet installed."""

    folder: Path
    manifest: dict[str, Any]
    report: dict[str, Any]  # {"self_contained", "external_resources": [{"url", "referenced_from"}], "warnings"}
    file_count: int
    total_bytes: int
    sha256: str
    files: list[str] = field(default_factory=list)
    installed: Path | None = None

    def install(self, dest: Path) -> None:
        """Move the package into `dest` (which must not exist), durably."""
        if dest.exists():
            raise FileExistsError(f"{dest} exists")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.folder, dest)
        fsync_dir(dest.parent)
        self.installed = dest

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.installed is None:
            self.discard()


def prepare_package(zip_path: Path, staging_root: Path, *, limits: Limits = DEFAULT_LIMITS) -> PreparedPackage:
    """Check and unpack `zip_path` under `staging_root`; PackageError says what is wrong with it."""
    zip_path = Path(zip_path)
    with open_zip(zip_path, limits) as archive:
        checked = check_zip(archive, limits)
        parsed = parse_manifest(read_manifest(archive, checked, limits))
        names = [info.filename for info in checked.files]
        present = set(names)
        missing_launch = sorted({f"'{path}' (item '{item}')" for item, path in parsed.launch_files.items()
                                 if path not in present})
        if missing_launch:
            shown = ", ".join(missing_launch[:MAX_MISSING_SHOWN])
            extra = len(missing_launch) - MAX_MISSING_SHOWN
            more = f" and {extra} more" if extra > 0 else ""
            raise PackageError(f"The manifest launches files that are not in the zip: {shown}{more}.")
        staging_root.mkdir(parents=True, exist_ok=True)
        _clean_stale(staging_root)
        folder = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=staging_root))
        try:
            total = extract(archive, checked, folder, limits)
            scan = offline.scan_package(folder, names, parsed.external_urls, checked.manifest_name)
            sha256 = _sha256(zip_path)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    warnings = checked.warnings + parsed.warnings + _missing_listed(parsed.listed_files, present) + scan.warnings
    report = {
        "self_contained": not scan.external_resources,
        "external_resources": scan.external_resources,
        "warnings": warnings,
    }
    return PreparedPackage(folder, parsed.data, report, len(names), total, sha256, names)


def _missing_listed(listed: list[str], present: set[str]) -> list[str]:
    """A warning for `<file href>` entries of the manifest that the zip does not have."""
    missing = [path for path in listed if path not in present]
    if not missing:
        return []
    shown = ", ".join(f"'{p}'" for p in missing[:MAX_MISSING_SHOWN])
    more = f" and {len(missing) - MAX_MISSING_SHOWN} more" if len(missing) > MAX_MISSING_SHOWN else ""
    return [f"The manifest lists files that are not in the zip: {shown}{more}."]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _clean_stale(staging_root: Path) -> None:
    """Remove staging folders a crash left behind (a day old, so no import under way is touched)."""
    cutoff = time.time() - STALE_STAGING_SECONDS
    for entry in staging_root.glob(_STAGING_PREFIX + "*"):
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue

