"""Signing learners in on shared devices: PIN checks with throttling, sessions, CSRF tokens and
forms that count once.

A session is a random token in an HttpOnly cookie; the database keeps only its hash, so a copy of
the database signs nobody in. Sessions end on sign-out or after the site's idle time. Wrong PINs
are counted per learner and per device; a run of them blocks further tries for a while that grows
with the run (never for good: blocks end by themselves, and a right PIN or `clear_failures`
ends a learner's at once). The error never says whether a name exists.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from university_local.core.clock import now_iso, to_iso, utcnow
from university_local.core.db import BatchedWrite, Db, Row, Store
from university_local.core.scope import Scope, Tenant
from university_local.users.service import get_user, hash_secret, verify_secret

LEARNER_RUN = 5  # wrong PINs in a row for one learner before tries pause
DEVICE_RUN = 10  # wrong PINs from one device, whoever they were for
FIRST_PAUSE_SECONDS = 30
LONGEST_PAUSE_SECONDS = 300
FORGET_AFTER = timedelta(minutes=15)  # a run of failures older than this starts again
TOUCH_EVERY = timedelta(seconds=60)  # a session's last-seen time is written at most this often
# A session's last-seen time, written with every other one due at that moment in one statement of
# the writer process (Store.write_batched), as learners' positions are: 200 learners' sessions come
# due every minute, and a durable transaction each on a request thread made the pages' tail.
_TOUCH = BatchedWrite(
    apply="""UPDATE web_sessions SET last_seen_at = j.now
FROM (SELECT value->>'token' AS token, value->>'now' AS now FROM json_each(:jobs)) j
WHERE web_sessions.token_hash = j.token AND web_sessions.last_seen_at < j.now
RETURNING web_sessions.token_hash""",
    key_columns=("token_hash",))
_DUMMY_HASH = hash_secret("no such learner")  # checked for unknown names, so they take as long


@dataclass(frozen=True)
class SignedIn:
    """A signed-in learner as the pages see them."""

    token_hash: str
    tenant: Tenant
    user_id: str
    display_name: str
    device_id: str

    @property
    def scope(self) -> Scope:
        return Scope.learner(self.tenant, self.user_id)


class Throttled(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"try again in {seconds} seconds")
        self.seconds = seconds


class WrongSecret(Exception):
    """The name and PIN (or password) do not belong together, or the name is unknown."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def organisations(store: Store) -> list[Row]:
    """The organisations this site hosts, by name: the first step of signing in when there are several."""
    return store.all("SELECT id, COALESCE(name, id) AS name FROM apps ORDER BY COALESCE(name, id)")


def organisation(store: Store, app_id: str) -> Row | None:
    return store.one("SELECT id, COALESCE(name, id) AS name FROM apps WHERE id = ?", (app_id,))


def find_learners(db: Db, text: str, limit: int = 8) -> list[Row]:
    """Learners who can sign in whose name has a word starting with `text` (the type-ahead)."""
    words = text.strip().lower()
    if not words:
        return []
    return db.all(
        "SELECT id, display_name FROM users WHERE app_id = :app AND env = :env AND role = 'learner' "
        "AND deactivated_at IS NULL AND secret_hash IS NOT NULL "
        "AND (lower(display_name) LIKE :start ESCAPE '\\' OR lower(display_name) LIKE :word ESCAPE '\\') "
        "ORDER BY display_name LIMIT :limit",
        {"start": _like(words) + "%", "word": "% " + _like(words) + "%", "limit": limit})


def class_list(db: Db) -> list[Row]:
    return db.all("SELECT id, display_name FROM users WHERE app_id = :app AND env = :env AND role = 'learner' "
                  "AND deactivated_at IS NULL AND secret_hash IS NOT NULL ORDER BY display_name")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sign_in(db: Db, name: str, secret: str, device_id: str) -> str:
    """A new session's token for the learner called `name` whose PIN or password is `secret`.
    Raises Throttled while tries are paused, WrongSecret otherwise."""
    now = utcnow()
    candidates = db.all(
        "SELECT id, secret_hash FROM users WHERE app_id = :app AND env = :env AND role = 'learner' "
        "AND deactivated_at IS NULL AND secret_hash IS NOT NULL AND lower(display_name) = lower(:name)",
        {"name": " ".join(name.split())})
    _raise_if_paused(db, f"device:{device_id}", now)
    open_ = [c for c in candidates if _paused_for(db, f"user:{c['id']}", now) == 0]
    if candidates and not open_:
        raise Throttled(min(_paused_for(db, f"user:{c['id']}", now) for c in candidates))
    match = next((c for c in open_ if verify_secret(secret, c["secret_hash"])), None)
    if match is None:
        if not candidates:
            verify_secret(secret, _DUMMY_HASH)
        with db.transaction():
            pauses = [_fail(db, f"device:{device_id}", DEVICE_RUN, now)]
            pauses += [_fail(db, f"user:{candidate['id']}", LEARNER_RUN, now) for candidate in open_]
        if any(pauses):  # this failure began a pause: say so now
            raise Throttled(max(pauses))
        raise WrongSecret()
    token = secrets.token_urlsafe(32)
    stamp = to_iso(now)
    with db.transaction():
        db.execute("DELETE FROM signin_failures WHERE app_id = :app AND env = :env AND subject = :subject",
                   {"subject": f"user:{match['id']}"})
        db.insert("web_sessions", {"token_hash": token_hash(token), "user_id": match["id"], "device_id": device_id,
                                   "created_at": stamp, "last_seen_at": stamp})
    return token


def signin_pause(db: Db, user_id: str) -> dict[str, Any]:
    """A learner's wrong-PIN record: failures in the current run, blocked_until and seconds_left
    (0 when they may try now). A learner with no record answers zeros; an unknown user 404."""
    get_user(db, user_id)
    row = db.one("SELECT failures, last_at, blocked_until FROM signin_failures WHERE app_id = :app AND env = :env "
                 "AND subject = :s", {"s": f"user:{user_id}"})
    now = utcnow()
    if row is None or _parse(row["last_at"]) < now - FORGET_AFTER:
        return {"user_id": user_id, "failures": 0, "blocked_until": None, "seconds_left": 0}
    left = _paused_for(db, f"user:{user_id}", now)
    return {"user_id": user_id, "failures": row["failures"], "blocked_until": row["blocked_until"] if left else None,
            "seconds_left": left}


def clear_failures(db: Db, user_id: str) -> int:
    """Lift a learner's pause (an instructor's call); how many records it cleared."""
    get_user(db, user_id)
    with db.transaction():
        return db.execute("DELETE FROM signin_failures WHERE app_id = :app AND env = :env AND subject = :subject",
                          {"subject": f"user:{user_id}"}).rowcount


def clear_all_failures(db: Db) -> int:
    """Lift every pause of the organisation, learners' and devices' (a class's shared tablet that
    tried too many PINs); how many records it cleared."""
    with db.transaction():
        return db.execute("DELETE FROM signin_failures WHERE app_id = :app AND env = :env").rowcount


def _paused_for(db: Db, subject: str, now: datetime) -> int:
    row = db.one("SELECT blocked_until FROM signin_failures WHERE app_id = :app AND env = :env AND subject = :s",
                 {"s": subject})
    if row is None or not row["blocked_until"]:
        return 0
    left = (_parse(row["blocked_until"]) - now).total_seconds()
    return max(0, math.ceil(left))


def _raise_if_paused(db: Db, subject: str, now: datetime) -> None:
    if seconds := _paused_for(db, subject, now):
        raise Throttled(seconds)


def _fail(db: Db, subject: str, run: int, now: datetime) -> int:
    """Count a failure; the pause it begins, in seconds (0: none yet)."""
    moment = now
    row = db.one("SELECT failures, last_at FROM signin_failures WHERE app_id = :app AND env = :env AND subject = :s",
                 {"s": subject})
    failures = 1 if row is None or _parse(row["last_at"]) < moment - FORGET_AFTER else row["failures"] + 1
    blocked, pause = None, 0
    if failures >= run:
        pause = min(LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** (failures - run))
        blocked = to_iso(moment + timedelta(seconds=pause))
    db.execute("INSERT INTO signin_failures (app_id, env, subject, failures, last_at, blocked_until) "
               "VALUES (:app, :env, :s, :failures, :now, :blocked) ON CONFLICT (app_id, env, subject) DO UPDATE "
               "SET failures = excluded.failures, last_at = excluded.last_at, blocked_until = excluded.blocked_until",
               {"s": subject, "failures": failures, "now": to_iso(moment), "blocked": blocked})
    return pause


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def session(store: Store, token: str | None, idle: timedelta) -> SignedIn | None:
    """The learner signed in with `token`, or None (no such session, or idle too long: then it ends)."""
    if not token:
        return None
    digest = token_hash(token)
    row = store.one("SELECT s.*, u.display_name FROM web_sessions s JOIN users u ON u.app_id = s.app_id "
                    "AND u.env = s.env AND u.id = s.user_id AND u.deactivated_at IS NULL WHERE s.token_hash = ?",
                    (digest,))
    if row is None:
        return None
    now = utcnow()
    seen = _parse(row["last_seen_at"])
    if seen < now - idle:
        sign_out(store, digest)
        return None
    if seen < now - TOUCH_EVERY:
        store.write_batched(_TOUCH, {"token": digest, "now": to_iso(now)}, key=(digest,))
    return SignedIn(digest, Tenant(row["app_id"], row["env"]), row["user_id"], row["display_name"], row["device_id"])


def sign_out(store: Store, digest: str) -> None:
    with store.transaction() as tx:
        tx.execute("DELETE FROM web_sessions WHERE token_hash = ?", (digest,))


def csrf_token(store: Store, device_id: str, session_hash: str | None) -> str:
    """The token every form of this device (and session) carries: an HMAC, so nothing is stored."""
    key: str = store.scalar("SELECT secret FROM site")
    message = f"{device_id}\0{session_hash or ''}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:40]


def new_operation_id() -> str:
    return secrets.token_urlsafe(16)


def first_use(db: Db, operation_id: str, user_id: str) -> bool:
    """Claim a form's operation id inside the caller's transaction: False if it was used before,
    so a resent post does its work once."""
    return db.execute("INSERT INTO web_operations (app_id, env, id, user_id, created_at) "
                      "VALUES (:app, :env, :id, :user, :now) ON CONFLICT DO NOTHING",
                      {"id": operation_id[:64], "user": user_id, "now": now_iso()}).rowcount == 1


def forget_operation(db: Db, operation_id: str) -> None:
    """Release an operation id whose work failed after it was claimed, so that a resend does it."""
    with db.transaction():
        db.execute("DELETE FROM web_operations WHERE app_id = :app AND env = :env AND id = :id",
                   {"id": operation_id[:64]})
