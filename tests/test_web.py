"""The learner web pages in headless Chromium, with JavaScript on and again with it off.

A server of its own serves the pages for the test environment; each test makes an organisation
with a course and learners through the API, then a learner uses the pages as a person would: by
the accessible names of fields and buttons. What the pages did is checked through the API.
Every page is also checked by axe-core (no serious or critical violations) and at 320 px width.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ServerProcess, Tenant, make_tenant, start_server
from university_local.core.clock import to_iso, utcnow

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("web"), {"UNIVERSITY_LOCAL_RATE_LIMITS": "off",
                                                         "UNIVERSITY_LOCAL_WEB_ENV": "test",
                                                         "UNIVERSITY_LOCAL_WIFI_SSID": "Room 5; upstairs",
                                                         "UNIVERSITY_LOCAL_WIFI_PASSWORD": "chalk:board"})
    yield srv
    srv.stop()
    assert "UnscopedQuery" not in srv.output()
    assert "Traceback" not in srv.output(), srv.output()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=["js", "no-js"])
def js(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "js")


@dataclass
class School:
    tenant: Tenant
    course_id: str
    module_ids: list[str]
    lessons: dict[str, str]  # title -> id

    @property
    def api(self) -> Any:
        return self.tenant.secret


def make_school(srv: ServerProcess) -> School:
    """An organisation with one published course (a text lesson, a document, a second module
    still locked by drip) and two learners with PINs, both enrolled."""
    tenant = make_tenant(srv)
    api = tenant.secret
    course = api.course(title="Reading the world", status="published",
                        settings={"self_enrollment": True})
    first = api.module(course["id"], title="First steps")
    later = api.module(course["id"], title="Later on", unlock_at="2099-01-01T00:00:00Z")
    lessons = {}
    lessons["Welcome"] = api.lesson(first["id"], title="Welcome",
                                    content={"html": "<p>Hello <b>class</b></p><script>alert(1)</script>"})["id"]
    lessons["Second page"] = api.lesson(first["id"], title="Second page",
                                        content={"html": "<p>More words</p>"})["id"]
    lessons["Locked page"] = api.lesson(later["id"], title="Locked page")["id"]
    for user_id, name, pin in (("amani", "Amani Njoroge", "2468"), ("bea", "Beatriz Santos", "1357")):
        api.create("/users", "user", id=user_id, display_name=name, role="learner", pin=pin)
        api.create("/enrollments", "enrollment", user_id=user_id, course_id=course["id"])
    return School(tenant, course["id"], [first["id"], later["id"]], lessons)


@pytest.fixture
def school(web_server: ServerProcess) -> School:
    return make_school(web_server)


def new_page(browser: Any, js: bool, **options: Any) -> Any:
    context = browser.new_context(java_script_enabled=js, **options)
    context.js = js
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def sign_in(page: Any, base: str, school: School, name: str = "Amani Njoroge", pin: str = "2468") -> None:
    page.goto(base + "/signin?org=" + school.tenant.app_id)
    page.get_by_label("Name").fill(name)
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Sign in").first.click()


def check_accessible(page: Any) -> None:
    """axe-core at the page's size and again at 320x640, where nothing may need scrolling sideways
    (WCAG 1.4.10). axe runs as a script in the page: with scripts off it cannot, and the markup is
    the same."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.context.js:
        return
    size = page.viewport_size
    for viewport in (None, {"width": 320, "height": 640}):
        if viewport:
            page.set_viewport_size(viewport)
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in serious]
    page.set_viewport_size(size)


def check_reflows(page: Any) -> None:
    """At 320 px nothing needs scrolling sideways (WCAG 1.4.10)."""
    if not page.context.js:
        return
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def completed(school: School, user_id: str) -> set[str]:
    response = school.api.get(f"/progress/{school.course_id}/users/{user_id}")
    assert response.status_code == 200, response.text
    return {c["lesson_id"] for c in response.json()["data"]["attributes"]["lessons_completed"]}


def test_a_learner_signs_in_reads_and_marks_complete(browser: Any, web_server: ServerProcess, school: School,
                                                      js: bool) -> None:
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    expect(page.get_by_role("heading", name="Hello, Amani Njoroge")).to_be_visible()
    check_accessible(page)
    page.get_by_role("link", name="Reading the world").click()
    expect(page.get_by_text("Opens on")).to_be_visible()  # the drip-locked module says when
    assert page.get_by_role("link", name="Locked page").count() == 0
    check_accessible(page)
    page.get_by_role("link", name="Welcome").click()
    expect(page.locator(".prose b")).to_have_text("class")
    assert page.locator(".prose script").count() == 0  # sanitised
    check_accessible(page)
    page.get_by_role("button", name="Mark complete").click()
    page.wait_for_url(re.compile(r"/lessons/" + school.lessons["Second page"]))
    assert completed(school, "amani") == {school.lessons["Welcome"]}
    page.goto(web_server.base + "/")
    page.get_by_role("link", name="Continue where you left off").click()
    expect(page.get_by_role("heading", name="Second page")).to_be_visible()
    check_reflows(page)
    page.context.close()


def test_a_resent_form_counts_once(browser: Any, web_server: ServerProcess, school: School) -> None:
    """The browser's own resend (a reload after a post, a double tap) carries the same operation id."""
    page = new_page(browser, False)
    sign_in(page, web_server.base, school)
    page.goto(f"{web_server.base}/courses/{school.course_id}")
    assert page.get_by_role("button", name="Join this course").count() == 0  # already enrolled
    page.goto(f"{web_server.base}/lessons/{school.lessons['Welcome']}")
    form = page.locator("form.complete")
    fields = {name: form.locator(f"input[name={name}]").get_attribute("value") for name in ("csrf", "op", "next")}
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    url = f"{web_server.base}/lessons/{school.lessons['Welcome']}/complete"
    for _ in range(2):
        answer = httpx.post(url, data=fields, cookies=cookies)
        assert answer.status_code == 303
    response = school.api.get(f"/progress/{school.course_id}/users/amani")
    assert len(response.json()["data"]["attributes"]["lessons_completed"]) == 1
    page.context.close()


def test_wrong_pins_are_throttled_and_do_not_say_whether_a_name_exists(browser: Any, web_server: ServerProcess,
                                                                        school: School, js: bool) -> None:
    page = new_page(browser, js)
    sign_in(page, web_server.base, school, name="Nobody Here", pin="0000")
    unknown = page.get_by_role("alert").inner_text()
    sign_in(page, web_server.base, school, pin="0000")
    wrong = page.get_by_role("alert").inner_text()
    assert unknown == wrong == "That name and PIN do not match. Try again."
    check_accessible(page)
    for _ in range(4):
        sign_in(page, web_server.base, school, pin="1111")
    message = page.get_by_role("alert").inner_text()
    assert re.fullmatch(r"Too many wrong tries\. Try again in \d+ seconds\.", message), message
    sign_in(page, web_server.base, school)  # even the right PIN waits out the pause
    assert "Too many wrong tries" in page.get_by_role("alert").inner_text()
    # Another learner on another device is not held up by Amani's pause.
    other = new_page(browser, js)
    sign_in(other, web_server.base, school, name="Beatriz Santos", pin="1357")
    other.wait_for_url(web_server.base + "/")
    # An instructor sees the pause over the API and lifts it.
    pause = school.api.get("/users/amani/signin-pause")
    assert pause.status_code == 200, pause.text
    attrs = pause.json()["data"]["attributes"]
    assert attrs["failures"] == 5 and 0 < attrs["seconds_left"] <= 30 and attrs["blocked_until"]
    assert school.api.delete("/users/amani/signin-pause").status_code == 204
    assert school.api.get("/users/amani/signin-pause").json()["data"]["attributes"] == {
        "user_id": "amani", "failures": 0, "blocked_until": None, "seconds_left": 0}
    assert school.api.get("/users/nobody/signin-pause").status_code == 404
    assert school.tenant.publishable.delete("/users/amani/signin-pause").status_code in (401, 403)
    cleared = school.api.delete("/signin-pauses")  # what is left: this device's run of wrong PINs
    assert cleared.status_code == 200 and cleared.json() == {"data": {"cleared": 1}}
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.context.close()
    other.context.close()


def test_two_learners_on_one_browser_see_only_their_own(browser: Any, web_server: ServerProcess,
                                                         school: School, js: bool) -> None:
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.goto(f"{web_server.base}/lessons/{school.lessons['Welcome']}")
    page.get_by_role("button", name="Mark complete").click()
    page.wait_for_url(re.compile("/lessons/"))
    first_session = next(c["value"] for c in page.context.cookies() if c["name"] == "ul_session")
    page.get_by_role("button", name="Not you? Sign out").click()
    page.wait_for_url(re.compile("/signin"))
    page.goto(web_server.base + "/")
    page.wait_for_url(re.compile("/signin"))  # signed out: the pages are gone
    sign_in(page, web_server.base, school, name="Beatriz Santos", pin="1357")
    page.wait_for_url(web_server.base + "/")
    expect(page.get_by_role("heading", name="Hello, Beatriz Santos")).to_be_visible()
    page.get_by_role("link", name="Reading the world").click()
    expect(page.get_by_role("heading", name="Reading the world")).to_be_visible()
    assert page.locator(".lessons li.done").count() == 0  # Amani's completion is not Beatriz's
    second_session = next(c["value"] for c in page.context.cookies() if c["name"] == "ul_session")
    assert second_session != first_session
    # The old session's cookie, replayed, signs nobody in.
    answer = httpx.get(web_server.base + "/", cookies={"ul_session": first_session})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
    page.context.close()


def test_cookies_and_forms_are_protected(web_server: ServerProcess, school: School) -> None:
    with httpx.Client(base_url=web_server.base) as client:
        form_page = client.get(f"/signin?org={school.tenant.app_id}")
        cookie = form_page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        csrf = re.search(r'name="csrf" value="([^"]+)"', form_page.text)
        assert csrf is not None
        fields = {"org": school.tenant.app_id, "name": "Amani Njoroge", "secret": "2468"}
        refused = client.post("/signin", data={**fields, "csrf": "forged"})
        assert refused.status_code == 403 and "<html" in refused.text
        before = client.cookies.get("ul_session")
        signed = client.post("/signin", data={**fields, "csrf": csrf[1]})
        assert signed.status_code == 303
        session = signed.headers["set-cookie"]
        assert session.startswith("ul_session=") and "HttpOnly" in session and "SameSite=Lax" in session
        assert client.cookies.get("ul_session") not in (None, before)
        # A page of the signed-in learner, and the 404 of a lesson of another organisation.
        other = make_school(web_server)
        missing = client.get(f"/lessons/{other.lessons['Welcome']}")
        assert missing.status_code == 404 and "<html" in missing.text
        assert client.get("/").status_code == 200
        assert client.get("/").headers["cache-control"] == "no-store"


def test_an_idle_session_ends_by_itself(browser: Any, web_server: ServerProcess, school: School) -> None:
    page = new_page(browser, False)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    store = web_server.store
    # A learner still at work: a page more than a minute after the last one moves the last-seen time.
    two_minutes_ago = to_iso(utcnow() - timedelta(minutes=2))
    with store.transaction() as tx:
        tx.execute("UPDATE web_sessions SET last_seen_at = ? WHERE user_id = 'amani' AND app_id = ?",
                   (two_minutes_ago, school.tenant.app_id))
    page.goto(web_server.base + "/")
    expect(page.get_by_role("heading", name="Hello, Amani Njoroge")).to_be_visible()
    seen = store.scalar("SELECT last_seen_at FROM web_sessions WHERE user_id = 'amani' AND app_id = ?",
                        (school.tenant.app_id,))
    assert seen > two_minutes_ago
    # Left idle longer than the site allows: the next page signs the learner out.
    with store.transaction() as tx:
        tx.execute("UPDATE web_sessions SET last_seen_at = '2000-01-01T00:00:00.000Z' WHERE user_id = 'amani' "
                   "AND app_id = ?", (school.tenant.app_id,))
    store.close()
    page.goto(web_server.base + "/")
    page.wait_for_url(re.compile(r"/signin\?ended=1"))
    expect(page.get_by_text("You were signed out because the page was left idle.")).to_be_visible()
    page.context.close()


def test_screenshots_of_the_main_pages(browser: Any, web_server: ServerProcess, school: School) -> None:
    """Written for people to look at (docs/screenshots/), at phone and laptop sizes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("phone", {"width": 390, "height": 844}), ("laptop", {"width": 1280, "height": 800})):
        page = new_page(browser, True, viewport=viewport)
        page.goto(f"{web_server.base}/signin?org={school.tenant.app_id}")
        page.screenshot(path=str(SCREENSHOTS / f"signin-{size}.png"), full_page=True)
        sign_in(page, web_server.base, school)
        page.wait_for_url(web_server.base + "/")
        page.screenshot(path=str(SCREENSHOTS / f"home-{size}.png"), full_page=True)
        page.goto(f"{web_server.base}/courses/{school.course_id}")
        page.screenshot(path=str(SCREENSHOTS / f"course-{size}.png"), full_page=True)
        page.goto(f"{web_server.base}/lessons/{school.lessons['Welcome']}")
        page.screenshot(path=str(SCREENSHOTS / f"lesson-{size}.png"), full_page=True)
        page.context.close()
        assert (SCREENSHOTS / f"lesson-{size}.png").stat().st_size > 1000


def test_every_string_of_the_pages_is_in_the_spanish_catalogue() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web = Path(__file__).resolve().parent.parent / "university_local" / "web"
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in extract_from_dir(str(web), method_map, options, keywords={"_": None, "gettext": (2,)})}
    with open(web / "locale" / "es" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string}
    assert len(found) > 50
    assert found - translated == set()


def test_the_language_follows_the_browser_and_the_switch(browser: Any, web_server: ServerProcess,
                                                         school: School) -> None:
    page = new_page(browser, False, locale="es-ES")
    page.goto(f"{web_server.base}/signin?org={school.tenant.app_id}")
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_role("heading", name="Entrar")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.context.close()


def test_the_join_card_shows_the_learner_url_as_a_qr_code(browser: Any, web_server: ServerProcess,
                                                          school: School) -> None:
    import io

    import zxingcpp
    from PIL import Image

    page = new_page(browser, True, viewport={"width": 1280, "height": 900})
    page.goto(web_server.base + "/join")
    url = web_server.base + "/"
    assert page.locator(".bigurl").inner_text() == url
    codes = page.locator(".qr svg")
    assert codes.count() == 2
    read = []
    for index in range(2):
        image = Image.open(io.BytesIO(codes.nth(index).screenshot())).convert("L")
        read += [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert read == [url, "WIFI:T:WPA;S:Room 5\\; upstairs;P:chalk\\:board;;"]
    check_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "join-laptop.png"), full_page=True)
    page.context.close()


def test_plural_messages_have_every_spanish_form() -> None:
    from babel.messages.pofile import read_po

    web = Path(__file__).resolve().parent.parent / "university_local" / "web"
    with open(web / "locale" / "es" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert plurals and all(all(m.string) for m in plurals)


def test_a_page_address_that_does_not_exist_answers_a_readable_page(web_server: ServerProcess) -> None:
    page = httpx.get(web_server.base + "/no-such-page", headers={"Accept": "text/html", "Accept-Language": "es"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "No hay ninguna página en esta dirección." in page.text and 'lang="es"' in page.text
    api = httpx.get(web_server.base + "/v1/university/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and "json" in api.headers["content-type"]
    assert "json" in httpx.get(web_server.base + "/no-such-page").headers["content-type"]  # an API client
