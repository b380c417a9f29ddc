"""Apps (organisations) and their settings."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from university_local.core.clock import now_iso, utcnow
from university_local.core.db import Row, Store, dumps
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


def ensure_app(store: Store, app_id: str, name: str | None = None) -> Row:
    """The app with this id, created if new."""
    if not APP_ID_PATTERN.match(app_id):
        raise ValueError("app id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    with store.transaction() as tx:
        tx.execute(
            "INSERT OR IGNORE INTO apps (id, name, created_at) VALUES (?, ?, ?)",
            (app_id, name or app_id, now_iso()),
        )
    row = store.one("SELECT * FROM apps WHERE id = ?", (app_id,))
    assert row is not None
    return row


def embed_hosts(store: Store, app_id: str) -> tuple[str, ...]:
    value = store.scalar("SELECT embed_hosts FROM apps WHERE id = ?", (app_id,))
    return tuple(json.loads(value)) if value else DEFAULT_EMBED_HOSTS


def set_embed_hosts(store: Store, app_id: str, hosts: list[str] | None) -> tuple[str, ...]:
    """Replace the app's embed allow-list; None restores the built-in list."""
    ensure_app(store, app_id)
    cleaned = None if hosts is None else dumps(sorted({h.strip().lower().strip(".") for h in hosts if h.strip()}))
    with store.transaction() as tx:
        tx.execute("UPDATE apps SET embed_hosts = ? WHERE id = ?", (cleaned, app_id))
    return embed_hosts(store, app_id)


def auto_create_users(store: Store, app_id: str) -> bool:
    return bool(store.scalar("SELECT auto_create_users FROM apps WHERE id = ?", (app_id,)))


def set_auto_create_users(store: Store, app_id: str, enabled: bool) -> None:
    ensure_app(store, app_id)
    with store.transaction() as tx:
        tx.execute("UPDATE apps SET auto_create_users = ? WHERE id = ?", (int(enabled), app_id))


def time_zone(store: Store, app_id: str) -> ZoneInfo:
    """The zone the app's calendar days are counted in (streaks, daily figures); UTC by default."""
    return ZoneInfo(store.scalar("SELECT time_zone FROM apps WHERE id = ?", (app_id,)) or "UTC")


def parse_time_zone(name: str) -> ZoneInfo:
    """An IANA zone name such as `Africa/Nairobi`, or ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Lisbon") from None


def utc_offset_minutes(zone: ZoneInfo, moment: datetime | None = None) -> int:
    offset = (moment or utcnow()).astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def refresh_utc_offsets(store: Store) -> int:
    """Store each app's UTC offset as of now, for the triggers that date activity (DST moves it).

    Run at start-up and every few minutes by the scheduler; returns how many apps changed.
    """
    changed = []
    for row in store.all("SELECT id, time_zone, utc_offset_minutes FROM apps"):
        offset = utc_offset_minutes(ZoneInfo(row["time_zone"]))
        if offset != row["utc_offset_minutes"]:
            changed.append((offset, row["id"]))
    if changed:
        with store.transaction() as tx:
            tx.executemany("UPDATE apps SET utc_offset_minutes = ? WHERE id = ?", changed)
    return len(changed)
