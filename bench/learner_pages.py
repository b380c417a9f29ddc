"""The learner pages: what each page weighs, how soon it renders on a slow tablet, and how the
server holds up under a classroom browsing and saving progress.

    python bench/learner_pages.py [--learners 200] [--seconds 10]

1. Page weight of home, course, lesson and quiz question pages as a signed-in learner sees them:
   HTML + CSS + JS (the pages use system fonts: no font files), uncompressed and gzipped.
2. Time to first contentful paint and to DOMContentLoaded (the pages are interactive then: the
   one script is deferred and small) in headless Chromium with the CPU throttled 6x and the
   network shaped to 500 kbit/s with 300 ms latency (DevTools `Emulation.setCPUThrottlingRate`,
   `Network.emulateNetworkConditions`), with a cold cache.
3. `--learners` signed-in learners at once, two ways. Flat out (wrk, one connection each, no pause):
   each request is a random learner opening their home, course or lesson page, or saving a lesson
   position (one in four), beside the health endpoint in the same run: the server's ceiling. And
   paced as a classroom is: each learner opens a page, reads for a random 0-`--think` x 2 seconds,
   and opens the next (an open loop in asyncio), timing every page load.
Targets (issue 23): each page under 60 KB before gzip, JavaScript under 25 KB, ready under 2.5 s
throttled, p99 under 100 ms for page loads with 200 learners on the 2-core machine.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def seed(server: Server, learners: int) -> dict[str, Any]:
    api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=60)

    def create(path: str, type_: str, **attributes: Any) -> dict[str, Any]:
        answer = api.post(path, json={"data": {"type": type_, "attributes": attributes}})
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()["data"]
        return data

    course = create("/courses", "course", title="Reading the world", status="published",
                    description="A course with the lessons a classroom reads.")
    lessons = []
    for m in range(3):
        module = create(f"/courses/{course['id']}/modules", "module", title=f"Module {m + 1}")
        for n in range(4):
            html = "".join(f"<p>Paragraph {p} of lesson {n + 1}: words a learner reads on a small screen.</p>"
                           for p in range(12))
            lessons.append(create(f"/modules/{module['id']}/lessons", "lesson", title=f"Lesson {m + 1}.{n + 1}",
                                  content_type="text", content={"html": html, "estimated_reading_minutes": 5}))
    quiz_lesson = create(f"/modules/{module['id']}/lessons", "lesson", title="Check yourself", content_type="quiz",
                         content={"estimated_minutes": 5})
    quiz = create("/quizzes", "quiz", title="Check yourself", lesson_id=quiz_lesson["id"], questions=[
        {"type": "multiple_choice", "question": f"Question {i}?", "points": 1,
         "options": [{"text": "Yes", "correct": True}, {"text": "No"}, {"text": "Maybe"}]} for i in range(5)])
    for i in range(learners):
        create("/users", "user", id=f"learner-{i}", display_name=f"Learner {i:03d}", role="learner", pin="2468")
        create("/enrollments", "enrollment", user_id=f"learner-{i}", course_id=course["id"])
    return {"course": course["id"], "lessons": [lesson["id"] for lesson in lessons], "quiz": quiz["id"]}


def sign_in(base: str, app_id: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get(f"/signin?org={app_id}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    answer = client.post("/signin", data={"csrf": csrf[1], "org": app_id, "name": name, "secret": "2468"})
    assert answer.status_code == 303, answer.text
    return client


def weights(client: httpx.Client, pages: dict[str, str]) -> list[tuple[str, int, int, int]]:
    """(page, bytes, gzipped bytes, of which JavaScript) for each page with its stylesheet and script."""
    rows = []
    for label, path in pages.items():
        html = client.get(path).content
        total, packed, script = len(html), len(gzip.compress(html, 6)), 0
        for asset in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
            body = client.get(asset.decode()).content
            total += len(body)
            packed += len(gzip.compress(body, 6))
            script += len(body) if b".js" in asset else 0
        rows.append((label, total, packed, script))
    return rows


def render_times(base: str, cookies: dict[str, str], pages: dict[str, str]) -> list[tuple[str, float, float]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        for label, path in pages.items():
            context = browser.new_context(viewport={"width": 800, "height": 1280})
            context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 300,
                                                          "downloadThroughput": 500_000 / 8,
                                                          "uploadThroughput": 500_000 / 8})
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 6})
            page.goto(base + path, wait_until="load")
            paint = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0")
            ready = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
            rows.append((label, float(paint), float(ready)))
            context.close()
        browser.close()
    return rows


def load_script(base: str, sessions: list[dict[str, str]], pages: list[str], lessons: list[str],
                saves: bool = True, think_ms: int = 0) -> Path:
    """A wrk script: each request a random learner, a page (or, with `saves`, one time in four a
    position save); with `think_ms`, each connection waits 0 to twice that before its next request."""
    lines = ["math.randomseed(os.time())", "local sessions = {"]
    for s in sessions:
        cookie = f'ul_session={s["ul_session"]}; ul_device={s["ul_device"]}'
        lines.append(f'  {{cookie = "{cookie}", csrf = "{s["csrf"]}"}},')
    lines.append("}")
    lines.append("local pages = {" + ", ".join(f'"{p}"' for p in pages) + "}")
    lines.append("local lessons = {" + ", ".join(f'"{lesson}"' for lesson in lessons) + "}")
    lines += [
        "request = function()",
        "  local s = sessions[math.random(#sessions)]",
        f"  if {'true' if saves else 'false'} and math.random(4) == 1 then",
        "    local body = 'csrf=' .. s.csrf .. '&position=' .. math.random(100) .. '&time_spent_seconds=5'",
        "    return wrk.format('POST', '/lessons/' .. lessons[math.random(#lessons)] .. '/position',",
        "      {['Cookie'] = s.cookie, ['Content-Type'] = 'application/x-www-form-urlencoded',",
        "       ['X-Requested-With'] = 'page-script'}, body)",
        "  end",
        "  return wrk.format('GET', pages[math.random(#pages)], {['Cookie'] = s.cookie})",
        "end",
    ]
    if think_ms:
        lines += [f"delay = function() return math.random(0, {2 * think_ms}) end"]
    path = Path(tempfile.mkdtemp(prefix="ul-bench-")) / "learners.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


SETTLE_SECONDS = 5  # between a flat-out run and a paced one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds a paced learner reads a page")
    args = parser.parse_args()
    with running_server(extra_env={"UNIVERSITY_LOCAL_WEB_ENV": "test"}) as server:
        seeded = seed(server, args.learners)
        first = sign_in(server.base, server.app_id, "Learner 000")
        start = first.get(f"/quizzes/{seeded['quiz']}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', start)
        assert csrf is not None
        attempt = first.post(f"/quizzes/{seeded['quiz']}/start", data={"csrf": csrf[1]})
        pages = {"home": "/", "course": f"/courses/{seeded['course']}", "lesson": f"/lessons/{seeded['lessons'][0]}",
                 "quiz question": attempt.headers["location"]}
        sizes = weights(first, pages)
        times = render_times(server.base, dict(first.cookies), pages)
        sessions = []
        for i in range(args.learners):
            client = first if i == 0 else sign_in(server.base, server.app_id, f"Learner {i:03d}")
            token = re.search(r'name="csrf" content="([^"]+)"', client.get("/").text)
            assert token is not None
            sessions.append({**dict(client.cookies), "csrf": token[1]})
        script = load_script(server.base, sessions, list(pages.values())[:3], seeded["lessons"])
        wrk("warm-up", server.base + "/", {}, args.learners, 2, script=script)
        health = wrk("GET /health", server.base + "/health", {}, args.learners, args.seconds)
        mixed = wrk(f"{args.learners} learners: pages + 1/4 position saves", server.base + "/", {}, args.learners,
                    args.seconds, script=script)
        # Paced: each of the learners reads for a while between pages, as a class does. wrk keeps the
        # client's own cost out of the figures (a Python client's event loop added its own tail).
        think = int(args.think * 1000)
        time.sleep(SETTLE_SECONDS)  # the flat-out run leaves requests queued: let them drain first
        paced = [wrk(f"{args.learners} learners paced: pages", server.base + "/", {}, args.learners,
                     2 * args.seconds, script=load_script(server.base, sessions, list(pages.values())[:3],
                                                          seeded["lessons"], saves=False, think_ms=think)),
                 wrk(f"{args.learners} learners paced: + 1/4 saves", server.base + "/", {}, args.learners,
                     2 * args.seconds, script=load_script(server.base, sessions, list(pages.values())[:3],
                                                          seeded["lessons"], think_ms=think))]
    print(f"{'page':<16} {'bytes':>8} {'gzip':>8} {'of it JS':>9}   (HTML + CSS + JS; no fonts)")
    for label, total, packed, script_bytes in sizes:
        print(f"{label:<16} {total:>8} {packed:>8} {script_bytes:>9}")
    print(f"\n{'page':<16} {'first paint ms':>15} {'ready ms':>9}   (CPU 6x slower, 500 kbit/s, 300 ms)")
    for label, paint, ready in times:
        print(f"{label:<16} {paint:>15.0f} {ready:>9.0f}")
    print()
    print_table([health, mixed, *paced], health)
    print(f"(paced: each learner waits 0-{2 * args.think:.0f} s between requests)")


if __name__ == "__main__":
    main()
