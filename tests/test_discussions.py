"""Discussions: threads, replies, upvotes, pinning, resolving; who may do what; exact counters; events."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import (
    Api,
    Tenant,
    error_of,
    eventually,
    make_tenant,
    run_cli,
    start_server,
)
from tests.receiver import Receiver, verify

SECRET = "discussion-hook-secret"


# -- helpers -----------------------------------------------------------------------------------


def forum(api: Api, **course: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A published course with one module and one lesson: (course, lesson)."""
    c = api.course(**{"status": "published", **course})
    lesson = api.lesson(api.module(c["id"])["id"])
    return c, lesson


def enroll(api: Api, user_id: str, course_id: str, **extra: Any) -> dict[str, Any]:
    response = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user_id, "course_id": course_id, **extra}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def start(client: Api, course_id: str, **attributes: Any) -> httpx.Response:
    attrs = {"title": "A question", "content": "<p>How does this work?</p>", "author_id": "ana", **attributes}
    return client.post(f"/courses/{course_id}/discussions", {"data": {"type": "discussion", "attributes": attrs}})


def started(client: Api, course_id: str, **attributes: Any) -> dict[str, Any]:
    response = start(client, course_id, **attributes)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def reply(client: Api, discussion_id: str, **attributes: Any) -> httpx.Response:
    attrs = {"content": "<p>An answer.</p>", "author_id": "ben", **attributes}
    return client.post(f"/discussions/{discussion_id}/replies", {"data": {"type": "reply", "attributes": attrs}})


def replied(client: Api, discussion_id: str, **attributes: Any) -> dict[str, Any]:
    response = reply(client, discussion_id, **attributes)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def attrs_of(api: Api, discussion_id: str) -> dict[str, Any]:
    response = api.get(f"/discussions/{discussion_id}")
    assert response.status_code == 200, response.text
    return response.json()["data"]["attributes"]


def thread(api: Api, discussion_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/discussions/{discussion_id}/replies", params={"per_page": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


# -- creating and reading ------------------------------------------------------------------------


def test_create_with_and_without_lesson_and_read_back(api: Api) -> None:
    course, lesson = forum(api)
    plain = started(api, course["id"], title="General question", author_id="ana")
    assert plain["id"].startswith("discussion-") and plain["type"] == "discussion"
    a = plain["attributes"]
    assert (a["title"], a["content"], a["author_id"], a["lesson_id"], a["course_id"]) == (
        "General question", "<p>How does this work?</p>", "ana", None, course["id"])
    assert (a["reply_count"], a["upvotes"], a["pinned"], a["resolved"]) == (0, 0, False, False)
    assert a["resolved_at"] is None and a["answer_reply_id"] is None and a["last_reply_at"] is None
    assert a["created_at"].endswith("Z") and a["updated_at"] == a["created_at"]
    assert plain["relationships"]["course"]["data"] == {"type": "course", "id": course["id"]}
    assert plain["relationships"]["lesson"]["data"] is None
    assert plain["relationships"]["author"]["data"] == {"type": "user", "id": "ana"}
    about = started(api, course["id"], title="About the lesson", lesson_id=lesson["id"])
    assert about["attributes"]["lesson_id"] == lesson["id"]
    assert about["relationships"]["lesson"]["data"] == {"type": "lesson", "id": lesson["id"]}

    got = api.get(f"/discussions/{plain['id']}")
    assert got.status_code == 200 and got.json() == {"data": plain}
    listed = api.get(f"/courses/{course['id']}/discussions").json()
    assert [d["id"] for d in listed["data"]] == [about["id"], plain["id"]]
    assert listed["meta"] == {"total": 2, "page": 1, "per_page": 20}
    by_lesson = api.get(f"/courses/{course['id']}/discussions", params={"lesson_id": lesson["id"]}).json()
    assert [d["id"] for d in by_lesson["data"]] == [about["id"]] and by_lesson["meta"]["total"] == 1
    by_author = api.get(f"/courses/{course['id']}/discussions", params={"author_id": "nobody"}).json()
    assert by_author["data"] == [] and by_author["meta"]["total"] == 0
    # A secret key may post as a user who did not exist yet: created as a learner, as enrolling does.
    assert api.get("/users/ana").json()["data"]["attributes"]["role"] == "learner"


def test_create_errors_leave_nothing_behind(api: Api, tenant: Tenant, server) -> None:
    course, lesson = forum(api)
    other_course, other_lesson = forum(api, title="Another course")

    wrong = start(api, course["id"], lesson_id=other_lesson["id"])
    assert wrong.status_code == 422
    err = error_of(wrong)
    assert err["code"] == "lesson_not_in_course" and err["source"] == {"pointer": "/data/attributes/lesson_id"}
    unknown_lesson = start(api, course["id"], lesson_id="lesson-nope")
    assert unknown_lesson.status_code == 422 and error_of(unknown_lesson)["code"] == "lesson_not_in_course"
    api.delete(f"/lessons/{lesson['id']}")
    deleted_lesson = start(api, course["id"], lesson_id=lesson["id"])
    assert deleted_lesson.status_code == 422 and error_of(deleted_lesson)["code"] == "lesson_not_in_course"

    missing = start(api, "course-nope")
    assert missing.status_code == 404 and error_of(missing)["code"] == "course_not_found"
    api.delete(f"/courses/{other_course['id']}")
    gone = start(api, other_course["id"])
    assert gone.status_code == 404 and error_of(gone)["code"] == "course_not_found"

    for attrs, pointer in (({"title": ""}, "/data/attributes/title"),
                           ({"title": "x" * 201}, "/data/attributes/title"),
                           ({"title": " \t\n\u200b\x07 "}, "/data/attributes/title"),
                           ({"content": ""}, "/data/attributes/content"),
                           ({"content": "<script>alert(1)</script>"}, "/data/attributes/content"),
                           ({"author_id": ""}, "/data/attributes/author_id"),
                           ({"title": 5}, "/data/attributes/title"),
                           ({"pinned": True}, "/data/attributes/pinned")):
        response = start(api, course["id"], **attrs)
        assert response.status_code == 422, (attrs, response.text)
        assert error_of(response)["source"]["pointer"] == pointer, attrs
    no_author = api.post(f"/courses/{course['id']}/discussions", {"data": {"type": "discussion", "attributes": {
        "title": "t", "content": "c"}}})
    assert no_author.status_code == 422 and error_of(no_author)["source"]["pointer"] == "/data/attributes/author_id"
    wrong_type = api.post(f"/courses/{course['id']}/discussions", {"data": {"type": "course", "attributes": {
        "title": "t", "content": "c", "author_id": "ana"}}})
    assert wrong_type.status_code == 422
    malformed = api.http.post(f"/courses/{course['id']}/discussions", content=b"{nope",
                              headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "invalid_json"

    api.create("/users", "user", id="gone", display_name="Gone")
    api.delete("/users/gone")
    inactive = start(api, course["id"], author_id="gone")
    assert inactive.status_code == 422 and error_of(inactive)["code"] == "user_inactive"
    run_cli(server.data_dir, "apps", "auto-create-users", "--app", tenant.app_id, "off")
    try:
        stranger = start(api, course["id"], author_id="stranger")
        assert stranger.status_code == 422 and error_of(stranger)["code"] == "user_not_found"
        assert error_of(stranger)["source"]["pointer"] == "/data/attributes/author_id"
    finally:
        run_cli(server.data_dir, "apps", "auto-create-users", "--app", tenant.app_id, "on")

    assert api.get(f"/courses/{course['id']}/discussions").json()["meta"]["total"] == 0
    assert api.get("/users/stranger").status_code == 404


def test_learner_must_be_enrolled(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, lesson = forum(api)
    outsider = start(learner, course["id"], author_id="lea")
    assert outsider.status_code == 422
    err = error_of(outsider)
    assert err["code"] == "not_enrolled" and err["source"] == {"pointer": "/data/attributes/author_id"}
    assert api.get("/users/lea").status_code == 404  # a learner's key creates no users

    enrollment = enroll(api, "lea", course["id"])
    post = started(learner, course["id"], author_id="lea", lesson_id=lesson["id"])
    assert post["attributes"]["author_id"] == "lea"
    assert reply(learner, post["id"], author_id="max").status_code == 422  # max is not enrolled either

    # A completed enrollment still may post (the course's only lesson, done).
    enroll(api, "max", course["id"])
    assert learner.post(f"/lessons/{lesson['id']}/complete", {"user_id": "max"}).status_code == 200
    assert api.get("/enrollments", params={"user_id": "max"}).json()["data"][0]["attributes"]["status"] == "completed"
    assert reply(learner, post["id"], author_id="max").status_code == 201

    # A cancelled enrollment may not.
    assert api.delete(f"/enrollments/{enrollment['id']}").status_code == 204
    cancelled = start(learner, course["id"], author_id="lea")
    assert cancelled.status_code == 422 and error_of(cancelled)["code"] == "not_enrolled"
    upvote = learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "lea"})
    assert upvote.status_code == 422 and error_of(upvote)["source"] == {"pointer": "/user_id"}

    # An expired one answers as progress does.
    enroll(api, "ivy", course["id"], expires_at=soon(1.5))
    assert reply(learner, post["id"], author_id="ivy").status_code == 201
    time.sleep(1.6)
    expired = reply(learner, post["id"], author_id="ivy")
    assert expired.status_code == 403 and error_of(expired)["code"] == "enrollment_expired"

    # A secret key posts as anyone: instructors need no enrollment.
    api.create("/users", "user", id="prof", display_name="Prof", role="instructor")
    assert started(api, course["id"], author_id="prof")["attributes"]["author_id"] == "prof"
    assert api.get("/users/prof").json()["data"]["attributes"]["role"] == "instructor"


def test_closed_forum_is_readable_but_learners_cannot_post(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, _ = forum(api)
    enroll(api, "lea", course["id"])
    post = started(learner, course["id"], author_id="lea")
    api.patch_resource(f"/courses/{course['id']}", "course", settings={"discussion_enabled": False})
    for response in (start(learner, course["id"], author_id="lea"), reply(learner, post["id"], author_id="lea"),
                     learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "lea"}),
                     learner.patch(f"/discussions/{post['id']}/resolve", {"user_id": "lea"})):
        assert response.status_code == 403 and error_of(response)["code"] == "discussions_disabled"
    assert learner.get(f"/courses/{course['id']}/discussions").json()["meta"]["total"] == 1
    assert learner.get(f"/discussions/{post['id']}").status_code == 200
    assert reply(api, post["id"], author_id="prof").status_code == 201  # instructors still may


# -- content safety --------------------------------------------------------------------------------


def test_content_is_sanitised_and_titles_are_plain_text(api: Api) -> None:
    course, _ = forum(api)
    dirty = ('<p onclick="steal()">Look: <strong>bold</strong>, <em>em</em>, <code>x = 1</code>, '
             '<a href="https://example.org/doc">docs</a>, <a href="javascript:alert(1)">bad</a></p>'
             '<script>alert("xss")</script><img src="https://example.org/a.png" onerror="alert(1)">'
             '<ul><li>one</li></ul><style>body{display:none}</style><iframe src="https://evil.example"></iframe>')
    post = started(api, course["id"], title="  Why is List<String>\n\t invariant?\u202e\x00 ", content=dirty)
    content = post["attributes"]["content"]
    for gone in ("<script", "alert(", "onerror", "onclick", "javascript:", "<style", "<iframe", "steal"):
        assert gone not in content, gone
    for kept in ("<p>", "<strong>bold</strong>", "<em>em</em>", "<code>x = 1</code>", "<ul><li>one</li></ul>",
                 'href="https://example.org/doc"', '<img src="https://example.org/a.png"'):
        assert kept in content, kept
    # Plain text: kept as written (escape it to show it), whitespace and invisible characters tidied.
    assert post["attributes"]["title"] == "Why is List<String> invariant?"

    answer = replied(api, post["id"], content='<b>Because</b> <img src=x onerror="alert(1)"><script>x()</script>')
    assert answer["attributes"]["content"] == '<b>Because</b> <img src="x">'

    edited = api.patch_resource(f"/discussions/{post['id']}", "discussion",
                        content='<p>Edited <a href="https://ok.example" onmouseover="x()">link</a></p><script>1</script>')
    assert edited.status_code == 200, edited.text
    assert edited.json()["data"]["attributes"]["content"] == (
        '<p>Edited <a href="https://ok.example" rel="noopener noreferrer">link</a></p>')
    image_only = started(api, course["id"], content='<img src="https://example.org/diagram.png">')
    assert image_only["attributes"]["content"] == '<img src="https://example.org/diagram.png">'


def test_patch_edits_title_and_content(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, _ = forum(api)
    post = started(api, course["id"])
    changed = api.patch_resource(f"/discussions/{post['id']}", "discussion", title="  Better title ")
    assert changed.status_code == 200
    attrs = changed.json()["data"]["attributes"]
    assert attrs["title"] == "Better title" and attrs["content"] == post["attributes"]["content"]
    assert attrs["updated_at"] >= post["attributes"]["updated_at"]
    assert learner.patch_resource(f"/discussions/{post['id']}", "discussion", title="Mine").status_code == 403
    assert api.patch_resource(f"/discussions/{post['id']}", "discussion", title=None).status_code == 422
    assert api.patch_resource(f"/discussions/{post['id']}", "discussion", author_id="eve").status_code == 422
    mismatch = api.patch(f"/discussions/{post['id']}", {"data": {"type": "discussion", "id": "discussion-other",
                                                                 "attributes": {"title": "x"}}})
    assert mismatch.status_code == 409 and error_of(mismatch)["code"] == "id_mismatch"
    missing = api.patch_resource("/discussions/discussion-nope", "discussion", title="x")
    assert missing.status_code == 404 and error_of(missing)["code"] == "discussion_not_found"
    assert attrs_of(api, post["id"])["title"] == "Better title"


# -- threads ---------------------------------------------------------------------------------------


def test_replies_are_threaded(api: Api) -> None:
    course, lesson = forum(api)
    post = started(api, course["id"], lesson_id=lesson["id"])
    other = started(api, course["id"], title="Another thread")
    r1 = replied(api, post["id"], content="first")
    r2 = replied(api, post["id"], content="answer to first", parent_reply_id=r1["id"])
    r3 = replied(api, post["id"], content="second")
    r4 = replied(api, post["id"], content="answer to answer", parent_reply_id=r2["id"])
    r5 = replied(api, post["id"], content="another answer to first", parent_reply_id=r1["id"])
    assert r1["attributes"]["parent_reply_id"] is None and r1["attributes"]["depth"] == 0
    assert r2["attributes"]["parent_reply_id"] == r1["id"] and r2["attributes"]["depth"] == 1
    assert r4["attributes"]["in_reply_to_id"] == r2["id"] and r4["attributes"]["depth"] == 2
    assert r2["relationships"]["parent"]["data"] == {"type": "reply", "id": r1["id"]}
    assert r2["relationships"]["discussion"]["data"] == {"type": "discussion", "id": post["id"]}

    order = [r1["id"], r2["id"], r4["id"], r5["id"], r3["id"]]  # depth first, siblings oldest first
    assert [r["id"] for r in thread(api, post["id"])] == order
    page = api.get(f"/discussions/{post['id']}/replies", params={"per_page": 2, "page": 2}).json()
    assert [r["id"] for r in page["data"]] == order[2:4]
    assert page["meta"] == {"total": 5, "page": 2, "per_page": 2}

    full = api.get(f"/discussions/{post['id']}", params={"include": "replies"}).json()
    assert [r["id"] for r in full["included"]] == order
    assert [r["id"] for r in full["data"]["relationships"]["replies"]["data"]] == order
    assert full["data"]["attributes"]["reply_count"] == 5
    assert "included" not in api.get(f"/discussions/{post['id']}").json()
    bad_include = api.get(f"/discussions/{post['id']}", params={"include": "author"})
    assert bad_include.status_code == 400 and error_of(bad_include)["code"] == "invalid_include"

    foreign = replied(api, other["id"], content="elsewhere")
    cross = reply(api, post["id"], parent_reply_id=foreign["id"])
    assert cross.status_code == 422
    err = error_of(cross)
    assert err["code"] == "reply_not_in_discussion"
    assert err["source"] == {"pointer": "/data/attributes/parent_reply_id"}
    assert reply(api, post["id"], parent_reply_id="reply-nope").status_code == 422
    assert reply(api, "discussion-nope").status_code == 404
    assert attrs_of(api, post["id"])["reply_count"] == 5  # nothing half-written


def test_threads_deeper_than_the_limit_are_flattened(api: Api) -> None:
    from university_local.discussions.models import MAX_REPLY_DEPTH

    course, _ = forum(api)
    post = started(api, course["id"])
    chain = [replied(api, post["id"], content="level 0")]
    for level in range(1, MAX_REPLY_DEPTH + 3):
        chain.append(replied(api, post["id"], content=f"level {level}", parent_reply_id=chain[-1]["id"]))
    depths = [r["attributes"]["depth"] for r in chain]
    assert depths == [*range(MAX_REPLY_DEPTH + 1), MAX_REPLY_DEPTH, MAX_REPLY_DEPTH]
    deepest = chain[MAX_REPLY_DEPTH]
    beside = chain[MAX_REPLY_DEPTH + 1]["attributes"]
    assert beside["parent_reply_id"] == deepest["attributes"]["parent_reply_id"]  # a sibling...
    assert beside["in_reply_to_id"] == deepest["id"]  # ...that says whom it answered
    assert [r["id"] for r in thread(api, post["id"])] == [r["id"] for r in chain]


# -- upvotes ---------------------------------------------------------------------------------------


def test_upvote_once_per_user_and_withdraw(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, _ = forum(api)
    enroll(api, "lea", course["id"])
    post = started(api, course["id"])
    first = learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "lea"})
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["type"] == "upvote" and data["id"] == f"{post['id']}:lea"
    assert data["attributes"]["upvotes"] == 1 and data["attributes"]["target_type"] == "discussion"
    again = learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "lea"})
    assert again.status_code == 200 and again.json()["data"] == data  # idempotent: same upvote, same count
    assert api.post(f"/discussions/{post['id']}/upvotes", {"user_id": "prof"}).json()["data"]["attributes"]["upvotes"] == 2
    assert attrs_of(api, post["id"])["upvotes"] == 2

    assert learner.delete(f"/discussions/{post['id']}/upvotes/lea").status_code == 204
    assert attrs_of(api, post["id"])["upvotes"] == 1
    assert learner.delete(f"/discussions/{post['id']}/upvotes/lea").status_code == 204  # already withdrawn
    assert attrs_of(api, post["id"])["upvotes"] == 1
    assert learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "lea"}).json()["data"]["attributes"]["upvotes"] == 2

    answer = replied(api, post["id"])
    path = f"/discussions/{post['id']}/replies/{answer['id']}/upvotes"
    up = learner.post(path, {"user_id": "lea"}).json()["data"]["attributes"]
    assert (up["target_type"], up["target_id"], up["upvotes"]) == ("reply", answer["id"], 1)
    assert learner.post(path, {"user_id": "lea"}).json()["data"]["attributes"]["upvotes"] == 1
    assert thread(api, post["id"])[0]["attributes"]["upvotes"] == 1
    assert attrs_of(api, post["id"])["upvotes"] == 2  # reply upvotes are the reply's own
    assert learner.delete(f"{path}/lea").status_code == 204
    assert thread(api, post["id"])[0]["attributes"]["upvotes"] == 0

    assert learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "stranger"}).status_code == 422
    assert api.post(f"/discussions/{post['id']}/upvotes", {}).status_code == 422
    assert api.post("/discussions/discussion-nope/upvotes", {"user_id": "lea"}).status_code == 404
    missing_reply = api.post(f"/discussions/{post['id']}/replies/reply-nope/upvotes", {"user_id": "lea"})
    assert missing_reply.status_code == 404 and error_of(missing_reply)["code"] == "reply_not_found"


def _race(tenant: Tenant, count: int, work: Any) -> list[int]:
    """Run `work(client, i)` in `count` threads released at the same moment; their status codes.

    Each thread has its own connection, closed after its request, as separate learners' devices
    would have.
    """
    barrier = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def run(i: int) -> None:
        client = tenant.with_key(tenant.secret.key)
        client.http.headers["Connection"] = "close"
        try:
            barrier.wait()
            statuses[i] = work(client, i)
        finally:
            client.http.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def test_concurrent_upvotes_and_replies_count_exactly(tenant: Tenant, server) -> None:
    api = tenant.secret
    course, _ = forum(api)
    post = started(api, course["id"])
    # 20 users at once: 20 upvotes.
    statuses = _race(tenant, 20, lambda client, i: client.post(f"/discussions/{post['id']}/upvotes",
                                                               {"user_id": f"fan-{i}"}).status_code)
    assert statuses == [200] * 20
    assert attrs_of(api, post["id"])["upvotes"] == 20

    # One user 20 times at once: one more upvote, never two.
    statuses = _race(tenant, 20, lambda client, i: client.post(f"/discussions/{post['id']}/upvotes",
                                                               {"user_id": "eager"}).status_code)
    assert statuses == [200] * 20
    assert attrs_of(api, post["id"])["upvotes"] == 21
    store = server.store
    try:
        rows = store.scalar("SELECT COUNT(*) FROM discussion_upvotes WHERE target_id = ? AND user_id = 'eager'",
                            (post["id"],))
    finally:
        store.close()
    assert rows == 1

    # 20 replies at once, upvotes and withdrawals interleaved: every counter exact.
    def mixed(client: Api, i: int) -> int:
        if i % 2:
            return client.delete(f"/discussions/{post['id']}/upvotes/fan-{i}").status_code
        return reply(client, post["id"], author_id=f"fan-{i}", content=f"reply {i}").status_code

    statuses = _race(tenant, 20, mixed)
    assert sorted(statuses) == [201] * 10 + [204] * 10
    attrs = attrs_of(api, post["id"])
    assert (attrs["reply_count"], attrs["upvotes"]) == (10, 11)
    assert len(thread(api, post["id"])) == 10

    statuses = _race(tenant, 20, lambda client, i: reply(client, post["id"], author_id=f"fan-{i}").status_code)
    assert statuses == [201] * 20
    assert attrs_of(api, post["id"])["reply_count"] == 30


# -- pinning, order, pagination ------------------------------------------------------------------


def test_pin_needs_a_secret_key_and_pinned_come_first(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, lesson = forum(api)
    d1 = started(api, course["id"], title="oldest")
    d2 = started(api, course["id"], title="middle", lesson_id=lesson["id"])
    d3 = started(api, course["id"], title="newest")

    forbidden = learner.patch(f"/discussions/{d1['id']}/pin", {"pinned": True})
    assert forbidden.status_code == 403 and error_of(forbidden)["code"] == "forbidden"
    pinned = api.patch(f"/discussions/{d1['id']}/pin", {"pinned": True})
    assert pinned.status_code == 200 and pinned.json()["data"]["attributes"]["pinned"] is True
    assert api.patch(f"/discussions/{d1['id']}/pin", {"pinned": True}).status_code == 200  # no change, no error
    assert api.patch(f"/discussions/{d1['id']}/pin", {"pinned": "yes"}).status_code == 422
    assert api.patch(f"/discussions/{d1['id']}/pin", {}).status_code == 422
    assert api.patch("/discussions/discussion-nope/pin", {"pinned": True}).status_code == 404

    listing = f"/courses/{course['id']}/discussions"
    for client in (api, learner):
        assert [d["id"] for d in client.get(listing).json()["data"]] == [d1["id"], d3["id"], d2["id"]]
    first = api.get(listing, params={"per_page": 2}).json()
    second = api.get(listing, params={"per_page": 2, "page": 2}).json()
    assert [d["id"] for d in first["data"] + second["data"]] == [d1["id"], d3["id"], d2["id"]]
    assert first["meta"] == {"total": 3, "page": 1, "per_page": 2} and second["meta"]["page"] == 2
    assert [d["id"] for d in api.get(listing, params={"pinned": "true"}).json()["data"]] == [d1["id"]]
    assert [d["id"] for d in api.get(listing, params={"pinned": "false"}).json()["data"]] == [d3["id"], d2["id"]]
    bad = api.get(listing, params={"pinned": "maybe"})
    assert bad.status_code == 400 and error_of(bad)["source"] == {"parameter": "pinned"}

    api.patch(f"/discussions/{d3['id']}/resolve", {})
    assert [d["id"] for d in api.get(listing, params={"resolved": "true"}).json()["data"]] == [d3["id"]]
    assert api.get(listing, params={"resolved": "false", "lesson_id": lesson["id"]}).json()["meta"]["total"] == 1

    api.patch(f"/discussions/{d1['id']}/pin", {"pinned": False})
    assert [d["id"] for d in api.get(listing).json()["data"]] == [d3["id"], d2["id"], d1["id"]]


# -- resolving -------------------------------------------------------------------------------------


def test_resolve_by_author_or_instructor_only(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, _ = forum(api)
    for user in ("lea", "max"):
        enroll(api, user, course["id"])
    post = started(learner, course["id"], author_id="lea")
    path = f"/discussions/{post['id']}/resolve"

    other = learner.patch(path, {"user_id": "max"})
    assert other.status_code == 403 and error_of(other)["code"] == "forbidden"
    anonymous = learner.patch(path, {})
    assert anonymous.status_code == 422 and error_of(anonymous)["source"] == {"pointer": "/user_id"}
    assert attrs_of(api, post["id"])["resolved"] is False

    answer = replied(learner, post["id"], author_id="max")
    by_author = learner.patch(path, {"user_id": "lea", "answer_reply_id": answer["id"]})
    assert by_author.status_code == 200, by_author.text
    attrs = by_author.json()["data"]["attributes"]
    assert attrs["resolved"] is True and attrs["answer_reply_id"] == answer["id"] and attrs["resolved_at"]

    # An instructor may resolve with `{}`; the answer recorded and the time resolved stay.
    again = api.patch(path, {}).json()["data"]["attributes"]
    assert (again["answer_reply_id"], again["resolved_at"]) == (answer["id"], attrs["resolved_at"])
    foreign = replied(api, started(api, course["id"])["id"])
    wrong = api.patch(path, {"answer_reply_id": foreign["id"]})
    assert wrong.status_code == 422 and error_of(wrong)["code"] == "reply_not_in_discussion"
    assert error_of(wrong)["source"] == {"pointer": "/answer_reply_id"}
    cleared = api.patch(path, {"answer_reply_id": None}).json()["data"]["attributes"]
    assert cleared["resolved"] is True and cleared["answer_reply_id"] is None

    contradiction = api.patch(path, {"resolved": False, "answer_reply_id": answer["id"]})
    assert contradiction.status_code == 422
    reopened = learner.patch(path, {"user_id": "lea", "resolved": False}).json()["data"]["attributes"]
    assert (reopened["resolved"], reopened["resolved_at"], reopened["answer_reply_id"]) == (False, None, None)
    assert api.patch("/discussions/discussion-nope/resolve", {}).status_code == 404
    assert api.http.patch(path, content=b"", headers={"Content-Type": "application/json"}).status_code == 400


# -- deleting and the counters ----------------------------------------------------------------------


def test_counts_stay_right_after_deletes(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, _ = forum(api)
    post = started(api, course["id"])
    r1 = replied(api, post["id"], content="one")
    child = replied(api, post["id"], content="under one", parent_reply_id=r1["id"])
    r2 = replied(api, post["id"], content="two")
    for user in ("u1", "u2", "u3"):
        api.post(f"/discussions/{post['id']}/upvotes", {"user_id": user})
    api.patch(f"/discussions/{post['id']}/resolve", {"answer_reply_id": r2["id"]})
    attrs = attrs_of(api, post["id"])
    assert (attrs["reply_count"], attrs["upvotes"], attrs["last_reply_at"]) == (3, 3, r2["attributes"]["created_at"])

    assert learner.delete(f"/discussions/{post['id']}/replies/{r2['id']}").status_code == 403
    assert api.delete(f"/discussions/{post['id']}/replies/{r2['id']}").status_code == 204
    attrs = attrs_of(api, post["id"])
    assert (attrs["reply_count"], attrs["last_reply_at"]) == (2, child["attributes"]["created_at"])
    assert attrs["answer_reply_id"] is None and attrs["resolved"] is True  # the answer went with it
    again = api.delete(f"/discussions/{post['id']}/replies/{r2['id']}")
    assert again.status_code == 404 and error_of(again)["code"] == "reply_not_found"

    # A deleted reply with live answers stays in the thread as a tombstone, not counted.
    assert api.delete(f"/discussions/{post['id']}/replies/{r1['id']}").status_code == 204
    listed = thread(api, post["id"])
    assert [r["id"] for r in listed] == [r1["id"], child["id"]]
    tomb = listed[0]["attributes"]
    assert (tomb["deleted"], tomb["content"], tomb["author_id"]) == (True, None, None)
    assert listed[1]["attributes"]["deleted"] is False
    assert attrs_of(api, post["id"])["reply_count"] == 1
    assert reply(api, post["id"], parent_reply_id=r1["id"]).status_code == 422  # no answering a deleted reply
    assert api.delete(f"/discussions/{post['id']}/replies/{child['id']}").status_code == 204
    assert thread(api, post["id"]) == []
    attrs = attrs_of(api, post["id"])
    assert (attrs["reply_count"], attrs["last_reply_at"], attrs["upvotes"]) == (0, None, 3)

    api.delete(f"/discussions/{post['id']}/upvotes/u1")
    assert attrs_of(api, post["id"])["upvotes"] == 2

    other = started(api, course["id"], title="stays")
    assert learner.delete(f"/discussions/{post['id']}").status_code == 403
    assert api.delete(f"/discussions/{post['id']}").status_code == 204
    for response in (api.get(f"/discussions/{post['id']}"), api.get(f"/discussions/{post['id']}/replies"),
                     api.delete(f"/discussions/{post['id']}"), reply(api, post["id"]),
                     api.post(f"/discussions/{post['id']}/upvotes", {"user_id": "u1"})):
        assert response.status_code == 404 and error_of(response)["code"] == "discussion_not_found"
    listing = api.get(f"/courses/{course['id']}/discussions").json()
    assert [d["id"] for d in listing["data"]] == [other["id"]] and listing["meta"]["total"] == 1


# -- visibility and tenancy -------------------------------------------------------------------------


def test_publishable_keys_see_published_courses_only(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    draft = api.course(title="Draft")
    enroll(api, "lea", draft["id"])
    post = started(api, draft["id"])
    answer = replied(api, post["id"])
    for response in (learner.get(f"/courses/{draft['id']}/discussions"), start(learner, draft["id"], author_id="lea")):
        assert response.status_code == 404 and error_of(response)["code"] == "course_not_found"
    for response in (learner.get(f"/discussions/{post['id']}"), learner.get(f"/discussions/{post['id']}/replies"),
                     reply(learner, post["id"], author_id="lea"),
                     learner.post(f"/discussions/{post['id']}/upvotes", {"user_id": "lea"}),
                     learner.post(f"/discussions/{post['id']}/replies/{answer['id']}/upvotes", {"user_id": "lea"}),
                     learner.delete(f"/discussions/{post['id']}/upvotes/lea"),
                     learner.patch(f"/discussions/{post['id']}/resolve", {"user_id": "ana"})):
        assert response.status_code == 404 and error_of(response)["code"] == "discussion_not_found", response.text
    assert api.get(f"/courses/{draft['id']}/discussions").json()["meta"]["total"] == 1
    api.patch_resource(f"/courses/{draft['id']}", "course", status="published")
    assert learner.get(f"/discussions/{post['id']}").status_code == 200
    assert [d["id"] for d in learner.get(f"/courses/{draft['id']}/discussions").json()["data"]] == [post["id"]]


def test_another_tenant_gets_404(server, tenant: Tenant) -> None:
    api = tenant.secret
    course, lesson = forum(api)
    post = started(api, course["id"])
    answer = replied(api, post["id"])
    intruders = [make_tenant(server).secret, make_tenant(server, env="live", app_id=tenant.app_id).secret]
    for intruder in intruders:
        d, r = post["id"], answer["id"]
        for response in (
            intruder.get(f"/courses/{course['id']}/discussions"), start(intruder, course["id"]),
            intruder.get(f"/discussions/{d}"), intruder.get(f"/discussions/{d}/replies"),
            intruder.patch_resource(f"/discussions/{d}", "discussion", title="mine"), intruder.delete(f"/discussions/{d}"),
            reply(intruder, d), intruder.delete(f"/discussions/{d}/replies/{r}"),
            intruder.post(f"/discussions/{d}/upvotes", {"user_id": "x"}),
            intruder.delete(f"/discussions/{d}/upvotes/ana"),
            intruder.post(f"/discussions/{d}/replies/{r}/upvotes", {"user_id": "x"}),
            intruder.patch(f"/discussions/{d}/pin", {"pinned": True}),
            intruder.patch(f"/discussions/{d}/resolve", {}),
        ):
            assert response.status_code == 404, response.text
            assert error_of(response)["code"] in {"course_not_found", "discussion_not_found"}
        # Their own course may not borrow our lesson.
        own = intruder.course(title="Theirs")
        borrowed = start(intruder, own["id"], lesson_id=lesson["id"])
        assert borrowed.status_code == 422 and error_of(borrowed)["code"] == "lesson_not_in_course"
    attrs = attrs_of(api, post["id"])
    assert (attrs["title"], attrs["reply_count"], attrs["upvotes"], attrs["pinned"]) == ("A question", 1, 0, False)


# -- events, rate limits, the document --------------------------------------------------------------


def test_events_are_delivered_to_a_webhook(tenant: Tenant) -> None:
    api = tenant.secret
    receiver = Receiver()
    try:
        hook = api.post("/webhooks", {"url": receiver.url, "events": ["discussion.created", "discussion.replied"],
                                      "secret": SECRET})
        assert hook.status_code == 201, hook.text
        course, lesson = forum(api)
        assert start(api, course["id"], lesson_id="lesson-nope").status_code == 422  # no event for a refusal
        post = started(api, course["id"], lesson_id=lesson["id"], author_id="ana", title="Events?")
        top = replied(api, post["id"], author_id="ben")
        nested = replied(api, post["id"], author_id="cy", parent_reply_id=top["id"])
        got = receiver.wait_for(3)
        assert [r["json"]["event"] for r in got] == ["discussion.created", "discussion.replied", "discussion.replied"]
        assert all(verify(SECRET, r) for r in got)
        created = got[0]["json"]
        assert created["record"] == {"kind": "discussion", "id": post["id"]}
        assert created["data"] == {
            "discussion_id": post["id"], "course_id": course["id"], "lesson_id": lesson["id"], "author_id": "ana",
            "title": "Events?", "created_at": post["attributes"]["created_at"],
        }
        first, second = got[1]["json"]["data"], got[2]["json"]["data"]
        assert got[2]["json"]["record"] == {"kind": "reply", "id": nested["id"]}
        assert (first["reply_id"], first["parent_reply_id"], first["author_id"]) == (top["id"], None, "ben")
        assert (second["reply_id"], second["parent_reply_id"], second["author_id"]) == (nested["id"], top["id"], "cy")
        for data in (first, second):
            assert data["discussion_id"] == post["id"] and data["course_id"] == course["id"]
        assert second["created_at"] == nested["attributes"]["created_at"]
        time.sleep(0.5)
        assert len(receiver.received) == 3

        def delivered() -> bool:
            log = api.get(f"/webhooks/{hook.json()['data']['id']}/deliveries").json()["data"]
            return len(log) == 3 and {d["attributes"]["status"] for d in log} == {"delivered"}
        assert eventually(delivered)
    finally:
        receiver.stop()


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("discussion-limits"), {"UNIVERSITY_LOCAL_RATE_LIMITS": "enrollments=4",
                                                                      "UNIVERSITY_LOCAL_JOBS": "off"})
    yield srv
    srv.stop()


def test_discussions_use_the_enrollments_rate_class(limited_server) -> None:
    tenant = make_tenant(limited_server)
    api = tenant.secret
    course, _ = forum(api)  # catalogue calls: another class
    post = started(api, course["id"])
    assert api.get(f"/courses/{course['id']}/discussions").headers["X-RateLimit-Limit"] == "4"
    replied(api, post["id"])
    assert api.post(f"/discussions/{post['id']}/upvotes", {"user_id": "x"}).status_code == 200
    limited = api.get(f"/discussions/{post['id']}")
    assert limited.status_code == 429 and error_of(limited)["code"] == "rate_limit_exceeded"
    assert int(limited.headers["Retry-After"]) >= 1
    assert tenant.publishable.get(f"/courses/{course['id']}/discussions").status_code == 200  # per key


def test_openapi_documents_the_discussion_api(server) -> None:
    doc = httpx.get(f"{server.base}/v1/university/openapi.json").json()
    paths = doc["paths"]
    base = "/v1/university"
    assert {"get", "post"} <= set(paths[f"{base}/courses/{{course_id}}/discussions"])
    assert {"get", "patch", "delete"} <= set(paths[f"{base}/discussions/{{discussion_id}}"])
    assert set(paths[f"{base}/discussions/{{discussion_id}}/replies"]) == {"get", "post"}
    assert "patch" in paths[f"{base}/discussions/{{discussion_id}}/resolve"]
    assert "patch" in paths[f"{base}/discussions/{{discussion_id}}/pin"]
    assert "delete" in paths[f"{base}/discussions/{{discussion_id}}/upvotes/{{user_id}}"]
    schemas = doc["components"]["schemas"]
    assert {"DiscussionResource", "ReplyResource", "UpvoteResource", "ResolveChange"} <= set(schemas)
    assert set(schemas["DiscussionAttributes"]["properties"]) >= {
        "title", "content", "author_id", "lesson_id", "reply_count", "upvotes", "pinned", "resolved", "created_at"}
