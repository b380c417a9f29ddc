"""The API calls for the learner pages' sign-in: an instructor sees a learner's wrong-PIN pause
and lifts it, or lifts every pause of the organisation (a shared tablet that tried too many PINs).
Secret keys only; the pauses are those of the key's environment, the one the pages serve when the
site's `web_env` is the same."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from university_local.core.jsonapi import document, resource
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import Request, ResourceType, Router, one, plain
from university_local.web import service


class SigninPauseAttributes(Attributes):
    user_id: str
    failures: int = Field(description="Wrong PINs in the learner's current run (a run is forgotten after 15 "
                                      "minutes without one).")
    blocked_until: Timestamp | None = Field(description="When the learner may try again; null: now.")
    seconds_left: int = Field(description="Seconds until then; 0: not paused.")


class ClearedResult(Attributes):
    cleared: int = Field(description="How many learners' and devices' records were cleared.")


class ClearedDocument(Attributes):
    data: ClearedResult


SIGNIN_PAUSE = ResourceType("signin_pause", SigninPauseAttributes)

router = Router("sign-in", rate="enrollments")


def _resource(record: dict[str, Any]) -> dict[str, Any]:
    return resource("signin_pause", record["user_id"], {k: record[k] for k in
                                                        ("user_id", "failures", "blocked_until", "seconds_left")})


@router.get("/users/<user_id>/signin-pause", summary="A learner's wrong-PIN pause on the learner pages",
            returns=one(SIGNIN_PAUSE), access="secret")
def get_pause(req: Request, user_id: str) -> dict[str, Any]:
    return document(_resource(service.signin_pause(req.db, user_id)))


@router.delete("/users/<user_id>/signin-pause", summary="Lift a learner's wrong-PIN pause: they may sign in at once")
def lift_pause(req: Request, user_id: str) -> None:
    service.clear_failures(req.db, user_id)


@router.delete("/signin-pauses", summary="Lift every wrong-PIN pause of the organisation, learners' and devices'",
               returns=plain(ClearedDocument), status=200)
def lift_all(req: Request) -> dict[str, Any]:
    return {"data": {"cleared": service.clear_all_failures(req.db)}}
