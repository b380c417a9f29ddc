"""Load benchmark: SCORM commits, `POST /scorm/play/{token}/sessions/{id}/commits`, from many learners.

    python bench/scorm_commit.py [--learners 500] [--seconds 10]

Imports a one-SCO SCORM 2004 package, enrolls `--learners` learners, and for each opens the
player the way a browser does (launch URL, player page, SCO session). Then wrk sends commits of a
typical SCORM 2004 state for random learners, at 50 and 200 connections, beside `GET /health` on
the same server: location, 2 KB of suspend_data, progress, completion, the score, the session
time, an objective's score and two interactions with their responses (19 SetValue calls). Each
commit carries the session's next number, so every one is applied: the calls are replayed through
the data model, and the attempt and session are updated in one durable transaction.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk

SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local urls = {%(urls)s}
local ops = '%(ops)s'
local counter = 0
request = function()
  counter = counter + 1
  local session = (counter %% #urls) + 1
  local seq = %(base)d + math.floor(counter / #urls) + 1
  local body = string.format('{"commits":[{"seq":%%d,"ops":%%s,"terminate":false}]}', seq,
                             string.gsub(ops, "SESSION_SECONDS", tostring(seq)))
  return wrk.format(nil, urls[session], nil, body)
end
"""

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench.scorm.2004" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Bench</title>
    <item identifier="sco" identifierref="res"><title>SCO</title>
      <imsss:sequencing><imsss:objectives>
        <imsss:primaryObjective objectiveID="primary" satisfiedByMeasure="true">
          <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure></imsss:primaryObjective>
        <imsss:objective objectiveID="obj_1"/>
      </imsss:objectives></imsss:sequencing>
    </item>
  </organization></organizations>
  <resources><resource identifier="res" type="webcontent" adlcp:scormType="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""

# A typical SCORM 2004 commit (SESSION_SECONDS grows with each commit of a session).
OPS = [
    ["cmi.location", "page-12"],
    ["cmi.suspend_data", "v2;" + "slides:1,1,1,0,1,0,1,1;" * 80],
    ["cmi.progress_measure", "0.6"],
    ["cmi.completion_status", "incomplete"],
    ["cmi.score.raw", "42"], ["cmi.score.min", "0"], ["cmi.score.max", "60"], ["cmi.score.scaled", "0.7"],
    ["cmi.session_time", "PT1MSESSION_SECONDSS"],
    ["cmi.objectives.1.score.scaled", "0.8"], ["cmi.objectives.1.success_status", "passed"],
    ["cmi.interactions.0.id", "q1"], ["cmi.interactions.0.type", "choice"],
    ["cmi.interactions.0.learner_response", "b[,]c"], ["cmi.interactions.0.result", "correct"],
    ["cmi.interactions.1.id", "q2"], ["cmi.interactions.1.type", "numeric"],
    ["cmi.interactions.1.learner_response", "18"], ["cmi.interactions.1.result", "incorrect"],
]


def package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("imsmanifest.xml", MANIFEST)
        zf.writestr("index.html", "<!doctype html><title>SCO</title><p>A SCO.</p>")
    return out.getvalue()


def seed(server: Server, learners: int) -> list[str]:
    """Enroll the learners and open a SCO session for each, as the player page would."""
    api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=60)
    player = httpx.Client(base_url=server.base, timeout=60)
    course = api.post("/courses", json={"data": {"type": "course", "attributes": {"title": "Bench"}}}).json()["data"]
    module = api.post(f"/courses/{course['id']}/modules",
                      json={"data": {"type": "module", "attributes": {"title": "M"}}}).json()["data"]
    uploaded = api.post("/scorm/upload", files={"file": ("bench.zip", package(), "application/zip")},
                        data={"course_id": course["id"], "module_id": module["id"]})
    uploaded.raise_for_status()
    lesson_id = uploaded.json()["data"]["attributes"]["lesson_id"]
    users = [f"bench-{n}" for n in range(1, learners + 1)]
    for start in range(0, len(users), 1000):
        api.post("/enrollments/bulk", json={"course_id": course["id"], "user_ids": users[start:start + 1000]}
                 ).raise_for_status()
    urls = []
    for user in users:
        launch = api.post("/scorm/launch", json={"data": {"type": "scorm_launch", "attributes": {
            "lesson_id": lesson_id, "user_id": user}}})
        launch.raise_for_status()
        page = player.get(launch.json()["data"]["attributes"]["path"]).text
        config = json.loads(re.search(r'id="scorm-config">(.*?)</script>', page, re.DOTALL).group(1))  # type: ignore[union-attr]
        session = player.post(config["sessions_url"], json={"item_id": "sco"})
        session.raise_for_status()
        urls.append(session.json()["data"]["commit_url"])
    first = player.post(urls[0], json={"commits": [{"seq": 1, "ops": [[e, v.replace("SESSION_SECONDS", "1")]
                                                                     for e, v in OPS]}]})
    assert first.status_code == 200, first.text  # the typical commit is valid
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, help="server worker threads (default: the server's)")
    args = parser.parse_args()
    results = []
    with running_server(args.threads) as server, tempfile.TemporaryDirectory() as tmp:
        urls = seed(server, args.learners)

        def script(run: int) -> Path:
            """A wrk script whose commit numbers start above every earlier run's, so each is applied."""
            path = Path(tmp) / f"commit-{run}.lua"
            path.write_text(SCRIPT % {"urls": ",".join(f'"{u}"' for u in urls), "base": run * 10_000_000,
                                      "ops": json.dumps(OPS, separators=(",", ":"))})
            return path

        url = server.base + "/scorm/play"
        wrk("warm-up", url, {}, 50, 2, script(1))
        for run, connections in enumerate((50, 200), start=2):
            health = wrk(f"GET /health @{connections}", server.base + "/health", {}, connections, args.seconds)
            commit = wrk(f"POST .../commits @{connections}", url, {}, connections, args.seconds, script(run))
            results.append((health, commit))
    body = len(json.dumps({"commits": [{"seq": 1, "ops": OPS, "terminate": False}]}))
    print(f"{args.learners} learners, one SCORM 2004 session each; a commit is {len(OPS)} SetValue calls, "
          f"{body} bytes; {args.seconds} s each")
    for health, commit in results:
        print_table([health, commit], health)
        print()


if __name__ == "__main__":
    main()
