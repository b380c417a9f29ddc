"""Apps (organisations) and their settings."""

from __future__ import annotations

import json
from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Store, dumps
from university_local.tenancy.models import APP_ID_PATTERN

# Hosts lesson embeds may come from unless an app sets its own list (subdomains included).
DEFAULT_EMBED_HOSTS = (
    "youtube.com",
    "youtube-nocookie.com",
    "vimeo.com",
    "player.vimeo.com",
    "docs.google.com",
    "h5p.org",
    "phet.colorado.edu",
    "geogebra.org",
    "khanacademy.org",
)


def ensure_app(store: Store, app_id: str, name: str | None = None) -> dict[str, Any]:
    """The app with this id, created if new."""
    if not APP_ID_PATTERN.match(app_id):
        raise ValueError("app id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    with store.transaction() as db:
        db.execute(
            "INSERT OR IGNORE INTO apps (id, name, created_at) VALUES (?, ?, ?)",
            (app_id, name or app_id, now_iso()),
        )
    return store.one("SELECT * FROM apps WHERE id = ?", (app_id,))  # type: ignore[return-value]


def embed_hosts(store: Store, app_id: str) -> tuple[str, ...]:
    value = store.scalar("SELECT embed_hosts FROM apps WHERE id = ?", (app_id,))
    return tuple(json.loads(value)) if value else DEFAULT_EMBED_HOSTS


def set_embed_hosts(store: Store, app_id: str, hosts: list[str] | None) -> tuple[str, ...]:
    """Replace the app's embed allow-list; None restores the built-in list."""
    ensure_app(store, app_id)
    cleaned = None if hosts is None else dumps(sorted({h.strip().lower().strip(".") for h in hosts if h.strip()}))
    with store.transaction() as db:
        db.execute("UPDATE apps SET embed_hosts = ? WHERE id = ?", (cleaned, app_id))
    return embed_hosts(store, app_id)


def auto_create_users(store: Store, app_id: str) -> bool:
    return bool(store.scalar("SELECT auto_create_users FROM apps WHERE id = ?", (app_id,)))


def set_auto_create_users(store: Store, app_id: str, enabled: bool) -> None:
    ensure_app(store, app_id)
    with store.transaction() as db:
        db.execute("UPDATE apps SET auto_create_users = ? WHERE id = ?", (int(enabled), app_id))
