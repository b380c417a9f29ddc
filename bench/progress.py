"""Load benchmark: `PATCH /v1/university/lessons/{id}/progress` from many learners at once.

    python bench/progress.py [--learners 500] [--lessons 20] [--seconds 10]

Seeds one course with `--lessons` lessons and `--learners` enrolled learners, then has wrk send
progress updates for random (learner, lesson) pairs with ever-growing time totals, at 50 and at
200 connections, beside `GET /health` on the same server. Every write is a durable transaction
(WAL, synchronous=FULL). Target (issue 3): at least 40% of the health endpoint's throughput and
p99 under 100 ms at 200 connections on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk  # noqa: E402

SCRIPT = """
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
local lessons = {%(lessons)s}
local learners = %(learners)d
local counter = 0
request = function()
  counter = counter + 1
  local lesson = lessons[math.random(#lessons)]
  local body = string.format('{"user_id":"bench-%%d","position":%%d,"time_spent_seconds":%%d}',
                             math.random(learners), %(position)s, counter)
  return wrk.format(nil, "/v1/university/lessons/" .. lesson .. "/progress", nil, body)
end
"""


def progress_script(lessons: list[str], learners: int, position: str = "counter % 1000") -> str:
    """The wrk script: each request a random learner's position in a random lesson. `position` is
    a Lua expression over `counter`, the request's sequence number."""
    return SCRIPT % {"lessons": ",".join(f'"{i}"' for i in lessons), "learners": learners, "position": position}


def seed(server: Server, learners: int, lessons: int) -> tuple[str, list[str]]:
    """A published course with `lessons` video lessons and `learners` enrolled; its id and the lesson ids."""
    api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=60)
    course = api.post("/courses", json={"data": {"type": "course", "attributes": {"title": "Bench"}}}).json()["data"]
    module = api.post(f"/courses/{course['id']}/modules",
                      json={"data": {"type": "module", "attributes": {"title": "M"}}}).json()["data"]
    ids = [api.post(f"/modules/{module['id']}/lessons", json={"data": {"type": "lesson", "attributes": {
        "title": f"L{n}", "content_type": "video",
        "content": {"video_url": "https://example.org/v.mp4", "duration_seconds": 600}}}}).json()["data"]["id"]
        for n in range(lessons)]
    users = [f"bench-{n}" for n in range(1, learners + 1)]
    for start in range(0, len(users), 1000):
        api.post("/enrollments/bulk", json={"course_id": course["id"], "user_ids": users[start:start + 1000]}
                 ).raise_for_status()
    return course["id"], ids


def fold_backlog(server: Server, course_id: str) -> None:
    """Bring the analytics rollups up to date (an analytics read folds what is pending), so that
    folding the last run's writes does not land in the next health measurement. The server's own
    job folds every 30 s, and may land in a progress run, as it would in a classroom."""
    httpx.get(f"{server.base}/v1/university/analytics/courses/{course_id}", headers=server.headers,
              timeout=300).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--lessons", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, help="server worker threads (default: the server's)")
    args = parser.parse_args()
    results = []
    with running_server(args.threads) as server, tempfile.TemporaryDirectory() as tmp:
        course_id, lessons = seed(server, args.learners, args.lessons)
        script = Path(tmp) / "progress.lua"
        script.write_text(progress_script(lessons, args.learners))
        url = server.base + "/v1/university/lessons"
        wrk("warm-up", url, server.headers, 50, 2, script)
        for connections in (50, 200):
            fold_backlog(server, course_id)
            health = wrk(f"GET /health @{connections}", server.base + "/health", {}, connections, args.seconds)
            progress = wrk(f"PATCH .../progress @{connections}", url, server.headers, connections, args.seconds, script)
            results.append((health, progress))
        stored = httpx.get(f"{server.base}/v1/university/enrollments", params={"per_page": 1},
                           headers=server.headers).json()["meta"]["total"]
    print(f"{args.learners} learners ({stored} enrollments) x {args.lessons} lessons, {args.seconds} s each")
    for health, progress in results:
        print_table([health, progress], health)
        print()


if __name__ == "__main__":
    main()
