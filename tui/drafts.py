"""Grading drafts: what an instructor typed for an item, on disk from the first keystroke.

A draft is written on every change and removed only once the server has the grade, so moving to
another item, a crash or a server that went away never loses a comment. One small JSON file per
item; a write goes to a temporary file first and replaces the old one, so a crash mid-write leaves
the previous draft whole.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

Draft = dict[str, Any]
"""{"score": "8", "scores": {"Content": "4", ...}, "feedback": "..."}: the fields as typed."""


class DraftStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, item_id: str) -> Path:
        return self.folder / (re.sub(r"[^A-Za-z0-9_-]", "_", item_id) + ".json")

    def save(self, item_id: str, draft: Draft) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(item_id)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps({"item_id": item_id, **draft}, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)

    def load(self, item_id: str) -> Draft | None:
        try:
            draft: Draft = json.loads(self._path(item_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        draft.pop("item_id", None)
        return draft

    def discard(self, item_id: str) -> None:
        self._path(item_id).unlink(missing_ok=True)

    def item_ids(self) -> list[str]:
        """The items that have a draft the server does not have yet."""
        ids = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                ids.append(str(json.loads(path.read_text(encoding="utf-8"))["item_id"]))
            except (OSError, ValueError, KeyError):
                continue
        return ids
