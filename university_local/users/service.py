"""Users: accounts, their sign-in secret, deactivation, and roster import."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, dumps
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.tenancy.apps import auto_create_users
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


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_SELECT = "SELECT * FROM users WHERE app_id = :app AND env = :env"


@dataclass
class RosterResult:
    """What a roster import did: rows created, updated and unchanged, and each bad row's error."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def get_user(db: Db, user_id: str) -> Row:
    row = db.one(_SELECT + " AND id = :id", {"id": user_id})
    if row is None:
        raise not_found("user", user_id)
    return row


def get_users(db: Db, ids: list[str]) -> list[Row]:
    """The tenant's users among `ids`; unknown ids (external users) are simply absent."""
    if not ids:
        return []
    return db.all(_SELECT + " AND id IN (SELECT value FROM json_each(:ids)) ORDER BY id", {"ids": dumps(ids)})


def list_users(db: Db, page: Page, role: str | None, active: bool | None,
               search: str | None = None) -> tuple[list[Row], int]:
    where = ""
    params = {"role": role, "limit": page.size, "offset": page.offset, "search": (search or "").translate(_ASCII_LOWER)}
    if role:
        where += " AND role = :role"
    if search:
        # instr, not LIKE: the text is matched as typed, % and _ included; SQLite's lower() folds
        # ASCII letters only, and so does the search text, so É finds É (not é)
        where += (" AND (instr(lower(display_name), :search) OR instr(lower(COALESCE(email, '')), :search)"
                  " OR instr(lower(id), :search))")
    if active is not None:
        where += " AND deactivated_at IS NULL" if active else " AND deactivated_at IS NOT NULL"
    total = db.scalar("SELECT COUNT(*) FROM users WHERE app_id = :app AND env = :env" + where, params)
    rows = db.all(_SELECT + where + " ORDER BY created_at, id LIMIT :limit OFFSET :offset", params)
    return rows, total


def create_user(db: Db, attrs: UserCreate) -> Row:
    user_id = attrs.id or new_id("user")
    with db.transaction():
        if db.scalar(_SELECT.replace("*", "1") + " AND id = :id", {"id": user_id}):
            raise ApiError(409, "user_exists", f"User '{user_id}' already exists.", pointer="/data/attributes/id")
        _insert(db, user_id, attrs.display_name, attrs.role, attrs.email, _secret(attrs.password, attrs.pin),
                leaderboard_opt_out=attrs.leaderboard_opt_out)
    return get_user(db, user_id)


def upsert_user(db: Db, user_id: str, display_name: str, role: Role, email: str | None = None) -> Row:
    """Create the user, or update name, role and email of an existing one (demo and fixtures)."""
    now = now_iso()
    with db.transaction():
        db.execute(
            """INSERT INTO users (id, app_id, env, display_name, email, role, created_at, updated_at)
               VALUES (:id, :app, :env, :name, :email, :role, :now, :now)
               ON CONFLICT (app_id, env, id) DO UPDATE SET
                 display_name = excluded.display_name, email = excluded.email,
                 role = excluded.role, updated_at = excluded.updated_at""",
            {"id": user_id, "name": display_name, "email": email, "role": role, "now": now},
        )
    return get_user(db, user_id)


def update_user(db: Db, user_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        get_user(db, user_id)
        now = now_iso()
        if "password" in changes or "pin" in changes:
            changes["secret_kind"], changes["secret_hash"] = _secret(changes.pop("password", None),
                                                                     changes.pop("pin", None))
        if "active" in changes:
            changes["deactivated_at"] = None if changes.pop("active") else now
        if "leaderboard_opt_out" in changes:
            changes["leaderboard_opt_out"] = int(changes["leaderboard_opt_out"])
        db.update("users", user_id, {**changes, "updated_at": now})
    return get_user(db, user_id)


def ensure_learner(db: Db, user_id: str, *, pointer: str) -> None:
    """The user exists and is active, or is created as a learner if the app allows; else 422."""
    row = db.one("SELECT deactivated_at FROM users WHERE app_id = :app AND env = :env AND id = :id", {"id": user_id})
    if row is not None:
        if row["deactivated_at"]:
            raise ApiError(422, "user_inactive", f"User '{user_id}' is deactivated.", pointer=pointer)
        return
    if not auto_create_users(db.site, db.tenant.app_id):
        raise ApiError(422, "user_not_found", f"User '{user_id}' does not exist, and this organisation does "
                       "not create users on enrollment.", pointer=pointer)
    if not 1 <= len(user_id) <= 128:
        raise ApiError(422, "validation_error", "user_id: 1 to 128 characters.", pointer=pointer)
    _insert(db, user_id, user_id, "learner", None, (None, None))


def import_roster(db: Db, text: str) -> RosterResult:
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
    result = RosterResult()
    with db.transaction():
        for number, raw in enumerate(_rows(reader), start=2):  # row 1 is the header
            if isinstance(raw, csv.Error):
                result.errors.append({"row": number, "field": "row", "message": f"not valid CSV: {raw}"})
                break  # the reader cannot go on past a malformed line
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k and isinstance(v, str)}
            try:
                outcome = _import_row(db, row)
            except _RowError as err:
                result.errors.append({"row": number, "field": err.field, "message": err.message})
                continue
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _rows(reader: csv.DictReader[str]) -> Iterator[dict[str, Any] | csv.Error]:
    """The reader's rows, then the csv.Error that stopped it, if one did."""
    try:
        yield from reader
    except csv.Error as exc:
        yield exc


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _import_row(db: Db, row: dict[str, str]) -> str:
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
        existing = db.one(_SELECT + " AND id = :id", {"id": attrs.id})
    elif attrs.email:
        existing = db.one(_SELECT + " AND email = :email ORDER BY id LIMIT 1", {"email": attrs.email})
    else:
        raise _RowError("id", "each row needs an id or an email, so that importing again finds the same user")
    secret = attrs.password or attrs.pin
    if existing is None:
        _insert(db, attrs.id or new_id("user"), attrs.display_name, attrs.role, attrs.email,
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
    db.update("users", existing["id"], {**changes, "updated_at": now_iso()})
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


def _insert(db: Db, user_id: str, display_name: str, role: str, email: str | None,
            secret: tuple[str | None, str | None], *, leaderboard_opt_out: bool = False) -> None:
    now = now_iso()
    with db.transaction():
        db.insert("users", {
            "id": user_id, "display_name": display_name, "email": email, "role": role, "secret_kind": secret[0],
            "secret_hash": secret[1], "leaderboard_opt_out": int(leaderboard_opt_out), "deactivated_at": None,
            "created_at": now, "updated_at": now,
        })
