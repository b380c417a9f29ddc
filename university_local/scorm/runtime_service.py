"""SCORM run-time: signed launches, the player's sessions and commits, and what they mean for the
learner's progress.

A launch is made with a secret key; the player then acts within it, with no key of its own: the
tenant, the learner, the lesson and the package its token names, with staff's view of the
tenant's records (the lesson may be in a course not yet published).

A launch (secret key) signs `{tenant, lesson, learner, package, item, expiry}` with a key kept in
the data directory and answers `/scorm/play/<token>`. Opening that page checks the signature and
the expiry, and hands the player a second token (kind "player", valid for 12 hours) for its calls:
opening a SCO session (moving between the SCOs of a package) and committing to it. Commits are
accepted for any session that is not terminated, whatever the tokens' expiry: a learner who keeps
a tab open overnight, or comes back online after a week, still saves what they did.

Each SCO session belongs to an attempt (learner, lesson, item, number). Commits are numbered per
session; a number already applied is skipped, so a retried request or a beacon that duplicates it
changes nothing. A commit replays the SCO's SetValue calls through the Python engine
(scorm_player.runtime) inside one transaction with everything it causes: the attempt's status,
score and total time, and, through `progress.service.record`, the lesson's progress (time spent,
a position = percent of SCOs done, and completion when every SCO is done).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from scorm_player import runtime
from scorm_player.cmi import datatypes as dt
from university_local.core.clock import now_iso, to_iso, utcnow
from university_local.core.db import Db, Row, Store, dumps, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.core.files import create_once
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.core.scope import Scope, Tenant
from university_local.core.site import public_url
from university_local.progress import service as progress
from university_local.scorm import service as packages
from university_local.scorm.models import ScormCommitBatch, ScormLaunchCreate

KEY_FILE = "scorm-launch-key"
PLAYER_TOKEN_SECONDS = 12 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,4000}\.[A-Za-z0-9_-]{43}")
_keys: dict[Path, bytes] = {}
_keys_lock = threading.Lock()

# Everything a launch or a session checks, in one read: the lesson, its lock, the learner's enrollment.
_CONTEXT = """
SELECT l.id, l.course_id, l.module_id, l.title, l.content_type, l.content, m.unlock_at, c.title AS course_title,
       e.id AS enrollment_id, e.expires_at,
       CASE WHEN e.status = 'active' AND e.expires_at IS NOT NULL AND e.expires_at <= :now
            THEN 'expired' ELSE e.status END AS enrollment_status
FROM lessons l
JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env
JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env
LEFT JOIN enrollments e ON e.app_id = :app AND e.env = :env AND e.user_id = :user AND e.course_id = l.course_id
WHERE l.app_id = :app AND l.env = :env AND l.id = :lesson
  AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL"""


@dataclass(frozen=True)
class Launch:
    """A signed, expiring player URL for one learner in one SCORM lesson."""

    url: str
    path: str
    expires_at: str
    lesson_id: str
    user_id: str
    course_id: str
    package_id: str
    item_id: str | None
    scorm_version: str


@dataclass(frozen=True)
class Player:
    """What the player page needs: the package's table of contents, where to start, and the URL of
    its calls (with a token of its own)."""

    title: str
    course_title: str | None
    version: str
    items: list[dict[str, Any]]
    start: str | None
    sessions_url: str
    return_url: str | None


@dataclass(frozen=True)
class Session:
    """An opened SCO session: what the SCO starts with, and where its commits go."""

    session_id: str
    attempt_id: str
    item_id: str
    scorm_version: str
    entry: str
    asset: bool
    launch_url: str
    commit_url: str
    values: dict[str, str]
    navigation: dict[str, Any]


@dataclass(frozen=True)
class Committed:
    session_id: str
    applied_through: int
    terminated: bool
    completion_status: str
    success_status: str


@dataclass(frozen=True)
class ScoResult:
    item_id: str
    title: str
    scorm_type: str | None
    attempts: int
    completed: bool
    completion_status: str
    success_status: str
    score: dict[str, float | None]
    total_time_seconds: float
    last_attempt_id: str | None


@dataclass(frozen=True)
class LessonResult:
    """A learner's SCORM result in a lesson: each SCO's latest status, and the package's."""

    lesson_id: str
    user_id: str
    course_id: str
    package_id: str | None
    scorm_version: str
    completed: bool
    completed_at: str | None
    success_status: str
    score_percent: float | None
    total_time_seconds: float
    scos: list[ScoResult] = field(default_factory=list)


# -- tokens ------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def launch_key(store: Store) -> bytes:
    """This installation's HMAC key for launch tokens, made on first use (readable by this user only)."""
    path = store.path.parent / KEY_FILE
    with _keys_lock:
        key = _keys.get(path)
        if key is None:
            create_once(path, os.urandom(32).hex().encode())
            key = _keys[path] = bytes.fromhex(path.read_text().strip())
    return key


def sign(store: Store, claims: dict[str, Any]) -> str:
    body = _b64(orjson.dumps(claims, option=orjson.OPT_SORT_KEYS))
    return body + "." + _b64(hmac.new(launch_key(store), body.encode(), hashlib.sha256).digest())


def read_token(store: Store, token: str, kind: str, *, check_expiry: bool = True) -> dict[str, Any]:
    """The claims of a token this server signed, of `kind`; 404 for anything else, 403 when expired."""
    if _TOKEN.fullmatch(token) is None:
        raise ApiError(404, "scorm_launch_not_found", "This SCORM launch link is not valid.")
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(launch_key(store), body.encode(), hashlib.sha256).digest())
    claims: Any = None
    if signature and hmac.compare_digest(signature, expected):
        try:
            claims = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError):
            claims = None
    if not isinstance(claims, dict) or claims.get("k") != kind:
        raise ApiError(404, "scorm_launch_not_found", "This SCORM launch link is not valid.")
    if check_expiry and claims["x"] < int(utcnow().timestamp()):
        raise ApiError(403, "scorm_launch_expired", "This SCORM launch link has expired; ask for a new one.")
    return claims


def _player_db(store: Store, claims: dict[str, Any]) -> Db:
    """The player's handle: the launch's tenant, seen as the staff member who launched it saw it."""
    return store.scoped(Scope.staff(Tenant(claims["a"], claims["e"])))


# -- launch --------------------------------------------------------------------------------------------


def _context(db: Db, lesson_id: str, user_id: str, pointer: str = "/data/attributes") -> Row:
    """The lesson and the learner's enrollment, or the error that stops a launch."""
    now = now_iso()
    context = db.one(_CONTEXT, {"lesson": lesson_id, "user": user_id, "now": now})
    if context is None:
        raise ApiError(404, "lesson_not_found", f"Lesson '{lesson_id}' was not found.", pointer=f"{pointer}/lesson_id")
    if context["content_type"] != "scorm":
        raise ApiError(422, "lesson_not_scorm", f"Lesson '{lesson_id}' is a {context['content_type']} lesson, not "
                                                "a SCORM one.", pointer=f"{pointer}/lesson_id")
    if context["unlock_at"] and context["unlock_at"] > now:
        raise ApiError(403, "lesson_locked", f"This lesson opens at {context['unlock_at']}.")
    if context["enrollment_status"] in (None, "cancelled"):
        raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this lesson's course.",
                       pointer=f"{pointer}/user_id")
    if context["enrollment_status"] == "expired":
        raise ApiError(403, "enrollment_expired", f"The enrollment expired at {context['expires_at']}.")
    return context


def _current_package(db: Db, lesson: Row) -> Row | None:
    """The package the lesson launches: the one its content names, else its latest version."""
    package_id = loads(lesson["content"]).get("package_id")
    if package_id:
        try:
            return packages.get_package(db, package_id)
        except ApiError:
            pass
    return packages.package_for_lesson(db, lesson["id"])


def _package_for_learner(db: Db, lesson: Row, user_id: str) -> Row | None:
    """A learner with an open attempt keeps the package version it started on; otherwise the current one."""
    open_attempt = db.one(
        "SELECT package_id FROM scorm_attempts WHERE app_id = :app AND env = :env AND lesson_id = :lesson "
        "AND user_id = :user AND ended_at IS NULL ORDER BY updated_at DESC LIMIT 1",
        {"lesson": lesson["id"], "user": user_id})
    if open_attempt is not None:
        try:
            return packages.get_package(db, open_attempt["package_id"])
        except ApiError:
            pass  # that version was deleted: start over on the current one
    return _current_package(db, lesson)


def _manifest(package: Row) -> dict[str, Any]:
    manifest: dict[str, Any] = loads(package["manifest"])
    return manifest


def _launchable(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in manifest["items"] if item.get("launch")]


def launch(db: Db, attrs: ScormLaunchCreate) -> Launch:
    """A signed, expiring player URL for one learner in one SCORM lesson."""
    tenant = db.tenant
    lesson = _context(db, attrs.lesson_id, attrs.user_id)
    package = _package_for_learner(db, lesson, attrs.user_id)
    if package is None:
        raise ApiError(404, "scorm_package_not_found", f"Lesson '{attrs.lesson_id}' has no SCORM package yet.",
                       pointer="/data/attributes/lesson_id")
    if attrs.item_id is not None and attrs.item_id not in {i["identifier"] for i in _launchable(_manifest(package))}:
        raise ApiError(422, "validation_error", f"item_id: the package has no launchable item '{attrs.item_id}'.",
                       pointer="/data/attributes/item_id", title="Invalid Attribute")
    expires = int(utcnow().timestamp()) + attrs.expires_in_seconds
    claims = {"k": "launch", "a": tenant.app_id, "e": tenant.env, "l": lesson["id"], "u": attrs.user_id,
              "p": package["id"], "i": attrs.item_id, "x": expires, "r": attrs.return_url}
    path = f"/scorm/play/{sign(db.site, claims)}"
    return Launch(public_url(db.site).rstrip("/") + path, path, to_iso(datetime.fromtimestamp(expires, UTC)),
                  lesson["id"], attrs.user_id, lesson["course_id"], package["id"], attrs.item_id,
                  package["scorm_version"])


# -- the player ----------------------------------------------------------------------------------------


def player(store: Store, token: str) -> Player:
    """What the player page a launch URL opens needs, and the token for its calls."""
    claims = read_token(store, token, "launch")
    db = _player_db(store, claims)
    lesson = _context(db, claims["l"], claims["u"])
    package = packages.get_package(db, claims["p"])
    manifest = _manifest(package)
    attempts = _latest_attempts(db, claims["l"], claims["u"])
    toc = []
    for item in manifest["items"]:
        attempt = attempts.get(item["identifier"])
        toc.append({
            "id": item["identifier"], "title": item["title"], "depth": item["depth"],
            "launchable": bool(item.get("launch")), "hidden": bool(item.get("hidden_from_choice")),
            "choice": item.get("choice", True), "flow": item.get("flow", True),
            "prerequisites": item.get("prerequisites"),
            "status": _item_state(attempt),
        })
    player_token = sign(store, {**claims, "k": "player", "x": int(utcnow().timestamp()) + PLAYER_TOKEN_SECONDS})
    return Player(package["title"] or lesson["title"], lesson["course_title"], package["scorm_version"], toc,
                  claims["i"] or _start_item(manifest, attempts), f"/scorm/play/{player_token}/sessions",
                  claims.get("r"))


def _item_state(attempt: Row | None) -> str:
    if attempt is None:
        return "not attempted"
    if attempt["completed_at"]:
        return "completed"
    return "failed" if attempt["success_status"] == "failed" else "incomplete"


def _latest_attempts(db: Db, lesson_id: str, user_id: str) -> dict[str, Row]:
    rows = db.all("SELECT a.* FROM scorm_attempts a WHERE a.app_id = :app AND a.env = :env AND a.lesson_id = :lesson "
                  "AND a.user_id = :user ORDER BY a.item_id, a.number", {"lesson": lesson_id, "user": user_id})
    latest: dict[str, Row] = {}
    for row in rows:
        previous = latest.get(row["item_id"])
        # an item counts as completed once any attempt completed it
        if previous is not None and previous["completed_at"] and not row["completed_at"]:
            continue
        latest[row["item_id"]] = row
    return latest


def _start_item(manifest: dict[str, Any], attempts: dict[str, Row]) -> str | None:
    """Where the learner left off (the item of their latest open attempt), else the first item not
    done, else the first."""
    launchable = _launchable(manifest)
    if not launchable:
        return None
    ids = [item["identifier"] for item in launchable]
    open_ones = [a for item_id, a in attempts.items() if item_id in ids and a["ended_at"] is None]
    if open_ones:
        return str(max(open_ones, key=lambda a: a["updated_at"])["item_id"])
    for item_id in ids:
        attempt = attempts.get(item_id)
        if attempt is None or not attempt["completed_at"]:
            return item_id
    return ids[0]


_maps: dict[str, dict[str, list[str]]] = {}


def _shared_targets(store: Store, package_id: str, item_id: str) -> list[str]:
    """The shared data buckets (adl.data) an item maps, from its package's manifest (cached: a
    package's files never change)."""
    maps = _maps.get(package_id)
    if maps is None:
        try:
            xml = (packages.package_dir(store, package_id) / "imsmanifest.xml").read_bytes()
            maps = runtime.shared_data_maps(xml)
        except (OSError, ValueError, SyntaxError):
            maps = {}
        _maps[package_id] = maps
    return maps.get(item_id, [])


def _shared_data(db: Db, user_id: str, lesson_id: str, targets: list[str]) -> dict[str, str | None]:
    rows = {r["target_id"]: r["store"] for r in db.all(
        "SELECT target_id, store FROM scorm_shared_data WHERE app_id = :app AND env = :env AND user_id = :user "
        "AND lesson_id = :lesson", {"user": user_id, "lesson": lesson_id})}
    return {target: rows.get(target) for target in targets}


def _learner(db: Db, user_id: str) -> runtime.Learner:
    name = db.scalar("SELECT display_name FROM users WHERE app_id = :app AND env = :env AND id = :id", {"id": user_id})
    return runtime.Learner(user_id, name or user_id)


def open_session(store: Store, token: str, item_id: str) -> Session:
    """Start a SCO: resume its open attempt (entry = resume) or begin the next one (ab-initio)."""
    claims = read_token(store, token, "player")
    db, user_id, lesson_id = _player_db(store, claims), claims["u"], claims["l"]
    lesson = _context(db, lesson_id, user_id, pointer="")
    package = packages.get_package(db, claims["p"])
    manifest = _manifest(package)
    items = {item["identifier"]: item for item in _launchable(manifest)}
    item = items.get(item_id)
    if item is None:
        raise ApiError(422, "validation_error", f"item_id: the package has no launchable item '{item_id}'.",
                       pointer="/item_id", title="Invalid Attribute")
    version = package["scorm_version"]
    learner = _learner(db, user_id)
    asset = item.get("scorm_type") == "asset"
    now = now_iso()
    with db.transaction():
        latest = db.one("SELECT * FROM scorm_attempts WHERE app_id = :app AND env = :env AND user_id = :user "
                        "AND lesson_id = :lesson AND item_id = :item ORDER BY number DESC LIMIT 1",
                        {"user": user_id, "lesson": lesson_id, "item": item_id})
        if latest is not None and (asset or (latest["ended_at"] is None and latest["package_id"] == package["id"])):
            # Resume: the SCO gets back everything it stored, but not the last session's own elements
            # (exit, session_time), which must not count again for this one.
            attempt_id, entry, total = latest["id"], "ab-initio" if asset else "resume", latest["total_time"]
            values = runtime.resumed_values(version, loads(latest["cmi"]), learner)
            db.update("scorm_attempts", attempt_id, {"cmi": dumps(values)})
        else:
            attempt_id, entry, total = new_id("scormattempt"), "ab-initio", 0
            values = runtime.fresh_values(version, item, learner)
            status = runtime.status_of(version, values)
            db.insert("scorm_attempts", {
                "id": attempt_id, "user_id": user_id, "course_id": lesson["course_id"], "lesson_id": lesson_id,
                "package_id": package["id"],
                "item_id": item_id, "number": (latest["number"] + 1) if latest is not None else 1,
                "scorm_version": version, "cmi": dumps(values),
                "completion_status": "completed" if asset else status.completion,
                "success_status": status.success, "score_scaled": None, "total_time": 0, "exit": None,
                "suspended": 0, "completed_at": now if asset else None, "started_at": now, "updated_at": now,
                "ended_at": now if asset else None,
            })
        session_id = new_id("scormsession")
        db.insert("scorm_sessions", {
            "id": session_id, "attempt_id": attempt_id, "user_id": user_id, "lesson_id": lesson_id, "entry": entry,
            "last_seq": 0, "session_time": 0,
            "exit": None, "nav_request": None, "commits": 0, "started_at": now, "updated_at": now,
            "terminated_at": now if asset else None,
        })
        if asset:  # an asset has no API: opening it is visiting it
            _sync_progress(db, lesson_id, user_id)
    nav = runtime.navigation(manifest["items"], item_id)
    values = {**runtime.with_total_time(version, values, total), **runtime.navigation_values(version, nav)}
    if version == "2004":  # the shared buckets as other SCOs left them
        targets = _shared_targets(store, package["id"], item_id)
        values = runtime.with_shared_data(values, _shared_data(db, user_id, lesson_id, targets))
    return Session(session_id, attempt_id, item_id, version, entry, asset,
                   packages.content_url(package["id"], item["launch"]),
                   f"/scorm/play/{token}/sessions/{session_id}/commits", {} if asset else values,
                   runtime.navigation_json(nav))


def commit(store: Store, token: str, session_id: str, batch: ScormCommitBatch) -> Committed:
    """Apply the numbered commits of one session that were not applied before, in order, atomically."""
    claims = read_token(store, token, "player", check_expiry=False)
    db, user_id, lesson_id = _player_db(store, claims), claims["u"], claims["l"]
    order = sorted(range(len(batch.commits)), key=lambda i: batch.commits[i].seq)
    with db.transaction():
        session = db.one("SELECT * FROM scorm_sessions WHERE id = :id AND app_id = :app AND env = :env "
                         "AND user_id = :user AND lesson_id = :lesson",
                         {"id": session_id, "user": user_id, "lesson": lesson_id})
        if session is None:
            raise not_found("scorm_session", session_id)
        attempt = db.one("SELECT * FROM scorm_attempts WHERE id = :id AND app_id = :app AND env = :env",
                         {"id": session["attempt_id"]})
        assert attempt is not None
        version = attempt["scorm_version"]
        values: dict[str, str] = loads(attempt["cmi"])
        names = runtime.NAMES[version]
        mine = {"session_time": session["session_time"], "exit": session["exit"], "nav_request": session["nav_request"]}
        last, terminated, ending = session["last_seq"], session["terminated_at"] is not None, False
        applied = 0
        targets = _shared_targets(store, attempt["package_id"], attempt["item_id"]) if version == "2004" else []
        shared: dict[str, str] = {}
        if targets:  # the buckets, as the SCO saw them
            values = runtime.with_shared_data(values, _shared_data(db, user_id, lesson_id, targets))
        for index in order:
            entry = batch.commits[index]
            if entry.seq <= last:
                continue  # applied before: a retry, or a beacon that repeats a request
            if terminated:
                raise ApiError(409, "scorm_session_terminated", "The SCO terminated this session; start a new one.",
                               pointer=f"/commits/{index}/seq")
            try:
                values = runtime.apply_ops(version, values, entry.ops)
            except runtime.RejectedCommit as err:
                raise ApiError(422, "invalid_cmi_value", f"{err.element}: {err.diagnostic} (SCORM error {err.code})",
                               pointer=f"/commits/{index}/ops/{err.index}", title="Invalid CMI Value") from None
            shared.update(runtime.shared_data_writes(entry.ops, targets))
            for element, value in entry.ops:  # this session's own elements, kept with the session
                if element == names["session_time"]:
                    mine["session_time"] = dt.parse_time_value(version, value)
                elif element == names["exit"]:
                    mine["exit"] = value
                elif element == "adl.nav.request":
                    mine["nav_request"] = value
            last, applied = entry.seq, applied + 1
            if entry.terminate:
                values = runtime.finish(version, values)
                terminated = ending = True
        if applied:
            _save(db, session, attempt, values, mine, last, ending)
        for target, value in shared.items():
            db.execute("INSERT INTO scorm_shared_data (app_id, env, user_id, lesson_id, target_id, store, updated_at) "
                       "VALUES (:app, :env, :user, :lesson, :target, :store, :now) "
                       "ON CONFLICT (app_id, env, user_id, lesson_id, target_id) DO UPDATE "
                       "SET store = excluded.store, updated_at = excluded.updated_at",
                       {"user": user_id, "lesson": lesson_id, "target": target, "store": value, "now": now_iso()})
        attempt = db.one("SELECT completion_status, success_status FROM scorm_attempts WHERE id = :id "
                         "AND app_id = :app AND env = :env", {"id": session["attempt_id"]})
    assert attempt is not None
    return Committed(session_id, last, terminated, attempt["completion_status"], attempt["success_status"])


def _save(db: Db, session: Row, attempt: Row, values: dict[str, str], mine: dict[str, Any], last_seq: int,
          ending: bool) -> None:
    """Inside the commit's transaction: the session, the attempt, and the lesson's progress."""
    version, now = attempt["scorm_version"], now_iso()
    db.execute("UPDATE scorm_sessions SET last_seq = :seq, session_time = :time, exit = :exit, nav_request = :nav, "
               "commits = commits + 1, updated_at = :now, "
               "terminated_at = CASE WHEN :ending THEN :now ELSE terminated_at END "
               "WHERE id = :id AND app_id = :app AND env = :env",
               {"seq": last_seq, "time": mine["session_time"], "exit": mine["exit"], "nav": mine["nav_request"],
                "now": now, "ending": ending, "id": session["id"]})
    total = attempt["total_time"] - session["session_time"] + mine["session_time"]  # the sum of its sessions
    values = runtime.with_total_time(version, values, total)
    status = runtime.status_of(version, values)
    suspended = runtime.suspended(version, mine["exit"], mine["nav_request"]) if ending else bool(attempt["suspended"])
    newly_complete = status.complete and not attempt["completed_at"]
    db.execute(
        "UPDATE scorm_attempts SET cmi = :cmi, completion_status = :completion, success_status = :success, "
        "score_scaled = :score, total_time = :total, exit = :exit, suspended = :suspended, "
        "completed_at = COALESCE(completed_at, :completed), updated_at = :now, "
        "ended_at = CASE WHEN :ended THEN :now ELSE ended_at END WHERE id = :id AND app_id = :app AND env = :env",
        {"cmi": dumps(values), "completion": status.completion, "success": status.success,
         "score": status.score_scaled, "total": total, "exit": mine["exit"] if ending else attempt["exit"],
         "suspended": int(suspended), "completed": now if status.complete else None, "now": now,
         "ended": ending and not suspended, "id": attempt["id"]})
    if ending or newly_complete:  # time spent and completion reach the lesson's progress
        _sync_progress(db, attempt["lesson_id"], attempt["user_id"])
    if ending:
        emit(db, "scorm.attempt.updated", "scorm_attempt", attempt["id"], {
            "attempt_id": attempt["id"], "user_id": attempt["user_id"], "lesson_id": attempt["lesson_id"],
            "course_id": attempt["course_id"], "package_id": attempt["package_id"], "item_id": attempt["item_id"],
            "number": attempt["number"], "completion_status": status.completion, "success_status": status.success,
            "score_scaled": status.score_scaled, "total_time_seconds": total / 100, "suspended": suspended,
            "terminated_at": now,
        })


def _sync_progress(db: Db, lesson_id: str, user_id: str) -> None:
    """Tell the progress service what the package adds up to: time spent, the share of SCOs done,
    and completion once they all are. A learner no longer enrolled keeps the SCORM data only."""
    db = db.as_staff()
    result = lesson_result(db, lesson_id, user_id)
    done = sum(1 for sco in result.scos if sco.completed)
    try:
        progress.record(db, lesson_id, user_id, position=round(100 * done / len(result.scos)) if result.scos else 0,
                        time_spent_seconds=int(result.total_time_seconds), complete=result.completed)
    except ApiError:
        pass


# -- what instructors read -------------------------------------------------------------------------------


def lesson_result(db: Db, lesson_id: str, user_id: str) -> LessonResult:
    """A learner's SCORM result in a lesson: each SCO's latest status, and the package's. Learners
    see lessons of published courses only."""
    lesson = db.one("SELECT l.* FROM lessons l JOIN modules m ON m.id = l.module_id AND +m.app_id = :app "
                    "AND +m.env = :env JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env "
                    "WHERE l.app_id = :app AND l.env = :env AND l.id = :id AND l.deleted_at IS NULL "
                    "AND m.deleted_at IS NULL AND c.deleted_at IS NULL"
                    + (" AND c.status = 'published'" if db.published_only else ""), {"id": lesson_id})
    if lesson is None:
        raise not_found("lesson", lesson_id)
    if lesson["content_type"] != "scorm":  # no SCORM result exists for it
        raise ApiError(404, "lesson_not_scorm", f"Lesson '{lesson_id}' is a {lesson['content_type']} lesson, not a "
                                                "SCORM one.")
    rows = db.all("SELECT * FROM scorm_attempts WHERE app_id = :app AND env = :env AND lesson_id = :lesson "
                  "AND user_id = :user ORDER BY number", {"lesson": lesson_id, "user": user_id})
    staff = db.as_staff()  # the packages of a lesson the caller may read
    package = None
    if rows:
        latest = max(rows, key=lambda r: (r["updated_at"], r["id"]))
        try:
            package = packages.get_package(staff, latest["package_id"])
        except ApiError:
            package = None
    if package is None:
        package = _current_package(staff, lesson)
    items = _launchable(_manifest(package)) if package is not None else []
    by_item: dict[str, list[Row]] = {}
    for row in rows:
        by_item.setdefault(row["item_id"], []).append(row)
    scos = []
    completions: list[str] = []
    for item in items:
        attempts = by_item.get(item["identifier"], [])
        last = attempts[-1] if attempts else None
        status = runtime.status_of(last["scorm_version"], loads(last["cmi"])) if last else None
        scos.append(ScoResult(
            item["identifier"], item["title"], item.get("scorm_type"), len(attempts),
            any(a["completed_at"] for a in attempts), last["completion_status"] if last else "not attempted",
            last["success_status"] if last else "unknown", score_of(status),
            sum(a["total_time"] for a in attempts) / 100, last["id"] if last else None))
        completions.append(min((a["completed_at"] for a in attempts if a["completed_at"]), default=None) or "")
    counted = [(s, c) for s, c in zip(scos, completions) if s.scorm_type != "asset"] or list(zip(scos, completions))
    completed = bool(counted) and all(s.completed for s, _ in counted)
    successes = {s.success_status for s, _ in counted}
    scores = [s.score["scaled"] for s, _ in counted if s.score["scaled"] is not None]
    completed_at = max((c for _, c in counted if c), default=None) if completed else None
    return LessonResult(
        lesson_id, user_id, lesson["course_id"], package["id"] if package is not None else None,
        package["scorm_version"] if package is not None else loads(lesson["content"]).get("scorm_version", "1.2"),
        completed, completed_at,
        "failed" if "failed" in successes else "passed" if "passed" in successes else "unknown",
        round(100 * sum(scores) / len(scores), 2) if scores else None,
        sum(r["total_time"] for r in rows) / 100, scos)


def score_of(status: runtime.Status | None) -> dict[str, float | None]:
    if status is None:
        return {"scaled": None, "raw": None, "min": None, "max": None}
    return {"scaled": status.score_scaled, "raw": status.score_raw, "min": status.score_min, "max": status.score_max}


def list_attempts(db: Db, page: Page, *, lesson_id: str | None = None, user_id: str | None = None,
                  item_id: str | None = None) -> tuple[list[Row], int]:
    where = "app_id = :app AND env = :env"
    params = {"lesson_id": lesson_id, "user_id": user_id, "item_id": item_id, "limit": page.size,
              "offset": page.offset}
    for column in ("lesson_id", "user_id", "item_id"):
        if params[column] is not None:
            where += f" AND {column} = :{column}"
    total = db.scalar(f"SELECT COUNT(*) FROM scorm_attempts WHERE {where}", params)
    rows = db.all(f"SELECT * FROM scorm_attempts WHERE {where} ORDER BY id DESC LIMIT :limit OFFSET :offset", params)
    return rows, total


def get_attempt(db: Db, attempt_id: str) -> Row:
    row = db.one("SELECT * FROM scorm_attempts WHERE id = :id AND app_id = :app AND env = :env", {"id": attempt_id})
    if row is None:
        raise not_found("scorm_attempt", attempt_id)
    return row


def attempt_sessions(db: Db, attempt_id: str) -> list[Row]:
    """The sessions of one attempt, in the order they started."""
    return db.all("SELECT * FROM scorm_sessions WHERE attempt_id = :attempt AND +app_id = :app AND +env = :env "
                  "ORDER BY started_at, id", {"attempt": attempt_id})
