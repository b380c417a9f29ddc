"""Opening a downloaded file (a learner's work, a certificate's PDF) in the desktop's own viewer."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def viewer() -> str | None:
    """The desktop's "open this file" command, when there is a desktop to open it on (not over SSH)."""
    found = shutil.which("xdg-open") or shutil.which("open")
    if found is None or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                             or found.endswith("/open")):
        return None
    return found


def launch(command: str, path: Path) -> None:
    """Open `path` with `command`, detached: closing the viewer or the app leaves the other running."""
    subprocess.Popen([command, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
