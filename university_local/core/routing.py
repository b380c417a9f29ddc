"""The route table: every endpoint declared once, served by bottle and described by OpenAPI.

A feature's `routes.py` declares its endpoints on a `Router` with the models they take and
return. `mount` turns the table into bottle routes that authenticate, rate-limit, check the
key's permission, validate query and body, call the handler and render the result or the
error; `openapi.build` reads the same table, so the document cannot drift from the code.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import bottle
import orjson
from pydantic import BaseModel, Field, ValidationError

from university_local.core.config import Config
from university_local.core.db import Db, Store
from university_local.core.errors import ApiError, http_error, storage_error
from university_local.core.ratelimit import RateLimiter
from university_local.core.scope import Scope, Tenant

log = logging.getLogger("university_local")

# public: no key. read: any key. learner: any key, and it may write (a learner's own actions:
# enrolling, recording progress). secret: secret keys only.
Access = Literal["public", "read", "learner", "secret"]
JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class ResourceType:
    """A JSON:API resource type: its name, its attributes model and its relationships."""

    name: str
    attributes: type[BaseModel]
    relationships: dict[str, str] = field(default_factory=dict)  # relationship -> related type
    to_many: tuple[str, ...] = ()


@dataclass(frozen=True)
class Returns:
    """What a successful call answers: one resource, a page of them, a plain model, or nothing."""

    kind: Literal["one", "many", "model", "none", "raw"]
    resource: ResourceType | None = None
    model: type[BaseModel] | None = None
    included: tuple[ResourceType, ...] = ()
    media_type: str | None = None  # of a raw response


def one(resource: ResourceType, *included: ResourceType) -> Returns:
    return Returns("one", resource, included=included)


def many(resource: ResourceType) -> Returns:
    return Returns("many", resource)


def plain(model: type[BaseModel]) -> Returns:
    return Returns("model", model=model)


def raw(media_type: str, *, json: type[BaseModel] | None = None) -> Returns:
    """Not JSON: the handler returns bytes, text, an open file or an iterator of chunks (streamed),
    of this media type unless it sets another on `bottle.response`. With `json`, the handler may
    instead answer `application/json` shaped like that model (a download offered in two formats,
    e.g. `format=csv|json`); the OpenAPI document then lists both."""
    return Returns("raw", model=json, media_type=media_type)


NOTHING = Returns("none")


@dataclass(frozen=True)
class Reply:
    """A handler's answer when the route's usual status, headers or media type do not fit it:
    200 for an existing record where a new one would be 201, a file with its headers."""

    body: Any
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str | None = None
    cookies: tuple[str, ...] = ()  # Set-Cookie values, one header each


@dataclass(frozen=True)
class Principal:
    """Who calls, as their credential says: the key (rate limits count per key) and its scope."""

    key_id: str
    scope: Scope

    @property
    def can_write(self) -> bool:
        return self.scope.is_staff


Authenticate = Callable[[Store, Mapping[str, Any]], Principal]


@dataclass
class Services:
    """What handlers may reach: the store, the settings, the limiter and the served OpenAPI document."""

    store: Store
    config: Config
    limiter: RateLimiter
    openapi: dict[str, Any] = field(default_factory=dict)


class LearnerQuery(BaseModel):
    """The query of a read a learner may make: a publishable key names itself (Scope.acting_for)."""

    user_id: str | None = Field(None, min_length=1, max_length=128,
                                description="Required with a publishable key: the learner asking.")


@dataclass
class Request:
    """One call as a handler sees it: who, validated query and body, the request's headers and
    environ, and the services. `db` is the caller's handle on their tenant's records."""

    services: Services
    principal: Principal | None
    query: Any
    body: Any
    environ: dict[str, Any]  # the WSGI environ (a streamed upload is read from it)
    _db: Db | None = None

    @property
    def scope(self) -> Scope:
        assert self.principal is not None, "public routes have no scope"
        return self.principal.scope

    @property
    def tenant(self) -> Tenant:
        return self.scope.tenant

    @property
    def db(self) -> Db:
        if self._db is None:
            self._db = self.services.store.scoped(self.scope)
        return self._db

    @property
    def site(self) -> Store:
        """The handle of the public routes, whose records span tenants (found by unguessable ids)."""
        return self.services.store

    @property
    def config(self) -> Config:
        return self.services.config

    def header(self, name: str) -> str | None:
        value = self.environ.get("HTTP_" + name.upper().replace("-", "_"))
        return None if value is None else str(value)

    def query_values(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (`include=a&include=b`)."""
        values: list[str] = bottle.request.query.getall(name)
        return values

    @property
    def path(self) -> str:
        return str(self.environ.get("PATH_INFO", "/"))

    @property
    def method(self) -> str:
        return str(self.environ.get("REQUEST_METHOD", "GET"))

    def cookie(self, name: str) -> str | None:
        value = bottle.request.cookies.get(name)
        return None if value is None else str(value)

    def form(self) -> dict[str, str]:
        """An HTML form's fields (application/x-www-form-urlencoded), last value of each name."""
        return {name: values[-1] for name, values in self.form_lists().items()}

    def form_lists(self) -> dict[str, list[str]]:
        """Every value of each field of the form (checkboxes send one per box ticked)."""
        if "university.form" not in self.environ:
            if not str(self.environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
                raise ApiError(415, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded.")
            raw = read_body(self.config.max_body_bytes).decode("utf-8", "replace")
            self.environ["university.form"] = urllib.parse.parse_qs(raw, keep_blank_values=True)
        lists: dict[str, list[str]] = self.environ["university.form"]
        return lists

    def learner(self, user_id: str | None) -> str | None:
        """The learner a call reads or acts for (Scope.acting_for)."""
        return self.scope.acting_for(user_id)


OnError = Callable[["Request | None", ApiError], Reply]


@dataclass
class Route:
    method: str
    path: str
    handler: Callable[..., Any]
    summary: str
    tag: str
    access: Access
    rate: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    returns: Returns
    status: int
    raw_body: str | None = None  # media type of a body the handler reads itself (e.g. text/csv)
    on_error: OnError | None = None
    raw_schema: type[BaseModel] | None = None  # what the OpenAPI document says such a body holds (never parsed)

    @property
    def openapi_path(self) -> str:
        """`/courses/<course_id>` as `/courses/{course_id}` (a `<path:path>` filter is bottle's alone)."""
        return _PARAM.sub(r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)


_PARAM = re.compile(r"<(\w+)(?::\w+)?>")


class Router:
    """The endpoints of one feature."""

    def __init__(self, tag: str, *, rate: str | None = None, on_error: OnError | None = None) -> None:
        self.tag = tag
        self.rate = rate
        self.on_error = on_error  # pages for people answer errors as pages, not JSON
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        returns: Returns,
        access: Access = "read",
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int = 200,
        rate: str | None = None,
        raw_body: str | None = None,
        raw_schema: type[BaseModel] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append(
                Route(method, path, handler, summary, self.tag, access,
                      rate or self.rate if access != "public" else None,
                      body, query, returns, status, raw_body, self.on_error, raw_schema)
            )
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path, **{"access": "secret", **kw})

    def patch(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PATCH", path, **{"access": "secret", **kw})

    def delete(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("DELETE", path, **{"access": "secret", "status": 204, "returns": NOTHING, **kw})


# -- serving -------------------------------------------------------------------------------


def render(status: int, body: Any, headers: Mapping[str, str] | None = None, media_type: str | None = None) -> Any:
    """Set status and headers on bottle's response and return the body: JSON, or as is for a raw
    response (bytes, text, or an open file that the server streams)."""
    response = bottle.response
    if media_type is not None:
        response.content_type = media_type
    if response.status_code != status:  # 200 unless set: bottle parses a status line on every set
        response.status = status
    for name, value in (headers or {}).items():
        response.set_header(name, value)
    if body is None:
        if status == 204:  # no length to frame it by: the HTTP router ends the connection, so say so
            response.set_header("Connection", "close")
        return ""
    if media_type is not None:
        return body
    response.content_type = JSON_CONTENT_TYPE
    return _compressed(orjson.dumps(body))


COMPRESS_FROM_BYTES = 4096  # smaller answers gain little, and the hot writes answer less
COMPRESS_LEVEL = 5


def _compressed(payload: bytes) -> bytes:
    """gzip a larger JSON answer when the client accepts it: classroom Wi-Fi is slow, JSON shrinks
    five- to tenfold, and an answer that fits the HTTP router's buffer leaves in one write instead
    of two that wait on the client's delayed acknowledgement."""
    if len(payload) < COMPRESS_FROM_BYTES:
        return payload
    bottle.response.set_header("Vary", "Accept-Encoding")
    if not _accepts_gzip(bottle.request.headers.get("Accept-Encoding", "")):
        return payload
    bottle.response.set_header("Content-Encoding", "gzip")
    return gzip.compress(payload, COMPRESS_LEVEL, mtime=0)


def _accepts_gzip(header: str) -> bool:
    for coding in header.lower().split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip() in {"gzip", "*"}:
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def render_error(err: ApiError, headers: Mapping[str, str] | None = None) -> bytes | str:
    return render(err.status, err.body(), {**(headers or {}), **err.headers})


def mount(app: bottle.Bottle, prefix: str, routers: list[Router], services: Services,
          authenticate: Authenticate) -> list[Route]:
    """Serve the routers' routes under `prefix`, their callers known by `authenticate`; return
    the routes with their full paths."""
    routes = [replace(route, path=prefix + route.path) for router in routers for route in router.routes]
    for route in routes:
        app.route(route.path, route.method, _endpoint(route, services, authenticate))
    return routes


def _endpoint(route: Route, services: Services, authenticate: Authenticate) -> Callable[..., bytes | str]:
    def endpoint(**params: str) -> bytes | str:
        headers: dict[str, str] = {}
        req: Request | None = None
        try:
            principal = None
            environ = bottle.request.environ
            if route.access != "public":
                principal = authenticate(services.store, environ)
                if route.rate:
                    headers = services.limiter.hit(principal.key_id, route.rate)
                if route.access == "secret" and not principal.can_write:
                    raise ApiError(403, "forbidden", "This needs a secret key; publishable keys may only read "
                                                     "and act as a learner.")
            query = _parse_query(route.query) if route.query else None
            body = _parse_body(route.body, services.config.max_body_bytes) if route.body else None
            req = Request(services, principal, query, body, environ)
            return _rendered(route.handler(req, **params), route.status, route.returns.media_type, headers)
        except ApiError as err:
            finish_reading_body(services.config.max_body_bytes, headers)
            return _error(route, req, err, headers)
        except Exception as exc:
            if (unavailable := storage_error(exc)) is not None:  # the disk or the lock, not a fault
                log.warning("%s %s: %s", route.method, route.path, exc)
                return _error(route, req, unavailable, headers)
            # an unexpected fault: log it, answer a 500, keep serving
            log.exception("unhandled error on %s %s", route.method, route.path)
            return _error(route, req, http_error(500, "An internal error occurred; it has been logged."), headers)

    endpoint.__name__ = route.handler.__name__
    return endpoint


def _error(route: Route, req: Request | None, err: ApiError, headers: dict[str, str]) -> Any:
    if route.on_error is None:
        return render_error(err, headers)
    return _rendered(route.on_error(req, err), err.status, None, {**headers, **err.headers})


def _rendered(result: Any, status: int, media_type: str | None, headers: dict[str, str]) -> Any:
    if isinstance(result, Reply):
        status = result.status or status
        headers.update(result.headers)
        media_type = result.media_type or media_type
        for cookie in result.cookies:
            bottle.response.add_header("Set-Cookie", cookie)
        result = result.body
    return render(status, result, headers, media_type)


DRAIN_BYTES = 64 * 1024 * 1024  # an unread body up to this size is read and dropped after an early answer
DRAIN_SECONDS = 10.0
_CHUNK = 64 * 1024


def finish_reading_body(max_bytes: int, headers: dict[str, str]) -> None:
    """An error may answer before the body was read. Left unread, its bytes would be taken for
    the next request on a keep-alive connection; closing at once instead often loses the answer
    (the client is still sending). So read and drop it, within a budget (like nginx's lingering
    close), and only past that close the connection."""
    request = bottle.request
    if request.content_length <= 0 or "bottle.request.body" in request.environ:
        return
    if request.content_length > DRAIN_BYTES or not drain(request.environ["wsgi.input"], request.content_length,
                                                          time.monotonic() + DRAIN_SECONDS):
        headers["Connection"] = "close"


def drain(stream: Any, remaining: int, deadline: float) -> bool:
    """Read and drop `remaining` bytes of a request body; False if they did not all arrive in time."""
    try:
        while remaining > 0:
            if time.monotonic() > deadline:
                return False
            chunk = stream.read(min(_CHUNK, remaining))
            if not chunk:
                return False
            remaining -= len(chunk)
    except OSError:
        return False
    return True


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(bottle.request.query.items()))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "query"
        raise ApiError(400, "invalid_parameter", f"{name}: {first['msg']}", parameter=name) from None


def read_body(max_bytes: int) -> bytes:
    """The raw request body, refusing anything over the configured limit before reading it."""
    length = bottle.request.content_length
    if length > max_bytes:
        raise ApiError(413, "payload_too_large", f"The request body is over the limit of {max_bytes} bytes.")
    environ = bottle.request.environ
    if "HTTP_TRANSFER_ENCODING" in environ:  # uWSGI hands the app no body for a chunked request
        raise ApiError(411, "length_required", "Send the request body with a Content-Length header; "
                       "chunked request bodies are not accepted.", headers={"Connection": "close"})
    if "bottle.request.body" in environ:
        return bottle.request.body.read(max_bytes + 1)
    # Read in one call: bottle's own reading (chunks into a spooled buffer) costs a hot write
    # dearly (bench/README.md). Left where bottle keeps it, so finish_reading_body sees it was read.
    try:
        data = environ["wsgi.input"].read(max(length, 0))
    except OSError:  # the client stalled past the server's socket timeout, or went away
        environ["bottle.request.body"] = io.BytesIO()
        raise body_incomplete(length) from None
    environ["bottle.request.body"] = io.BytesIO(data)
    if len(data) < length:
        raise body_incomplete(length, len(data))
    return data


def body_incomplete(length: int, received: int | None = None) -> ApiError:
    """The error for a body that stopped arriving: the client went away, or sent nothing for
    longer than the server's socket timeout. The connection is closed; the rest never comes."""
    progress = f"after {received} of {length} bytes" if received is not None else f"before all {length} bytes arrived"
    return ApiError(400, "upload_incomplete", f"The request body stopped {progress}; send it again.",
                    headers={"Connection": "close"})


def _parse_body(model: type[BaseModel], max_bytes: int) -> BaseModel:
    raw = read_body(max_bytes)
    if not raw.strip():
        raise ApiError(400, "invalid_json", "The request needs a JSON body.", title="Invalid JSON")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.", title="Invalid JSON") from None
        raise ApiError.from_validation(exc) from None
