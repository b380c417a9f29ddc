"""The lesson pages of the content types a learner reads or watches: a video that resumes where
the learner stopped (its position saved as they watch, on pause and on leaving), a document shown
inline and always downloadable, an embed with its offline notice. The media come from the
organisation's media library on this server, as in a classroom with no internet."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.conftest import ROOT, ServerProcess, eventually
from tests.test_web import School, browser, check_accessible, completed, js, new_page, school, sign_in, web_server  # noqa: F401

MEDIA = ROOT / "data" / "demo" / "media"


def add_media(where: School, name: str) -> str:
    response = where.api.http.post("/media", files={"file": (name, (MEDIA / name).read_bytes(), "application/pdf")})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["attributes"]["url"])


def position(where: School) -> dict[str, Any] | None:
    response = where.api.get(f"/progress/{where.course_id}/users/amani")
    assert response.status_code == 200, response.text
    current: dict[str, Any] | None = response.json()["data"]["attributes"]["current_lesson"]
    return current


def test_a_video_resumes_where_the_learner_stopped(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                   school: School) -> None:  # noqa: F811
    url = add_media(school, "welcome.webm")
    lesson = school.api.lesson(school.module_ids[0], title="Watch: clean water", content_type="video",
                               content={"video_url": url, "duration_seconds": 20, "allow_download": True})
    page = new_page(browser, True)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/lessons/{lesson['id']}")
    video = page.locator("video")
    page.wait_for_function("document.querySelector('video').readyState >= 1")  # metadata, over Range requests
    assert round(page.evaluate("document.querySelector('video').duration")) == 20
    check_accessible(page)
    # Watch from 7 s for a moment, then pause: the pause saves the position.
    page.evaluate("(() => { const v = document.querySelector('video'); v.muted = true; v.currentTime = 7; "
                  "return v.play(); })()")
    page.wait_for_function("document.querySelector('video').currentTime > 7.5")
    page.evaluate("document.querySelector('video').pause()")
    saved = page.evaluate("Math.floor(document.querySelector('video').currentTime)")

    def saved_at() -> int | None:
        current = position(school)
        return current["position"] if current and current["lesson_id"] == lesson["id"] else None

    assert eventually(lambda: saved_at() == saved)
    # Opened again (another page load, as on the next day): playback resumes there.
    page.reload()
    page.wait_for_function(f"document.querySelector('video').currentTime >= {saved}")
    assert abs(page.evaluate("document.querySelector('video').currentTime") - saved) < 1.5
    # Leaving while it plays saves the position as the page closes.
    page.evaluate("(() => { const v = document.querySelector('video'); v.muted = true; v.currentTime = 15; "
                  "return v.play(); })()")
    page.wait_for_function("document.querySelector('video').currentTime > 15.2")
    page.goto(f"{web_server.base}/courses/{school.course_id}")
    assert eventually(lambda: (saved_at() or 0) >= 15) and (saved_at() or 0) <= 20
    # The download link downloads, with the file's name.
    page.goto(f"{web_server.base}/lessons/{lesson['id']}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the video").click()
    assert download.value.suggested_filename == "welcome.webm"
    expect(video).to_be_visible()
    page.context.close()


def test_a_document_is_shown_and_downloaded(browser: Any, web_server: ServerProcess,  # noqa: F811
                                            school: School, js: bool) -> None:  # noqa: F811
    url = add_media(school, "shortcuts.pdf")
    lesson = school.api.lesson(school.module_ids[0], title="Shortcuts", content_type="document",
                               content={"document_url": url, "file_name": "shortcuts.pdf",
                                        "mime_type": "application/pdf", "page_count": 2})
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/lessons/{lesson['id']}")
    frame = page.locator("iframe.doc")
    assert frame.get_attribute("src") == url and frame.get_attribute("title") == "Shortcuts"
    shown = httpx.get(web_server.base + url)
    assert shown.headers["content-type"] == "application/pdf" and shown.headers["content-disposition"].startswith("inline")
    check_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download shortcuts.pdf").click()
    assert download.value.suggested_filename == "shortcuts.pdf"
    assert open(download.value.path(), "rb").read() == (MEDIA / "shortcuts.pdf").read_bytes()
    # From the keyboard: headless Chromium loses a mouse click made just after scrolling past its PDF
    # viewer's frame (the click is sent before the frame's hit-test region has moved).
    page.get_by_role("button", name="Mark complete").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda address: not address.endswith(lesson["id"]))  # on to the next lesson
    assert lesson["id"] in completed(school, "amani")
    page.context.close()


def test_an_embed_says_it_needs_the_internet(browser: Any, web_server: ServerProcess,  # noqa: F811
                                             school: School, js: bool) -> None:  # noqa: F811
    lesson = school.api.lesson(school.module_ids[0], title="A map of rivers", content_type="embed",
                               content={"embed_url": "https://www.youtube-nocookie.com/embed/rivers", "height": 300})
    page = new_page(browser, js)
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.abort())  # the classroom is offline
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/lessons/{lesson['id']}")
    expect(page.get_by_text("This activity comes from the internet.")).to_be_visible()
    frame = page.locator("iframe.embed")
    assert frame.get_attribute("sandbox") == "allow-scripts allow-same-origin allow-forms allow-popups"
    assert frame.get_attribute("referrerpolicy") == "no-referrer"
    check_accessible(page)
    page.context.close()
