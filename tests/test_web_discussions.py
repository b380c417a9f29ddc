"""Discussions in the learner pages: post, reply, upvote, see pinned and resolved; a resent post
is one post."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.test_web import School, browser, check_accessible, js, new_page, school, sign_in, web_server  # noqa: F401


def test_post_reply_and_upvote(browser: Any, web_server: ServerProcess, school: School, js: bool) -> None:  # noqa: F811
    api = school.api
    pinned = api.create(f"/courses/{school.course_id}/discussions", "discussion", title="Read me first",
                        content="<p>Welcome</p>", author_id="bea")
    assert api.patch(f"/discussions/{pinned['id']}/pin", {"pinned": True}).status_code == 200
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/courses/{school.course_id}")
    page.get_by_role("link", name="Discussions").click()
    expect(page.get_by_role("heading", name="Discussions")).to_be_visible()
    expect(page.locator(".card", has_text="Read me first")).to_contain_text("Pinned")
    check_accessible(page)
    page.get_by_label("Title").fill("How do I save a file?")
    page.get_by_label("Message").fill("I clicked save <b>twice</b>.\n\nNothing happened.")
    page.get_by_role("button", name="Post").click()
    page.wait_for_url(re.compile(r"/discussions/[^/]+$"))
    expect(page.get_by_role("heading", name="How do I save a file?")).to_be_visible()
    expect(page.locator(".prose").first).to_contain_text("I clicked save <b>twice</b>.")  # text, not markup
    check_accessible(page)
    page.get_by_label("Your reply").last.fill("Try Ctrl+S.")
    page.get_by_role("button", name="Post reply").last.click()
    expect(page.get_by_role("heading", name="1 reply")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Upvote \(0\)")).first.click()
    expect(page.get_by_role("button", name=re.compile(r"Upvoted \(1\)")).first).to_be_visible()
    discussion_id = page.url.rsplit("/", 1)[-1].split("#")[0]
    listed = api.get(f"/discussions/{discussion_id}").json()["data"]["attributes"]
    assert listed["upvotes"] == 1 and listed["reply_count"] == 1 and listed["author_id"] == "amani"
    # An instructor marks it resolved; the list says so.
    assert api.patch(f"/discussions/{discussion_id}/resolve", {}).status_code == 200
    page.goto(f"{web_server.base}/courses/{school.course_id}/discussions")
    expect(page.locator(".card", has_text="How do I save a file?")).to_contain_text("Resolved")
    page.context.close()


def test_a_resent_post_is_one_post(browser: Any, web_server: ServerProcess, school: School) -> None:  # noqa: F811
    page = new_page(browser, False)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/courses/{school.course_id}/discussions")
    form = page.locator("form[action$='/discussions']")
    fields = {name: form.locator(f"input[name={name}]").get_attribute("value") for name in ("csrf", "op")}
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for _ in range(2):
        answer = httpx.post(f"{web_server.base}/courses/{school.course_id}/discussions", cookies=cookies,
                            data={**fields, "title": "Twice?", "content": "Once."})
        assert answer.status_code == 303
    listed = school.api.get(f"/courses/{school.course_id}/discussions").json()["data"]
    assert [d["attributes"]["title"] for d in listed] == ["Twice?"]
    page.context.close()
