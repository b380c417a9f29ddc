"""What the media endpoints take."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import ApiModel
from university_local.core.pagination import PageQuery


class MediaForm(ApiModel):
    """The multipart/form-data body of an upload, as the OpenAPI document describes it (the form is
    streamed and checked by the service, never parsed with this model)."""

    file: bytes = Field(description="The file, as a part with a filename: video (.mp4 .m4v .webm .ogv), audio "
                                    "(.mp3 .m4a .ogg .oga .opus .wav .flac), documents (.pdf .txt .epub .docx .pptx "
                                    ".xlsx .odt .odp .ods) or images (.png .jpg .jpeg .gif .webp); at most 2 GiB.")


class MediaListQuery(PageQuery):
    kind: Literal["video", "audio", "image", "application", "text"] | None = Field(
        None, description="Only files whose content type starts with this (application: PDFs and office files).")
