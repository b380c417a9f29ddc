"""The WSGI application: every feature's routes mounted over one store.

Adding a feature is one line in FEATURES.
"""

from __future__ import annotations

from typing import Any

import bottle
from pydantic import BaseModel, ConfigDict

from university_local import __version__
from university_local.analytics.routes import router as analytics
from university_local.assignments.routes import router as assignments
from university_local.certificates import service as certificates_service
from university_local.certificates.routes import pages as certificate_pages
from university_local.certificates.routes import router as certificates
from university_local.core import openapi
from university_local.core.clock import now_iso
from university_local.core.config import Config
from university_local.core.db import Store
from university_local.core.errors import http_error
from university_local.core.ratelimit import RateLimiter
from university_local.core.routing import Request, Router, Services, finish_reading_body, mount, plain, render_error
from university_local.courses.routes import router as courses
from university_local.discussions.routes import router as discussions
from university_local.enrollments.routes import router as enrollments
from university_local.learning_paths.routes import router as learning_paths
from university_local.lessons.content import CONTENT_MODELS
from university_local.lessons.routes import router as lessons
from university_local.modules.routes import router as modules
from university_local.progress.routes import router as progress
from university_local.quizzes.routes import router as quizzes
from university_local.ratings.routes import router as ratings
from university_local.reports.routes import router as reports
from university_local.scorm.routes import content as scorm_content
from university_local.scorm.routes import router as scorm
from university_local.scorm.runtime_routes import player as scorm_player
from university_local.scorm.runtime_routes import runtime as scorm_runtime
from university_local.tenancy.apps import refresh_utc_offsets
from university_local.users.routes import router as users
from university_local.webhooks.routes import router as webhooks

API_PREFIX = "/v1/university"
FEATURES: list[Router] = [courses, modules, lessons, users, enrollments, progress, quizzes, assignments, discussions,
                          learning_paths, certificates, scorm, scorm_runtime, webhooks,
                          analytics, ratings, reports]
PAGES: list[Router] = [certificate_pages, scorm_content, scorm_player]  # public pages outside the API prefix


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
    from university_local.server import urls

    return urls(config.host, config.port)[0]


def create_app(config: Config, store: Store | None = None) -> bottle.Bottle:
    """Build the app for `config`; the store is migrated here so the app never sees an old schema."""
    store = store or Store(config.database_path)
    store.migrate()
    refresh_utc_offsets(store)  # before any request dates activity
    services = Services(store=store, config=config, limiter=RateLimiter(config.rate_limits))
    app = bottle.Bottle()
    app.uninstall(True)  # every route renders its own answer (routing.render): no plugin need wrap each call
    certificates_service.set_public_url(store, config.public_url or default_public_url(config))
    certificates_service.key_of(store)  # the site's signing key exists from the first start
    routes = mount(app, "", [system, *PAGES], services) + mount(app, API_PREFIX, [docs, *FEATURES], services)
    services.openapi = openapi.build(
        routes,
        title="University Local API", version=__version__, extra_models=tuple(CONTENT_MODELS.values()),
    )

    def json_error(error: bottle.HTTPError) -> bytes | str:
        detail = {404: "No such endpoint.", 405: f"Method not allowed; use {error.headers.get('Allow', '')}."}
        headers: dict[str, str] = {}
        finish_reading_body(config.max_body_bytes, headers)  # no route read the body
        return render_error(http_error(error.status_code, detail.get(error.status_code)), headers)

    for status in (400, 404, 405, 413, 500):
        app.error(status)(json_error)
    app.config["university.services"] = services
    if config.jobs:
        from university_local.core.scheduler import start_jobs

        app.config["university.scheduler"] = start_jobs(store, config)
    return app

