"""Which server the app speaks to, as whom, and where it keeps what is typed but not yet saved."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

KEY_ENV = "UNIVERSITY_LOCAL_TUI_KEY"
"""The secret key travels in the environment, never on a command line others can read in `ps`."""

_KEY_SHAPE = re.compile(r"^sk_(test|live)_")


@dataclass(frozen=True)
class Target:
    url: str  # the server root, http://127.0.0.1:8080
    app_id: str
    key: str  # a secret key of that organisation
    drafts_dir: Path  # grading drafts of this server, organisation and environment
    learner_url: str | None = None  # what learners open; the server's own URL when not known better

    @property
    def env(self) -> str:
        """The environment the key belongs to (`test` or `live`), read from the key itself."""
        match = _KEY_SHAPE.match(self.key)
        return match.group(1) if match else "unknown"

    @property
    def join_url(self) -> str:
        return self.learner_url or self.url.rstrip("/") + "/"


def drafts_dir_for(base: Path, url: str, app_id: str, key: str) -> Path:
    """One folder per server, organisation and environment, so one never shows another's drafts."""
    server = re.sub(r"[^A-Za-z0-9.-]+", "_", url.split("://", 1)[-1]).strip("_")
    env = _KEY_SHAPE.match(key)
    return base / server / re.sub(r"[^A-Za-z0-9._-]+", "_", app_id) / (env.group(1) if env else "unknown")


def default_drafts_base() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "university-local" / "drafts"
