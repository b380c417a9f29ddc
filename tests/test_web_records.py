"""A learner's own records in the pages: progress per course and module, and certificates (the
PDF downloads, the verification link works)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.test_web import School, browser, check_accessible, js, new_page, school, sign_in, web_server  # noqa: F401


def complete_a_course(where: School) -> str:
    """A one-lesson course awarding a certificate, completed by Amani through the API."""
    api = where.api
    course = api.course(title="Safe online", status="published", settings={"certificate_enabled": True})
    module = api.module(course["id"], title="Passwords")
    lesson = api.lesson(module["id"], title="Strong passwords")
    api.create("/enrollments", "enrollment", user_id="amani", course_id=course["id"])
    answer = api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "amani"})
    assert answer.status_code in (200, 201), answer.text
    return str(course["id"])


def test_my_progress_and_my_certificates(browser: Any, web_server: ServerProcess, school: School,  # noqa: F811
                                         js: bool) -> None:  # noqa: F811
    complete_a_course(school)
    page = new_page(browser, js, accept_downloads=True)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    expect(page.locator("section", has_text="Safe online")).to_contain_text("100%")
    expect(page.locator("section", has_text="Reading the world")).to_contain_text("0%")
    check_accessible(page)
    page.goto(web_server.base + "/")
    page.get_by_role("link", name="My certificates").click()
    expect(page.get_by_role("heading", name="Safe online")).to_be_visible()
    check_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    path = download.value.path()
    assert path is not None and open(path, "rb").read(5) == b"%PDF-"
    link = page.locator("a[href*=\"/verify/\"]").get_attribute("href")
    assert link is not None
    verified = httpx.get(link)
    assert verified.status_code == 200 and "Safe online" in verified.text
    page.context.close()
