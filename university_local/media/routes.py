"""Media endpoints (`router`, under the API prefix, secret keys) and the files (`files`, public, at
`/media/<id>/<filename>` outside the prefix, where lessons point)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from university_local.core.files import IMMUTABLE, content_disposition, send_file
from university_local.core.jsonapi import document
from university_local.core.routing import Reply, Request, Router, many, one, raw
from university_local.media import service
from university_local.media.models import MediaForm, MediaListQuery
from university_local.media.resources import MEDIA, media_resource

router = Router("media", rate="catalogue")
files = Router("media files")


@router.post("/media", summary="Add a file to the media library (multipart/form-data: file); lessons then "
                                "point at its url", raw_body="multipart/form-data", raw_schema=MediaForm,
             returns=one(MEDIA), status=201)
def add_media(req: Request) -> dict[str, Any]:
    row = service.upload(req.db, req.environ, data_dir=req.config.data_dir, drain_limit=req.config.max_body_bytes)
    return document(media_resource(row))


@router.get("/media", summary="List the media library, newest first", query=MediaListQuery, returns=many(MEDIA),
            access="secret")
def list_media(req: Request) -> dict[str, Any]:
    q: MediaListQuery = req.query
    rows, total = service.list_media(req.db, q.window, content_type=q.kind)
    return document([media_resource(r) for r in rows], meta=q.window.meta(total))


@router.get("/media/<media_id>", summary="Get a media file's record", returns=one(MEDIA), access="secret")
def get_media(req: Request, media_id: str) -> dict[str, Any]:
    return document(media_resource(service.get_media(req.db, media_id)))


@router.delete("/media/<media_id>", summary="Remove a file from the media library (its URL stops answering)")
def delete_media(req: Request, media_id: str) -> None:
    service.delete_media(req.db, media_id)


@files.get("/media/<media_id>/<filename>",
           summary="A media file (public; Range and conditional requests; cached as immutable; ?download=1 to "
                   "download)", access="public", returns=raw("*/*"))
def media_file(req: Request, media_id: str, filename: str) -> Reply:
    row, path, inline = service.served_file(req.site, req.config.data_dir, media_id, filename)
    reply = send_file(req, path, row["content_type"], media_id, IMMUTABLE)
    download = bool(req.query_values("download"))
    disposition = content_disposition(row["filename"], inline=inline and not download)
    return replace(reply, headers={**reply.headers, "Content-Disposition": disposition})
