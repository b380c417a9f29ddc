"""SCORM import end to end: the six real packages, hostile zips refused with nothing written, the
upload API and the CLI, serving package files, versions kept on re-upload, and tenant isolation.

The manifest facts below were checked by hand against each fixture's imsmanifest.xml and
tests/fixtures/scorm/SOURCES.md (file counts and unpacked bytes are the table's).
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from scorm_player import offline, zipcheck
from scorm_player.manifest import join_parameters, parse_manifest
from scorm_player.packages import PackageError, prepare_package
from scorm_player.zipcheck import Limits
from tests import scorm_zips
from tests.conftest import FIXTURES as SHARED_FIXTURES
from tests.conftest import Api, ServerProcess, Tenant, error_of, make_tenant, run_cli, start_server
from university_local.core.db import loads
from university_local.core.errors import ApiError
from university_local.core.files import parse_range
from university_local.core.scope import Scope
from university_local.core.scope import Tenant as TenantKey
from university_local.scorm import service

FIXTURES = SHARED_FIXTURES / "scorm"
JQUERY = "https://ajax.googleapis.com/ajax/libs/jquery/1.4.3/jquery.min.js"
JQUERY_UI = "https://ajax.googleapis.com/ajax/libs/jqueryui/1.8.5/jquery-ui.min.js"


# -- helpers --------------------------------------------------------------------------------------


def upload(api: Api, data: bytes, filename: str = "package.zip", **fields: str) -> httpx.Response:
    return api.http.post("/scorm/upload", data=fields, files={"file": (filename, data, "application/zip")})


def module_of(api: Api, **course: Any) -> dict[str, Any]:
    created = api.course(**course)
    return api.module(created["id"])


def target(api: Api, **course: Any) -> dict[str, str]:
    module = module_of(api, **course)
    return {"course_id": module["attributes"]["course_id"], "module_id": module["id"]}


def imported(api: Api, data: bytes, **fields: str) -> dict[str, Any]:
    response = upload(api, data, **fields)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def item(attrs: dict[str, Any], identifier: str) -> dict[str, Any]:
    return next(i for i in attrs["manifest"]["items"] if i["identifier"] == identifier)


def on_disk(server: ServerProcess) -> set[str]:
    """Everything under the SCORM folder and the upload temp folder (to check nothing was left)."""
    found = set()
    for folder in (server.data_dir / "scorm", server.data_dir / "uploads" / "tmp"):
        if folder.exists():
            found |= {str(p.relative_to(server.data_dir)) for p in folder.rglob("*")}
    return found


def content(server: ServerProcess, package_id: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(f"{server.base}/scorm/content/{package_id}/{path}", **kw)


def raw_get(server: ServerProcess, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as given (no client normalises `..` or escapes)."""
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    return status, reply.partition(b"\r\n\r\n")[2]


# -- the six real packages ------------------------------------------------------------------------


def test_runtime_basic_calls_12(api: Api, server: ServerProcess) -> None:
    data = fixture("RuntimeBasicCalls_SCORM12.zip")
    pkg = imported(api, data, **target(api))
    attrs = pkg["attributes"]
    assert pkg["type"] == "scorm_package" and pkg["id"].startswith("scorm-")
    assert (attrs["scorm_version"], attrs["edition"], attrs["package_version"], attrs["current"]) == ("1.2", None, 1, True)
    assert attrs["sha256"] == "fa924c429c915b87513756a5a01af0ee804a1be8ceb329a332a4ed98e6ef4bd9"
    assert attrs["sha256"] == hashlib.sha256(data).hexdigest()
    assert (attrs["file_count"], attrs["total_bytes"]) == (44, 469300)
    manifest = attrs["manifest"]
    assert manifest["schemaversion"] == "1.2" and manifest["title"] == "Golf Explained - Run-time Basic Calls"
    assert manifest["default_organization"] == "golf_sample_default_org"
    assert manifest["items"] == [{
        "identifier": "item_1", "title": "Golf Explained", "parent": None, "depth": 0, "is_leaf": True,
        "resource_identifier": "resource_1", "scorm_type": "sco", "launch": "shared/launchpage.html",
        "mastery_score": None, "data_from_lms": None, "max_time_allowed": None, "time_limit_action": None,
        "completion_threshold": None, "scaled_passing_score": None, "objectives": [], "hidden_from_choice": False,
        "prerequisites": None, "choice": True, "flow": True,
    }]
    assert attrs["report"]["self_contained"] is True and attrs["report"]["external_resources"] == []
    # The lesson it made, titled by the manifest.
    lesson = api.get(f"/lessons/{attrs['lesson_id']}").json()["data"]["attributes"]
    assert lesson["content_type"] == "scorm" and lesson["title"] == "Golf Explained - Run-time Basic Calls"
    assert lesson["content"] == {"package_id": pkg["id"], "estimated_minutes": None, "scorm_version": "1.2",
                                 "package_version": 1, "sco_count": 1, "self_contained": True}
    assert pkg["relationships"]["lesson"]["data"] == {"type": "lesson", "id": attrs["lesson_id"]}
    # The files are there, byte for byte.
    launch = content(server, pkg["id"], "shared/launchpage.html")
    assert launch.status_code == 200 and launch.headers["content-type"] == "text/html"
    assert attrs["content_base_url"] == f"/scorm/content/{pkg['id']}/"


def test_runtime_minimum_calls_12_multi_sco(api: Api) -> None:
    attrs = imported(api, fixture("RuntimeMinimumCalls_SCORM12.zip"), **target(api))["attributes"]
    items = attrs["manifest"]["items"]
    assert len(items) == 22 and (attrs["file_count"], attrs["total_bytes"]) == (44, 463224)
    assert [i["identifier"] for i in items if not i["is_leaf"]] == [
        "playing_item", "etiquette_item", "handicapping_item", "havingfun_item"]
    assert sum(i["scorm_type"] == "sco" for i in items) == 18
    folder = item(attrs, "playing_item")
    assert (folder["depth"], folder["parent"], folder["launch"], folder["scorm_type"]) == (0, None, None, None)
    rules = item(attrs, "playing_rules_item")
    assert (rules["depth"], rules["parent"], rules["launch"]) == (1, "playing_item", "Playing/RulesOfGolf.html")
    # Items carry parameters: the launch URL is the href plus them.
    assert item(attrs, "playing_quiz_item")["launch"] == "shared/assessmenttemplate.html?questions=Playing"
    assert item(attrs, "etiquette_quiz_item")["launch"] == "shared/assessmenttemplate.html?questions=Etiquette"
    assert item(attrs, "handicapping_quiz_item")["launch"] == "shared/assessmenttemplate.html?questions=Handicapping"
    assert item(attrs, "havingfun_quiz_item")["launch"] == "shared/assessmenttemplate.html?questions=HavingFun"
    # Document order: each folder, then its children.
    assert [i["identifier"] for i in items[:3]] == ["playing_item", "playing_playing_item", "playing_par_item"]
    assert items[-1]["identifier"] == "havingfun_quiz_item" and items[-1]["parent"] == "havingfun_item"


def test_runtime_basic_calls_2004_3rd(api: Api) -> None:
    attrs = imported(api, fixture("RuntimeBasicCalls_SCORM20043rdEdition.zip"), **target(api))["attributes"]
    assert (attrs["scorm_version"], attrs["edition"]) == ("2004", "3rd")
    assert attrs["manifest"]["schemaversion"] == "2004 3rd Edition"
    assert (attrs["file_count"], attrs["total_bytes"]) == (69, 644236)
    only = item(attrs, "item_1")
    assert (only["scorm_type"], only["launch"], only["objectives"], only["scaled_passing_score"]) == (
        "sco", "shared/launchpage.html", [], None)
    assert attrs["report"]["self_contained"] is True


def test_runtime_advanced_calls_2004_objectives(api: Api) -> None:
    attrs = imported(api, fixture("RunTimeAdvancedCalls_SCORM20043rdEdition.zip"), **target(api))["attributes"]
    assert (attrs["scorm_version"], attrs["edition"], attrs["file_count"], attrs["total_bytes"]) == (
        "2004", "3rd", 69, 656663)
    only = item(attrs, "item_1")
    # Primary objective satisfiedByMeasure with minNormalizedMeasure 0.8, then four secondary ones.
    assert only["scaled_passing_score"] == 0.8
    assert only["objectives"] == ["PRIMARYOBJ", "obj_etiquette", "obj_handicapping", "obj_havingfun", "obj_playing"]
    assert only["completion_threshold"] is None and only["hidden_from_choice"] is False


def test_sequencing_post_test_rollup_4th(api: Api, server: ServerProcess) -> None:
    pkg = imported(api, fixture("SequencingPostTestRollup4thEd_SCORM20044thEdition.zip"), **target(api))
    attrs = pkg["attributes"]
    assert (attrs["scorm_version"], attrs["edition"], attrs["file_count"], attrs["total_bytes"]) == (
        "2004", "4th", 59, 557830)
    items = attrs["manifest"]["items"]
    assert [i["identifier"] for i in items] == [
        "playing_item", "etuqiette_item", "handicapping_item", "havingfun_item", "assessment_item"]
    # The resource hrefs carry a query string.
    assert [i["launch"] for i in items] == [f"shared/launchpage.html?content={c}" for c in
                                            ("playing", "etiquette", "handicapping", "havingfun", "assessment")]
    assert all(i["scorm_type"] == "sco" and i["is_leaf"] for i in items)
    assert item(attrs, "etuqiette_item")["objectives"] == ["ettiquette_completed", "previous_sco_completed"]
    assert item(attrs, "playing_item")["objectives"] == ["playing_completed"]
    assert item(attrs, "assessment_item")["objectives"] == ["previous_sco_completed"]  # its primary has no id
    # Only a progressWeight: no completion threshold (completedByMeasure is false by default).
    assert all(i["completion_threshold"] is None for i in items)
    assert [i["hidden_from_choice"] for i in items] == [False, False, False, False, True]
    # jQuery from a public CDN: not ready for an offline classroom.
    report = attrs["report"]
    assert report["self_contained"] is False
    assert {"url": JQUERY, "referenced_from": "shared/launchpage.html"} in report["external_resources"]
    assert {"url": JQUERY_UI, "referenced_from": "shared/launchpage.html"} in report["external_resources"]
    assert len(report["external_resources"]) == 2
    lesson = api.get(f"/lessons/{attrs['lesson_id']}").json()["data"]["attributes"]
    assert lesson["content"]["self_contained"] is False and lesson["content"]["sco_count"] == 5
    # Launch paths are served, whatever their query string.
    response = content(server, pkg["id"], "shared/launchpage.html", params={"content": "playing"})
    assert response.status_code == 200 and b"ajax.googleapis.com" in response.content


def test_content_packaging_single_sco_2004_2nd(api: Api) -> None:
    attrs = imported(api, fixture("ContentPackagingSingleSCO_SCORM20042ndEdition.zip"), **target(api))["attributes"]
    assert (attrs["scorm_version"], attrs["edition"], attrs["manifest"]["schemaversion"]) == ("2004", "2nd", "CAM 1.3")
    assert (attrs["file_count"], attrs["total_bytes"]) == (79, 656227)
    assert item(attrs, "item_1")["launch"] == "shared/launchpage.html"
    assert item(attrs, "item_1")["scorm_type"] == "sco"
    assert attrs["report"]["self_contained"] is True
    # Hyperlinks to outside pages are not resources, but the report mentions them.
    assert any("links to web pages outside the package" in w for w in attrs["report"]["warnings"])


# -- hostile zips ---------------------------------------------------------------------------------

HOSTILE = {
    "traversal": (scorm_zips.traversal, "points outside the package"),
    "absolute_path": (scorm_zips.absolute_path, "absolute path"),
    "drive_letter": (scorm_zips.drive_letter, "drive letter"),
    "backslashes": (scorm_zips.backslashes, "backslashes"),
    "symlink": (scorm_zips.symlink, "symbolic link"),
    "fifo": (scorm_zips.fifo, "special file"),
    "duplicate_names": (scorm_zips.duplicate_names, "more than once"),
    "file_and_folder": (scorm_zips.file_and_folder, "both a file and a folder"),
    "bomb_by_ratio": (scorm_zips.bomb_by_ratio, "zip bomb"),
    "bomb_by_total": (scorm_zips.bomb_by_total, "unpacks to 1153434"),
    "too_many_entries": (scorm_zips.too_many_entries, "at most 10000"),
    "encrypted": (scorm_zips.encrypted, "encrypted"),
    "no_manifest": (scorm_zips.no_manifest, "no imsmanifest.xml"),
    "nested_manifest": (scorm_zips.nested_manifest, "not at the root"),
    "entity_expansion": (scorm_zips.entity_expansion, "DOCTYPE"),
    "external_entity": (scorm_zips.external_entity, "DOCTYPE"),
    "malformed_manifest": (scorm_zips.malformed_manifest, "not well-formed"),
    "not_a_zip": (scorm_zips.not_a_zip, "not a zip"),
    "truncated_zip": (scorm_zips.truncated_zip, "not a zip archive"),
    "lying_size": (scorm_zips.lying_size, "cannot be unpacked"),
    "missing_launch_file": (scorm_zips.missing_launch_file, "missing/start.html"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_zip_is_refused_with_nothing_written(case: str, api: Api, server: ServerProcess) -> None:
    build, words = HOSTILE[case]
    where = target(api)
    before = on_disk(server)
    lessons_before = api.get(f"/modules/{where['module_id']}/lessons").json()["data"]
    response = upload(api, build(), **where)
    assert response.status_code == 422, response.text
    err = error_of(response)
    assert err["code"] == "invalid_scorm_package" and err["source"] == {"pointer": "/file"}
    assert words in err["detail"], err["detail"]
    assert on_disk(server) == before  # no package folder, no staging folder, no temporary upload
    assert api.get(f"/modules/{where['module_id']}/lessons").json()["data"] == lessons_before == []
    assert api.get("/scorm/packages", params={"course_id": where["course_id"]}).json()["meta"]["total"] == 0


def test_small_limits_refuse_what_the_defaults_allow(tmp_path: Path) -> None:
    """The limits are parameters of the importer: checked here directly, with tiny ones."""
    path = tmp_path / "p.zip"
    path.write_bytes(scorm_zips.package({"a.txt": "a" * 3000, "b.txt": "b"}))
    staging = tmp_path / "staging"
    with prepare_package(path, staging) as ok:
        assert ok.file_count == 5
    for limits, words in [(Limits(max_entries=3), "at most 3"), (Limits(max_total_bytes=1000), "the limit is 1000"),
                          (Limits(ratio_floor_bytes=100, max_ratio=5), "zip bomb"),
                          (Limits(max_manifest_bytes=100), "the limit is 100"), (Limits(max_path_chars=4), "longer than 4")]:
        with pytest.raises(PackageError) as caught:
            prepare_package(path, staging, limits=limits)
        assert words in str(caught.value), (limits, caught.value)
    assert list(staging.iterdir()) == []


def test_entry_count_is_read_from_the_central_directory_itself(tmp_path: Path) -> None:
    """The end record's entry count can lie; the entries are counted before zipfile reads them all."""
    data = bytearray(scorm_zips.package({f"f{i}.txt": "" for i in range(10)}))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8:end + 12] = b"\x01\x00\x01\x00"  # "1 entry on this disk, 1 in all"
    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(data))
    assert zipcheck.count_entries(path, 1000) == 13
    with pytest.raises(PackageError, match="more than 5 entries"):
        prepare_package(path, tmp_path / "staging", limits=Limits(max_entries=5))


def test_entry_names() -> None:
    ok = ["a.html", "shared/x y/é.js", "dir/"]
    bad = ["../a", "a/../../b", "/abs", "C:x", "c:/x", "a\\b", "a//b", "./a", "a/./b", "a\x00b", "a\nb"]
    assert [zipcheck.name_problem(n) for n in ok] == [None] * len(ok)
    assert all(zipcheck.name_problem(n) for n in bad)


# -- upload API errors ----------------------------------------------------------------------------


def test_upload_validation_errors(api: Api, tenant: Tenant) -> None:
    where = target(api)
    data = scorm_zips.package()
    missing_course = upload(api, data, module_id=where["module_id"])
    assert missing_course.status_code == 422 and error_of(missing_course)["source"]["pointer"] == "/course_id"
    missing_module = upload(api, data, course_id=where["course_id"])
    assert missing_module.status_code == 422 and error_of(missing_module)["source"]["pointer"] == "/module_id"
    unknown_course = upload(api, data, course_id="course-nope", module_id=where["module_id"])
    assert unknown_course.status_code == 404 and error_of(unknown_course)["code"] == "course_not_found"
    assert error_of(unknown_course)["source"]["pointer"] == "/course_id"
    unknown_module = upload(api, data, course_id=where["course_id"], module_id="module-nope")
    assert unknown_module.status_code == 404 and error_of(unknown_module)["code"] == "module_not_found"
    other = target(api)
    foreign_module = upload(api, data, course_id=where["course_id"], module_id=other["module_id"])
    assert foreign_module.status_code == 422 and error_of(foreign_module)["source"]["pointer"] == "/module_id"
    no_file = api.http.post("/scorm/upload", data=where, files={"title": (None, "x")})
    assert no_file.status_code == 422 and error_of(no_file)["source"]["pointer"] == "/file"
    not_zip_name = upload(api, data, filename="package.txt", **where)
    assert not_zip_name.status_code == 422 and error_of(not_zip_name)["code"] == "invalid_scorm_package"
    unknown_field = upload(api, data, colour="blue", **where)
    assert unknown_field.status_code == 422 and error_of(unknown_field)["source"]["pointer"] == "/colour"
    too_long = upload(api, data, title="t" * 201, **where)
    assert too_long.status_code == 422 and error_of(too_long)["source"]["pointer"] == "/title"
    json_body = api.post("/scorm/upload", {"data": {}})
    assert json_body.status_code == 400 and error_of(json_body)["code"] == "invalid_multipart"
    # Publishable keys cannot upload.
    learner = upload(tenant.publishable, data, **where)
    assert learner.status_code == 403 and error_of(learner)["code"] == "forbidden"
    assert api.get("/scorm/packages", params={"course_id": where["course_id"]}).json()["meta"]["total"] == 0
    # The connection still works after every refusal, and a good upload goes through.
    assert upload(api, data, **where).status_code == 201


def test_upload_over_the_size_limit_is_refused_before_the_body(api: Api, server: ServerProcess) -> None:
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((f"POST /v1/university/scorm/upload HTTP/1.1\r\nHost: {host}\r\nX-App-Id: {api.app_id}\r\n"
                      f"X-Api-Key: {api.key}\r\nContent-Type: multipart/form-data; boundary=xyz\r\n"
                      f"Content-Length: {300 * 1024 * 1024}\r\n\r\n").encode())
        reply = sock.recv(65536)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"payload_too_large" in body and b"200 MiB" in body


# -- serving package files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media(server: ServerProcess) -> dict[str, Any]:
    tenant = make_tenant(server)
    return imported(tenant.secret, scorm_zips.media_package(), **target(tenant.secret))


@pytest.mark.parametrize("path,media_type", [
    ("index.html", "text/html"), ("api.js", "text/javascript"), ("style/site.css", "text/css"),
    ("style/bg.png", "image/png"), ("img/photo.jpg", "image/jpeg"), ("media/clip.mp4", "video/mp4"),
    ("media/sound.mp3", "audio/mpeg"), ("fonts/f.woff2", "font/woff2"), ("lib/module.wasm", "application/wasm"),
    ("data/q.json", "application/json"), ("schema/x.xsd", "application/xml"), ("imsmanifest.xml", "application/xml"),
    ("misc/file.weird", "application/octet-stream"), ("docs/caf%C3%A9%20menu.html", "text/html"),
])
def test_files_are_served_with_their_media_type(media: dict[str, Any], server: ServerProcess, path: str,
                                                media_type: str) -> None:
    response = content(server, media["id"], path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == len(response.content) > 0


def test_caching_headers_and_conditional_requests(media: dict[str, Any], server: ServerProcess) -> None:
    first = content(server, media["id"], "index.html")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    again = content(server, media["id"], "index.html", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert content(server, media["id"], "index.html", headers={"If-None-Match": '"other"'}).status_code == 200
    assert content(server, media["id"], "index.html", headers={"If-Modified-Since": modified}).status_code == 304
    assert content(server, media["id"], "index.html",
                   headers={"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}).status_code == 200
    assert content(server, media["id"], "api.js").headers["etag"] != etag
    head = httpx.head(f"{server.base}/scorm/content/{media['id']}/index.html")
    assert head.status_code == 200 and head.headers["content-length"] == first.headers["content-length"]
    assert head.content == b""


def test_range_requests(media: dict[str, Any], server: ServerProcess) -> None:
    whole = bytes(i % 251 for i in range(1000))

    def get(spec: str, **headers: str) -> httpx.Response:
        return content(server, media["id"], "media/clip.mp4", headers={"Range": spec, **headers})

    part = get("bytes=0-99")
    assert part.status_code == 206 and part.content == whole[:100]
    assert part.headers["content-range"] == "bytes 0-99/1000" and part.headers["content-length"] == "100"
    assert part.headers["content-type"] == "video/mp4"
    assert get("bytes=900-").content == whole[900:] and get("bytes=900-").headers["content-range"] == "bytes 900-999/1000"
    assert get("bytes=-10").content == whole[-10:]
    assert get("bytes=990-5000").content == whole[990:]  # the end is clamped to the file
    assert get("bytes=-5000").content == whole  # a suffix longer than the file is the whole file
    for bad in ("bytes=1000-", "bytes=5-2", "bytes=-0", "bytes=abc", "bytes=-"):
        refused = get(bad)
        assert refused.status_code == 416, bad
        assert refused.headers["content-range"] == "bytes */1000"
        assert error_of(refused)["code"] == "range_not_satisfiable"
    assert get("bytes=0-1,5-6").status_code == 200  # several ranges: the whole file
    assert get("items=0-1").status_code == 200  # another unit: ignored
    etag = get("bytes=0-1").headers["etag"]
    assert get("bytes=0-1", **{"If-Range": etag}).status_code == 206
    assert get("bytes=0-1", **{"If-Range": '"old"'}).content == whole  # changed since: the whole file


def read_slowly(sock: socket.socket, bytes_per_second: int) -> bytes:
    """Everything `sock` receives until the server closes it, read no faster than the rate."""
    received, started = bytearray(), time.monotonic()
    while chunk := sock.recv(1 << 20):
        received += chunk
        time.sleep(max(0.0, len(received) / bytes_per_second - (time.monotonic() - started)))
    return bytes(received)


def test_slow_downloads_never_hold_a_request_thread(tmp_path: Path) -> None:
    """Twice as many learners as the server has threads start a large file, whole or from a byte
    on (a video element's `bytes=N-`), and read nothing yet: everyone else is still answered at
    once. The server is then stopped, and each download still arrives whole, as a request under
    way at a graceful stop finishes. Sent from the request threads, the downloads held them all
    until the server's socket timeout cut them short (4 s without a byte read)."""
    video = random.Random(7).randbytes(16 * 1024 * 1024)  # more than every buffer on the way
    srv = start_server(tmp_path, None, "--threads", "2")
    try:
        api = make_tenant(srv).secret
        package_id = imported(api, scorm_zips.package({"media/video.mp4": video}), **target(api))["id"]
        requests = {"whole": "", "from 1000": "Range: bytes=1000-\r\n"}
        downloads = []
        for name, header in [*requests.items(), *requests.items()]:
            sock = socket.create_connection(("127.0.0.1", int(srv.base.rsplit(":", 1)[1])))
            sock.sendall(f"GET /scorm/content/{package_id}/media/video.mp4 HTTP/1.1\r\nHost: x\r\n{header}"
                         "Connection: close\r\n\r\n".encode())
            downloads.append((name, sock))
        time.sleep(1)  # every download under way, its client reading nothing
        assert httpx.get(f"{srv.base}/health", timeout=20).status_code == 200
        assert api.get("/courses", timeout=20).status_code == 200
        srv.proc.send_signal(signal.SIGTERM)
        for name, sock in downloads:
            with sock:
                received = read_slowly(sock, bytes_per_second=16 * 1024 * 1024)  # past the stop
            head, _, body = received.partition(b"\r\n\r\n")
            if name == "whole":
                assert head.startswith(b"HTTP/1.1 200") and body == video, head
            else:
                assert head.startswith(b"HTTP/1.1 206") and body == video[1000:], head
                assert f"Content-Range: bytes 1000-{len(video) - 1}/{len(video)}".encode() in head
        assert srv.proc.wait(timeout=30) == 0
    finally:
        srv.stop()


def test_files_outside_the_package_are_never_served(media: dict[str, Any], server: ServerProcess) -> None:
    secret = (server.data_dir / "university.sqlite3").read_bytes()[:16]
    prefix = f"/scorm/content/{media['id']}"
    attempts = [
        f"{prefix}/../../university.sqlite3",
        f"{prefix}/..%2f..%2funiversity.sqlite3",
        f"{prefix}/%2e%2e/%2e%2e/university.sqlite3",
        f"{prefix}/shared/..%2F..%2F..%2Funiversity.sqlite3",
        f"{prefix}/..%5c..%5cuniversity.sqlite3",
        f"{prefix}/%5c..%5c..%5cuniversity.sqlite3",
        f"{prefix}/%2fetc%2fpasswd",
        f"{prefix}//etc/passwd",
        f"{prefix}/index.html%00.png",
        "/scorm/content/..%2f..%2funiversity.sqlite3/x",
        "/scorm/content/scorm-00000000000000000000000000/index.html",
    ]
    for path in attempts:
        status, body = raw_get(server, path)
        assert status in (400, 404), (path, status)
        assert secret not in body and b"root:" not in body, path
    assert content(server, media["id"], "media").status_code == 404  # a folder
    missing = content(server, media["id"], "nope.html")
    assert missing.status_code == 404 and error_of(missing)["code"] == "file_not_found"
    unknown = content(server, "scorm-00000000000000000000000000", "index.html")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "scorm_package_not_found"


# -- versions, listing and the CLI ----------------------------------------------------------------


def test_reupload_makes_a_new_version_and_keeps_the_old(api: Api, server: ServerProcess) -> None:
    where = target(api)
    first = imported(api, scorm_zips.package(manifest=scorm_zips.manifest_12(title="First")), **where)
    lesson_id = first["attributes"]["lesson_id"]
    second_zip = scorm_zips.package({"extra.html": "<p>new page</p>"}, manifest=scorm_zips.manifest_12(title="Second"))
    second = imported(api, second_zip, lesson_id=lesson_id)
    assert second["id"] != first["id"]
    assert (second["attributes"]["package_version"], second["attributes"]["lesson_id"]) == (2, lesson_id)
    lesson = api.get(f"/lessons/{lesson_id}").json()["data"]["attributes"]
    assert lesson["content"]["package_id"] == second["id"] and lesson["content"]["package_version"] == 2
    assert lesson["title"] == "First"  # kept: no title was given with the new version
    versions = api.get("/scorm/packages", params={"lesson_id": lesson_id}).json()
    assert versions["meta"]["total"] == 2
    assert [(v["id"], v["attributes"]["package_version"], v["attributes"]["current"]) for v in versions["data"]] == [
        (second["id"], 2, True), (first["id"], 1, False)]
    # Both versions' files are still served; only the new one has the new page.
    assert content(server, first["id"], "index.html").status_code == 200
    assert content(server, first["id"], "extra.html").status_code == 404
    assert content(server, second["id"], "extra.html").status_code == 200
    # A third upload with a title renames the lesson; the same zip again is flagged as identical.
    third = imported(api, second_zip, lesson_id=lesson_id, course_id=where["course_id"], title="Renamed")
    assert third["attributes"]["package_version"] == 3 and third["attributes"]["title"] == "Renamed"
    assert api.get(f"/lessons/{lesson_id}").json()["data"]["attributes"]["title"] == "Renamed"
    assert "identical to version 2" in third["attributes"]["report"]["warnings"][-1]
    assert len(api.get(f"/modules/{where['module_id']}/lessons").json()["data"]) == 1


def test_python_interface_for_the_runtime(api: Api, tenant: Tenant, server: ServerProcess) -> None:
    """What the runtime (the other half of SCORM) calls: get_package, package_for_lesson, package_dir,
    content_url."""
    where = target(api)
    first = imported(api, scorm_zips.package(), **where)
    lesson_id = first["attributes"]["lesson_id"]
    second = imported(api, scorm_zips.package({"v2.html": "2"}), lesson_id=lesson_id)
    store = server.store
    me = store.scoped(Scope.staff(TenantKey(tenant.app_id, "test")))
    try:
        row = service.get_package(me, first["id"])
        assert (row["id"], row["lesson_id"], row["package_version"]) == (first["id"], lesson_id, 1)
        assert loads(row["manifest"]) == first["attributes"]["manifest"]
        with pytest.raises(ApiError) as caught:
            service.get_package(store.scoped(Scope.staff(TenantKey("someone-else", "test"))), first["id"])
        assert caught.value.errors[0]["code"] == "scorm_package_not_found"
        current = service.package_for_lesson(me, lesson_id)
        assert current is not None and current["id"] == second["id"]
        assert service.package_for_lesson(me, "lesson-none") is None
        assert service.package_dir(store, first["id"]) == server.data_dir / "scorm" / first["id"]
        assert (service.package_dir(store, first["id"]) / "index.html").is_file()
        assert service.content_url(first["id"], "a/b.html?x=1") == f"/scorm/content/{first['id']}/a/b.html?x=1"
        # An instructor points the lesson back at version 1 (a rollback): that is what it launches now.
        old_content = {**api.get(f"/lessons/{lesson_id}").json()["data"]["attributes"]["content"],
                       "package_id": first["id"], "package_version": 1}
        assert api.patch_resource(f"/lessons/{lesson_id}", "lesson", content=old_content).status_code == 200
        current = service.package_for_lesson(me, lesson_id)
        assert current is not None and current["id"] == first["id"]
        listed = api.get("/scorm/packages", params={"lesson_id": lesson_id}).json()["data"]
        assert [(p["attributes"]["package_version"], p["attributes"]["current"]) for p in listed] == [(2, False), (1, True)]
    finally:
        store.close()


def test_reupload_errors(api: Api) -> None:
    where = target(api)
    pkg = imported(api, scorm_zips.package(), **where)
    lesson_id = pkg["attributes"]["lesson_id"]
    text_lesson = api.lesson(where["module_id"])
    wrong_type = upload(api, scorm_zips.package(), lesson_id=text_lesson["id"])
    assert wrong_type.status_code == 422 and error_of(wrong_type)["source"]["pointer"] == "/lesson_id"
    unknown = upload(api, scorm_zips.package(), lesson_id="lesson-nope")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "lesson_not_found"
    other = target(api)
    mismatch = upload(api, scorm_zips.package(), lesson_id=lesson_id, course_id=other["course_id"])
    assert mismatch.status_code == 422 and error_of(mismatch)["source"]["pointer"] == "/course_id"
    bad_zip = upload(api, scorm_zips.traversal(), lesson_id=lesson_id)
    assert bad_zip.status_code == 422
    assert api.get("/scorm/packages", params={"lesson_id": lesson_id}).json()["meta"]["total"] == 1
    lesson = api.get(f"/lessons/{lesson_id}").json()["data"]["attributes"]
    assert lesson["content"]["package_id"] == pkg["id"]


def test_get_list_and_publishable_keys(api: Api, tenant: Tenant) -> None:
    draft = imported(api, scorm_zips.package(), **target(api))
    published_where = target(api, status="published")
    published = imported(api, scorm_zips.package(), title="Shown", **published_where)
    assert published["attributes"]["title"] == "Shown"
    got = api.get(f"/scorm/packages/{draft['id']}")
    assert got.status_code == 200 and got.json()["data"] == draft
    listed = api.get("/scorm/packages").json()
    assert [p["id"] for p in listed["data"]][:2] == [published["id"], draft["id"]]  # newest first
    assert api.get("/scorm/packages", params={"course_id": published_where["course_id"]}).json()["meta"]["total"] == 1
    learner = tenant.publishable
    assert learner.get(f"/scorm/packages/{published['id']}").status_code == 200
    hidden = learner.get(f"/scorm/packages/{draft['id']}")
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "scorm_package_not_found"
    assert [p["id"] for p in learner.get("/scorm/packages").json()["data"]] == [published["id"]]
    missing = api.get("/scorm/packages/scorm-nope")
    assert missing.status_code == 404 and error_of(missing)["code"] == "scorm_package_not_found"
    bad_page = api.get("/scorm/packages", params={"per_page": 0})
    assert bad_page.status_code == 400


def test_deleting_the_lesson_hides_its_packages(api: Api, tenant: Tenant, server: ServerProcess) -> None:
    pkg = imported(api, scorm_zips.package(), **target(api))
    assert api.delete(f"/lessons/{pkg['attributes']['lesson_id']}").status_code == 204
    # A new connection: the server closes the one a 204 went out on, and reusing it can race that.
    assert tenant.with_key(api.key).get(f"/scorm/packages/{pkg['id']}").status_code == 404
    assert content(server, pkg["id"], "index.html").status_code == 404


def test_tenant_isolation(api: Api, server: ServerProcess) -> None:
    where = target(api)
    mine = imported(api, scorm_zips.package(), **where)
    other = make_tenant(server).secret
    assert other.get(f"/scorm/packages/{mine['id']}").status_code == 404
    assert mine["id"] not in [p["id"] for p in other.get("/scorm/packages").json()["data"]]
    assert other.get("/scorm/packages", params={"lesson_id": mine["attributes"]["lesson_id"]}).json()["meta"]["total"] == 0
    into_mine = upload(other, scorm_zips.package(), **where)
    assert into_mine.status_code == 404 and error_of(into_mine)["code"] == "course_not_found"
    new_version = upload(other, scorm_zips.package(), lesson_id=mine["attributes"]["lesson_id"])
    assert new_version.status_code == 404 and error_of(new_version)["code"] == "lesson_not_found"
    assert api.get("/scorm/packages", params={"lesson_id": mine["attributes"]["lesson_id"]}).json()["meta"]["total"] == 1
    # The same app in the live environment is another tenant too.
    live = make_tenant(server, env="live", app_id=api.app_id).secret
    assert live.get(f"/scorm/packages/{mine['id']}").status_code == 404


def test_cli_import(api: Api, tenant: Tenant, server: ServerProcess, tmp_path: Path) -> None:
    where = target(api)
    path = tmp_path / "golf.zip"
    path.write_bytes(fixture("RuntimeMinimumCalls_SCORM12.zip"))
    done = run_cli(server.data_dir, "scorm", "import", str(path), "--app", tenant.app_id, "--env", "test",
                   "--course", where["course_id"], "--module", where["module_id"], "--title", "Golf by CLI")
    printed = json.loads(done.stdout)["data"]
    assert printed["attributes"]["title"] == "Golf by CLI" and len(printed["attributes"]["manifest"]["items"]) == 22
    assert api.get(f"/scorm/packages/{printed['id']}").json()["data"]["id"] == printed["id"]
    assert content(server, printed["id"], "shared/launchpage.html").status_code == 200
    again = run_cli(server.data_dir, "scorm", "import", str(path), "--app", tenant.app_id, "--env", "test",
                    "--lesson", printed["attributes"]["lesson_id"])
    assert json.loads(again.stdout)["data"]["attributes"]["package_version"] == 2
    bad = tmp_path / "bad.zip"
    bad.write_bytes(scorm_zips.symlink())
    refused = run_cli(server.data_dir, "scorm", "import", str(bad), "--app", tenant.app_id, "--env", "test",
                      "--course", where["course_id"], "--module", where["module_id"], check=False)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "invalid_scorm_package" in refused.stderr and "symbolic link" in refused.stderr
    missing = run_cli(server.data_dir, "scorm", "import", str(tmp_path / "none.zip"), "--app", tenant.app_id,
                      "--env", "test", "--course", where["course_id"], "--module", where["module_id"], check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr


# -- the parts, directly --------------------------------------------------------------------------


def test_join_parameters() -> None:
    assert join_parameters("a.html", "?x=1") == "a.html?x=1"
    assert join_parameters("a.html", "x=1") == "a.html?x=1"
    assert join_parameters("a.html?c=p", "?x=1") == "a.html?c=p&x=1"
    assert join_parameters("a.html?c=p", "&x=1") == "a.html?c=p&x=1"
    assert join_parameters("a.html", "#frag") == "a.html#frag"
    assert join_parameters("a.html#top", "#frag") == "a.html#top"
    assert join_parameters("a.html#top", "x=1") == "a.html?x=1#top"
    assert join_parameters("a.html", "") == "a.html" and join_parameters("a.html", None) == "a.html"


def test_manifest_12_item_extensions_and_xml_base() -> None:
    parsed = parse_manifest(scorm_zips.manifest_12("index.html", parameters="?lang=en").encode())
    only = parsed.data["items"][0]
    assert (only["mastery_score"], only["data_from_lms"], only["max_time_allowed"], only["time_limit_action"]) == (
        80, "level=2", "00:30:00", "exit,message")
    assert only["launch"] == "index.html?lang=en"
    resources = """<resource identifier="r1" adlcp:scormType="sco" href="start.html?a=1" xml:base="sco1/"/>
                   <resource identifier="r2" adlcp:scormType="asset" href="https://cdn.example/x.html"/>"""
    items = """<item identifier="i1" identifierref="r1" parameters="b=2"><title>One</title>
                 <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
                 <imsss:sequencing><imsss:limitConditions attemptAbsoluteDurationLimit="PT1H"/>
                   <imsss:objectives><imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true"/>
                   </imsss:objectives></imsss:sequencing></item>
               <item identifier="i2" identifierref="r2" isvisible="false"><title>Two</title>
                 <adlcp:dataFromLMS>hello</adlcp:dataFromLMS><adlcp:timeLimitAction>continue,no message</adlcp:timeLimitAction>
               </item>"""
    parsed = parse_manifest(scorm_zips.manifest_2004(items, resources, resources_base="content/").encode())
    one, two = parsed.data["items"]
    assert one["launch"] == "content/sco1/start.html?a=1&b=2" and parsed.launch_files["i1"] == "content/sco1/start.html"
    assert (one["completion_threshold"], one["max_time_allowed"], one["scaled_passing_score"], one["objectives"]) == (
        0.75, "PT1H", 1, ["p"])
    assert (two["launch"], two["scorm_type"], two["hidden_from_choice"]) == ("https://cdn.example/x.html", "asset", True)
    assert (two["data_from_lms"], two["time_limit_action"]) == ("hello", "continue,no message")
    assert parsed.external_urls == ["https://cdn.example/x.html"]
    third = parse_manifest(scorm_zips.manifest_2004(
        '<item identifier="i" identifierref="r"><adlcp:completionThreshold>0.6</adlcp:completionThreshold></item>',
        '<resource identifier="r" adlcp:scormType="sco" href="a.html"/>', schemaversion="2004 3rd Edition").encode())
    assert third.data["items"][0]["completion_threshold"] == 0.6 and third.data["edition"] == "3rd"


def test_manifest_errors_and_fallbacks() -> None:
    def items_of(body: str, resources: str, **kw: str) -> Any:
        return parse_manifest(scorm_zips.manifest_2004(body, resources, **kw).encode())

    with pytest.raises(PackageError, match="does not define"):
        items_of('<item identifier="i" identifierref="ghost"/>', '<resource identifier="r" href="a.html"/>')
    with pytest.raises(PackageError, match="outside the package"):
        items_of('<item identifier="i" identifierref="r"/>',
                 '<resource identifier="r" adlcp:scormType="sco" href="https://evil.example/sco.html"/>')
    with pytest.raises(PackageError, match="not a path inside"):
        items_of('<item identifier="i" identifierref="r"/>', '<resource identifier="r" href="../../a.html"/>')
    with pytest.raises(PackageError, match="root element"):
        parse_manifest(b"<html/>")
    unknown = items_of('<item identifier="i" identifierref="r"/>', '<resource identifier="r" href="a.html"/>',
                       schemaversion="")
    assert (unknown.data["scorm_version"], unknown.data["edition"]) == ("2004", None)
    assert "namespaces" in unknown.warnings[0]
    assert unknown.data["items"][0]["scorm_type"] == "asset"  # no scormType: an asset
    no_org = parse_manifest(scorm_zips.manifest_12().replace('<organizations default="org">', "<organizations>")
                            .split("<organization ")[0].replace("<organizations>", "<organizations/>")
                            .rstrip() + "<resources><resource identifier='r' adlcp:scormtype='sco' href='x.html'/>"
                            "</resources></manifest>")
    assert [i["identifier"] for i in no_org.data["items"]] == ["r"]


def test_offline_scan_rules() -> None:
    html = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1.dtd">
    <html xmlns="http://www.w3.org/1999/xhtml"><head>
    <!-- <script src="https://commented.example/x.js"></script> -->
    <link rel="stylesheet" href="//fonts.example/css"><link rel="canonical" href="https://site.example/page">
    <style>@import "https://style.example/a.css"; /* url(https://c.example/x.png) */ p { background: url('https://bg.example/b.png') }</style>
    <script>var s = document.createElement('script'); s.src = "https://dyn.example/lib"; // https://x.example/y.js
    </script></head><body style="background:url(https://inline.example/i.png)">
    <img srcset="https://a.example/1x.png 1x, local.png 2x"><a href="https://wikipedia.org/wiki/Golf">more</a>
    <video poster="https://poster.example/p.jpg"><source src="media/local.mp4"></video>
    <img src="data:image/png;base64,AAAA"><script src="local.js"></script></body></html>"""
    found = offline.scan_html(html)
    assert found.resources == ["//fonts.example/css", "https://style.example/a.css", "https://bg.example/b.png",
                               "https://dyn.example/lib", "https://inline.example/i.png", "https://a.example/1x.png",
                               "https://poster.example/p.jpg"]
    assert found.links == ["https://wikipedia.org/wiki/Golf"]
    js = """/* Licence: http://creativecommons.org/licenses/by/3.0/ */
    import x from "https://esm.example/mod.js"; var re = /"[^"]*"/g; var page = "http://www.scorm.com";
    document.write('<a href="http://www.scorm.com?x">us</a>'); document.write('<script src="https://w.example/s.js"><\\/script>');
    importScripts("https://worker.example/w.js"); var font = 'https://font.example/f.woff2';"""
    assert offline.scan_js(js).resources == ["https://esm.example/mod.js", "https://w.example/s.js",
                                             "https://worker.example/w.js", "https://font.example/f.woff2"]
    assert offline.scan_css("@import url(//cdn.example/x.css); a{b:url(img.png)}").resources == ["//cdn.example/x.css"]


def test_parse_range_directly() -> None:
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=9-", 10) == (9, 9)
    assert parse_range(" bytes = 2 - 3 ", 10) == (2, 3)
    assert parse_range("lines=1-2", 10) is None
