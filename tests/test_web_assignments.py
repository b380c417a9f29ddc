"""Assignments in the learner pages: instructions and late rules, an upload (checked in the page
before sending when scripts run), an upload interrupted and sent again making one submission,
and the grade with rubric and feedback once marked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.test_web import School, browser, check_accessible, js, new_page, school, sign_in, web_server  # noqa: F401

RUBRIC = [{"criteria": "Clarity", "max_points": 6}, {"criteria": "Evidence", "max_points": 4}]


def make_assignment(where: School) -> str:
    api = where.api
    lesson = api.lesson(where.module_ids[0], title="Hand in a poster", content_type="assignment",
                        content={"estimated_minutes": 30})
    made = api.create("/assignments", "assignment", title="Hand in a poster", lesson_id=lesson["id"],
                      description="<p>Draw a <em>poster</em> about clean water.</p>", rubric=RUBRIC, max_score=10,
                      allowed_file_types=[".pdf", ".txt"], max_file_size_mb=1, due_date="2099-01-01T00:00:00Z",
                      allow_late_submission=True, late_penalty_percent=10)
    return str(made["id"])


def submissions(where: School, assignment_id: str) -> list[dict[str, Any]]:
    response = where.api.get(f"/assignments/{assignment_id}/submissions", params={"user_id": "amani"})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_hand_in_and_see_the_grade(browser: Any, web_server: ServerProcess, school: School, js: bool,  # noqa: F811
                                   tmp_path: Path) -> None:
    assignment_id = make_assignment(school)
    work = tmp_path / "poster.txt"
    work.write_text("Clean water for everyone.\n")
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/courses/{school.course_id}")
    page.get_by_role("link", name="Hand in a poster").click()
    page.get_by_role("link", name="Open the assignment").click()
    expect(page.get_by_text("Late work is accepted, with 10% taken off.")).to_be_visible()
    expect(page.locator(".prose em")).to_have_text("poster")
    check_accessible(page)
    if js:  # the page refuses a file of the wrong kind before sending it
        wrong = tmp_path / "photo.exe"
        wrong.write_bytes(b"MZ")
        page.get_by_label("File").set_input_files(str(wrong))
        page.get_by_role("button", name="Hand in").click()
        expect(page.locator(".upload-state")).to_have_text("This kind of file is not accepted here.")
    page.get_by_label("File").set_input_files(str(work))
    page.get_by_label("Notes for your teacher (optional)").fill("My first poster")
    page.get_by_role("button", name="Hand in").click()
    page.wait_for_url(re.compile(r"\?submitted=1$"))
    expect(page.get_by_text("Your work was received.")).to_be_visible()
    [submitted] = submissions(school, assignment_id)
    assert submitted["attributes"]["notes"] == "My first poster"
    grade = {"scores": [{"criteria": "Clarity", "points": 5}, {"criteria": "Evidence", "points": 3}],
             "feedback": "Bright and clear."}
    assert school.api.patch(f"/submissions/{submitted['id']}/grade", grade).status_code == 200
    page.reload()
    expect(page.get_by_text("Grade: 8 of 10")).to_be_visible()
    expect(page.get_by_text("Teacher's feedback: Bright and clear.")).to_be_visible()
    page.context.close()


def test_an_upload_sent_twice_is_one_submission(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                 school: School) -> None:  # noqa: F811
    """What the page's retry does after a dropped connection: the same form URL (its operation id)
    and the same file, sent again."""
    assignment_id = make_assignment(school)
    page = new_page(browser, False)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/assignments/{assignment_id}")
    action = page.locator("form.upload").get_attribute("action")
    assert action is not None
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    files = {"file": ("work.txt", b"my work\n", "text/plain")}
    for _ in range(2):
        answer = httpx.post(web_server.base + action, cookies=cookies, files=files, data={"notes": "once"})
        assert answer.status_code == 303, answer.text
    assert len(submissions(school, assignment_id)) == 1
    # Another learner cannot hand in as Amani by naming her in the form.
    other = httpx.post(web_server.base + action, cookies=cookies, files=files, data={"user_id": "bea"})
    assert other.status_code == 404
    page.context.close()


def test_a_dropped_upload_is_retried_with_the_same_file(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                        school: School, tmp_path: Path) -> None:  # noqa: F811
    """The connection drops after the server has the upload but before the page has its answer:
    the page sends it again by itself, without the file being chosen again, and there is one
    submission."""
    assignment_id = make_assignment(school)
    work = tmp_path / "poster.pdf"
    work.write_bytes(b"%PDF-1.4\n%test\n")
    page = new_page(browser, True)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/assignments/{assignment_id}")
    sent: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        sent.append(route.request.url)
        if len(sent) == 1:
            route.fetch()  # the server receives it...
            route.abort("connectionreset")  # ...and the answer never arrives
        else:
            route.continue_()

    page.route(re.compile(r"/submit\?"), lose_the_first_answer)
    page.get_by_label("File").set_input_files(str(work))
    page.get_by_role("button", name="Hand in").click()
    page.wait_for_url(re.compile(r"\?submitted=1$"))
    assert len(sent) == 2 and sent[0] == sent[1]
    assert len(submissions(school, assignment_id)) == 1
    page.context.close()


def test_a_written_answer_is_handed_in_and_shown_as_written(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                            school: School, js: bool) -> None:  # noqa: F811
    api = school.api
    lesson = api.lesson(school.module_ids[0], title="Write about rain", content_type="assignment",
                        content={"estimated_minutes": 15})
    made = api.create("/assignments", "assignment", title="Write about rain", lesson_id=lesson["id"], max_score=5,
                      submission_types=["file", "text"], allowed_file_types=[".pdf"], max_file_size_mb=1)
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/assignments/{made['id']}")
    expect(page.get_by_text("Written answers: up to 50,000 characters")).to_be_visible()
    check_accessible(page)
    if js:  # neither an answer nor a file: the page says so and sends nothing
        page.get_by_role("button", name="Hand in").click()
        expect(page.locator(".upload-state")).to_have_text("Write your answer or choose a file.")
    page.get_by_label("Your answer").fill("Rain comes from clouds.\n<script>alert(1)</script>")
    page.get_by_role("button", name="Hand in").click()
    page.wait_for_url(re.compile(r"\?submitted=1$"))
    [submitted] = submissions(school, made["id"])
    assert submitted["attributes"]["text"] == "Rain comes from clouds.\n<script>alert(1)</script>"
    assert submitted["attributes"]["file"] is None
    expect(page.locator(".answer")).to_have_text("Rain comes from clouds.\n<script>alert(1)</script>")
    assert page.locator(".answer script").count() == 0
    page.context.close()
