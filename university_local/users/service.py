"""Users: accounts, their sign-in secret, deactivation, and roster import."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from typing import Any

from pydantic import ValidationError

from university_local.core.clock import now_iso
from university_local.core.db import Row, Store
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource
from university_local.core.pagination import Page
from university_local.tenancy.apps import auto_create_users
from university_local.tenancy.models import Tenant
from university_local.users.models import Role, UserCreate

# scrypt: a slow, memory-hard KDF from the standard library (OWASP's minimum parameters).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
ROSTER_COLUMNS = {"id", "user_id", "display_name", "name", "email", "role", "password", "pin", "leaderboard_opt_out"}
# How a roster spells yes and no (leaderboard_opt_out); a blank cell leaves the setting as it is.
_CSV_BOOLEANS = {"true": True, "yes": True, "y": True, "1": True, "false": False, "no": False, "n": False, "0": False}


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str | None) -> bool:
    if not stored:
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


_SELECT = "SELECT * FROM users WHERE app_id = ? AND env = ?"


def get_user(store: Store, tenant: Tenant, user_id: str) -> Row:
    row = store.one(_SELECT + " AND id = ?", (tenant.app_id, tenant.env, user_id))
    if row is None:
        raise not_found("user", user_id)
    return row


def get_users(store: Store, tenant: Tenant, ids: list[str]) -> list[Row]:
    """The tenant's users among `ids`; unknown ids (external users) are simply absent."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return store.all(_SELECT + f" AND id IN ({marks}) ORDER BY id", [tenant.app_id, tenant.env, *ids])


def list_users(store: Store, tenant: Tenant, page: Page, role: str | None, active: bool | None) -> tuple[list[Row], int]:
    where, params = "", [tenant.app_id, tenant.env]
    if role:
        where += " AND role = ?"
        params.append(role)
    if active is not None:
        where += " AND deactivated_at IS NULL" if active else " AND deactivated_at IS NOT NULL"
    total = store.scalar("SELECT COUNT(*) FROM users WHERE app_id = ? AND env = ?" + where, params)
    rows = store.all(_SELECT + where + " ORDER BY created_at, id LIMIT ? OFFSET ?", [*params, page.size, page.offset])
    return rows, total


def create_user(store: Store, tenant: Tenant, attrs: UserCreate) -> Row:
    user_id = attrs.id or new_id("user")
    with store.transaction():
        if store.scalar(_SELECT.replace("*", "1") + " AND id = ?", (tenant.app_id, tenant.env, user_id)):
            raise ApiError(409, "user_exists", f"User '{user_id}' already exists.", pointer="/data/attributes/id")
        _insert(store, tenant, user_id, attrs.display_name, attrs.role, attrs.email, _secret(attrs.password, attrs.pin),
                leaderboard_opt_out=attrs.leaderboard_opt_out)
    return get_user(store, tenant, user_id)


def upsert_user(
    store: Store, tenant: Tenant, user_id: str, display_name: str, role: Role, email: str | None = None
) -> Row:
    """Create the user, or update name, role and email of an existing one (demo and fixtures)."""
    now = now_iso()
    with store.transaction() as db:
        db.execute(
            """INSERT INTO users (id, app_id, env, display_name, email, role, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (app_id, env, id) DO UPDATE SET
                 display_name = excluded.display_name, email = excluded.email,
                 role = excluded.role, updated_at = excluded.updated_at""",
            (user_id, tenant.app_id, tenant.env, display_name, email, role, now, now),
        )
    return get_user(store, tenant, user_id)


def update_user(store: Store, tenant: Tenant, user_id: str, changes: dict[str, Any]) -> Row:
    with store.transaction() as db:
        get_user(store, tenant, user_id)
        now = now_iso()
        if "password" in changes or "pin" in changes:
            changes["secret_kind"], changes["secret_hash"] = _secret(changes.pop("password", None),
                                                                     changes.pop("pin", None))
        if "active" in changes:
            changes["deactivated_at"] = None if changes.pop("active") else now
        if "leaderboard_opt_out" in changes:
            changes["leaderboard_opt_out"] = int(changes["leaderboard_opt_out"])
        db.table("users").update((tenant.app_id, tenant.env, user_id), {**changes, "updated_at": now})
    return get_user(store, tenant, user_id)


def ensure_learner(store: Store, tenant: Tenant, user_id: str, *, pointer: str) -> None:
    """The user exists and is active, or is created as a learner if the app allows; else 422."""
    row = store.one("SELECT deactivated_at FROM users WHERE app_id = ? AND env = ? AND id = ?",
                    (tenant.app_id, tenant.env, user_id))
    if row is not None:
        if row["deactivated_at"]:
            raise ApiError(422, "user_inactive", f"User '{user_id}' is deactivated.", pointer=pointer)
        return
    if not auto_create_users(store, tenant.app_id):
        raise ApiError(422, "user_not_found", f"User '{user_id}' does not exist, and this organisation does "
                       "not create users on enrollment.", pointer=pointer)
    if not 1 <= len(user_id) <= 128:
        raise ApiError(422, "validation_error", "user_id: 1 to 128 characters.", pointer=pointer)
    _insert(store, tenant, user_id, user_id, "learner", None, (None, None))


def import_roster(store: Store, tenant: Tenant, text: str) -> dict[str, Any]:
    """Create or update users from CSV; bad rows are reported, good rows imported, all at once.

    Rows are matched by `id` (or `user_id`), else by `email`, so importing the same file twice
    changes nothing the second time. A header row names the columns.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        columns = {c.strip().lower() for c in reader.fieldnames or []}
    except csv.Error as exc:
        raise ApiError(422, "invalid_roster", f"The header row is not valid CSV: {exc}.") from None
    if not columns or not columns & {"display_name", "name"}:
        raise ApiError(422, "invalid_roster", "The CSV needs a header row with at least display_name "
                       f"(columns understood: {', '.join(sorted(ROSTER_COLUMNS))}).")
    result: dict[str, Any] = {"created": 0, "updated": 0, "unchanged": 0, "errors": []}
    with store.transaction():
        for number, raw in enumerate(_rows(reader), start=2):  # row 1 is the header
            if isinstance(raw, csv.Error):
                result["errors"].append({"row": number, "field": "row", "message": f"not valid CSV: {raw}"})
                break  # the reader cannot go on past a malformed line
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k and isinstance(v, str)}
            try:
                outcome = _import_row(store, tenant, row)
            except _RowError as err:
                result["errors"].append({"row": number, "field": err.field, "message": err.message})
                continue
            result[outcome] += 1
    return result


def _rows(reader: csv.DictReader) -> Any:
    """The reader's rows, then the csv.Error that stopped it, if one did."""
    try:
        yield from reader
    except csv.Error as exc:
        yield exc


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _import_row(store: Store, tenant: Tenant, row: dict[str, str]) -> str:
    fields: dict[str, Any] = {
        "id": row.get("id") or row.get("user_id") or None,
        "display_name": row.get("display_name") or row.get("name") or "",
        "email": row.get("email") or None,
        "role": row.get("role") or "learner",
        "password": row.get("password") or None,
        "pin": row.get("pin") or None,
    }
    opt_out = row.get("leaderboard_opt_out") or ""
    if opt_out:  # blank or absent: new users get the default, existing ones keep their setting
        if opt_out.lower() not in _CSV_BOOLEANS:
            raise _RowError("leaderboard_opt_out", "use true or false (yes/no, 1/0 also work)")
        fields["leaderboard_opt_out"] = _CSV_BOOLEANS[opt_out.lower()]
    try:
        attrs = UserCreate.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise _RowError(str(first["loc"][0]) if first["loc"] else "row", first["msg"]) from None
    if attrs.password and attrs.pin:
        raise _RowError("pin", "give a password or a PIN, not both")
    existing = None
    if attrs.id:
        existing = store.one(_SELECT + " AND id = ?", (tenant.app_id, tenant.env, attrs.id))
    elif attrs.email:
        existing = store.one(_SELECT + " AND email = ? ORDER BY id LIMIT 1", (tenant.app_id, tenant.env, attrs.email))
    else:
        raise _RowError("id", "each row needs an id or an email, so that importing again finds the same user")
    secret = attrs.password or attrs.pin
    if existing is None:
        _insert(store, tenant, attrs.id or new_id("user"), attrs.display_name, attrs.role, attrs.email,
                _secret(attrs.password, attrs.pin), leaderboard_opt_out=attrs.leaderboard_opt_out)
        return "created"
    changes: dict[str, Any] = {}
    for name in ("display_name", "email", "role"):
        if getattr(attrs, name) != existing[name] and (name != "email" or attrs.email):
            changes[name] = getattr(attrs, name)
    if "leaderboard_opt_out" in fields and attrs.leaderboard_opt_out != bool(existing["leaderboard_opt_out"]):
        changes["leaderboard_opt_out"] = int(attrs.leaderboard_opt_out)
    if secret and not verify_secret(secret, existing["secret_hash"]):
        changes["secret_kind"], changes["secret_hash"] = _secret(attrs.password, attrs.pin)
    if not changes:
        return "unchanged"
    store.db.table("users").update((tenant.app_id, tenant.env, existing["id"]), {**changes, "updated_at": now_iso()})
    return "updated"


def _secret(password: str | None, pin: str | None) -> tuple[str | None, str | None]:
    """(kind, hash) for a new password or PIN; both None clears the secret."""
    if password and pin:
        raise ApiError(422, "validation_error", "Give a password or a PIN, not both.", pointer="/data/attributes/pin")
    if password:
        return "password", hash_secret(password)
    if pin:
        return "pin", hash_secret(pin)
    return None, None


def _insert(store: Store, tenant: Tenant, user_id: str, display_name: str, role: str, email: str | None,
            secret: tuple[str | None, str | None], *, leaderboard_opt_out: bool = False) -> None:
    now = now_iso()
    with store.transaction() as db:
        db.table("users").insert({
            "id": user_id, "app_id": tenant.app_id, "env": tenant.env, "display_name": display_name,
            "email": email, "role": role, "secret_kind": secret[0], "secret_hash": secret[1],
            "leaderboard_opt_out": int(leaderboard_opt_out),
            "deactivated_at": None, "created_at": now, "updated_at": now,
        })


def user_resource(row: Row) -> dict[str, Any]:
    return resource("user", row["id"], {
        "display_name": row["display_name"],
        "email": row["email"],
        "role": row["role"],
        "active": row["deactivated_at"] is None,
        "sign_in": row["secret_kind"],
        "leaderboard_opt_out": bool(row["leaderboard_opt_out"]),
        "deactivated_at": row["deactivated_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    })
