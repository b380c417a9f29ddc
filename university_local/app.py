"""The WSGI application: every feature's routes, jobs and start-up duties over one store.

Adding a feature is one line in FEATURES: its `feature.py` says what it plugs in.
"""

from __future__ import annotations

from typing import Any

import bottle
from pydantic import BaseModel, ConfigDict

from university_local import __version__
from university_local.analytics.feature import FEATURE as analytics
from university_local.assignments.feature import FEATURE as assignments
from university_local.certificates.feature import FEATURE as certificates
from university_local.core import openapi
from university_local.core.clock import now_iso
from university_local.core.config import Config
from university_local.core.db import Store
from university_local.core.errors import http_error
from university_local.core.features import Feature
from university_local.core.ratelimit import RateLimiter
from university_local.core.routing import (
    Request,
    Router,
    Services,
    finish_reading_body,
    mount,
    plain,
    render,
    render_error,
)
from university_local.core.site import set_public_url
from university_local.courses.feature import FEATURE as courses
from university_local.discussions.feature import FEATURE as discussions
from university_local.enrollments.feature import FEATURE as enrollments
from university_local.grading.feature import FEATURE as grading
from university_local.learning_paths.feature import FEATURE as learning_paths
from university_local.lessons.feature import FEATURE as lessons
from university_local.media.feature import FEATURE as media
from university_local.modules.feature import FEATURE as modules
from university_local.progress.feature import FEATURE as progress
from university_local.quizzes.feature import FEATURE as quizzes
from university_local.ratings.feature import FEATURE as ratings
from university_local.reports.feature import FEATURE as reports
from university_local.scorm.feature import FEATURE as scorm
from university_local.tenancy.feature import FEATURE as tenancy
from university_local.tenancy.keys import authenticate_request
from university_local.users.feature import FEATURE as users
from university_local.web.feature import FEATURE as web
from university_local.web.pages import not_found_page, wants_page
from university_local.webhooks.feature import FEATURE as webhooks

API_PREFIX = "/v1/university"
FEATURES: list[Feature] = [tenancy, courses, modules, lessons, users, enrollments, progress, quizzes, assignments,
                           discussions, learning_paths, certificates, scorm, media, grading, webhooks, analytics,
                           ratings, reports, web]


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    openapi: str


class Health(BaseModel):
    service: str
    status: str
    version: str
    timestamp: str


system = Router("system")
docs = Router("system")


@system.get("/health", summary="Health check (no key needed)", access="public", returns=plain(Health))
def health(req: Request) -> dict[str, Any]:
    return {"service": "university", "status": "ok", "version": __version__, "timestamp": now_iso()}


@docs.get("/openapi.json", summary="This OpenAPI document", access="public", returns=plain(OpenApiDocument))
def openapi_document(req: Request) -> dict[str, Any]:
    return req.services.openapi


def default_public_url(config: Config) -> str:
    """Where learners' devices reach this server when no public URL is configured."""
    from university_local.lan import urls

    return urls(config.host, config.port)[0]


def create_app(config: Config, store: Store | None = None) -> bottle.Bottle:
    """Build the app for `config`; the store is migrated here so the app never sees an old schema."""
    store = store or Store(config.database_path)
    store.migrate()
    set_public_url(store, config.public_url or default_public_url(config))
    for feature in FEATURES:
        for duty in feature.on_start:
            duty(store, config)
    services = Services(store=store, config=config, limiter=RateLimiter(config.rate_limits))
    app = bottle.Bottle()
    app.uninstall(True)  # every route renders its own answer (routing.render): no plugin need wrap each call
    pages = [router for feature in FEATURES for router in feature.pages]
    api = [router for feature in FEATURES for router in feature.api]
    routes = (mount(app, "", [system, *pages], services, authenticate_request)
              + mount(app, API_PREFIX, [docs, *api], services, authenticate_request))
    # The learner pages are for people: mounted beside the API, never in its document.
    mount(app, "", [router for feature in FEATURES for router in feature.web], services, authenticate_request)
    services.openapi = openapi.build(routes, title="University Local API", version=__version__,
                                     extra_models=tuple(model for f in FEATURES for model in f.schemas))

    def json_error(error: bottle.HTTPError) -> Any:
        if error.status_code == 404 and wants_page(bottle.request.environ):
            page = not_found_page(services, bottle.request.environ)
            return render(page.status or 404, page.body, page.headers, page.media_type)
        detail = {404: "No such endpoint.", 405: f"Method not allowed; use {error.headers.get('Allow', '')}."}
        headers: dict[str, str] = {}
        finish_reading_body(config.max_body_bytes, headers)  # no route read the body
        return render_error(http_error(error.status_code, detail.get(error.status_code)), headers)

    for status in (400, 404, 405, 413, 500):
        app.error(status)(json_error)
    app.config["university.services"] = services
    if config.jobs:
        from university_local.core.scheduler import start_jobs

        app.config["university.scheduler"] = start_jobs(store, config, [job for f in FEATURES for job in f.jobs])
    return app
