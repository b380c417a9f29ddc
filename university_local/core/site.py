"""This installation: its id, made when the database was created, and where people reach it."""

from __future__ import annotations

from university_local.core.db import Store

DEFAULT_PUBLIC_URL = "http://localhost:8080"


def site_id(store: Store) -> str:
    """The site's id: every record born here says so (events, certificates, sync)."""
    value: str = store.scalar("SELECT id FROM site")
    return value


def set_public_url(store: Store, url: str) -> None:
    """Record where this server is reached (done at start-up), for the links it hands out:
    certificate verification and PDF links, SCORM player URLs."""
    if store.scalar("SELECT public_url FROM site") != url:
        with store.transaction() as tx:
            tx.execute("UPDATE site SET public_url = ?", (url,))


def public_url(store: Store) -> str:
    value: str = store.scalar("SELECT public_url FROM site") or DEFAULT_PUBLIC_URL
    return value
