"""Uploads whose bodies arrive slowly do not keep other requests waiting, and all of them land."""

from __future__ import annotations

import hashlib
import json
import socket
import threading

import httpx
import pytest

from tests.conftest import make_tenant, start_server
from tests.test_assignments import enroll, lesson_of, make_assignment, multipart, port_of, read_response, request_head

THREADS = 4
UPLOADS = 2 * THREADS


def test_uploads_still_arriving_leave_the_server_answering(tmp_path) -> None:
    """More uploads than the app has threads, each still sending a few bytes every half second (so
    no socket timeout ends them): a health check is answered meanwhile. The uploads finish only
    after it, so a server whose threads they held could not answer it within the timeout."""
    srv = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"}, "--threads", str(THREADS))
    try:
        api = make_tenant(srv).secret
        lesson = lesson_of(api, status="published")
        assignment = make_assignment(api, lesson["id"])
        files = {f"learner-{n}": b"PK\x03\x04" + bytes([n]) * 200_000 for n in range(UPLOADS)}
        bodies, sockets, sent = {}, {}, {}
        for user, content in files.items():
            enroll(api, user, lesson["attributes"]["course_id"])
            bodies[user] = multipart(("user_id", None, user.encode()), ("file", "work.zip", content))
        for user, body in bodies.items():
            sock = socket.create_connection(("127.0.0.1", port_of(srv)), timeout=30)
            sock.sendall(request_head(api, f"/assignments/{assignment['id']}/submissions", len(body)) + body[:1000])
            sockets[user], sent[user] = sock, 1000
        done = threading.Event()

        def trickle() -> None:
            while not done.wait(0.5):
                for user, sock in sockets.items():
                    sock.sendall(bodies[user][sent[user]:sent[user] + 10])
                    sent[user] += 10

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        try:
            health = httpx.get(srv.base + "/health", timeout=10)
        except httpx.TimeoutException:
            pytest.fail(f"no answer to a health check while {UPLOADS} uploads were arriving")
        finally:
            done.set()
            sender.join()
        assert health.status_code == 200
        for user, sock in sockets.items():
            with sock:
                sock.sendall(bodies[user][sent[user]:])
                status, _, payload = read_response(sock)
                assert status == 201, payload
                stored = json.loads(payload)["data"]["attributes"]["file"]
                assert stored["sha256"] == hashlib.sha256(files[user]).hexdigest()
        listed = api.get(f"/assignments/{assignment['id']}/submissions", params={"per_page": 100}).json()
        assert sorted(s["attributes"]["user_id"] for s in listed["data"]) == sorted(files)
    finally:
        srv.stop()
