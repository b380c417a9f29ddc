"""Load benchmark: `GET /v1/university/courses` against `GET /health` on the same server.

    python bench/catalogue.py [--connections 50] [--seconds 10] [--courses 60]

Seeds a fresh database through the API (courses with modules and lessons, so every derived
count is computed for real), then runs wrk against each endpoint in turn and prints req/s,
p50 and p99. Target (issue 2): the course list at 50% or more of the health endpoint's
throughput, p99 under 50 ms at 50 connections on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk  # noqa: E402


def seed(server: Server, courses: int) -> None:
    api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=30)
    for c in range(courses):
        course = api.post("/courses", json={"data": {"type": "course", "attributes": {
            "title": f"Course {c}", "description": "A benchmark course " * 5, "status": "published",
            "category_id": f"cat-{c % 5}", "instructor_id": "user-bench"}}}).json()["data"]
        for m in range(3):
            module = api.post(f"/courses/{course['id']}/modules", json={"data": {"type": "module", "attributes": {
                "title": f"Module {m}"}}}).json()["data"]
            for n in range(4):
                api.post(f"/modules/{module['id']}/lessons", json={"data": {"type": "lesson", "attributes": {
                    "title": f"Lesson {n}", "content_type": "text",
                    "content": {"html": "<p>Read this.</p>", "estimated_reading_minutes": 5}}}}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--courses", type=int, default=60)
    parser.add_argument("--threads", type=int, help="server worker threads (default: the server's)")
    args = parser.parse_args()
    with running_server(args.threads) as server:
        seed(server, args.courses)
        api = server.base + "/v1/university"
        wrk("warm-up", api + "/courses", server.headers, args.connections, 2)
        health = wrk("GET /health", server.base + "/health", {}, args.connections, args.seconds)
        courses = wrk("GET /v1/university/courses (20/page)", api + "/courses", server.headers,
                      args.connections, args.seconds)
    print(f"{args.courses} courses x 3 modules x 4 lessons; {args.connections} connections, {args.seconds} s each")
    print_table([health, courses], health)


if __name__ == "__main__":
    main()
