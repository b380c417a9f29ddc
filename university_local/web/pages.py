"""The frame of every learner page: the visit (language, device, signed-in learner, cookies), the
CSRF check of a form post, redirects, and errors shown as pages."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from university_local.core.db import Db
from university_local.core.errors import ApiError
from university_local.core.routing import Reply, Request
from university_local.tenancy.apps import time_zone
from university_local.web import service
from university_local.web.service import SignedIn
from university_local.web.templating import LANGUAGES, gettext, negotiate, render, when

HTML = "text/html; charset=utf-8"
STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "ul_session"
DEVICE_COOKIE = "ul_device"
LANGUAGE_COOKIE = "ul_lang"
ORG_COOKIE = "ul_org"  # the organisation this device last signed in to: its sign-in page comes first
YEAR = 365 * 24 * 3600
# Pages are the learner's own: never cached by a shared proxy or the browser's back button after sign-out.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "X-Frame-Options": "SAMEORIGIN"}


def error_page(req: Request | None, err: ApiError) -> Reply:
    """An error as a readable page (a redirect for the 303s the handlers raise to move on)."""
    if err.status in (302, 303):
        return Reply("", err.status, err.headers, HTML)
    language = _language(req) if req else "en"
    detail = err.errors[0].get("detail", "") if err.errors else ""
    title = {404: gettext(language, "Not found"), 403: gettext(language, "Not allowed")}.get(
        err.status, gettext(language, "Something went wrong"))
    body = render(language, "error.html", **_base(req, language, None), title=title, detail=detail, status=err.status)
    return Reply(body, err.status, PAGE_HEADERS, HTML)


def wants_page(environ: dict[str, Any]) -> bool:
    """A browser asking for a page (not an API client): where a missing route answers a page, not JSON."""
    path = str(environ.get("PATH_INFO", ""))
    return (environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "text/html" in environ.get("HTTP_ACCEPT", "")
            and not path.startswith(("/v1/", "/scorm/", "/blocks/", "/sync/")))


def not_found_page(services: Any, environ: dict[str, Any]) -> Reply:
    """The readable 404 for a page address that does not exist."""
    req = Request(services, None, None, None, environ)
    language = _language(req)
    return error_page(req, ApiError(404, "not_found", gettext(language, "There is no page at this address.")))


# -- the page's frame -------------------------------------------------------------------------------------


@dataclass
class Visit:
    """One page view: the language, the device, the learner if signed in, and cookies to set."""

    req: Request
    language: str
    device_id: str
    learner: SignedIn | None
    cookies: list[str]

    @property
    def db(self) -> Db:
        assert self.learner is not None
        return self.req.site.scoped(self.learner.scope)

    @property
    def csrf(self) -> str:
        return service.csrf_token(self.req.site, self.device_id, self.learner.token_hash if self.learner else None)

    def page(self, template: str, status: int = 200, **context: Any) -> Reply:
        body = render(self.language, template, **_base(self.req, self.language, self), **context)
        return Reply(body, status, PAGE_HEADERS, HTML, tuple(self.cookies))

    def redirect(self, to: str, *cookies: str) -> Reply:
        return Reply("", 303, {"Location": to, **PAGE_HEADERS}, HTML, (*self.cookies, *cookies))

    def zone(self) -> Any:
        assert self.learner is not None
        return time_zone(self.req.site, self.learner.tenant.app_id)

    def when(self, stamp: str | None, *, with_time: bool = True) -> str:
        return when(stamp, self.language, self.zone(), with_time=with_time)


def cookie(name: str, value: str, max_age: int | None = None) -> str:
    age = f"; Max-Age={max_age}" if max_age is not None else ""
    return f"{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}"


def _language(req: Request) -> str:
    return negotiate(req.cookie(LANGUAGE_COOKIE), req.header("Accept-Language"))


def visit(req: Request, *, signed_in: bool = True) -> Visit:
    """The page view's frame; with `signed_in`, a visitor without a live session is sent to sign in."""
    cookies: list[str] = []
    device_id = req.cookie(DEVICE_COOKIE) or ""
    if not (8 <= len(device_id) <= 64 and device_id.replace("-", "").replace("_", "").isalnum()):
        device_id = secrets.token_urlsafe(16)
        cookies.append(cookie(DEVICE_COOKIE, device_id, YEAR))
    idle = timedelta(minutes=req.config.web_idle_minutes)
    token = req.cookie(SESSION_COOKIE)
    learner = service.session(req.site, token, idle)
    if token and learner is None:
        cookies.append(cookie(SESSION_COOKIE, "", 0))
    if signed_in and learner is None:
        target = "/signin" + ("?" + urlencode({"ended": "1"}) if token else "")
        raise ApiError(303, "see_other", "Sign in first.", headers={"Location": target, **_cookie_headers(cookies)})
    return Visit(req, _language(req), device_id, learner, cookies)


def _cookie_headers(cookies: list[str]) -> dict[str, str]:
    # A redirect raised as an error can carry one Set-Cookie header: the device's or the ended session's.
    return {"Set-Cookie": cookies[-1]} if cookies else {}


def _base(req: Request | None, language: str, v: Visit | None) -> dict[str, Any]:
    return {
        "learner": v.learner if v else None,
        "csrf": v.csrf if v else "",
        "path": _here(req),
        "static": static_url,
        "languages": LANGUAGES,
    }


def _here(req: Request | None) -> str:
    """This page's path and query: where the language switch comes back to."""
    if req is None:
        return "/"
    query = str(req.environ.get("QUERY_STRING", ""))
    return req.path + ("?" + query if query else "")


def posted(req: Request, *, signed_in: bool = True) -> tuple[Visit, dict[str, str]]:
    """A form post's frame and fields, once its CSRF token is checked."""
    v = visit(req, signed_in=signed_in)
    form = req.form()
    if not secrets.compare_digest(form.get("csrf", ""), v.csrf):
        raise ApiError(403, "csrf", gettext(v.language, "This form has expired. Go back, reload the page and "
                                                        "try again."))
    return v, form


def local_target(target: str | None, default: str = "/") -> str:
    """A redirect target from a form or query, kept on this site."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return default
    return target


@cache
def _fingerprint(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/static/{name}?v={_fingerprint(name)}"
