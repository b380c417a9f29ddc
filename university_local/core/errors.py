"""The one error type of the API, rendered as JSON:API error objects.

Services raise `ApiError`; the router turns it into a response. Nothing else in the code base
builds an error body, so every failure looks the same to a client.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError


def _title(code: str) -> str:
    return code.replace("_", " ").title()


def error_object(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    pointer: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "status": str(status),
        "code": code,
        "title": title or _title(code),
        "detail": detail,
    }
    if pointer is not None:
        obj["source"] = {"pointer": pointer}
    elif parameter is not None:
        obj["source"] = {"parameter": parameter}
    return obj


class ApiError(Exception):
    """An error the client should see: HTTP status plus one or more JSON:API error objects."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        pointer: str | None = None,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.errors = [
            error_object(status, code, detail, title=title, pointer=pointer, parameter=parameter)
        ]
        self.headers = headers or {}

    @classmethod
    def many(cls, status: int, errors: list[dict[str, Any]]) -> ApiError:
        err = cls(status, errors[0]["code"], errors[0]["detail"])
        err.errors = errors
        return err

    @classmethod
    def from_validation(cls, exc: ValidationError, *, prefix: str = "") -> ApiError:
        """422 with one error object per bad field, each pointing at the field."""
        errors = []
        for item in exc.errors(include_url=False):
            loc = "/".join(str(part) for part in item["loc"])
            pointer = f"{prefix}/{loc}" if loc else (prefix or "/")
            errors.append(
                error_object(422, "validation_error", _field_message(item), pointer=pointer,
                             title="Invalid Attribute")
            )
        return cls.many(422, errors)

    def body(self) -> dict[str, Any]:
        return {"errors": self.errors}


def _field_message(item: Mapping[str, Any]) -> str:
    field = item["loc"][-1] if item["loc"] else "body"
    return f"{field}: {item['msg']}"


def not_found(kind: str, id_: str) -> ApiError:
    """The 404 for an unknown id; identical whether the id is missing or another tenant's."""
    return ApiError(404, f"{kind}_not_found", f"{kind.replace('_', ' ').capitalize()} '{id_}' was not found.")


def http_error(status: int, detail: str | None = None, code: str | None = None) -> ApiError:
    phrase = HTTPStatus(status).phrase
    return ApiError(status, code or phrase.lower().replace(" ", "_"), detail or phrase, title=phrase)


# SQLite's primary result codes for the state of the machine rather than a fault of the server:
# the error code a client sees, what it should do, and how many seconds to wait first.
_BUSY = ("database_busy", "The database stayed busy; nothing was saved. Send the request again.", 1)
_FULL = ("storage_full", "The server's disk is full, so this write may not have been saved. "
         "Send it again once space has been freed.", 60)
_DISK = ("storage_unavailable", "The server could not write to its disk, so this write may not have been saved. "
         "Send it again later.", 30)
_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY: _BUSY, sqlite3.SQLITE_LOCKED: _BUSY, sqlite3.SQLITE_FULL: _FULL,
    sqlite3.SQLITE_IOERR: _DISK, sqlite3.SQLITE_READONLY: _DISK, sqlite3.SQLITE_CANTOPEN: _DISK,
}


def storage_error(exc: BaseException) -> ApiError | None:
    """The answer for a database error that says the disk is full or failing, or the database
    stayed locked: a 503 with Retry-After, so that a client keeps the write and sends it again
    (the hosted API's SDK retries 503, not 500). A learner's writes are safe to send again:
    progress only grows, and an enrollment that did land answers `already_enrolled`. None for
    any other error."""
    code = getattr(exc, "sqlite_errorcode", None)
    unavailable = _UNAVAILABLE.get(code & 0xFF) if isinstance(code, int) else None  # extended codes too
    if unavailable is None:
        return None
    error_code, detail, wait = unavailable
    return ApiError(503, error_code, detail, headers={"Retry-After": str(wait)})
