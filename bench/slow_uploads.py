"""Load benchmark: other clients' requests while many uploads trickle in over a slow link.

    python bench/slow_uploads.py [--uploads 50] [--rate 20000] [--connections 8] [--seconds 5]

Seeds a published course with a video lesson, an assignment on it that takes .jpg files, and
`--learners` enrolled learners. Then `--uploads` learners submit a photo each at once, every one
over its own connection at `--rate` bytes a second (640 KB to 1 MB each, so that all are still
arriving when the measuring ends). Meanwhile wrk runs `GET /health`, a signed-in learner's course
page, the course list and progress writes in turn at `--connections` connections. Afterwards
every upload must have been answered 201 and stored with the bytes that were sent. Target: p99
under 500 ms for the other clients while 50 uploads trickle in at 20 KB/s, and every upload intact.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk  # noqa: E402
from learner_pages import sign_in  # noqa: E402
from progress import progress_script  # noqa: E402

API = "/v1/university"
BOUNDARY = "----bench-slow-upload"
TICK_SECONDS = 0.1


@dataclass
class Upload:
    user_id: str
    photo: bytes
    status: int | None = None
    seconds: float = 0.0
    error: str = ""


def seed(server: Server, learners: int) -> tuple[str, str, str]:
    """A published course with one video lesson and `learners` enrolled (one of them with the PIN
    2468), and an assignment on the lesson taking photos: the course's, lesson's and assignment's ids."""
    api = httpx.Client(base_url=server.base + API, headers=server.headers, timeout=60)
    course = api.post("/courses", json={"data": {"type": "course", "attributes": {
        "title": "Field trip", "status": "published"}}}).json()["data"]
    module = api.post(f"/courses/{course['id']}/modules",
                      json={"data": {"type": "module", "attributes": {"title": "Photos"}}}).json()["data"]
    lesson = api.post(f"/modules/{module['id']}/lessons", json={"data": {"type": "lesson", "attributes": {
        "title": "Walk", "content_type": "video",
        "content": {"video_url": "https://example.org/v.mp4", "duration_seconds": 600}}}}).json()["data"]
    assignment = api.post("/assignments", json={"data": {"type": "assignment", "attributes": {
        "title": "A photo of the trip", "lesson_id": lesson["id"], "allowed_file_types": [".jpg"],
        "max_file_size_mb": 2}}}).json()["data"]
    api.post("/enrollments/bulk", json={"course_id": course["id"],
                                        "user_ids": [f"bench-{n}" for n in range(1, learners + 1)]}
             ).raise_for_status()
    api.patch("/users/bench-1", json={"data": {"type": "user", "attributes": {
        "display_name": "Reader", "pin": "2468"}}}).raise_for_status()
    return course["id"], lesson["id"], assignment["id"]


def request_bytes(server: Server, assignment_id: str, upload: Upload) -> tuple[bytes, bytes]:
    """The submission's request head and its multipart/form-data body."""
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="user_id"\r\n\r\n{upload.user_id}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="trip.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode() + upload.photo + f"\r\n--{BOUNDARY}--\r\n".encode()
    host, port = server.base.removeprefix("http://").split(":")
    head = (f"POST {API}/assignments/{assignment_id}/submissions HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"X-App-Id: {server.app_id}\r\nX-Api-Key: {server.key}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    return head, body


def trickle(server: Server, assignment_id: str, upload: Upload, rate: int) -> None:
    """Send the submission at `rate` bytes a second, then read the answer's status."""
    head, body = request_bytes(server, assignment_id, upload)
    host, port = server.base.removeprefix("http://").split(":")
    step = max(1, int(rate * TICK_SECONDS))
    start = time.monotonic()
    try:
        with socket.create_connection((host, int(port)), timeout=120) as sock:
            sock.sendall(head)
            for n, offset in enumerate(range(0, len(body), step)):
                time.sleep(max(0.0, start + n * TICK_SECONDS - time.monotonic()))
                sock.sendall(body[offset:offset + step])
            answer = b""
            while b"\r\n" not in answer and (chunk := sock.recv(65536)):
                answer += chunk
        upload.status = int(answer.split(b" ", 2)[1]) if answer else None
    except OSError as exc:
        upload.error = type(exc).__name__
    upload.seconds = time.monotonic() - start


def stored_intact(server: Server, assignment_id: str, uploads: list[Upload]) -> int:
    """How many uploads are stored as one submission each, with the size and digest that was sent."""
    api = httpx.Client(base_url=server.base + API, headers=server.headers, timeout=60)
    rows = api.get(f"/assignments/{assignment_id}/submissions", params={"per_page": 100}).json()["data"]
    by_user = {row["attributes"]["user_id"]: row["attributes"]["file"] for row in rows}
    return sum(1 for u in uploads if by_user.get(u.user_id, {}).get("size_bytes") == len(u.photo)
               and by_user[u.user_id]["sha256"] == hashlib.sha256(u.photo).hexdigest())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--rate", type=int, default=20_000, help="bytes a second per upload")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections for the other clients")
    parser.add_argument("--seconds", type=int, default=5, help="for each endpoint")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--threads", type=int, help="server worker threads (default: the server's)")
    args = parser.parse_args()
    span = 384 * 1024
    uploads = [Upload(f"bench-{n}", b"\xff\xd8\xff\xe0" + os.urandom(640 * 1024 + span * n // max(1, args.uploads)))
               for n in range(1, args.uploads + 1)]
    with running_server(args.threads, extra_env={"UNIVERSITY_LOCAL_WEB_ENV": "test"}) as server, \
            tempfile.TemporaryDirectory() as tmp:
        course_id, lesson_id, assignment_id = seed(server, args.learners)
        reader = sign_in(server.base, server.app_id, "Reader")
        page = {"Cookie": "; ".join(f"{k}={v}" for k, v in reader.cookies.items())}
        script = Path(tmp) / "progress.lua"
        script.write_text(progress_script([lesson_id], args.learners))
        api = server.base + API
        idle = wrk("GET /health, no uploads", server.base + "/health", {}, args.connections, args.seconds)
        senders = [threading.Thread(target=trickle, args=(server, assignment_id, u, args.rate), daemon=True)
                   for u in uploads]
        started = time.monotonic()
        for sender in senders:
            sender.start()
        time.sleep(2)  # every upload connected and sending
        results = [
            wrk("GET /health", server.base + "/health", {}, args.connections, args.seconds),
            wrk("GET /courses/{id} (learner page)", f"{server.base}/courses/{course_id}", page,
                args.connections, args.seconds),
            wrk("GET /v1/university/courses", api + "/courses", server.headers, args.connections, args.seconds),
            wrk("PATCH .../progress", api, server.headers, args.connections, args.seconds, script),
        ]
        measured = time.monotonic() - started
        in_flight = sum(1 for s in senders if s.is_alive())
        for sender in senders:
            sender.join(timeout=300)
        intact = stored_intact(server, assignment_id, uploads)
    print(f"{args.uploads} uploads of {min(len(u.photo) for u in uploads) // 1024}-"
          f"{max(len(u.photo) for u in uploads) // 1024} KB at {args.rate // 1000} KB/s each; "
          f"{args.connections} connections, {args.seconds} s each")
    print_table([idle, *results], idle)
    answered = sum(1 for u in uploads if u.status == 201)
    failures = sorted({u.error or str(u.status) for u in uploads if u.status != 201})
    print(f"uploads: {in_flight} of {len(uploads)} still arriving after {measured:.0f} s of measuring; "
          f"{answered} answered 201 in {min(u.seconds for u in uploads):.0f}-{max(u.seconds for u in uploads):.0f} s, "
          f"{intact} stored intact" + (f"; failed: {', '.join(failures)}" if failures else ""))


if __name__ == "__main__":
    main()
