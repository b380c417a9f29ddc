"""The client's ground floor: the connection, raw verbs, checked calls and pagination.

Raw verbs (`get`, `post`, `patch`, `delete`) hand back the `httpx.Response` whatever its status,
for callers that examine answers themselves. Checked calls (`request` and everything built on it)
return parsed JSON and raise `ApiError` on any non-2xx answer or on no answer at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar, cast

import httpx

from client.errors import ApiError
from client.types import Health, Resource

API_PREFIX = "/v1/university"
T = TypeVar("T")
Upload = bytes | str | os.PathLike[str]
"""A file to upload: its bytes, or its path."""


def resource_document(type_: str, **attributes: Any) -> dict[str, Any]:
    """The JSON:API request document of a resource with these attributes."""
    return {"data": {"type": type_, "attributes": attributes}}


def comma_list(values: Iterable[str] | None) -> str | None:
    """A list query parameter as the API takes it (`include=modules,lessons`); None when empty."""
    joined = ",".join(values or ())
    return joined or None


class BaseClient:
    """One API key of one organisation on one server; `base_url` is the server root."""

    def __init__(self, base_url: str, app_id: str, api_key: str, *, timeout: float = 30,
                 transport: httpx.BaseTransport | None = None, headers: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id, self.key = app_id, api_key
        self.http = httpx.Client(base_url=self.base_url + API_PREFIX, timeout=timeout, transport=transport,
                                 headers={**(headers or {}), "X-App-Id": app_id, "X-Api-Key": api_key})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- raw verbs: any status comes back as it is -------------------------------------------------

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.http.patch(path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    # -- checked calls -----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
                content: bytes | None = None, files: Mapping[str, Any] | None = None,
                data: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> dict[str, Any] | None:
        """Send a call and return its JSON document (None for 204 or an empty body).

        `path` is relative to the API prefix (an absolute URL is used as it is); query parameters
        that are None are left out."""
        return _document(self._send(method, path, json=json, params=_query(params), content=content, files=files,
                                    data=data, headers=headers))

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        with _answered():
            response = self.http.request(method, path, **kw)
        _check(response)
        return response

    def _data(self, method: str, path: str, shape: type[T], *, params: Mapping[str, Any] | None = None,
              **kw: Any) -> T:
        """The `data` of a checked call's answer, which must be of this shape (dict or list)."""
        response = self._send(method, path, params=_query(params), **kw)
        data = (_document(response) or {}).get("data")
        if not isinstance(data, shape):
            raise ApiError(response.status_code, "invalid_document", f"The answer has no {shape.__name__} in `data`.",
                           response=response)
        return data

    def _one(self, method: str, path: str, **kw: Any) -> Resource:
        """The one resource (or plain result object) a checked call answers with."""
        return self._data(method, path, dict, **kw)

    def _many(self, method: str, path: str, **kw: Any) -> list[Resource]:
        return self._data(method, path, list, **kw)

    def create(self, path: str, type_: str, **attributes: Any) -> Resource:
        """POST a resource with these attributes and return the resource the server made."""
        return self._one("POST", path, json=resource_document(type_, **attributes))

    def update(self, path: str, type_: str, **attributes: Any) -> Resource:
        """PATCH these attributes (None clears one) and return the resource as it now is."""
        return self._one("PATCH", path, json=resource_document(type_, **attributes))

    def fetch(self, path: str, **params: Any) -> Resource:
        """GET one resource and return it."""
        return self._one("GET", path, params=params)

    def remove(self, path: str) -> None:
        """DELETE a resource; nothing comes back."""
        self.request("DELETE", path)

    def _upload(self, path: str, file: Upload, fields: Mapping[str, str | None], *, filename: str | None,
                content_type: str) -> Resource:
        """POST multipart/form-data: the text fields first (the server checks them before the file
        arrives), then the file, read from disk as it is sent when given by path."""
        data = {name: value for name, value in fields.items() if value is not None}
        with ExitStack() as stack:
            part: tuple[str, bytes | BinaryIO, str]
            if isinstance(file, bytes):
                if filename is None:
                    raise ValueError("a file given as bytes needs a filename (its extension is checked)")
                part = (filename, file, content_type)
            else:
                part = (filename or Path(file).name, stack.enter_context(open(file, "rb")), content_type)
            return self._one("POST", path, data=data, files={"file": part})

    def pages(self, path: str, *, per_page: int = 100, **params: Any) -> Iterator[Resource]:
        """Every resource of a list, page after page, as far as `meta.total` goes."""
        page = 1
        while True:
            document = self.request("GET", path, params={**params, "page": page, "per_page": per_page}) or {}
            resources: list[Resource] = document.get("data") or []
            yield from resources
            meta = document.get("meta") or {}
            if not resources or "page" not in meta or meta["page"] * meta["per_page"] >= meta["total"]:
                return
            page = meta["page"] + 1

    def every(self, path: str, **params: Any) -> list[Resource]:
        """Every resource of a list, in a list."""
        return list(self.pages(path, **params))

    @contextmanager
    def stream(self, method: str, path: str, *, params: Mapping[str, Any] | None = None) -> Iterator[httpx.Response]:
        """A checked answer whose body is read as the caller goes (`iter_bytes`): large files and
        reports without holding them in memory. A failure while reading raises ApiError too."""
        with _answered(), self.http.stream(method, path, params=_query(params)) as response:
            if not response.is_success:
                response.read()
                _check(response)
            yield response

    def download(self, path: str, **params: Any) -> bytes:
        """The bytes of a file or report."""
        with self.stream("GET", path, params=params) as response:
            return response.read()

    def health(self) -> Health:
        """The server's `/health` (needs no key): service, status, version, timestamp."""
        return cast(Health, self.request("GET", f"{self.base_url}/health"))

    def openapi(self) -> dict[str, Any]:
        """The server's OpenAPI document."""
        return self.request("GET", "/openapi.json") or {}


@contextmanager
def _answered() -> Iterator[None]:
    """Turn httpx's errors of a call that got no (whole) answer into ApiError."""
    try:
        yield
    except httpx.RequestError as exc:
        raise ApiError.from_transport(exc) from exc


def _check(response: httpx.Response) -> None:
    if not response.is_success:
        raise ApiError.from_response(response)


def _document(response: httpx.Response) -> dict[str, Any] | None:
    if response.status_code == 204 or not response.content:
        return None
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ApiError(response.status_code, "invalid_document", "The answer is not a JSON object.",
                       response=response)
    return document


def _query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in params.items() if v is not None} if params else None
