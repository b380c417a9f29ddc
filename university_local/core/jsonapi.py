"""The JSON:API envelope: the one place response documents are shaped."""

from __future__ import annotations

from typing import Any

from university_local.core.errors import ApiError


def resource(
    type_: str,
    id_: str,
    attributes: dict[str, Any],
    relationships: dict[str, Any] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": id_, "type": type_, "attributes": attributes}
    if relationships:
        doc["relationships"] = relationships
    return doc


def to_one(type_: str, id_: str | None) -> dict[str, Any]:
    """A to-one relationship; `data` is null when there is no related record."""
    return {"data": {"type": type_, "id": id_} if id_ else None}


def to_many(type_: str, ids: list[str]) -> dict[str, Any]:
    return {"data": [{"type": type_, "id": i} for i in ids]}


def document(
    data: Any,
    *,
    included: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"data": data}
    if included is not None:
        doc["included"] = included
    if meta is not None:
        doc["meta"] = meta
    return doc


def check_body_id(body_id: str | None, path_id: str) -> None:
    """A PATCH document that names an id must name the one in the path."""
    if body_id is not None and body_id != path_id:
        raise ApiError(409, "id_mismatch", f"The body names '{body_id}' but the path names '{path_id}'.",
                       pointer="/data/id")
