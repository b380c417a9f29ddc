"""`ApiError`: the one error a checked call raises, whether the server refused or never answered."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

UNREACHABLE = "unreachable"


class ApiError(Exception):
    """A checked call that did not succeed.

    `status` is the HTTP status, or None when no answer came at all (connection refused, timeout,
    connection dropped mid-answer); `code` is the first JSON:API error's code (`course_not_found`),
    `"unreachable"` without an answer, or `http_<status>` when the body is not a JSON:API error.
    `errors` holds every error object as the server sent it.
    """

    def __init__(self, status: int | None, code: str, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 retry_after: float | None = None, response: httpx.Response | None = None,
                 request: httpx.Request | None = None) -> None:
        self.status, self.code, self.detail = status, code, detail
        self.errors = errors or []
        self.retry_after = retry_after
        self.response = response
        self.request = request if request is not None else response.request if response is not None else None
        super().__init__(str(self))

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """The error an answer carries; its body must have been read."""
        errors = _error_objects(response)
        if errors:
            first = errors[0]
            code, detail = str(first.get("code") or f"http_{response.status_code}"), str(first.get("detail") or "")
        else:
            code, detail = f"http_{response.status_code}", response.text.strip()[:200] or response.reason_phrase
        return cls(response.status_code, code, detail, errors=errors,
                   retry_after=_retry_after(response.headers.get("Retry-After")), response=response)

    @classmethod
    def from_transport(cls, exc: httpx.RequestError) -> ApiError:
        """No answer: the server could not be reached, was too slow, or hung up mid-answer."""
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:  # an error raised outside a request has none
            request = None
        return cls(None, UNREACHABLE, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                   request=request)

    @property
    def unreachable(self) -> bool:
        return self.status is None

    @property
    def pointer(self) -> str | None:
        """The JSON pointer of the field the first error is about (`/data/attributes/title`)."""
        source = self.errors[0].get("source") if self.errors else None
        pointer = source.get("pointer") if isinstance(source, dict) else None
        return pointer if isinstance(pointer, str) else None

    def __str__(self) -> str:
        what = UNREACHABLE if self.status is None else f"{self.status} {self.code}"
        where = f" at {self.pointer}" if self.pointer else ""
        call = f" ({self.request.method} {self.request.url})" if self.request is not None else ""
        return f"{what}{where}: {self.detail}{call}"


def _error_objects(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON:API error objects of a body, or [] when it is not an error document."""
    if "json" not in response.headers.get("content-type", ""):
        return []
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [e for e in errors if isinstance(e, dict)]


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, from `Retry-After` given as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
