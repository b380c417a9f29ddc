"""Keys and tenants: 401s, pk/sk permissions, and the hard (app, environment) partition."""

from __future__ import annotations

import re
import time

import httpx

from tests.conftest import API, Api, Tenant, error_of, make_tenant, run_cli


def test_missing_or_wrong_credentials_are_401(tenant: Tenant) -> None:
    base = tenant.base + API
    cases = [
        ({}, "missing_api_key"),
        ({"X-App-Id": tenant.app_id}, "missing_api_key"),
        ({"X-Api-Key": tenant.secret.key}, "missing_app_id"),
        ({"X-App-Id": tenant.app_id, "X-Api-Key": "sk_test_" + "0" * 48}, "invalid_api_key"),
        ({"X-App-Id": "someone-else", "X-Api-Key": tenant.secret.key}, "invalid_api_key"),
    ]
    for headers, code in cases:
        response = httpx.get(base + "/courses", headers=headers)
        assert response.status_code == 401, headers
        assert error_of(response)["code"] == code


def test_publishable_keys_read_published_only_and_never_write(tenant: Tenant) -> None:
    sk, pk = tenant.secret, tenant.publishable
    draft = sk.course(title="Draft")
    live = sk.course(title="Live", status="published")
    draft_module = sk.module(draft["id"])
    live_module = sk.module(live["id"])
    draft_lesson = sk.lesson(draft_module["id"])
    live_lesson = sk.lesson(live_module["id"])

    assert [c["id"] for c in pk.get("/courses").json()["data"]] == [live["id"]]
    assert pk.get("/courses", params={"status": "draft"}).json()["data"] == []
    for path in (f"/courses/{draft['id']}", f"/courses/{draft['id']}/modules", f"/modules/{draft_module['id']}",
                 f"/modules/{draft_module['id']}/lessons", f"/lessons/{draft_lesson['id']}"):
        assert pk.get(path).status_code == 404, path
    for path in (f"/courses/{live['id']}", f"/courses/{live['id']}/modules", f"/modules/{live_module['id']}",
                 f"/modules/{live_module['id']}/lessons", f"/lessons/{live_lesson['id']}"):
        assert pk.get(path).status_code == 200, path

    writes = [
        pk.post("/courses", {"data": {"type": "course", "attributes": {"title": "x"}}}),
        pk.patch_resource(f"/courses/{live['id']}", "course", title="hacked"),
        pk.delete(f"/courses/{live['id']}"),
        pk.post(f"/courses/{live['id']}/modules", {"data": {"type": "module", "attributes": {"title": "x"}}}),
        pk.post(f"/courses/{live['id']}/modules/reorder", {"module_ids": [live_module["id"]]}),
        pk.delete(f"/modules/{live_module['id']}"),
        pk.delete(f"/lessons/{live_lesson['id']}"),
    ]
    for response in writes:
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    assert sk.get(f"/courses/{live['id']}").json()["data"]["attributes"]["title"] == "Live"


def test_tenants_and_environments_never_see_each_other(server) -> None:
    a_test = make_tenant(server)
    a_live = make_tenant(server, env="live", app_id=a_test.app_id)
    b_test = make_tenant(server)
    course = a_test.secret.course(title="Only in A test", status="published")
    module = a_test.secret.module(course["id"])
    lesson = a_test.secret.lesson(module["id"])
    paths = [f"/courses/{course['id']}", f"/courses/{course['id']}/modules", f"/modules/{module['id']}",
             f"/modules/{module['id']}/lessons", f"/lessons/{lesson['id']}"]
    for other in (a_live, b_test):
        for client in (other.secret, other.publishable):
            assert client.get("/courses").json() == {"data": [], "meta": {"total": 0, "page": 1, "per_page": 20}}
            for path in paths:
                response = client.get(path)
                assert response.status_code == 404, path
        # Another tenant's 404 is the same as for an id that never existed.
        theirs = other.secret.get(f"/courses/{course['id']}").json()["errors"][0]
        never = other.secret.get("/courses/course-never").json()["errors"][0]
        assert theirs["code"] == never["code"] and theirs["title"] == never["title"]
        assert other.secret.patch_resource(f"/courses/{course['id']}", "course", title="x").status_code == 404
        assert other.secret.delete(f"/lessons/{lesson['id']}").status_code == 404
        assert other.secret.post(f"/modules/{module['id']}/lessons", {"data": {"type": "lesson", "attributes": {
            "title": "x", "content_type": "quiz", "content": {}}}}).status_code == 404
    assert a_test.secret.get(f"/lessons/{lesson['id']}").status_code == 200
    assert a_live.secret.course(title="Only in A test")["attributes"]["slug"] == "only-in-a-test"


def test_keys_cli_create_list_revoke(server, tenant: Tenant) -> None:
    created = run_cli(server.data_dir, "keys", "create", "--app", tenant.app_id, "--env", "test",
                      "--type", "secret", "--label", "ci")
    key = created.stdout.strip()
    assert created.stdout == key + "\n"  # the key alone, for scripts
    assert key.startswith("sk_test_") and len(key) == len("sk_test_") + 48
    client = Api(server.base, tenant.app_id, key)
    assert client.get("/courses").status_code == 200
    listing = run_cli(server.data_dir, "keys", "list", "--app", tenant.app_id).stdout
    assert "ci" in listing and key not in listing  # only a hint is ever shown
    run_cli(server.data_dir, "keys", "revoke", key)
    # The server notices another process's write within a second (see Store.data_version).
    deadline = time.monotonic() + 5
    while client.get("/courses").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert error_of(client.get("/courses"))["code"] == "invalid_api_key"
    assert "revoked" in run_cli(server.data_dir, "keys", "list", "--app", tenant.app_id, "--all").stdout
    pk = run_cli(server.data_dir, "keys", "create", "--app", tenant.app_id, "--env", "live", "--type", "publishable").stdout.strip()
    assert pk.startswith("pk_live_")
    bad = run_cli(server.data_dir, "keys", "create", "--app", "bad app!", "--env", "test", "--type", "secret", check=False)
    assert bad.returncode != 0 and bad.stdout == ""
    assert run_cli(server.data_dir, "keys", "revoke", "key-nope", check=False).returncode == 1


def test_keys_are_stored_hashed(server, tenant: Tenant) -> None:
    import sqlite3

    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:
        dump = "\n".join(db.iterdump())
    assert tenant.secret.key not in dump and tenant.publishable.key not in dump


def test_a_refused_request_leaves_the_connection_usable(server) -> None:
    """401 answers before the body is read; the body, arriving late, must not be taken for a request."""
    import json
    import socket

    port = int(server.base.rsplit(":", 1)[1])
    body = json.dumps({"data": {"type": "course", "attributes": {"title": "late body"}}}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((f"POST {API}/courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode())
        time.sleep(0.3)
        sock.sendall(body)
        time.sleep(0.3)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert re.findall(rb"HTTP/1.1 (\d{3})", received) == [b"401", b"200"], received[:400]
