"""SCORM run-time endpoints.

`runtime` (under the API prefix): a secret key creates a learner's signed launch URL; instructors
read attempts with their CMI data, and a learner's result in a lesson.

`player` (at the server's root, no API key): the player page a launch URL opens, its static
files (the API adapter, the rules generated from the Python data model), and the player's own
calls (open a SCO session, commit to it), which the token in their path authenticates.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import asdict
from functools import cache
from importlib import resources
from typing import Any

from scorm_player.cmi import all_rules
from university_local.core.errors import ApiError
from university_local.core.jsonapi import document
from university_local.core.routing import Reply, Request, Router, many, one, plain, raw
from university_local.scorm import runtime_service as service
from university_local.scorm.models import (
    ScormAttemptListQuery,
    ScormCommitBatch,
    ScormLaunchCreateBody,
    ScormSessionOpen,
)
from university_local.scorm.resources import (
    SCORM_ATTEMPT,
    SCORM_LAUNCH,
    SCORM_RESULT,
    ScormCommitDocument,
    ScormSessionDocument,
    attempt_resource,
    launch_resource,
    result_resource,
)

runtime = Router("scorm runtime", rate="progress")
player = Router("scorm player")


@runtime.post("/scorm/launch", summary="Create a learner's signed, expiring SCORM player URL for a lesson",
              body=ScormLaunchCreateBody, returns=one(SCORM_LAUNCH), status=201)
def create_scorm_launch(req: Request) -> dict[str, Any]:
    return document(launch_resource(service.launch(req.db, req.body.data.attributes)))


@runtime.get("/scorm/attempts", summary="List SCORM attempts (filter by lesson_id, user_id, item_id), newest first",
             query=ScormAttemptListQuery, returns=many(SCORM_ATTEMPT), access="secret")
def list_scorm_attempts(req: Request) -> dict[str, Any]:
    q: ScormAttemptListQuery = req.query
    rows, total = service.list_attempts(req.db, q.window, lesson_id=q.lesson_id, user_id=q.user_id, item_id=q.item_id)
    return document([attempt_resource(row) for row in rows], meta=q.window.meta(total))


@runtime.get("/scorm/attempts/<attempt_id>", summary="Get a SCORM attempt with every CMI element and its sessions",
             returns=one(SCORM_ATTEMPT), access="secret")
def get_scorm_attempt(req: Request, attempt_id: str) -> dict[str, Any]:
    row = service.get_attempt(req.db, attempt_id)
    return document(attempt_resource(row, service.attempt_sessions(req.db, attempt_id)))


@runtime.get("/scorm/lessons/<lesson_id>/users/<user_id>",
             summary="A learner's SCORM result in a lesson: completion, success, score and time, per SCO and overall",
             returns=one(SCORM_RESULT))
def get_scorm_result(req: Request, lesson_id: str, user_id: str) -> dict[str, Any]:
    return document(result_resource(service.lesson_result(req.db, lesson_id, user_id)))


# -- the player ---------------------------------------------------------------------------------------

STATIC = {"scorm-api.js": "application/javascript; charset=utf-8", "player.js": "application/javascript; charset=utf-8",
          "player.css": "text/css; charset=utf-8", "cmi-rules.js": "application/javascript; charset=utf-8"}


@cache
def _static(name: str) -> tuple[bytes, str]:
    """A player file and its ETag; `cmi-rules.js` is generated from the Python data model."""
    if name == "cmi-rules.js":
        data = ("/* Generated from scorm_player/cmi/model.py: the rules scorm-api.js validates with. */\n"
                "window.SCORM_RULES = " + json.dumps(all_rules(), separators=(",", ":")) + ";\n").encode()
    else:
        data = (resources.files("scorm_player") / "static" / name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


@cache
def _page_template() -> str:
    return (resources.files("scorm_player") / "static" / "player.html").read_text(encoding="utf-8")


@player.get("/scorm/player/<name>", summary="The SCORM player's scripts and styles", access="public",
            returns=raw("application/javascript; charset=utf-8"))
def scorm_player_file(req: Request, name: str) -> Reply:
    if name not in STATIC:
        raise ApiError(404, "file_not_found", f"The player has no file '{html.escape(name[:100])}'.")
    data, etag = _static(name)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=3600"}
    if req.header("If-None-Match") == f'"{etag}"':
        return Reply(b"", 304, headers, STATIC[name])
    return Reply(data, None, headers, STATIC[name])


@player.get("/scorm/play/<token>", summary="The SCORM player page a launch URL opens", access="public",
            returns=raw("text/html; charset=utf-8"))
def scorm_player_page(req: Request, token: str) -> Reply:
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}  # the token is in the URL
    try:
        player = service.player(req.site, token)
    except ApiError as err:
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return Reply(_message_page(err.errors[0]["title"], err.errors[0]["detail"]), err.status, headers)
    headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                          "style-src 'self' 'unsafe-inline'; frame-src 'self'")
    versions = {name: _static(name)[1] for name in STATIC}
    config = json.dumps(asdict(player)).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = _page_template()
    for name, version in versions.items():
        page = page.replace("{{" + name + "}}", f"/scorm/player/{name}?v={version}")
    return Reply(page.replace("{{title}}", html.escape(player.title))
                     .replace("{{course_title}}", html.escape(player.course_title or ""))
                     .replace("{{config}}", config), None, headers)


def _message_page(title: str, detail: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}}</style>
</head><body><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></body></html>"""


@player.post("/scorm/play/<token>/sessions", summary="Open a SCO session (the player page calls this)",
             body=ScormSessionOpen, returns=plain(ScormSessionDocument), access="public", status=201)
def open_scorm_session(req: Request, token: str) -> dict[str, Any]:
    return {"data": asdict(service.open_session(req.site, token, req.body.item_id))}


@player.post("/scorm/play/<token>/sessions/<session_id>/commits",
             summary="Commit a SCO's data: numbered commits, each applied once (the player and its beacons call this)",
             body=ScormCommitBatch, returns=plain(ScormCommitDocument), access="public")
def commit_scorm_session(req: Request, token: str, session_id: str) -> dict[str, Any]:
    return {"data": asdict(service.commit(req.site, token, session_id, req.body))}
