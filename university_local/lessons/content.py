"""One schema per content type, how each is cleaned, and the minutes each takes.

`content` is checked against the schema of the lesson's `content_type`; text and assignment HTML
is sanitised on the way in; an embed must come from a host on the app's allow-list.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError

from university_local.core.errors import ApiError
from university_local.core.html import sanitize_html
from university_local.core.models import ApiModel, ContentUrl, WebUrl

ContentType = Literal["video", "text", "document", "embed", "quiz", "assignment", "scorm"]
Minutes = Field(None, ge=0, le=100_000, description="Estimated minutes, for course durations.")
Seconds = Field(None, ge=0, le=6_000_000)
HTML_LIMIT = 500_000


class VideoContent(ApiModel):
    video_url: ContentUrl
    duration_seconds: int | None = Seconds
    transcript_url: ContentUrl | None = None
    thumbnail_url: ContentUrl | None = None
    allow_download: bool = False


class TextContent(ApiModel):
    html: str = Field(max_length=HTML_LIMIT)
    estimated_reading_minutes: int | None = Minutes


class DocumentContent(ApiModel):
    document_url: ContentUrl
    file_name: str | None = Field(None, max_length=255)
    mime_type: str | None = Field(None, max_length=127)
    page_count: int | None = Field(None, ge=0)
    allow_download: bool = True
    estimated_minutes: int | None = Minutes


class EmbedContent(ApiModel):
    embed_url: WebUrl
    provider: str | None = Field(None, max_length=64)
    height: int | None = Field(None, ge=50, le=4000)
    duration_seconds: int | None = Seconds


class QuizContent(ApiModel):
    quiz_id: str | None = Field(None, max_length=128)
    estimated_minutes: int | None = Minutes


class AssignmentContent(ApiModel):
    assignment_id: str | None = Field(None, max_length=128)
    instructions_html: str | None = Field(None, max_length=HTML_LIMIT)
    estimated_minutes: int | None = Minutes


class ScormContent(ApiModel):
    """Set by `POST /scorm/upload`; the other fields describe the package the lesson launches."""

    package_id: str | None = Field(None, max_length=128)
    estimated_minutes: int | None = Minutes
    scorm_version: Literal["1.2", "2004"] | None = None
    package_version: int | None = Field(None, ge=1, description="Which upload of the lesson's package this is.")
    sco_count: int | None = Field(None, ge=0)
    self_contained: bool | None = Field(None, description="False when the package loads resources from the "
                                                          "internet (see the package's report).")


CONTENT_MODELS: dict[str, type[ApiModel]] = {
    "video": VideoContent,
    "text": TextContent,
    "document": DocumentContent,
    "embed": EmbedContent,
    "quiz": QuizContent,
    "assignment": AssignmentContent,
    "scorm": ScormContent,
}

CONTENT_POINTER = "/data/attributes/content"


def clean_content(content_type: str, raw: dict[str, Any], embed_hosts: tuple[str, ...]) -> dict[str, Any]:
    """Validate `raw` against its type's schema and return the stored form (sanitised)."""
    model = CONTENT_MODELS[content_type]
    try:
        # Through JSON, so content keeps the strict JSON typing of request bodies.
        content = model.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        raise ApiError.from_validation(exc, prefix=CONTENT_POINTER) from None
    data = content.model_dump()
    if isinstance(content, TextContent):
        data["html"] = sanitize_html(content.html)
    elif isinstance(content, AssignmentContent) and content.instructions_html is not None:
        data["instructions_html"] = sanitize_html(content.instructions_html)
    elif isinstance(content, EmbedContent):
        _check_embed_host(content.embed_url, embed_hosts)
    return data


def duration_minutes(content_type: str, content: dict[str, Any]) -> int:
    """Minutes a lesson takes, from what its content says (0 when it says nothing)."""
    if content_type in {"video", "embed"}:
        return math.ceil((content.get("duration_seconds") or 0) / 60)
    if content_type == "text":
        return content.get("estimated_reading_minutes") or 0
    return content.get("estimated_minutes") or 0


def _check_embed_host(url: str, allowed: tuple[str, ...]) -> None:
    host = (urlsplit(url).hostname or "").lower()
    if not any(host == a or host.endswith("." + a) for a in allowed):
        raise ApiError(
            422, "embed_host_not_allowed",
            f"Embeds from '{host}' are not allowed here; allowed hosts: {', '.join(allowed)}.",
            pointer=f"{CONTENT_POINTER}/embed_url",
        )

