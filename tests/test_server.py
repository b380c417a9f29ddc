"""The server process: health, OpenAPI, start-up output, demo, and a clean shutdown."""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import stat
import time
from pathlib import Path

import httpx
from openapi_spec_validator import validate

from tests.conftest import API, ROOT, Api, error_of, make_tenant, run_cli, start_server
from university_local.core.config import Config
from university_local.server import worker_socket


def test_health_answers_like_the_hosted_service(server) -> None:
    response = httpx.get(server.base + "/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"service", "status", "version", "timestamp"}
    assert body["status"] == "ok" and body["timestamp"].endswith("Z")


def test_openapi_document_is_valid_and_complete(server) -> None:
    doc = httpx.get(server.base + API + "/openapi.json").json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    for path, methods in {
        "/v1/university/courses": {"get", "post"},
        "/v1/university/courses/{course_id}": {"get", "patch", "delete"},
        "/v1/university/courses/{course_id}/modules": {"get", "post"},
        "/v1/university/courses/{course_id}/modules/reorder": {"post"},
        "/v1/university/modules/{module_id}": {"get", "patch", "delete"},
        "/v1/university/modules/{module_id}/lessons": {"get", "post"},
        "/v1/university/modules/{module_id}/lessons/reorder": {"post"},
        "/v1/university/lessons/{lesson_id}": {"get", "patch", "delete"},
    }.items():
        assert set(paths[path]) == methods, path
    schemas = doc["components"]["schemas"]
    for name in ("VideoContent", "TextContent", "DocumentContent", "EmbedContent", "QuizContent",
                 "AssignmentContent", "ScormContent", "CourseAttributes", "ErrorDocument"):
        assert name in schemas


def test_serve_prints_urls_and_demo_keys_and_stops_on_sigterm(tmp_path) -> None:
    srv = start_server(tmp_path, {}, "--demo")
    try:
        time.sleep(0.3)
        store = srv.store
        course_id = store.scalar("SELECT id FROM courses WHERE app_id = 'demo-school' AND env = 'test'")
        store.close()
    finally:
        assert srv.stop(signal.SIGTERM) == 0
    output = srv.output()
    keys = dict(re.findall(r"(secret|publishable)\s+test \(staging\): (\S+)", output))
    assert keys["secret"].startswith("sk_test_") and keys["publishable"].startswith("pk_test_")
    assert "curl -s http://127.0.0.1:" in output and f"/courses/{course_id}?include=" in output
    assert re.search(r"http://127\.0\.0\.1:\d+/v1/university", output)

    # Loading the demo again keeps one course but issues new keys and revokes the old ones.
    again = start_server(tmp_path, {}, "--demo")
    try:
        time.sleep(0.3)
        old = Api(again.base, "demo-school", keys["secret"])
        assert error_of(old.get("/courses"))["code"] == "invalid_api_key"
    finally:
        again.stop()
    new_keys = dict(re.findall(r"(secret|publishable)\s+test \(staging\): (\S+)", again.output()))
    with sqlite3.connect(tmp_path / "university.sqlite3") as db:
        count = db.execute("SELECT COUNT(*) FROM courses WHERE app_id = 'demo-school'").fetchone()[0]
    assert count == 2  # one per environment
    assert new_keys["secret"] != keys["secret"]


def test_demo_course_is_complete(tmp_path) -> None:
    out = run_cli(tmp_path, "demo").stdout
    key = re.search(r"secret\s+test \(staging\): (\S+)", out).group(1)
    srv = start_server(tmp_path)
    try:
        api = Api(srv.base, "demo-school", key)
        course = api.get("/courses").json()["data"][0]
        doc = api.get(f"/courses/{course['id']}", params={"include": "modules,lessons,instructor"}).json()
        types = {item["attributes"]["content_type"] for item in doc["included"] if item["type"] == "lesson"}
        assert types == {"video", "text", "document", "embed", "quiz", "assignment", "scorm"}
        assert course["attributes"]["module_count"] == 3 and course["attributes"]["lesson_count"] == 9
        assert any(item["type"] == "user" for item in doc["included"])
    finally:
        srv.stop()


def test_in_flight_request_finishes_during_shutdown(tmp_path) -> None:
    srv = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"})
    tenant = make_tenant(srv)
    port = int(srv.base.rsplit(":", 1)[1])
    body = json.dumps({"data": {"type": "course", "attributes": {"title": "Sent across a shutdown"}}}).encode()
    head = (f"POST {API}/courses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-App-Id: {tenant.app_id}\r\n"
            f"X-Api-Key: {tenant.secret.key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # The server no longer accepts new connections...
        refused = False
        try:
            httpx.get(srv.base + "/health", timeout=1)
        except httpx.TransportError:
            refused = True
        assert refused
        # ...but the request that was half-sent completes.
        sock.sendall(body[10:])
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 201"), response[:200]
    assert json.loads(response.split(b"\r\n\r\n", 1)[1])["data"]["attributes"]["title"] == "Sent across a shutdown"
    assert srv.proc.wait(timeout=30) == 0


def test_migrate_is_idempotent(tmp_path) -> None:
    first = run_cli(tmp_path, "migrate").stdout
    second = run_cli(tmp_path, "migrate").stdout
    latest = len(list((ROOT / "university_local" / "migrations").glob("*.sql")))
    assert first == second and f"schema version {latest}" in first
    with sqlite3.connect(tmp_path / "university.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_keep_alive_connections_survive_bodiless_answers(api: Api) -> None:
    """A 204 has no length to frame it by, so the HTTP router ends the connection after it; the
    answer must say so, or the client's next request on that connection is reset."""
    for _ in range(30):
        course = api.course()
        deleted = api.delete(f"/courses/{course['id']}")
        assert deleted.status_code == 204 and deleted.headers["connection"] == "close"
        assert api.post("/courses", {"data": {"type": "course", "attributes": {}}}).status_code == 422


def test_keep_alive_connections_survive_a_body_sent_to_no_endpoint(server) -> None:
    """A 404 or 405 is answered before any route reads the body; left unread, those bytes reset
    the router's connection to the worker, and the client's connection with it."""
    with httpx.Client(base_url=server.base) as client:
        for _ in range(60):
            refused = client.request("DELETE", "/v1/university/attempts/0/answers", json={"answers": []})
            assert refused.status_code == 405
            assert client.post("/v1/university/no-such-thing", json={"x": 1}).status_code == 404
            assert client.get("/health").status_code == 200


def test_the_router_reaches_the_worker_over_a_socket_only_the_server_user_opens(server, tmp_path) -> None:
    port = int(server.base.rsplit(":", 1)[1])
    path = server.data_dir / f"uwsgi-{port}.sock"
    assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
    deep = Config(data_dir=tmp_path / ("d" * 60) / ("e" * 60), port=port)  # too long for a socket path
    fallback = Path(worker_socket(deep))
    assert len(str(fallback).encode()) <= 100 and fallback.name == f"uwsgi-{port}.sock"
    assert stat.S_IMODE(fallback.parent.stat().st_mode) == 0o700  # a private directory
    fallback.parent.rmdir()


def test_larger_json_answers_are_gzipped_for_clients_that_accept_it(api: Api) -> None:
    for n in range(30):  # a course list well over the compression threshold
        api.course(title=f"Course {n}", description="A description long enough to add up. " * 4)
    plain = api.get("/courses", params={"per_page": 30}, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    packed = api.get("/courses", params={"per_page": 30}, headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.num_bytes_downloaded < len(plain.content) / 4  # what travels
    assert packed.json() == plain.json()
    refused = api.get("/courses", params={"per_page": 30}, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    small = api.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # small answers go as they are


def test_a_json_body_sent_in_chunks_is_refused_with_411(api: Api) -> None:
    """uWSGI hands the app no body for a chunked request: say so, rather than fail on an empty one."""
    body = json.dumps({"data": {"type": "course", "attributes": {"title": "Chunked"}}}).encode()
    chunked = api.http.post("/courses", content=iter([body[:20], body[20:]]),
                            headers={"Content-Type": "application/json"})
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert chunked.status_code == 411 and error_of(chunked)["code"] == "length_required"
    sized = api.http.post("/courses", content=body, headers={"Content-Type": "application/json"})
    assert sized.status_code == 201 and sized.json()["data"]["attributes"]["title"] == "Chunked"


def test_a_body_that_stops_arriving_is_answered_400_and_nothing_is_written(api: Api, server) -> None:
    """A client that sends part of a body and then nothing (a phone losing the Wi-Fi) holds a thread
    only until the server's socket timeout, and is told to send again: not an internal error."""
    body = json.dumps({"data": {"type": "course", "attributes": {"title": "Half sent"}}}).encode()
    head = (f"POST {API}/courses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-App-Id: {api.app_id}\r\nX-Api-Key: {api.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", int(server.base.rsplit(":", 1)[1])), timeout=30) as sock:
        sock.sendall(head + body[:20])
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after answering
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, payload = rest.partition(b"\r\n\r\n")
    assert status_line.split()[1] == b"400" and b"connection: close" in headers.lower()
    error = json.loads(payload)["errors"][0]
    assert error["code"] == "upload_incomplete" and str(len(body)) in error["detail"]
    titles = [c["attributes"]["title"] for c in api.get("/courses", params={"per_page": 100}).json()["data"]]
    assert "Half sent" not in titles
    assert httpx.get(server.base + "/health", timeout=10).status_code == 200
