"""Assignments end to end: CRUD, multipart uploads streamed to disk, deadlines, attempts, learner
isolation, downloads, rubric grading and webhook events, over real HTTP to a real server."""

from __future__ import annotations

import hashlib
import io
import json
import re
import select
import socket
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    API,
    Api,
    ServerProcess,
    Tenant,
    error_of,
    eventually,
    make_tenant,
)
from tests.receiver import Receiver
from university_local.core.files import content_disposition
from university_local.core.uploads import matching_type, safe_filename, sniff

PAST = "2020-01-01T00:00:00Z"
FUTURE = "2999-01-01T00:00:00Z"
MIB = 1024 * 1024
RUBRIC = [
    {"criteria": "Functionality", "max_points": 40, "description": "All features working correctly"},
    {"criteria": "Code Quality", "max_points": 30, "description": "Clean, readable code"},
    {"criteria": "UI/UX", "max_points": 20, "description": "User-friendly interface"},
    {"criteria": "Documentation", "max_points": 10, "description": "README and comments"},
]
FULL_MARKS = [{"criteria": "Functionality", "points": 38}, {"criteria": "Code Quality", "points": 28},
              {"criteria": "UI/UX", "points": 18}, {"criteria": "Documentation", "points": 9}]


# -- helpers -------------------------------------------------------------------------------


def zip_bytes(name: str = "app.js", text: str = "console.log('todo')") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=(2030, 1, 1, 0, 0, 0)), text)  # same bytes every call
    return buffer.getvalue()


def lesson_of(api: Api, **course: Any) -> dict[str, Any]:
    created = api.course(**course)
    return api.lesson(api.module(created["id"])["id"])


def make_assignment(api: Api, lesson_id: str | None = None, **attributes: Any) -> dict[str, Any]:
    if lesson_id is None:
        lesson_id = lesson_of(api, status="published")["id"]
    defaults = {"title": "Build a Todo App", "lesson_id": lesson_id, "rubric": RUBRIC, "max_score": 100,
                "allowed_file_types": [".zip", ".tar.gz"], "max_file_size_mb": 5}
    return api.create("/assignments", "assignment", **{**defaults, **attributes})


def enroll(api: Api, user: str, course_id: str) -> dict[str, Any]:
    response = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user, "course_id": course_id}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def submit(client: Api, assignment_id: str, user_id: str | None, content: bytes, filename: str = "todo.zip",
           notes: str | None = None, **extra: str) -> httpx.Response:
    data = {k: v for k, v in {"user_id": user_id, "notes": notes, **extra}.items() if v is not None}
    return client.http.post(f"/assignments/{assignment_id}/submissions", data=data,
                            files={"file": (filename, content, "application/octet-stream")})


def submitted(client: Api, assignment_id: str, user_id: str, content: bytes | None = None, **kw: Any) -> dict[str, Any]:
    response = submit(client, assignment_id, user_id, content if content is not None else zip_bytes(), **kw)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def grade(api: Api, submission_id: str, **body: Any) -> httpx.Response:
    return api.patch(f"/submissions/{submission_id}/grade", body)


def uploads(server: ServerProcess) -> Path:
    return server.data_dir / "uploads"


def blobs(server: ServerProcess) -> set[Path]:
    return set((uploads(server) / "sha256").glob("*/*"))


def temp_files(server: ServerProcess) -> list[Path]:
    return list((uploads(server) / "tmp").glob("*"))


def files_outside_uploads(server: ServerProcess) -> set[Path]:
    root = server.data_dir
    return {p for p in root.parent.rglob("*") if p.is_file() and uploads(server) not in p.parents}


# Hand-built HTTP, for what a polite client never sends.

BOUNDARY = "----university-local-test"


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """(name, filename or None, content) parts as a multipart/form-data body."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += (f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition.encode("utf-8")
                + b"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
    return out + f"--{BOUNDARY}--\r\n".encode()


def request_head(client: Api, path: str, length: int) -> bytes:
    return (f"POST {API}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-App-Id: {client.app_id}\r\n"
            f"X-Api-Key: {client.key}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n").encode()


def port_of(server: ServerProcess) -> int:
    return int(server.base.rsplit(":", 1)[1])


def read_response(sock: Any) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


class _Replay:
    """Bytes already received, read back like a socket."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def recv(self, size: int) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def health_on(sock: socket.socket) -> int:
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    return read_response(sock)[0]


@pytest.fixture
def course_setup(tenant: Tenant) -> tuple[Api, dict[str, Any], dict[str, Any]]:
    """A published course with one lesson, an assignment on it, and learner 'ana' enrolled."""
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    assignment = make_assignment(api, lesson["id"])
    enroll(api, "ana", lesson["attributes"]["course_id"])
    return api, lesson, assignment


# -- assignments ---------------------------------------------------------------------------


def test_assignment_crud_filters_and_pagination(tenant: Tenant) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    course_id = lesson["attributes"]["course_id"]
    created = make_assignment(api, lesson["id"], description="Create a fully functional todo application",
                              due_date="2025-04-01T23:59:59Z", allow_late_submission=True, late_penalty_percent=10,
                              max_file_size_mb=50)
    attrs = created["attributes"]
    assert created["id"].startswith("assignment-") and created["type"] == "assignment"
    assert attrs["course_id"] == course_id and attrs["lesson_id"] == lesson["id"]
    assert attrs["due_date"] == "2025-04-01T23:59:59.000Z" and attrs["max_score"] == 100
    assert attrs["rubric"] == RUBRIC and attrs["allowed_file_types"] == [".zip", ".tar.gz"]
    assert attrs["allow_late_submission"] is True and attrs["late_penalty_percent"] == 10
    assert created["relationships"]["course"]["data"] == {"type": "course", "id": course_id}
    assert api.get(f"/assignments/{created['id']}").json()["data"] == created

    # max_score may be left out: it is the rubric's sum; without a rubric it defaults to 100.
    computed = make_assignment(api, lesson["id"], max_score=None, rubric=RUBRIC[:2])
    assert computed["attributes"]["max_score"] == 70
    plain = api.create("/assignments", "assignment", title="Essay", lesson_id=lesson["id"])
    assert plain["attributes"]["max_score"] == 100 and plain["attributes"]["rubric"] == []
    assert plain["attributes"]["allowed_file_types"] == [".pdf", ".zip", ".docx", ".txt"]
    assert plain["attributes"]["max_file_size_mb"] == 10 and plain["attributes"]["due_date"] is None

    other_lesson = lesson_of(api)
    elsewhere = make_assignment(api, other_lesson["id"])

    listed = api.get("/assignments", params={"lesson_id": lesson["id"]}).json()
    assert [a["id"] for a in listed["data"]] == [created["id"], computed["id"], plain["id"]]
    assert listed["meta"] == {"total": 3, "page": 1, "per_page": 20}
    by_course = api.get("/assignments", params={"course_id": other_lesson["attributes"]["course_id"]}).json()
    assert [a["id"] for a in by_course["data"]] == [elsewhere["id"]]
    page = api.get("/assignments", params={"per_page": 2, "page": 2}).json()
    assert page["meta"] == {"total": 4, "page": 2, "per_page": 2} and len(page["data"]) == 2

    # Publishable keys read only the assignments of published courses.
    learner = tenant.publishable
    assert {a["id"] for a in learner.get("/assignments").json()["data"]} == {created["id"], computed["id"], plain["id"]}
    assert learner.get(f"/assignments/{elsewhere['id']}").status_code == 404
    assert learner.post("/assignments", {"data": {"type": "assignment", "attributes": {}}}).status_code == 403

    # PATCH is partial; a new rubric carries max_score along; null clears the deadline.
    patched = api.patch_resource(f"/assignments/{created['id']}", "assignment", title="Todo App v2", due_date=None,
                         rubric=RUBRIC[:3]).json()["data"]["attributes"]
    assert patched["title"] == "Todo App v2" and patched["due_date"] is None and patched["max_score"] == 90
    assert patched["late_penalty_percent"] == 10 and patched["allowed_file_types"] == [".zip", ".tar.gz"]
    mismatch = api.patch_resource(f"/assignments/{created['id']}", "assignment", max_score=100)
    assert mismatch.status_code == 422 and error_of(mismatch)["source"]["pointer"] == "/data/attributes/max_score"
    moved = api.patch_resource(f"/assignments/{created['id']}", "assignment", lesson_id=other_lesson["id"]).json()["data"]
    assert moved["attributes"]["course_id"] == other_lesson["attributes"]["course_id"]
    conflict = api.patch(f"/assignments/{created['id']}",
                         {"data": {"type": "assignment", "id": elsewhere["id"], "attributes": {"title": "x"}}})
    assert conflict.status_code == 409

    assert api.delete(f"/assignments/{created['id']}").status_code == 204
    assert error_of(api.get(f"/assignments/{created['id']}"))["code"] == "assignment_not_found"
    assert api.delete(f"/assignments/{created['id']}").status_code == 404
    # Deleting the lesson takes its assignments with it.
    assert api.delete(f"/lessons/{lesson['id']}").status_code == 204
    assert api.get(f"/assignments/{plain['id']}").status_code == 404


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"rubric": [*RUBRIC, {"criteria": "code quality", "max_points": 5}]}, "/data/attributes/rubric/4/criteria"),
    ({"max_score": 90}, "/data/attributes/max_score"),
    ({"late_penalty_percent": 101}, "/data/attributes/late_penalty_percent"),
    ({"late_penalty_percent": -1}, "/data/attributes/late_penalty_percent"),
    ({"late_penalty_percent": 12.345}, "/data/attributes/late_penalty_percent"),
    ({"allowed_file_types": ["ZIP"]}, "/data/attributes/allowed_file_types/0"),
    ({"allowed_file_types": [".zip", "tar.gz"]}, "/data/attributes/allowed_file_types/1"),
    ({"allowed_file_types": [".Zip"]}, "/data/attributes/allowed_file_types/0"),
    ({"allowed_file_types": [".zip", "../x"]}, "/data/attributes/allowed_file_types/1"),
    ({"allowed_file_types": [".zip", ".zip"]}, "/data/attributes/allowed_file_types/1"),
    ({"allowed_file_types": []}, "/data/attributes/allowed_file_types"),
    ({"max_file_size_mb": 0}, "/data/attributes/max_file_size_mb"),
    ({"max_file_size_mb": 501}, "/data/attributes/max_file_size_mb"),
    ({"rubric": [{"criteria": "A", "max_points": 0}]}, "/data/attributes/rubric/0/max_points"),
    ({"rubric": [{"criteria": " ", "max_points": 5}]}, "/data/attributes/rubric/0/criteria"),
    ({"due_date": "next friday"}, "/data/attributes/due_date"),
    ({"title": ""}, "/data/attributes/title"),
    ({"surprise": 1}, "/data/attributes/surprise"),
])
def test_assignment_validation_points_at_the_field(tenant: Tenant, attributes: dict[str, Any], pointer: str) -> None:
    api = tenant.secret
    lesson = lesson_of(api)
    body = {"title": "T", "lesson_id": lesson["id"], "rubric": RUBRIC, "max_score": 100, **attributes}
    response = api.post("/assignments", {"data": {"type": "assignment", "attributes": body}})
    assert response.status_code == 422, response.text
    assert pointer in [e["source"]["pointer"] for e in response.json()["errors"]]
    assert api.get("/assignments").json()["meta"]["total"] == 0


def test_assignment_needs_a_lesson_of_the_tenant(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    theirs = lesson_of(make_tenant(server).secret)
    for lesson_id in ("lesson-nope", theirs["id"]):
        response = api.post("/assignments", {"data": {"type": "assignment", "attributes": {
            "title": "T", "lesson_id": lesson_id}}})
        error = error_of(response)
        assert response.status_code == 404 and error["code"] == "lesson_not_found"
        assert error["source"]["pointer"] == "/data/attributes/lesson_id"
    mine = make_assignment(api)
    moved = api.patch_resource(f"/assignments/{mine['id']}", "assignment", lesson_id=theirs["id"])
    assert moved.status_code == 404 and error_of(moved)["source"]["pointer"] == "/data/attributes/lesson_id"


# -- submitting ----------------------------------------------------------------------------


def test_submit_download_roundtrip(course_setup, server: ServerProcess) -> None:
    api, lesson, assignment = course_setup
    content = zip_bytes(text="x" * 5000)
    submission = submitted(api, assignment["id"], "ana", content, filename="Ana's todo (final).zip",
                           notes="Implemented all features including bonus dark mode.\r\nThanks!")
    attrs = submission["attributes"]
    digest = hashlib.sha256(content).hexdigest()
    assert submission["id"].startswith("submission-") and submission["type"] == "submission"
    assert attrs["assignment_id"] == assignment["id"] and attrs["lesson_id"] == lesson["id"]
    assert attrs["course_id"] == lesson["attributes"]["course_id"] and attrs["user_id"] == "ana"
    assert attrs["attempt"] == 1 and attrs["current"] is True and attrs["status"] == "submitted"
    assert attrs["late"] is False and attrs["late_penalty_percent"] == 0
    assert attrs["notes"] == "Implemented all features including bonus dark mode.\nThanks!"
    assert attrs["file"] == {"filename": "Ana's todo (final).zip", "content_type": "application/zip",
                             "size_bytes": len(content), "sha256": digest}
    assert attrs["total_score"] is None and attrs["final_score"] is None and attrs["max_score"] == 100
    # Stored under its content's name, and nothing left in the temporary folder.
    stored = uploads(server) / "sha256" / digest[:2] / digest[2:]
    assert stored.read_bytes() == content
    assert temp_files(server) == []

    download = api.get(f"/submissions/{submission['id']}/file")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-length"] == str(len(content))
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Ana's todo (final).zip\"; filename*=UTF-8''Ana%27s%20todo%20%28final%29.zip")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert api.get(f"/submissions/{submission['id']}").json()["data"] == submission


def test_tar_gz_and_unicode_names(course_setup) -> None:
    api, _, assignment = course_setup
    import gzip

    content = gzip.compress(b"a tar would be here")
    submission = submitted(api, assignment["id"], "ana", content, filename="résumé «v2».tar.gz")
    assert submission["attributes"]["file"]["filename"] == "résumé «v2».tar.gz"
    assert submission["attributes"]["file"]["content_type"] == "application/gzip"
    download = api.get(f"/submissions/{submission['id']}/file")
    assert download.content == content
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ _v2_.tar.gz"; ')
    assert disposition.endswith("filename*=UTF-8''r%C3%A9sum%C3%A9%20%C2%ABv2%C2%BB.tar.gz")


def test_identical_files_are_stored_once(course_setup, server: ServerProcess) -> None:
    api, lesson, assignment = course_setup
    enroll(api, "ben", lesson["attributes"]["course_id"])
    content = zip_bytes(text="the same work, twice")
    before = blobs(server)
    first = submitted(api, assignment["id"], "ana", content)
    second = submitted(api, assignment["id"], "ben", content, filename="copy.zip")
    assert first["attributes"]["file"]["sha256"] == second["attributes"]["file"]["sha256"]
    assert len(blobs(server) - before) == 1
    assert api.get(f"/submissions/{second['id']}/file").content == content


def test_wrong_file_types_are_refused(course_setup, server: ServerProcess) -> None:
    api, _, assignment = course_setup
    before = blobs(server)
    cases = [
        ("todo.exe", zip_bytes()),  # extension not allowed
        ("todo", zip_bytes()),  # no extension
        (".zip", zip_bytes()),  # an extension and nothing else
        ("todo.gz", b"\x1f\x8b\x08\x00"),  # .tar.gz is allowed, .gz alone is not
        ("todo.zip", b"<html><script>alert(1)</script></html>"),  # named .zip, is not a zip
        ("todo.tar.gz", zip_bytes()),  # a zip is not a gzip stream
        ("TODO.ZIP.exe", zip_bytes()),
    ]
    for filename, content in cases:
        response = submit(api, assignment["id"], "ana", content, filename=filename)
        error = error_of(response)
        assert (response.status_code, error["code"], error["source"]["pointer"]) == (
            422, "file_type_not_allowed", "/file"), (filename, response.text)
    # Upper-case extensions of an allowed type are fine: the check ignores case.
    assert submit(api, assignment["id"], "ana", zip_bytes(), filename="TODO.ZIP").status_code == 201
    assert len(blobs(server) - before) == 1 and temp_files(server) == []
    assert api.get(f"/assignments/{assignment['id']}/submissions").json()["meta"]["total"] == 1


def test_form_errors(course_setup, server: ServerProcess) -> None:
    api, _, assignment = course_setup
    path = f"/assignments/{assignment['id']}/submissions"
    missing_user = api.http.post(path, files={"file": ("a.zip", zip_bytes())})
    assert error_of(missing_user)["source"]["pointer"] == "/user_id" and missing_user.status_code == 422
    form = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    missing_file = api.http.post(path, content=multipart(("user_id", None, b"ana")), headers=form)
    assert missing_file.status_code == 422 and error_of(missing_file)["source"]["pointer"] == "/file"
    unknown = submit(api, assignment["id"], "ana", zip_bytes(), grade="A+")
    assert unknown.status_code == 422 and error_of(unknown)["source"]["pointer"] == "/grade"
    empty = submit(api, assignment["id"], "ana", b"")
    assert empty.status_code == 422 and error_of(empty)["source"]["pointer"] == "/file"
    long_notes = submit(api, assignment["id"], "ana", zip_bytes(), notes="n" * 10_001)
    assert long_notes.status_code == 422 and error_of(long_notes)["source"]["pointer"] == "/notes"
    as_json = api.post(path, {"user_id": "ana"})
    assert as_json.status_code == 400 and error_of(as_json)["code"] == "invalid_multipart"
    urlencoded = api.http.post(path, data={"user_id": "ana"})
    assert urlencoded.status_code == 400 and error_of(urlencoded)["code"] == "invalid_multipart"
    as_text = api.http.post(path, content=multipart(("notes", "a.zip", b"x"), ("user_id", None, b"ana")), headers=form)
    assert as_text.status_code == 422 and error_of(as_text)["source"]["pointer"] == "/notes"
    twice = api.http.post(path, content=multipart(("user_id", None, b"ana"), ("user_id", None, b"ben")), headers=form)
    assert twice.status_code == 422 and error_of(twice)["source"]["pointer"] == "/user_id"
    bad_user = submit(api, assignment["id"], " ana", zip_bytes())
    assert bad_user.status_code == 422 and error_of(bad_user)["source"]["pointer"] == "/user_id"
    truncated = api.http.post(path, content=multipart(("user_id", None, b"ana"))[:-8], headers=form)
    assert truncated.status_code == 400 and error_of(truncated)["code"] == "invalid_multipart"
    unknown_assignment = submit(api, "assignment-nope", "ana", zip_bytes())
    assert unknown_assignment.status_code == 404 and error_of(unknown_assignment)["code"] == "assignment_not_found"
    # The same client's connection stayed usable throughout, and nothing was stored.
    assert api.get(f"/assignments/{assignment['id']}/submissions").json()["meta"]["total"] == 0
    assert temp_files(server) == []


def test_too_large_uploads_are_refused(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    assignment = make_assignment(api, lesson["id"], max_file_size_mb=1)
    enroll(api, "ana", lesson["attributes"]["course_id"])
    before = blobs(server)
    just_over = b"PK\x03\x04" + b"\0" * (MIB - 3)  # the file alone is one byte over
    response = submit(api, assignment["id"], "ana", just_over)
    error = error_of(response)
    assert (response.status_code, error["code"], error["source"]["pointer"]) == (413, "file_too_large", "/file")
    # (A request whose Content-Length is over the limit is refused unread: see the raw-socket test below.)
    exactly = b"PK\x03\x04" + b"\0" * (MIB - 4)  # the limit itself is fine
    assert submit(api, assignment["id"], "ana", exactly).status_code == 201
    assert len(blobs(server) - before) == 1 and temp_files(server) == []


def test_an_upload_over_the_limit_is_cut_off_while_it_streams(tenant: Tenant, server: ServerProcess) -> None:
    """The client sends more file than allowed, within what Content-Length may carry: the server writes
    what it gets to a temporary file until the limit, then answers 413, deletes the file, reads the
    small rest of the body, and keeps the connection usable."""
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    assignment = make_assignment(api, lesson["id"], max_file_size_mb=1)
    enroll(api, "ana", lesson["attributes"]["course_id"])
    before, outside = blobs(server), files_outside_uploads(server)
    body = multipart(("user_id", None, b"ana"), ("file", "big.zip", b"PK\x03\x04" + b"\0" * (MIB + 20_000)))
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        sock.sendall(request_head(tenant.secret, f"/assignments/{assignment['id']}/submissions", len(body)))
        sock.sendall(body[:600_000])
        # The file is on its way to disk, not into memory.
        assert eventually(lambda: [p for p in temp_files(server) if p.stat().st_size > 0], timeout=10)
        sock.sendall(body[600_000:])
        status, _, payload = read_response(sock)
        assert status == 413, payload
        assert json.loads(payload)["errors"][0]["code"] == "file_too_large"
        assert temp_files(server) == []
        assert health_on(sock) == 200  # the rest of the body was read: the connection goes on
    assert blobs(server) == before and files_outside_uploads(server) == outside


def send_upload(sock: socket.socket, head: bytes, length: int, cap: int) -> int:
    """Send a file upload of `length` declared bytes, as a client that watches for an early answer:
    stop when the server answers (or hangs up), or after `cap` bytes. Returns the body bytes sent."""
    start = multipart(("user_id", None, b"ana"))[: -len(BOUNDARY) - 6] + (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n\r\n'.encode()
        + b"PK\x03\x04")
    sock.sendall(head + start)
    sent, chunk = len(start), b"\0" * 65536
    while sent < min(length, cap) and not select.select([sock], [], [], 0)[0]:
        try:
            sock.sendall(chunk[: min(length, cap) - sent])
        except OSError:  # the server hung up
            break
        sent += min(len(chunk), min(length, cap) - sent)
    return sent


def test_an_upload_declared_over_the_limit_is_refused_and_not_stored(tenant: Tenant, server: ServerProcess) -> None:
    """Content-Length over the limit: nothing is parsed or written; the body is read and dropped so that
    the client, still sending, gets the 413 (a close with unread bytes would reset the connection)."""
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    assignment = make_assignment(api, lesson["id"], max_file_size_mb=1)
    enroll(api, "ana", lesson["attributes"]["course_id"])
    before = blobs(server)
    length = 8 * MIB
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        head = request_head(tenant.secret, f"/assignments/{assignment['id']}/submissions", length)
        assert send_upload(sock, head, length, cap=length) == length
        status, _, payload = read_response(sock)
        assert status == 413 and json.loads(payload)["errors"][0]["code"] == "payload_too_large"
        assert temp_files(server) == []
        assert health_on(sock) == 200  # the same connection goes on
    assert blobs(server) == before
    assert httpx.get(server.base + "/health", timeout=10).status_code == 200


def test_an_abusive_upload_is_cut_off(tenant: Tenant, server: ServerProcess) -> None:
    """A client that declares gigabytes and keeps sending: the server reads a bounded amount, answers 413
    with Connection: close and hangs up. (The client may see the hang-up, a reset or an end of stream,
    before the answer: that is what closing on unread bytes does.) Nothing is stored; new connections work."""
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    assignment = make_assignment(api, lesson["id"], max_file_size_mb=1)
    before = blobs(server)
    length, cap = 4096 * MIB, 400 * MIB
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        head = request_head(tenant.secret, f"/assignments/{assignment['id']}/submissions", length)
        sent = send_upload(sock, head, length, cap=cap)
        assert sent < 200 * MIB  # the server stopped reading long before the client stopped sending
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        if received:  # the answer arrived before the hang-up
            status, headers, payload = read_response(_Replay(received))
            assert status == 413 and json.loads(payload)["errors"][0]["code"] == "payload_too_large"
            assert headers.get("connection", "").lower() == "close"
    assert blobs(server) == before and temp_files(server) == []
    assert httpx.get(server.base + "/health", timeout=10).status_code == 200


def test_path_tricks_in_filenames(course_setup, server: ServerProcess) -> None:
    api, _, assignment = course_setup
    outside = files_outside_uploads(server)
    names = {
        "../../evil.zip": "evil.zip",
        "/etc/cron.d/evil.zip": "evil.zip",
        "C:\\x\\y.zip": "y.zip",
        "..\\..\\.hidden.zip": "hidden.zip",
        "a\x01b\x7f\u202eexe.zip": "abexe.zip",
        "..": None,
        "../../etc/passwd": None,
    }
    for raw, expected in names.items():
        body = multipart(("user_id", None, b"ana"), ("file", raw, zip_bytes()))
        with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
            sock.sendall(request_head(api, f"/assignments/{assignment['id']}/submissions", len(body)) + body)
            status, _, payload = read_response(sock)
        document = json.loads(payload)
        if expected is None:
            assert status == 422 and document["errors"][0]["code"] == "file_type_not_allowed", (raw, payload)
        else:
            assert status == 201, (raw, payload)
            assert document["data"]["attributes"]["file"]["filename"] == expected
            download = api.get(f"/submissions/{document['data']['id']}/file")
            assert f'filename="{expected}"' in download.headers["content-disposition"]
    # Nothing was written anywhere but the store, and the store holds only content-named files.
    assert files_outside_uploads(server) == outside
    for target in ("evil.zip", "../evil.zip", "../../evil.zip", "uploads/evil.zip", "y.zip", "hidden.zip"):
        assert not (server.data_dir / target).exists()
    for path in uploads(server).rglob("*"):
        if path.is_file():
            relative = path.relative_to(uploads(server)).parts
            assert relative[0] == "sha256" and re.fullmatch(r"[0-9a-f]{2}", relative[1])
            assert re.fullmatch(r"[0-9a-f]{62}", relative[2])


def test_safe_filename_and_sniffing_rules() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\x\\y.zip") == "y.zip"
    assert safe_filename("...hidden.tar.gz") == "hidden.tar.gz"
    assert safe_filename("re\u0301sume\u0301 .pdf ") == "résumé .pdf"
    assert safe_filename('a<b>:c"d|e?f*.zip') == "a_b__c_d_e_f_.zip"
    assert safe_filename("\x00\x1f") == ""
    assert len(safe_filename("x" * 500 + ".tar.gz")) == 200 and safe_filename("x" * 500 + ".tar.gz").endswith(".tar.gz")
    assert matching_type("work.tar.gz", [".gz", ".tar.gz"]) == ".tar.gz"
    assert matching_type("work.TAR.GZ", [".tar.gz"]) == ".tar.gz"
    assert matching_type("tar.gz", [".tar.gz"]) is None
    assert matching_type(".tar.gz", [".tar.gz"]) is None
    assert sniff(".zip", b"PK\x03\x04rest") and sniff(".zip", b"PK\x05\x06") and not sniff(".zip", b"MZ\x90")
    assert sniff(".pdf", b"%PDF-1.7") and not sniff(".pdf", b"<html>")
    assert sniff(".tar", b"\0" * 257 + b"ustar\x0000") and not sniff(".tar", b"\0" * 300)
    assert sniff(".txt", "plain text, ünïcödé".encode()) and not sniff(".txt", b"MZ\x90\x00\x03")
    assert sniff(".txt", b"\xff\xfeh\x00i\x00")  # UTF-16 with its byte-order mark
    assert sniff(".blend", b"anything")  # no signature known: not checked
    assert content_disposition('a"b\\c;d%e.zip') == (
        "attachment; filename=\"a_b_c_d_e.zip\"; filename*=UTF-8''a%22b%5Cc%3Bd%25e.zip")


# -- deadlines and enrollment --------------------------------------------------------------


def test_deadlines_and_late_submissions(tenant: Tenant) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    enroll(api, "ana", lesson["attributes"]["course_id"])
    closed = make_assignment(api, lesson["id"], due_date=PAST, allow_late_submission=False, late_penalty_percent=10)
    response = submit(api, closed["id"], "ana", zip_bytes())
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "assignment_past_due"
    assert api.get(f"/assignments/{closed['id']}/submissions").json()["meta"]["total"] == 0

    late_ok = make_assignment(api, lesson["id"], due_date=PAST, allow_late_submission=True, late_penalty_percent=15)
    late = submitted(api, late_ok["id"], "ana")["attributes"]
    assert late["late"] is True and late["late_penalty_percent"] == 15

    future = make_assignment(api, lesson["id"], due_date=FUTURE, late_penalty_percent=15)
    assert submitted(api, future["id"], "ana")["attributes"]["late"] is False
    no_deadline = make_assignment(api, lesson["id"], due_date=None)
    on_time = submitted(api, no_deadline["id"], "ana")["attributes"]
    assert on_time["late"] is False and on_time["late_penalty_percent"] == 0

    # A later change of the penalty leaves what was recorded at submission alone.
    api.patch_resource(f"/assignments/{late_ok['id']}", "assignment", late_penalty_percent=50)
    again = api.get(f"/assignments/{late_ok['id']}/submissions").json()["data"][0]["attributes"]
    assert again["late_penalty_percent"] == 15


def test_learner_must_be_enrolled(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    course_id = lesson["attributes"]["course_id"]
    assignment = make_assignment(api, lesson["id"])
    before = blobs(server)
    for user in ("stranger", "cancelled"):
        if user == "cancelled":
            enrollment = enroll(api, user, course_id)
            assert api.delete(f"/enrollments/{enrollment['id']}").status_code == 204
        response = submit(api, assignment["id"], user, zip_bytes())
        error = error_of(response)
        assert (response.status_code, error["code"], error["source"]["pointer"]) == (422, "not_enrolled", "/user_id")
    # Refused before the file streams: a large file is not even written.
    big = submit(api, assignment["id"], "stranger", b"PK\x03\x04" + b"\0" * (2 * MIB))
    assert big.status_code == 422 and error_of(big)["code"] == "not_enrolled"
    assert blobs(server) == before and temp_files(server) == []

    # A completed enrollment may still submit.
    enroll(api, "finisher", course_id)
    assert api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "finisher"}).status_code == 200
    assert api.get("/enrollments", params={"user_id": "finisher"}).json()["data"][0]["attributes"]["status"] == "completed"
    assert submit(api, assignment["id"], "finisher", zip_bytes()).status_code == 201


def test_resubmission_keeps_history(course_setup) -> None:
    api, lesson, assignment = course_setup
    enroll(api, "ben", lesson["attributes"]["course_id"])
    versions = [zip_bytes(text=f"version {n}") for n in range(3)]
    ids = [submitted(api, assignment["id"], "ana", content)["id"] for content in versions]
    bens = submitted(api, assignment["id"], "ben")
    history = api.get(f"/assignments/{assignment['id']}/submissions", params={"user_id": "ana"}).json()
    assert [s["id"] for s in history["data"]] == ids
    assert [(s["attributes"]["attempt"], s["attributes"]["current"]) for s in history["data"]] == [
        (1, False), (2, False), (3, True)]
    current = api.get(f"/assignments/{assignment['id']}/submissions", params={"current": "true"}).json()
    assert [s["id"] for s in current["data"]] == [ids[2], bens["id"]] and current["meta"]["total"] == 2
    old = api.get(f"/assignments/{assignment['id']}/submissions", params={"current": "false"}).json()
    assert [s["id"] for s in old["data"]] == ids[:2]
    # Every version's file is kept.
    for submission_id, content in zip(ids, versions):
        assert api.get(f"/submissions/{submission_id}/file").content == content
    paged = api.get(f"/assignments/{assignment['id']}/submissions", params={"per_page": 3, "page": 2}).json()
    assert paged["meta"] == {"total": 4, "page": 2, "per_page": 3} and [s["id"] for s in paged["data"]] == [bens["id"]]


def test_learners_see_only_their_own(course_setup, tenant: Tenant, server: ServerProcess) -> None:
    api, lesson, assignment = course_setup
    learner = tenant.publishable
    enroll(api, "ben", lesson["attributes"]["course_id"])
    anas = submitted(learner, assignment["id"], "ana", zip_bytes(text="ana's"))
    bens = submitted(learner, assignment["id"], "ben", zip_bytes(text="ben's"))
    path = f"/assignments/{assignment['id']}/submissions"

    nameless = learner.get(path)
    assert nameless.status_code == 400 and error_of(nameless)["source"]["parameter"] == "user_id"
    assert [s["id"] for s in learner.get(path, params={"user_id": "ana"}).json()["data"]] == [anas["id"]]
    assert [s["id"] for s in learner.get(path, params={"user_id": "ben"}).json()["data"]] == [bens["id"]]
    assert learner.get(f"/submissions/{anas['id']}").status_code == 400
    assert learner.get(f"/submissions/{anas['id']}", params={"user_id": "ana"}).status_code == 200
    assert learner.get(f"/submissions/{anas['id']}", params={"user_id": "ben"}).status_code == 404
    assert learner.get(f"/submissions/{anas['id']}/file", params={"user_id": "ben"}).status_code == 404
    own = learner.get(f"/submissions/{anas['id']}/file", params={"user_id": "ana"})
    assert own.status_code == 200 and own.content == zip_bytes(text="ana's")
    assert learner.patch(f"/submissions/{anas['id']}/grade", {"scores": FULL_MARKS}).status_code == 403
    # The secret key sees everyone's.
    assert api.get(path).json()["meta"]["total"] == 2

    # Another organisation sees nothing at all: every id answers 404.
    other = make_tenant(server)
    for client in (other.secret, other.publishable):
        params = {"user_id": "ana"}
        assert client.get(f"/assignments/{assignment['id']}").status_code == 404
        assert client.get(path, params=params).status_code == 404
        assert client.get(f"/submissions/{anas['id']}", params=params).status_code == 404
        assert client.get(f"/submissions/{anas['id']}/file", params=params).status_code == 404
        assert submit(client, assignment["id"], "ana", zip_bytes()).status_code == 404
    assert other.secret.patch(f"/submissions/{anas['id']}/grade", {"scores": FULL_MARKS}).status_code == 404
    # ...and so does the same organisation's other environment.
    live = make_tenant(server, env="live", app_id=tenant.app_id)
    assert live.secret.get(f"/submissions/{anas['id']}").status_code == 404


def test_unpublished_courses_are_closed_to_learners(tenant: Tenant) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="draft")
    assignment = make_assignment(api, lesson["id"])
    enroll(api, "ana", lesson["attributes"]["course_id"])
    response = submit(tenant.publishable, assignment["id"], "ana", zip_bytes())
    assert response.status_code == 404 and error_of(response)["code"] == "assignment_not_found"
    assert submit(api, assignment["id"], "ana", zip_bytes()).status_code == 201  # an instructor may, for them


# -- grading -------------------------------------------------------------------------------


@pytest.mark.parametrize(("scores", "total", "errors"), [
    ([*FULL_MARKS[:3], {"criteria": "Docs", "points": 9}], None,
     [("unknown_criteria", "/scores/3/criteria"), ("missing_criteria", "/scores")]),
    (FULL_MARKS[:3], None, [("missing_criteria", "/scores")]),
    ([*FULL_MARKS, {"criteria": "UI/UX", "points": 1}], None, [("duplicate_criteria", "/scores/4/criteria")]),
    ([*FULL_MARKS[:3], {"criteria": "Documentation", "points": 11}], None, [("points_out_of_range", "/scores/3/points")]),
    ([{"criteria": "Functionality", "points": -1}, *FULL_MARKS[1:]], None, [("validation_error", "/scores/0/points")]),
    ([{"criteria": "Functionality", "points": 1.005}, *FULL_MARKS[1:]], None, [("validation_error", "/scores/0/points")]),
    ([{"criteria": "functionality", "points": 38}, *FULL_MARKS[1:]], None,
     [("unknown_criteria", "/scores/0/criteria"), ("missing_criteria", "/scores")]),
    (FULL_MARKS, 95, [("total_score_mismatch", "/total_score")]),
    ([{"criteria": "Functionality", "points": "38"}, *FULL_MARKS[1:]], None, [("validation_error", "/scores/0/points")]),
])
def test_grading_errors(course_setup, scores: list[dict[str, Any]], total: int | None,
                        errors: list[tuple[str, str]]) -> None:
    api, _, assignment = course_setup
    submission = submitted(api, assignment["id"], "ana")
    body: dict[str, Any] = {"scores": scores, "feedback": "x"}
    if total is not None:
        body["total_score"] = total
    response = grade(api, submission["id"], **body)
    assert response.status_code == 422, response.text
    got = [(e["code"], e["source"]["pointer"]) for e in response.json()["errors"]]
    assert got == errors
    after = api.get(f"/submissions/{submission['id']}").json()["data"]["attributes"]
    assert after["status"] == "submitted" and after["graded_at"] is None


def test_grading_applies_the_late_penalty_and_regrading_replaces(tenant: Tenant) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    enroll(api, "ana", lesson["attributes"]["course_id"])
    late_ok = make_assignment(api, lesson["id"], due_date=PAST, allow_late_submission=True, late_penalty_percent=10)
    submission = submitted(api, late_ok["id"], "ana")
    graded = grade(api, submission["id"], scores=FULL_MARKS, total_score=93,
                   feedback="Excellent work!\r\nConsider <b>error handling</b>.\x07")
    assert graded.status_code == 200, graded.text
    attrs = graded.json()["data"]["attributes"]
    assert attrs["status"] == "graded" and attrs["total_score"] == 93 and attrs["late_penalty_percent"] == 10
    assert attrs["final_score"] == 83.7 and attrs["max_score"] == 100
    assert attrs["scores"] == [{**s, "max_points": r["max_points"]} for s, r in zip(FULL_MARKS, RUBRIC)]
    assert attrs["feedback"] == "Excellent work!\nConsider <b>error handling</b>."  # plain text, kept as written
    first_graded_at = attrs["graded_at"]

    # Regrading replaces the grade; scores may be sent in any order, total_score may be left out.
    regrade = [{"criteria": "Documentation", "points": 10}, {"criteria": "UI/UX", "points": 19.5},
               {"criteria": "Code Quality", "points": 30}, {"criteria": "Functionality", "points": 40}]
    again = grade(api, submission["id"], scores=regrade).json()["data"]["attributes"]
    assert again["total_score"] == 99.5 and again["final_score"] == 89.55 and again["feedback"] is None
    assert again["graded_at"] > first_graded_at
    assert [s["criteria"] for s in again["scores"]] == [r["criteria"] for r in RUBRIC]

    # On time: no penalty.
    on_time = make_assignment(api, lesson["id"], due_date=FUTURE, late_penalty_percent=10)
    fresh = submitted(api, on_time["id"], "ana")
    assert grade(api, fresh["id"], scores=FULL_MARKS).json()["data"]["attributes"]["final_score"] == 93
    graded_only = api.get(f"/assignments/{on_time['id']}/submissions", params={"status": "graded"}).json()
    assert graded_only["meta"]["total"] == 1

    # Without a rubric, total_score is the grade.
    plain = make_assignment(api, lesson["id"], rubric=[], max_score=20, due_date=PAST, allow_late_submission=True,
                            late_penalty_percent=25)
    essay = submitted(api, plain["id"], "ana")
    assert grade(api, essay["id"], total_score=16).json()["data"]["attributes"]["final_score"] == 12
    for body, pointer in (({}, "/total_score"), ({"total_score": 21}, "/total_score"),
                          ({"scores": FULL_MARKS, "total_score": 10}, "/scores")):
        response = grade(api, essay["id"], **body)
        assert response.status_code == 422 and error_of(response)["source"]["pointer"] == pointer
    assert grade(api, "submission-nope", total_score=1).status_code == 404


def test_events_reach_a_webhook(course_setup, tenant: Tenant) -> None:
    api, lesson, assignment = course_setup
    receiver = Receiver()
    try:
        hook = api.post("/webhooks", {"url": receiver.url, "events": ["assignment.submitted", "assignment.graded"],
                                      "secret": "s3cret-shared-with-the-receiver"})
        assert hook.status_code == 201, hook.text
        first = submitted(api, assignment["id"], "ana")
        second = submitted(tenant.publishable, assignment["id"], "ana")
        assert grade(api, second["id"], scores=FULL_MARKS).status_code == 200
        got = receiver.wait_for(3)
        events = [r["json"] for r in got]
        assert [e["event"] for e in events] == ["assignment.submitted", "assignment.submitted", "assignment.graded"]
        submitted_event = events[1]["data"]
        assert {k: submitted_event[k] for k in ("assignment_id", "submission_id", "user_id", "course_id",
                                                "lesson_id", "late", "attempt")} == {
            "assignment_id": assignment["id"], "submission_id": second["id"], "user_id": "ana",
            "course_id": lesson["attributes"]["course_id"], "lesson_id": lesson["id"], "late": False, "attempt": 2}
        assert submitted_event["submitted_at"] == second["attributes"]["submitted_at"]
        assert events[0]["data"]["submission_id"] == first["id"]
        graded = events[2]["data"]
        assert graded["submission_id"] == second["id"] and graded["user_id"] == "ana"
        assert graded["final_score"] == 93 and graded["scores"][0] == {"criteria": "Functionality", "points": 38,
                                                                       "max_points": 40}
        assert graded["graded_at"] and graded["regraded"] is False
        assert events[2]["record"] == {"kind": "submission", "id": second["id"]}
    finally:
        receiver.stop()


def test_a_refused_upload_leaves_the_connection_usable(course_setup, tenant: Tenant, server: ServerProcess) -> None:
    """Errors found at the file's first bytes answer before the body is read; the rest is read and dropped."""
    api, _, assignment = course_setup
    body = multipart(("user_id", None, b"ana"), ("file", "evil.exe", b"MZ" + b"\0" * 200_000))
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        sock.sendall(request_head(tenant.secret, f"/assignments/{assignment['id']}/submissions", len(body)))
        sock.sendall(body[:1000])
        time.sleep(0.2)
        sock.sendall(body[1000:])
        status, _, payload = read_response(sock)
        assert status == 422 and json.loads(payload)["errors"][0]["code"] == "file_type_not_allowed"
        assert health_on(sock) == 200
    assert eventually(lambda: api.get("/assignments").status_code == 200)


@pytest.mark.parametrize("client", ["goes away", "stalls"])
def test_an_upload_that_stops_arriving_leaves_nothing(client: str, course_setup, tenant: Tenant,
                                                      server: ServerProcess) -> None:
    """A client that goes away mid-upload, or stays connected and sends nothing more: the partial
    file is dropped and nothing is stored. The one that stalls is told, after the server's socket
    timeout, that the upload was incomplete, and the connection is closed."""
    api, _, assignment = course_setup
    before = blobs(server)
    body = multipart(("user_id", None, b"ana"), ("file", "todo.zip", b"PK\x03\x04" + b"\0" * 2_000_000))
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as sock:
        sock.sendall(request_head(tenant.secret, f"/assignments/{assignment['id']}/submissions", len(body)))
        sock.sendall(body[:500_000])
        assert eventually(lambda: [p for p in temp_files(server) if p.stat().st_size > 0], timeout=10)
        if client == "stalls":
            status, headers, payload = read_response(sock)
            assert status == 400 and headers.get("connection", "").lower() == "close"
            error = json.loads(payload)["errors"][0]
            assert error["code"] == "upload_incomplete" and f"of {len(body)} bytes" in error["detail"]
    # The server notices the end of the stream, drops the partial file and stores nothing.
    assert eventually(lambda: temp_files(server) == [], timeout=15)
    assert blobs(server) == before
    assert api.get(f"/assignments/{assignment['id']}/submissions").json()["meta"]["total"] == 0


# -- written answers -----------------------------------------------------------------------


def hand_in(client: Api, assignment_id: str, *parts: tuple[str, str | None, bytes],
            key: str | None = None) -> httpx.Response:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.http.post(f"/assignments/{assignment_id}/submissions", content=multipart(*parts), headers=headers)


def test_a_text_assignment_takes_a_written_answer_and_no_file(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    essay = make_assignment(api, lesson["id"], title="Essay", submission_types=["text"], rubric=[], max_score=10)
    assert essay["attributes"]["submission_types"] == ["text"]
    enroll(api, "ana", lesson["attributes"]["course_id"])
    answer = "Water boils at 100 °C <b>at sea level</b>.\r\nHigher up, sooner."
    response = hand_in(tenant.publishable, essay["id"], ("user_id", None, b"ana"), ("text", None, answer.encode()))
    assert response.status_code == 201, response.text
    attrs = response.json()["data"]["attributes"]
    assert attrs["text"] == "Water boils at 100 °C <b>at sea level</b>.\nHigher up, sooner."  # as written
    assert attrs["file"] is None and attrs["attempt"] == 1 and attrs["status"] == "submitted"
    download = api.get(f"/submissions/{response.json()['data']['id']}/file")
    assert download.status_code == 404 and error_of(download)["code"] == "file_not_found"
    # A file is refused at its part's headers, before it streams; so are a blank and a too long answer.
    with_file = hand_in(api, essay["id"], ("user_id", None, b"ana"), ("file", "essay.txt", b"words"))
    assert with_file.status_code == 422 and error_of(with_file)["source"]["pointer"] == "/file"
    blank = hand_in(api, essay["id"], ("user_id", None, b"ana"), ("text", None, b" \r\n\t"))
    assert blank.status_code == 422 and error_of(blank)["source"]["pointer"] == "/text"
    too_long = hand_in(api, essay["id"], ("user_id", None, b"ana"), ("text", None, b"w" * 50_001))
    assert too_long.status_code == 422 and error_of(too_long)["source"]["pointer"] == "/text"
    assert api.get(f"/assignments/{essay['id']}/submissions").json()["meta"]["total"] == 1
    assert temp_files(server) == []
    # Graded like any other submission.
    graded = api.patch(f"/submissions/{response.json()['data']['id']}/grade", {"total_score": 8, "feedback": "Good."})
    assert graded.status_code == 200, graded.text
    assert graded.json()["data"]["attributes"]["final_score"] == 8


def test_an_assignment_taking_both_wants_one_or_the_other(tenant: Tenant) -> None:
    api = tenant.secret
    lesson = lesson_of(api, status="published")
    either = make_assignment(api, lesson["id"], submission_types=["file", "text"])
    enroll(api, "ana", lesson["attributes"]["course_id"])
    nothing = hand_in(api, either["id"], ("user_id", None, b"ana"), ("text", None, b""), ("file", "", b""))
    assert nothing.status_code == 422
    assert {e["source"]["pointer"] for e in nothing.json()["errors"]} == {"/file", "/text"}
    text_only = hand_in(api, either["id"], ("user_id", None, b"ana"), ("text", None, b"See my notes."),
                        ("file", "", b""))  # a browser's empty file input
    assert text_only.status_code == 201 and text_only.json()["data"]["attributes"]["file"] is None
    both = hand_in(api, either["id"], ("user_id", None, b"ana"), ("text", None, b"And the code."),
                   ("file", "todo.zip", zip_bytes()))
    attrs = both.json()["data"]["attributes"]
    assert both.status_code == 201 and attrs["text"] == "And the code." and attrs["file"]["filename"] == "todo.zip"
    file_only = submitted(api, either["id"], "ana")
    assert file_only["attributes"]["text"] is None and file_only["attributes"]["attempt"] == 3


def test_a_file_assignment_refuses_a_text_and_keeps_its_types(course_setup) -> None:
    api, _, assignment = course_setup
    assert assignment["attributes"]["submission_types"] == ["file"]  # the default
    answer = submit(api, assignment["id"], "ana", zip_bytes(), text="Here it is")
    assert answer.status_code == 422 and error_of(answer)["source"]["pointer"] == "/text"
    twice = api.patch(f"/assignments/{assignment['id']}", {"data": {"type": "assignment", "id": assignment["id"],
                                                                   "attributes": {"submission_types": ["text", "text"]}}})
    assert twice.status_code == 422
    assert error_of(twice)["source"]["pointer"] == "/data/attributes/submission_types/1"
    unknown = api.patch(f"/assignments/{assignment['id']}", {"data": {"type": "assignment", "id": assignment["id"],
                                                                     "attributes": {"submission_types": ["video"]}}})
    assert unknown.status_code == 422
    changed = api.patch(f"/assignments/{assignment['id']}", {"data": {"type": "assignment", "id": assignment["id"],
                                                                     "attributes": {"submission_types": ["text"]}}})
    assert changed.status_code == 200 and changed.json()["data"]["attributes"]["submission_types"] == ["text"]


def test_a_submission_sent_again_with_its_key_counts_once(course_setup) -> None:
    api, _, assignment = course_setup
    first = hand_in(api, assignment["id"], ("user_id", None, b"ana"), ("file", "todo.zip", zip_bytes()), key="op-1")
    again = hand_in(api, assignment["id"], ("user_id", None, b"ana"), ("file", "todo.zip", zip_bytes()), key="op-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and "idempotent-replayed" not in first.headers
    assert again.json()["data"] == first.json()["data"]
    other = hand_in(api, assignment["id"], ("user_id", None, b"ana"), ("file", "todo.zip", zip_bytes()), key="op-2")
    assert other.json()["data"]["attributes"]["attempt"] == 2


def test_submissions_made_before_written_answers_survive_the_migration(tmp_path) -> None:
    import sqlite3

    from university_local.core.db import Store, _migration_scripts

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for number, script in _migration_scripts():
        if number < 15:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO assignments (id, app_id, env, course_id, lesson_id, title, max_score, "
                 "allowed_file_types, max_file_size_mb, created_at, updated_at) VALUES ('assignment-1', 'app', "
                 "'test', 'course-1', 'lesson-1', 'Old', 10, '[\".zip\"]', 5, 'now', 'now')")
    conn.execute("INSERT INTO submissions (id, app_id, env, assignment_id, course_id, lesson_id, user_id, attempt, "
                 "filename, content_type, file_size, file_sha256, late, late_penalty_percent, submitted_at, "
                 "updated_at, idempotency_key) VALUES ('submission-1', 'app', 'test', 'assignment-1', 'course-1', "
                 "'lesson-1', 'ana', 1, 'a.zip', 'application/zip', 3, 'abc', 0, 0, 'now', 'now', 'k')")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.migrate() >= 15
    row = store.one("SELECT * FROM submissions WHERE id = 'submission-1'")
    assert row is not None and row["filename"] == "a.zip" and row["text"] is None and row["idempotency_key"] == "k"
    assert store.scalar("SELECT submission_types FROM assignments") == '["file"]'
    indexes = {r["name"] for r in store.all("SELECT name FROM sqlite_master WHERE tbl_name = 'submissions' "
                                            "AND type = 'index' AND name NOT LIKE 'sqlite_%'")}
    assert indexes == {"submissions_assignment", "submissions_user", "submissions_idempotency",
                       "submissions_ungraded", "submissions_submitted"}  # the last two: migration 0017
