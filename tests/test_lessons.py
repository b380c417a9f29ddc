"""Lessons: seven content types, sanitising, the embed allow-list, ordering, moving."""

from __future__ import annotations

import pytest

from tests.conftest import Api, Tenant, error_of, run_cli

CONTENT = {
    "video": ({"video_url": "https://cdn.example.org/a.mp4", "duration_seconds": 125,
               "transcript_url": "https://cdn.example.org/a.vtt", "allow_download": True}, 3),
    "text": ({"html": "<h2>Hi</h2><p>Read</p>", "estimated_reading_minutes": 7}, 7),
    "document": ({"document_url": "/files/handout.pdf", "file_name": "handout.pdf",
                  "mime_type": "application/pdf", "page_count": 4, "estimated_minutes": 9}, 9),
    "embed": ({"embed_url": "https://www.youtube.com/embed/xyz", "provider": "youtube", "duration_seconds": 600}, 10),
    "quiz": ({"quiz_id": "quiz-1", "estimated_minutes": 15}, 15),
    "assignment": ({"instructions_html": "<p>Build it</p>", "estimated_minutes": 30}, 30),
    "scorm": ({"package_id": "scorm-1", "estimated_minutes": 20}, 20),
}


@pytest.mark.parametrize("content_type", sorted(CONTENT))
def test_each_content_type(api: Api, content_type: str) -> None:
    content, minutes = CONTENT[content_type]
    module = api.module(api.course()["id"])
    lesson = api.lesson(module["id"], title=f"A {content_type}", content_type=content_type, content=content,
                        free_preview=True)
    attrs = lesson["attributes"]
    assert attrs["content_type"] == content_type
    assert attrs["duration_minutes"] == minutes
    assert attrs["free_preview"] is True
    assert attrs["module_id"] == module["id"]
    for key, value in content.items():
        assert attrs["content"][key] == value
    assert api.get(f"/lessons/{lesson['id']}").json()["data"] == lesson


@pytest.mark.parametrize("content_type, content, pointer", [
    ("video", {}, "/data/attributes/content/video_url"),
    ("video", {"video_url": "ftp://x/y.mp4"}, "/data/attributes/content/video_url"),
    ("video", {"video_url": "https://x/y.mp4", "duration_seconds": -1}, "/data/attributes/content/duration_seconds"),
    ("text", {"html": 5}, "/data/attributes/content/html"),
    ("text", {"html": "<p/>", "font": "Comic"}, "/data/attributes/content/font"),
    ("document", {"file_name": "x.pdf"}, "/data/attributes/content/document_url"),
    ("embed", {"embed_url": "not a url"}, "/data/attributes/content/embed_url"),
    ("quiz", {"estimated_minutes": "ten"}, "/data/attributes/content/estimated_minutes"),
])
def test_content_is_checked_against_its_type(api: Api, content_type: str, content: dict, pointer: str) -> None:
    module = api.module(api.course()["id"])
    response = api.post(f"/modules/{module['id']}/lessons", {"data": {"type": "lesson", "attributes": {
        "title": "x", "content_type": content_type, "content": content}}})
    assert response.status_code == 422, response.text
    assert error_of(response)["source"]["pointer"] == pointer
    assert api.get(f"/modules/{module['id']}/lessons").json()["data"] == []


def test_unknown_content_type(api: Api) -> None:
    module = api.module(api.course()["id"])
    response = api.post(f"/modules/{module['id']}/lessons", {"data": {"type": "lesson", "attributes": {
        "title": "x", "content_type": "hologram", "content": {}}}})
    assert error_of(response)["source"]["pointer"] == "/data/attributes/content_type"


def test_html_is_sanitised(api: Api) -> None:
    module = api.module(api.course()["id"])
    dirty = ('<p onclick="steal()">Hi<script>alert(1)</script></p><img src="x.png" onerror="alert(2)">'
             '<a href="javascript:alert(3)">link</a><a href="https://example.org">ok</a><iframe src="https://evil"></iframe>')
    lesson = api.lesson(module["id"], content={"html": dirty})
    html = lesson["attributes"]["content"]["html"]
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "alert("):
        assert bad not in html
    assert "<p>Hi</p>" in html and '<img src="x.png">' in html and 'href="https://example.org"' in html
    assignment = api.lesson(module["id"], content_type="assignment",
                            content={"instructions_html": "<b>Do</b><script>x()</script>"})
    assert assignment["attributes"]["content"]["instructions_html"] == "<b>Do</b>"
    patched = api.patch_resource(f"/lessons/{lesson['id']}", "lesson", content={"html": "<svg onload=alert(1)>x</svg>"})
    assert "onload" not in patched.json()["data"]["attributes"]["content"]["html"]


def test_embed_allow_list_is_enforced_and_configurable(api: Api, tenant: Tenant, server) -> None:
    module = api.module(api.course()["id"])

    def embed(url: str):
        return api.post(f"/modules/{module['id']}/lessons", {"data": {"type": "lesson", "attributes": {
            "title": "embed", "content_type": "embed", "content": {"embed_url": url}}}})

    assert embed("https://player.vimeo.com/video/1").status_code == 201
    assert embed("https://www.youtube-nocookie.com/embed/1").status_code == 201  # subdomain of an allowed host
    refused = embed("https://evil.example.com/embed")
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "embed_host_not_allowed"
    assert error_of(refused)["source"]["pointer"] == "/data/attributes/content/embed_url"
    assert embed("https://notyoutube.com/x").status_code == 422  # suffix is not a subdomain

    shown = run_cli(server.data_dir, "apps", "embed-hosts", "--app", tenant.app_id, "--set", "media.school.lan")
    assert shown.stdout.split() == ["media.school.lan"]
    assert embed("https://media.school.lan/v/1").status_code == 201
    assert embed("https://player.vimeo.com/video/1").status_code == 422
    run_cli(server.data_dir, "apps", "embed-hosts", "--app", tenant.app_id, "--reset")
    assert embed("https://player.vimeo.com/video/1").status_code == 201


def test_reorder_move_between_modules_and_delete(api: Api) -> None:
    course = api.course()
    m1, m2 = api.module(course["id"]), api.module(course["id"])
    a, b, c = (api.lesson(m1["id"], title=t)["id"] for t in "abc")
    x = api.lesson(m2["id"], title="x")["id"]

    def order(module_id: str) -> list[str]:
        return [(item["attributes"]["position"], item["attributes"]["title"])
                for item in api.get(f"/modules/{module_id}/lessons").json()["data"]]

    response = api.post(f"/modules/{m1['id']}/lessons/reorder", {"lesson_ids": [c, a, b]})
    assert response.status_code == 200
    assert order(m1["id"]) == [(1, "c"), (2, "a"), (3, "b")]
    bad = api.post(f"/modules/{m1['id']}/lessons/reorder", {"lesson_ids": [c, a, x]})
    assert bad.status_code == 422 and error_of(bad)["source"]["pointer"] == "/lesson_ids"

    moved = api.patch_resource(f"/lessons/{a}", "lesson", module_id=m2["id"], position=1)
    assert moved.status_code == 200, moved.text
    assert order(m1["id"]) == [(1, "c"), (2, "b")]
    assert order(m2["id"]) == [(1, "a"), (2, "x")]
    other_course_module = api.module(api.course()["id"])
    refused = api.patch_resource(f"/lessons/{a}", "lesson", module_id=other_course_module["id"])
    assert refused.status_code == 422
    assert api.patch_resource(f"/lessons/{a}", "lesson", module_id="module-nope").status_code == 422

    assert api.delete(f"/lessons/{c}").status_code == 204
    assert order(m1["id"]) == [(1, "b")]
    assert api.get(f"/lessons/{c}").status_code == 404
    totals = api.get(f"/courses/{course['id']}").json()["data"]["attributes"]
    assert totals["lesson_count"] == 3


def test_changing_content_type_needs_new_content(api: Api) -> None:
    module = api.module(api.course()["id"])
    lesson = api.lesson(module["id"])
    alone = api.patch_resource(f"/lessons/{lesson['id']}", "lesson", content_type="video")
    assert alone.status_code == 422
    assert error_of(alone)["source"]["pointer"] == "/data/attributes/content"
    wrong = api.patch_resource(f"/lessons/{lesson['id']}", "lesson", content_type="video", content={"html": "<p/>"})
    assert wrong.status_code == 422
    ok = api.patch_resource(f"/lessons/{lesson['id']}", "lesson", content_type="video",
                    content={"video_url": "https://x.org/v.mp4", "duration_seconds": 600})
    assert ok.status_code == 200
    assert ok.json()["data"]["attributes"]["duration_minutes"] == 10
    assert api.get(f"/modules/{module['id']}").json()["data"]["attributes"]["duration_minutes"] == 10


def test_lesson_errors(api: Api) -> None:
    assert error_of(api.get("/modules/module-nope/lessons"))["code"] == "module_not_found"
    assert error_of(api.get("/lessons/lesson-nope"))["code"] == "lesson_not_found"
    assert api.delete("/lessons/lesson-nope").status_code == 404
