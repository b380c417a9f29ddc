"""Media files as University API resources."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.media.service import media_url


class MediaAttributes(Attributes):
    filename: str = Field(description="The uploader's file name, sanitised.")
    content_type: str
    size_bytes: int
    sha256: str
    url: str = Field(description="Where the file is served, on this server: put it in a lesson's video_url or "
                                 "document_url. Public, with Range requests; add ?download=1 to download.")
    created_at: Timestamp


MEDIA = ResourceType("media", MediaAttributes)


def media_resource(row: Row) -> dict[str, Any]:
    return resource("media", row["id"], {
        "filename": row["filename"],
        "content_type": row["content_type"],
        "size_bytes": row["size_bytes"],
        "sha256": row["sha256"],
        "url": media_url(row),
        "created_at": row["created_at"],
    })
