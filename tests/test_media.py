"""The media library: files an organisation hosts for its lessons, uploaded over the API, served
publicly at their URL with Range and caching, checked like every upload, and loaded by the demo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from tests.conftest import ROOT, Api, ServerProcess, Tenant, error_of, make_tenant
from university_local.core.db import Store
from university_local.core.scope import Scope
from university_local.core.scope import Tenant as ScopeTenant
from university_local.demo import load_demo

VIDEO = ROOT / "data" / "demo" / "media" / "welcome.webm"
PDF = ROOT / "data" / "demo" / "media" / "shortcuts.pdf"


def add(api: Api, name: str, content: bytes) -> httpx.Response:
    return api.http.post("/media", files={"file": (name, content, "application/octet-stream")})


def test_a_video_is_uploaded_and_served_for_the_video_element(api: Api, server: ServerProcess) -> None:
    content = VIDEO.read_bytes()
    response = add(api, "Welcome video.webm", content)
    assert response.status_code == 201, response.text
    media = response.json()["data"]
    attrs = media["attributes"]
    assert media["type"] == "media" and media["id"].startswith("media-")
    assert attrs["content_type"] == "video/webm" and attrs["size_bytes"] == len(content)
    assert attrs["sha256"] == hashlib.sha256(content).hexdigest() and attrs["filename"] == "Welcome video.webm"
    assert attrs["url"] == f"/media/{media['id']}/Welcome%20video.webm"
    with httpx.Client(base_url=server.base) as anyone:  # no key: a <video> element cannot send one
        whole = anyone.get(attrs["url"])
        assert whole.status_code == 200 and whole.content == content
        assert whole.headers["content-type"] == "video/webm" and whole.headers["accept-ranges"] == "bytes"
        assert whole.headers["content-disposition"].startswith("inline;")
        assert "immutable" in whole.headers["cache-control"]
        part = anyone.get(attrs["url"], headers={"Range": "bytes=1000-"})
        assert part.status_code == 206 and part.content == content[1000:]
        assert part.headers["content-range"] == f"bytes 1000-{len(content) - 1}/{len(content)}"
        again = anyone.get(attrs["url"], headers={"If-None-Match": whole.headers["etag"]})
        assert again.status_code == 304
        download = anyone.get(attrs["url"], params={"download": "1"})
        assert download.headers["content-disposition"].startswith('attachment; filename="Welcome video.webm"')
        assert anyone.get(f"/media/{media['id']}/other.webm").status_code == 404
        assert anyone.get("/media/media-00000000000000000000000000/x.webm").status_code == 404
    assert api.get(f"/media/{media['id']}").json()["data"] == media
    listed = api.get("/media", params={"kind": "video"}).json()
    assert [m["id"] for m in listed["data"]] == [media["id"]] and listed["meta"]["total"] == 1
    assert api.get("/media", params={"kind": "image"}).json()["meta"]["total"] == 0
    assert api.delete(f"/media/{media['id']}").status_code == 204
    assert httpx.get(server.base + attrs["url"]).status_code == 404
    assert api.get(f"/media/{media['id']}").status_code == 404


def test_only_files_a_lesson_can_show_are_taken(api: Api, tenant: Tenant) -> None:
    for name, content in (("page.html", b"<script>alert(1)</script>"), ("logo.svg", b"<svg onload='x'/>"),
                          ("run.exe", b"MZ\x90\x00"), ("fake.mp4", b"<html>not a video</html>" * 4),
                          ("fake.pdf", b"MZ\x90\x00")):
        refused = add(api, name, content)
        assert refused.status_code == 422 and error_of(refused)["code"] == "file_type_not_allowed", (name, refused.text)
    missing = api.http.post("/media", data={"note": "x"}, files={})
    assert missing.status_code in (400, 422)
    learner = add(tenant.publishable, "notes.pdf", PDF.read_bytes())
    assert learner.status_code in (401, 403)
    assert api.get("/media").json()["meta"]["total"] == 0


def test_another_organisation_does_not_see_the_library(api: Api, server: ServerProcess) -> None:
    media = add(api, "shortcuts.pdf", PDF.read_bytes()).json()["data"]
    other = make_tenant(server).secret
    assert other.get(f"/media/{media['id']}").status_code == 404
    assert other.delete(f"/media/{media['id']}").status_code == 404
    assert other.get("/media").json()["meta"]["total"] == 0
    assert httpx.get(server.base + media["attributes"]["url"]).headers["content-type"] == "application/pdf"


def test_the_demo_course_plays_its_video_from_the_library(tmp_path: Path) -> None:
    store = Store(tmp_path / "university.sqlite3")
    store.migrate()
    demo = load_demo(store, tmp_path)
    db = store.scoped(Scope.staff(ScopeTenant(demo["app_id"], "live")))
    urls = [row["url"] for row in db.all(
        "SELECT json_extract(content, '$.video_url') AS url FROM lessons WHERE app_id = :app AND env = :env "
        "AND content_type = 'video'")]
    assert len(urls) == 1 and urls[0].startswith("/media/media-") and urls[0].endswith("/welcome.webm")
    media = db.one("SELECT * FROM media WHERE app_id = :app AND env = :env AND filename = 'welcome.webm'")
    assert media is not None
    stored = tmp_path / "uploads" / "sha256" / media["sha256"][:2] / media["sha256"][2:]
    assert stored.read_bytes() == VIDEO.read_bytes()
    assert load_demo(store, tmp_path)["app_id"] == demo["app_id"]  # loading again adds nothing
    assert db.scalar("SELECT COUNT(*) FROM media WHERE app_id = :app AND env = :env") == 2
    store.close()
