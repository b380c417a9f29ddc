"""API keys: create, list, revoke, and resolve a presented key.

Keys are 192 random bits, so a single SHA-256 is a sufficient one-way store: a slow KDF protects
guessable secrets such as passwords, and would only slow every API request here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Store
from university_local.core.errors import ApiError
from university_local.core.ids import new_id
from university_local.core.routing import Principal
from university_local.core.scope import Environment, Scope, Tenant
from university_local.tenancy.apps import ensure_app
from university_local.tenancy.models import KeyType

KEY_PREFIX = {"secret": "sk", "publishable": "pk"}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    store: Store, app_id: str, env: Environment, key_type: KeyType, label: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Create a key; return the plain key (shown once, never stored) and its record."""
    ensure_app(store, app_id)
    key = f"{KEY_PREFIX[key_type]}_{env}_{secrets.token_hex(24)}"
    record = {
        "id": new_id("key"),
        "app_id": app_id,
        "env": env,
        "key_type": key_type,
        "key_hash": hash_key(key),
        "key_hint": f"{key[:8]}…{key[-4:]}",
        "label": label,
        "created_at": now_iso(),
        "revoked_at": None,
    }
    with store.transaction() as tx:
        tx.execute("INSERT INTO api_keys (id, app_id, env, key_type, key_hash, key_hint, label, created_at, "
                   "revoked_at) VALUES (:id, :app_id, :env, :key_type, :key_hash, :key_hint, :label, :created_at, "
                   ":revoked_at)",
                   record)
    store.changed("api_keys")
    return key, record


def list_keys(store: Store, app_id: str | None = None, include_revoked: bool = False) -> list[dict[str, Any]]:
    sql = "SELECT id, app_id, env, key_type, key_hint, label, created_at, revoked_at FROM api_keys WHERE 1=1"
    params: list[Any] = []
    if app_id:
        sql += " AND app_id = ?"
        params.append(app_id)
    if not include_revoked:
        sql += " AND revoked_at IS NULL"
    return [dict(row) for row in store.all(sql + " ORDER BY id", params)]


def revoke_key(store: Store, key_or_id: str) -> dict[str, Any]:
    """Revoke by key id (`key-...`) or by the key itself; revoking twice is harmless."""
    column, value = ("id", key_or_id) if key_or_id.startswith("key-") else ("key_hash", hash_key(key_or_id))
    with store.transaction() as tx:
        tx.execute(
            f"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE {column} = ?",
            (now_iso(), value),
        )
    store.changed("api_keys")
    row = store.one(
        f"SELECT id, app_id, env, key_type, key_hint, label, created_at, revoked_at FROM api_keys WHERE {column} = ?",
        (value,),
    )
    if row is None:
        raise LookupError(f"no API key {key_or_id!r}")
    return dict(row)


def revoke_labelled(store: Store, app_id: str, label: str) -> int:
    """Revoke every live key of an app carrying a label (used to rotate the demo keys)."""
    with store.transaction() as tx:
        cursor = tx.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE app_id = ? AND label = ? AND revoked_at IS NULL",
            (now_iso(), app_id, label),
        )
    store.changed("api_keys")
    return cursor.rowcount


def authenticate_request(store: Store, environ: Mapping[str, Any]) -> Principal:
    """The caller of a University API request, read from the WSGI environ directly: bottle's
    header view is slow on the hottest write (bench/README.md)."""
    return authenticate(store, environ.get("HTTP_X_APP_ID"), environ.get("HTTP_X_API_KEY"))


def authenticate(store: Store, app_id: str | None, api_key: str | None) -> Principal:
    """The caller behind `X-App-Id` + `X-Api-Key`, or 401. A secret key is staff; a publishable
    key a learner's device (core/scope.py)."""
    if not api_key:
        raise ApiError(401, "missing_api_key", "Send your API key in the X-Api-Key header.",
                       title="Missing API Key")
    if not app_id:
        raise ApiError(401, "missing_app_id", "Send your app id in the X-App-Id header.")
    # Cached until a key changes: at once for changes made by this process, within a second for
    # another's (the CLI). Keyed by the key itself, so a cached lookup costs no hash.
    row = store.cached(("key", api_key), lambda: store.one(
        "SELECT id, app_id, env, key_type FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        (hash_key(api_key),)), scope="api_keys")
    if row is None or row["app_id"] != app_id:
        raise ApiError(401, "invalid_api_key", "The API key is unknown, revoked, or not for this app.",
                       title="Invalid API Key")
    tenant = Tenant(row["app_id"], row["env"])
    return Principal(row["id"], Scope.staff(tenant) if row["key_type"] == "secret" else Scope.learner(tenant))
