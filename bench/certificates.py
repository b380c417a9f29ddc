"""Load benchmark: issuing certificates (PDF included) and verifying them.

    python bench/certificates.py [--learners 3000] [--seconds 10] [--connections 20]

Seeds `--learners` users and one course, then has wrk issue one certificate per learner
(`POST /v1/university/certificates`, forced, so no learner has to finish the course first):
each issue numbers and signs the certificate in a durable transaction, then renders its PDF
with the QR code and stores it. Then wrk verifies random issued numbers through the public
`GET /v1/university/certificates/verify/{number}`, beside `GET /health` on the same server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk  # noqa: E402

ISSUE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"data":{"type":"certificate","attributes":{"user_id":"grad-%%d",'
    .. '"course_id":"%(course)s","force_reason":"benchmark","custom_fields":{"cohort":"2026"}}}}', counter)
  return wrk.format(nil, nil, nil, body)
end
"""
VERIFY = """
local numbers = {%(numbers)s}
request = function()
  return wrk.format("GET", "/v1/university/certificates/verify/" .. numbers[math.random(#numbers)])
end
"""


def seed(server: Server, learners: int) -> str:
    api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=120)
    course = api.post("/courses", json={"data": {"type": "course", "attributes": {
        "title": "Community Health Worker Training", "settings": {"certificate_enabled": False}}}}).json()["data"]
    roster = "id,display_name\n" + "".join(f"grad-{n},Graduate Number {n}\n" for n in range(1, learners + 1))
    api.post("/users/import", content=roster, headers={"Content-Type": "text/csv"}).raise_for_status()
    return course["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=3000, help="more than the run can issue")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        course_id = seed(server, args.learners)
        issue_script = Path(tmp) / "issue.lua"
        issue_script.write_text(ISSUE % {"course": course_id})
        url = server.base + "/v1/university/certificates"
        issued = wrk(f"POST /certificates @{args.connections}", url, server.headers, args.connections, args.seconds,
                     issue_script)
        listing = httpx.get(url, params={"per_page": 100}, headers=server.headers).json()
        numbers = [c["attributes"]["certificate_number"] for c in listing["data"]]
        verify_script = Path(tmp) / "verify.lua"
        verify_script.write_text(VERIFY % {"numbers": ",".join(f'"{n}"' for n in numbers)})
        health = wrk("GET /health @50", server.base + "/health", {}, 50, args.seconds)
        verified = wrk("GET /certificates/verify/{n} @50", server.base, {}, 50, args.seconds, verify_script)
    print(f"{listing['meta']['total']} certificates issued (each with its PDF), {args.seconds} s per run")
    print_table([health, issued, verified], health)


if __name__ == "__main__":
    main()
